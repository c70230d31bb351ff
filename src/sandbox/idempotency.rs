//! Adyen's `Idempotency-Key` (its "API idempotency" page): a POST retried with the
//! same key returns the first answer, status and body, without doing the work again.
//!
//! - Keys are scoped per credential (Adyen scopes them to the company account; the twin
//!   has one account per credential).
//! - The same key with another body, or while the first request is still being handled,
//!   gets HTTP 422 with `errorCode` "704", "request already processed or in progress"
//!   (the message Adyen returns for it, as reported in odoo/odoo#287020; the page's own
//!   "Error handling" section could not be read here).
//! - The store keeps at most [`CAPACITY`] keys and evicts the oldest first; Adyen keeps
//!   keys at least 31 days, a twin restarts far more often.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::TwinResponse;
use super::ledger::Merchant;

/// Keys kept at most.
pub const CAPACITY: usize = 10_000;

type Key = (Merchant, String);

enum Entry {
    Pending,
    Done([u8; 32], TwinResponse),
}

/// What to do with a request that carries a key.
pub(crate) enum Begin {
    /// First time: handle it, then [`Store::finish`].
    Fresh,
    /// Seen with the same body: this was the answer.
    Replay(TwinResponse),
    /// Seen with another body, or still in progress.
    Conflict,
}

#[derive(Default)]
pub(crate) struct Store {
    inner: Mutex<(HashMap<Key, Entry>, VecDeque<Key>)>,
}

/// What identifies "the same request": the operation and the body as JSON (so that
/// whitespace and key order do not matter).
pub(crate) fn fingerprint(operation: &str, body: &Value) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(body).unwrap_or_default());
    h.finalize().into()
}

impl Store {
    pub(crate) fn begin(&self, merchant: Merchant, key: &str, print: [u8; 32]) -> Begin {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *g;
        let k = (merchant, key.to_string());
        match map.get(&k) {
            Some(Entry::Done(p, resp)) if *p == print => Begin::Replay(resp.clone()),
            Some(_) => Begin::Conflict,
            None => {
                while map.len() >= CAPACITY {
                    match order.pop_front() {
                        Some(old) => {
                            map.remove(&old);
                        }
                        None => break,
                    }
                }
                map.insert(k.clone(), Entry::Pending);
                order.push_back(k);
                Begin::Fresh
            }
        }
    }

    pub(crate) fn finish(&self, merchant: Merchant, key: &str, print: [u8; 32], resp: &TwinResponse) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = g.0.get_mut(&(merchant, key.to_string())) {
            *e = Entry::Done(print, resp.clone());
        }
    }
}
