//! The payment state machine with its money rules. No HTTP, no clock, no I/O.
//!
//! Invariants, kept by every operation under one short lock:
//! `cancelled + settled <= authorized` and `refunded <= settled`.
//! Money is never created or lost: an operation that would break an invariant
//! changes nothing and returns a [`RuleError`].
//!
//! Each payment keeps its last [`HISTORY`] modifications (Adyen) beside it, with a
//! count of all of them. The history is never copied on the request path: reading or
//! changing a payment costs the same however many modifications it has seen.

mod state;

pub use state::{Event, History, Modification, Op, Payment, RuleError, Status};

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// The index maps hash with foldhash (randomly seeded per process): the ledger sits on
/// every request's path, and SipHash over `(merchant, reference)` showed in profiles.
type Index = HashMap<(Merchant, String), PaymentId, foldhash::fast::RandomState>;

/// Modifications kept per payment; older ones are dropped (and counted).
pub const HISTORY: usize = 64;

/// Who owns a payment: a hash of the credential that created it.
pub type Merchant = u64;

/// A payment's identity inside the twin.
pub type PaymentId = u64;
/// A payment as stored: the payment and its history.
struct Slot {
    payment: Payment,
    history: History,
}

/// The ledger: every payment, bounded, under one short lock.
pub struct Ledger {
    inner: Mutex<Inner>,
    cap: usize,
}

struct Inner {
    /// The id the next payment gets.
    next: PaymentId,
    /// Payments `next - payments.len() .. next`, oldest first: ids are handed out in
    /// order and evicted in order, so an id is its own index and needs no hashing.
    payments: VecDeque<Slot>,
    by_external: Index,
    by_reference: Index,
}

/// Drop `key` from `index` if it still names `id`.
fn forget(index: &mut Index, key: (Merchant, String), id: PaymentId) {
    if let std::collections::hash_map::Entry::Occupied(e) = index.entry(key)
        && *e.get() == id
    {
        e.remove();
    }
}

impl Inner {
    fn slot(&self, id: PaymentId) -> Option<usize> {
        let first = self.next - self.payments.len() as PaymentId;
        (id >= first && id < self.next).then(|| (id - first) as usize)
    }

    fn get(&self, id: PaymentId) -> Option<&Slot> {
        self.slot(id).and_then(|i| self.payments.get(i))
    }

    fn get_mut(&mut self, id: PaymentId) -> Option<&mut Slot> {
        self.slot(id).and_then(|i| self.payments.get_mut(i))
    }
}

/// What a new payment starts with.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// Owner.
    pub merchant: Merchant,
    /// Status at creation.
    pub status: Status,
    /// Currency.
    pub currency: String,
    /// Asked for.
    pub requested: i64,
    /// Authorized.
    pub authorized: i64,
    /// Settle everything at once (auto-settlement).
    pub settle_now: bool,
    /// Merchant reference.
    pub reference: String,
    /// See [`Payment::fails`].
    pub fails: Option<&'static str>,
    /// See [`Payment::brand`].
    pub brand: &'static str,
    /// See [`Payment::pre_auth`].
    pub pre_auth: bool,
}

