//! What the generated [`Api`] enum knows beyond its table: names in both spellings,
//! and its display form.

use std::fmt;

use super::Api;

impl Api {
    /// The API for a spec stem.
    pub fn from_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The API for its spec stem or its short name.
    pub fn from_any_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name || a.short_name() == name)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
