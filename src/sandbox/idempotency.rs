//! Adyen's `Idempotency-Key` (its "API idempotency" page): a POST retried with the
//! same key returns the first answer, status and body, without doing the work again.
//!
//! - A key is 1 to [`MAX_KEY_LEN`] (64) characters, as Adyen documents; the twin also
//!   takes only visible ASCII, so two keys are the same exactly when their bytes are
//!   (a key that is not is refused, never decoded lossily and confused with another).
//! - Keys are scoped per credential (Adyen scopes them to the company account; the twin
//!   has one account per credential).
//! - While the first request with a key is still being handled, a duplicate gets HTTP
//!   409 with `errorCode` "704", "request already processed or in progress", and the
//!   header `Transient-Error: true` (retry later with the same key), as Adyen's page
//!   describes and Adyen/adyen-java-api-library#288 reports of a real answer.
//! - The same key with another body: Adyen documents no comparison of bodies. The
//!   twin's choice is 422 `704` with `Transient-Error: false`, not a replay: a replay
//!   would hand a client the answer to another request (another amount, another
//!   payment) and hide the bug that reused the key.
//! - Bounds. Each merchant keeps at most [`CAPACITY`] keys and [`MERCHANT_BYTES`] of
//!   keys and stored answers, and only its own traffic evicts them, oldest first: no
//!   merchant can push another's keys out. All merchants together keep at most
//!   [`TOTAL_BYTES`]; past that, the merchant holding the most bytes gives up its
//!   oldest key, so a merchant is never evicted by others while it holds less than
//!   they do. A retry whose key was evicted is handled as a new request: it does the
//!   work again (Adyen keeps keys at least 31 days; a twin restarts far more often).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::TwinResponse;
use super::ledger::Merchant;

/// Keys kept at most per merchant.
pub const CAPACITY: usize = 10_000;
/// Bytes of keys and stored answers kept at most per merchant: 8 MiB.
pub const MERCHANT_BYTES: usize = 8 * 1024 * 1024;
/// Bytes kept at most across all merchants: 64 MiB.
pub const TOTAL_BYTES: usize = 64 * 1024 * 1024;
/// The longest key Adyen accepts, in characters.
pub const MAX_KEY_LEN: usize = 64;

/// Why a key is refused, or `None` for a good one: 1 to 64 visible ASCII characters.
pub(crate) fn refuse(key: &str) -> Option<String> {
    if key.len() > MAX_KEY_LEN {
        Some(format!("Idempotency-Key is {} bytes; Adyen allows at most {MAX_KEY_LEN} characters", key.len()))
    } else if !key.bytes().all(|b| b.is_ascii_graphic()) {
        Some("Idempotency-Key must be visible ASCII characters only".into())
    } else {
        None
    }
}

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
    /// Seen with another body.
    Conflict,
    /// The first request with this key is still being handled.
    InProgress,
}

/// One merchant's keys, oldest first, and their bytes.
#[derive(Default)]
struct Keys {
    map: HashMap<String, (Entry, usize)>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Keys {
    fn evict_oldest(&mut self) -> usize {
        while let Some(old) = self.order.pop_front() {
            if let Some((_, size)) = self.map.remove(&old) {
                self.bytes -= size;
                return size;
            }
        }
        0
    }
}

#[derive(Default)]
struct Inner {
    merchants: HashMap<Merchant, Keys>,
    /// (bytes, merchant) of every merchant with keys: the heaviest is last.
    weights: BTreeSet<(usize, Merchant)>,
    total: usize,
}

impl Inner {
    /// Change one merchant's keys, keeping the weights and the total right.
    fn with<R>(&mut self, m: Merchant, f: impl FnOnce(&mut Keys) -> R) -> R {
        let keys = self.merchants.entry(m).or_default();
        let before = keys.bytes;
        let r = f(keys);
        let after = keys.bytes;
        if keys.map.is_empty() {
            self.merchants.remove(&m);
        }
        self.weights.remove(&(before, m));
        if after > 0 {
            self.weights.insert((after, m));
        }
        self.total = self.total + after - before;
        r
    }
}

#[derive(Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

/// What identifies "the same request": the operation and the body as JSON (so that
/// whitespace and key order do not matter).
pub(crate) fn fingerprint(operation: &str, path: Option<&str>, body: &Value) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update([0]);
    // The payment a Checkout modification names in its path is part of the request: the
    // same key and body on another payment is another request, never a replay.
    h.update(path.unwrap_or_default().as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(body).unwrap_or_default());
    h.finalize().into()
}

/// Bytes an entry costs: its key twice (map and order), the fingerprint, and the
/// answer, which is kept parsed (about three times its JSON).
fn cost(key: &str, answer: usize) -> usize {
    2 * key.len() + 32 + 3 * answer + 64
}

