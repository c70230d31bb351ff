//! The subcommands with more than a few lines of work.

pub(crate) mod check;
pub(crate) mod proxy;
pub(crate) mod sandbox;
