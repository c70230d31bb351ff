//! The step vocabulary, one file per domain concept. Every pattern is a Cucumber
//! Expression; the README's "Step vocabulary" lists them all (a test keeps it in sync).

mod api;
mod authorize;
mod events;
mod modify;
mod notifications;
mod params;
mod response;
mod twin;

pub(crate) use events::PENDING;
pub(crate) use params::parameters;