impl Store {
    pub(crate) fn begin(&self, merchant: Merchant, key: &str, print: [u8; 32]) -> Begin {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match g.merchants.get(&merchant).and_then(|k| k.map.get(key)) {
            Some((Entry::Done(p, resp), _)) if *p == print => return Begin::Replay(resp.clone()),
            Some((Entry::Pending, _)) => return Begin::InProgress,
            Some(_) => return Begin::Conflict,
            None => {}
        }
        let size = cost(key, 0);
        g.with(merchant, |keys| {
            while keys.map.len() >= CAPACITY || (keys.bytes + size > MERCHANT_BYTES && !keys.map.is_empty()) {
                if keys.evict_oldest() == 0 {
                    break;
                }
            }
            keys.map.insert(key.to_string(), (Entry::Pending, size));
            keys.order.push_back(key.to_string());
            keys.bytes += size;
        });
        Begin::Fresh
    }

    pub(crate) fn finish(&self, merchant: Merchant, key: &str, print: [u8; 32], resp: &TwinResponse) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let size = cost(key, resp.body_bytes().len());
        g.with(merchant, |keys| {
            if let Some((e, old)) = keys.map.get_mut(key) {
                *e = Entry::Done(print, resp.clone());
                keys.bytes = keys.bytes - *old + size;
                *old = size;
            }
            // The answer may have taken the merchant past its bytes: its oldest go.
            while keys.bytes > MERCHANT_BYTES && keys.map.len() > 1 {
                if keys.evict_oldest() == 0 {
                    break;
                }
            }
        });
        // All merchants past the total: the heaviest gives up its oldest keys.
        while g.total > TOTAL_BYTES {
            let Some(&(_, heaviest)) = g.weights.iter().next_back() else { break };
            if g.with(heaviest, Keys::evict_oldest) == 0 {
                break;
            }
        }
    }

    /// Keys kept for `merchant`, and bytes kept in all: for tests and the inspection of
    /// bounds.
    #[cfg(test)]
    fn counts(&self, merchant: Merchant) -> (usize, usize) {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (g.merchants.get(&merchant).map_or(0, |k| k.map.len()), g.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(n: usize) -> TwinResponse {
        TwinResponse::json(200, "application/json", serde_json::json!({"pad": "x".repeat(n)}))
    }

    #[test]
    fn keys_are_visible_ascii_of_at_most_64() {
        assert!(refuse("order-1").is_none());
        assert!(refuse(&"k".repeat(64)).is_none());
        assert!(refuse(&"k".repeat(65)).is_some());
        assert!(refuse("\u{fffd}-order").is_some(), "a lossily decoded key is refused");
        assert!(refuse("two words").is_some());
    }

    /// Issue 20, item 10: a duplicate of a request still being handled is told so
    /// (409 `704`, `Transient-Error: true`), not refused as another body.
    #[test]
    fn a_duplicate_in_flight_is_in_progress() {
        let s = Store::default();
        assert!(matches!(s.begin(1, "k", [1; 32]), Begin::Fresh));
        assert!(matches!(s.begin(1, "k", [1; 32]), Begin::InProgress));
        s.finish(1, "k", [1; 32], &answer(1));
        assert!(matches!(s.begin(1, "k", [1; 32]), Begin::Replay(_)));
        assert!(matches!(s.begin(1, "k", [2; 32]), Begin::Conflict));
    }

    /// Issue 19, item 12: merchant B's 10,000 keys no longer push out merchant A's.
    #[test]
    fn no_merchant_evicts_another() {
        let s = Store::default();
        let p = [1u8; 32];
        assert!(matches!(s.begin(1, "a-capture", p), Begin::Fresh));
        s.finish(1, "a-capture", p, &answer(10));
        for i in 0..CAPACITY + 500 {
            let k = format!("b-{i}");
            assert!(matches!(s.begin(2, &k, p), Begin::Fresh));
            s.finish(2, &k, p, &answer(10));
        }
        assert!(matches!(s.begin(1, "a-capture", p), Begin::Replay(_)), "A's key survives B's flood");
        assert_eq!(s.counts(2).0, CAPACITY, "B is bounded by its own count");
        assert!(matches!(s.begin(2, "b-0", p), Begin::Fresh), "B's oldest went first");
    }

    /// Issue 19, item 11: bounded by bytes as well as by count.
    #[test]
    fn bounded_in_bytes_per_merchant_and_in_all() {
        let s = Store::default();
        let p = [1u8; 32];
        for i in 0..200 {
            let k = format!("big-{i}");
            s.begin(3, &k, p);
            s.finish(3, &k, p, &answer(100 * 1024));
        }
        let (kept, total) = s.counts(3);
        assert!(total <= MERCHANT_BYTES, "{total}");
        assert!(kept < 200 && kept > 20, "{kept}");
        // Many merchants: the total holds, and the lightest keeps its key.
        s.begin(4, "light", p);
        s.finish(4, "light", p, &answer(10));
        for m in 10..40 {
            for i in 0..100 {
                let k = format!("k{i}");
                s.begin(m, &k, p);
                s.finish(m, &k, p, &answer(100 * 1024));
            }
        }
        assert!(s.counts(4).1 <= TOTAL_BYTES);
        assert!(matches!(s.begin(4, "light", p), Begin::Replay(_)));
    }
}
