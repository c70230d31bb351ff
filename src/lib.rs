//! payconform
pub mod client;
pub mod spec;
