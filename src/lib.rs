//! payconform
pub mod client;