impl Ledger {
    /// A ledger that keeps at most `cap` payments, evicting the oldest.
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        // Sized up front (up to a million payments) so that no request pays for growing
        // them: copying 100k payments or rehashing 100k keys under the lock took
        // milliseconds and showed as p99 spikes. The indexes get twice the room so the
        // tombstones eviction leaves behind are cleaned up rarely.
        let room = cap.min(1 << 20);
        let index = || Index::with_capacity_and_hasher(2 * room, Default::default());
        Ledger {
            inner: Mutex::new(Inner {
                next: 1,
                payments: VecDeque::with_capacity(room),
                by_external: index(),
                by_reference: index(),
            }),
            cap,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied change: every
        // mutation below is checked first and applied with plain assignments.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record a new payment; `external_id` derives the vendor's id from the twin id.
    pub fn create(&self, new: NewPayment, external_id: impl Fn(PaymentId) -> String) -> Payment {
        let mut g = self.lock();
        let id = g.next;
        g.next += 1;
        let mut p = Payment {
            id,
            merchant: new.merchant,
            status: new.status,
            last_event: if new.status == Status::Refused { Event::Refused } else { Event::Authorized },
            currency: new.currency,
            requested: new.requested,
            authorized: new.authorized,
            cancelled: 0,
            settled: 0,
            refunded: 0,
            reference: new.reference,
            external_id: external_id(id),
            fails: new.fails,
            brand: new.brand,
            pre_auth: new.pre_auth,
        };
        if new.settle_now && p.status == Status::Authorized {
            p.settled = p.authorized;
            p.status = Status::Settled;
            p.last_event = Event::SentForSettlement;
        }
        while g.payments.len() >= self.cap {
            let Some(Slot { payment: gone, .. }) = g.payments.pop_front() else { break };
            // A newer payment may have taken over the key (references repeat): keep its entry.
            forget(&mut g.by_external, (gone.merchant, gone.external_id), gone.id);
            forget(&mut g.by_reference, (gone.merchant, gone.reference), gone.id);
        }
        g.by_external.insert((p.merchant, p.external_id.clone()), id);
        g.by_reference.insert((p.merchant, p.reference.clone()), id);
        g.payments.push_back(Slot { payment: p.clone(), history: History::default() });
        p
    }

    /// A payment, if it exists and belongs to `merchant`.
    pub fn get(&self, merchant: Merchant, id: PaymentId) -> Option<Payment> {
        self.lock().get(id).map(|s| &s.payment).filter(|p| p.merchant == merchant).cloned()
    }

    /// A payment by its vendor id (pspReference), within one merchant.
    pub fn find_external(&self, merchant: Merchant, external: &str) -> Option<Payment> {
        let g = self.lock();
        g.by_external.get(&(merchant, external.to_string())).and_then(|&id| g.get(id)).map(|s| s.payment.clone())
    }

    /// The latest payment with this merchant reference, within one merchant.
    pub fn find_reference(&self, merchant: Merchant, reference: &str) -> Option<Payment> {
        let g = self.lock();
        g.by_reference.get(&(merchant, reference.to_string())).and_then(|&id| g.get(id)).map(|s| s.payment.clone())
    }

    /// How many payments the ledger holds.
    pub fn len(&self) -> usize {
        self.lock().payments.len()
    }

    /// Apply `op` to a payment atomically. `None` if the payment is unknown or foreign.
    pub fn apply(&self, merchant: Merchant, id: PaymentId, op: Op) -> Option<Result<Payment, RuleError>> {
        let mut g = self.lock();
        let p = g.get_mut(id).map(|s| &mut s.payment).filter(|p| p.merchant == merchant)?;
        let mut next = p.clone();
        let result = op.apply_to(&mut next);
        debug_assert!(next.cancelled + next.settled <= next.authorized && next.refunded <= next.settled);
        Some(match result {
            Ok(()) => {
                *p = next.clone();
                Ok(next)
            }
            Err(e) => Err(e),
        })
    }

    /// A change that was received and then failed: the payment's last event becomes
    /// `event`, and no money moves.
    pub fn fail(&self, merchant: Merchant, id: PaymentId, event: Event) -> Option<Payment> {
        let mut g = self.lock();
        let p = g.get_mut(id).map(|s| &mut s.payment).filter(|p| p.merchant == merchant)?;
        p.last_event = event;
        Some(p.clone())
    }

    /// Record a modification outcome (Adyen) without moving money on failure. Only the
    /// last [`HISTORY`] are kept.
    pub fn record(&self, merchant: Merchant, id: PaymentId, m: Modification) {
        let mut g = self.lock();
        if let Some(slot) = g.get_mut(id).filter(|s| s.payment.merchant == merchant) {
            let h = &mut slot.history;
            if h.kept.len() >= HISTORY {
                h.kept.pop_front();
            }
            h.kept.push_back(m);
            h.total += 1;
        }
    }

    /// A payment's modifications (at most [`HISTORY`]), if it belongs to `merchant`.
    pub fn history(&self, merchant: Merchant, id: PaymentId) -> Option<History> {
        self.lock().get(id).filter(|s| s.payment.merchant == merchant).map(|s| s.history.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorized(merchant: Merchant, amount: i64, reference: &str) -> NewPayment {
        NewPayment {
            merchant,
            status: Status::Authorized,
            currency: "GBP".into(),
            requested: amount,
            authorized: amount,
            settle_now: false,
            reference: reference.into(),
            fails: None,
            brand: "",
            pre_auth: false,
        }
    }

    fn ledger_with(amount: i64) -> (Ledger, PaymentId) {
        let l = Ledger::new(10);
        let p = l.create(authorized(1, amount, "r"), |id| format!("pay{id}"));
        (l, p.id)
    }

    #[test]
    fn partial_settles_never_exceed_the_authorization() {
        let (l, id) = ledger_with(100);
        assert!(l.apply(1, id, Op::SettlePartial(60)).unwrap().is_ok());
        assert_eq!(
            l.apply(1, id, Op::SettlePartial(41)).unwrap(),
            Err(RuleError::ExceedsAuthorized { requested: 41, remaining: 40 })
        );
        assert_eq!(l.apply(1, id, Op::SettleFull).unwrap(), Err(RuleError::SettleNotAllowed));
        let p = l.apply(1, id, Op::SettlePartial(40)).unwrap().unwrap();
        assert_eq!((p.settled, p.remaining()), (100, 0));
        assert_eq!(l.apply(1, id, Op::SettlePartial(1)).unwrap(), Err(RuleError::SettleNotAllowed));
    }

    #[test]
    fn cancel_only_while_authorized_and_refund_only_what_was_settled() {
        let (l, id) = ledger_with(100);
        assert_eq!(l.apply(1, id, Op::RefundFull).unwrap(), Err(RuleError::RefundNotAllowed));
        l.apply(1, id, Op::SettleFull).unwrap().unwrap();
        assert_eq!(l.apply(1, id, Op::CancelFull).unwrap(), Err(RuleError::CancelNotAllowed));
        let (l, id) = ledger_with(100);
        l.apply(1, id, Op::SettlePartial(30)).unwrap().unwrap();
        assert_eq!(
            l.apply(1, id, Op::RefundPartial(31)).unwrap(),
            Err(RuleError::ExceedsSettled { requested: 31, refundable: 30 })
        );
        let p = l.apply(1, id, Op::RefundPartial(30)).unwrap().unwrap();
        assert_eq!((p.settled, p.refunded), (30, 30));
    }

    #[test]
    fn cancel_after_a_partial_settle_releases_the_rest() {
        // The vendors' partialSettle link list offers cancel (README: seed-versus-vendor decisions).
        let (l, id) = ledger_with(100);
        l.apply(1, id, Op::SettlePartial(30)).unwrap().unwrap();
        let p = l.apply(1, id, Op::CancelFull).unwrap().unwrap();
        assert_eq!((p.settled, p.cancelled, p.remaining(), p.status), (30, 70, 0, Status::Settled));
        assert_eq!(l.apply(1, id, Op::SettlePartial(1)).unwrap(), Err(RuleError::SettleNotAllowed));
        assert_eq!(l.apply(1, id, Op::RefundFull).unwrap().unwrap().refunded, 30);
    }

    #[test]
    fn foreign_merchants_see_nothing() {
        let (l, id) = ledger_with(100);
        assert!(l.get(2, id).is_none());
        assert!(l.apply(2, id, Op::SettleFull).is_none());
        assert!(l.find_external(2, "pay1").is_none());
    }

    #[test]
    fn the_oldest_payment_is_evicted_past_the_cap() {
        let l = Ledger::new(3);
        for i in 0..5 {
            l.create(authorized(1, 1, &format!("r{i}")), |id| format!("p{id}"));
        }
        assert_eq!(l.len(), 3);
        assert!(l.get(1, 1).is_none() && l.get(1, 5).is_some());
        assert!(l.find_reference(1, "r0").is_none());
        assert_eq!(l.find_external(1, "p3").map(|p| p.id), Some(3));
        assert!(l.find_external(1, "p2").is_none());
    }

    #[test]
    fn evicting_an_old_payment_keeps_a_newer_one_with_the_same_reference() {
        let l = Ledger::new(2);
        l.create(authorized(7, 1, "same"), |id| format!("p{id}"));
        let newer = l.create(authorized(7, 1, "same"), |id| format!("p{id}"));
        l.create(authorized(7, 1, "other"), |id| format!("p{id}"));
        assert_eq!(l.len(), 2);
        assert_eq!(l.find_reference(7, "same").map(|p| p.id), Some(newer.id));
        assert!(l.get(7, 1).is_none() && l.get(7, 0).is_none() && l.get(7, 4).is_none());
    }
}
