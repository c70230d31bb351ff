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

/// Where a payment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Authorized; nothing settled yet.
    Authorized,
    /// Refused by the (simulated) issuer.
    Refused,
    /// Pending (Adyen `Received`); no modification is possible.
    Pending,
    /// Some or all of it sent for settlement.
    Settled,
    /// The whole remaining authorization cancelled.
    Cancelled,
    /// Everything settled has been refunded.
    Refunded,
}

/// The last event, as Worldpay reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Authorized.
    Authorized,
    /// Refused.
    Refused,
    /// Sent for settlement.
    SentForSettlement,
    /// Sent for refund.
    SentForRefund,
    /// Sent for cancellation.
    SentForCancellation,
}

impl Event {
    /// Worldpay's published spelling.
    pub fn worldpay_name(self) -> &'static str {
        match self {
            Event::Authorized => "Authorized",
            Event::Refused => "Refused",
            Event::SentForSettlement => "Sent for Settlement",
            Event::SentForRefund => "Sent for Refund",
            Event::SentForCancellation => "Sent for Cancellation",
        }
    }
}

/// A modification recorded on a payment (Adyen acknowledges first, decides later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modification {
    /// Kind, e.g. `capture`.
    pub kind: &'static str,
    /// The modification's own reference.
    pub reference: String,
    /// Amount asked for, if any.
    pub amount: Option<i64>,
    /// Whether it took effect.
    pub success: bool,
    /// Why it failed, if it did.
    pub reason: Option<String>,
}

/// One payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Twin id.
    pub id: PaymentId,
    /// Owner.
    pub merchant: Merchant,
    /// Status.
    pub status: Status,
    /// Last event.
    pub last_event: Event,
    /// ISO currency.
    pub currency: String,
    /// Amount asked for.
    pub requested: i64,
    /// Amount authorized (may be less: partial authorization).
    pub authorized: i64,
    /// Amount released by cancellations.
    pub cancelled: i64,
    /// Amount sent for settlement.
    pub settled: i64,
    /// Amount refunded.
    pub refunded: i64,
    /// The merchant's reference (Worldpay transactionReference, Adyen reference).
    pub reference: String,
    /// Adyen pspReference or Worldpay paymentId.
    pub external_id: String,
    /// A documented test value asked for a later modification of this kind to fail
    /// after it was acknowledged (Adyen's holder names `capture failed`, `refund failed`).
    pub fails: Option<&'static str>,
}

/// A payment's modifications: the last [`HISTORY`] of them, and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The most recent modifications, oldest first.
    pub kept: VecDeque<Modification>,
    /// Every modification ever recorded on the payment, kept or not.
    pub total: u64,
}

/// A payment as stored: the payment and its history.
struct Slot {
    payment: Payment,
    history: History,
}

impl Payment {
    /// Authorized and not yet cancelled or settled.
    pub fn remaining(&self) -> i64 {
        self.authorized - self.cancelled - self.settled
    }
    /// Settled and not yet refunded.
    pub fn refundable(&self) -> i64 {
        self.settled - self.refunded
    }
    /// Cancel is legal: something authorized is neither settled nor cancelled yet. After
    /// a partial settle this releases the rest (the vendors' v7 `partialSettle` link list
    /// and the Payments API `PartialSettleActionList` offer cancel); what was settled
    /// can only be refunded.
    pub fn can_cancel(&self) -> bool {
        matches!(self.status, Status::Authorized | Status::Settled) && self.refunded == 0 && self.remaining() > 0
    }
    /// Settle is legal: something authorized is left.
    pub fn can_settle(&self) -> bool {
        matches!(self.status, Status::Authorized | Status::Settled) && self.remaining() > 0
    }
    /// Refund is legal: something settled is not yet refunded.
    pub fn can_refund(&self) -> bool {
        matches!(self.status, Status::Settled | Status::Refunded) && self.refundable() > 0
    }
}

/// A rule a request would break; the payment is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Nothing authorized is left to cancel.
    #[error("nothing authorized is left to cancel; what was settled must be refunded instead")]
    CancelNotAllowed,
    /// Nothing left to settle, or the payment is not authorized.
    #[error("the payment has no authorized amount left to settle")]
    SettleNotAllowed,
    /// Asked to settle or cancel more than remains authorized.
    #[error("{requested} exceeds the {remaining} still authorized")]
    ExceedsAuthorized {
        /// Asked for.
        requested: i64,
        /// Left.
        remaining: i64,
    },
    /// Nothing settled to refund.
    #[error("the payment has no settled amount left to refund")]
    RefundNotAllowed,
    /// Asked to refund more than settled and not yet refunded.
    #[error("{requested} exceeds the {refundable} settled and not yet refunded")]
    ExceedsSettled {
        /// Asked for.
        requested: i64,
        /// Left.
        refundable: i64,
    },
    /// An amount must be positive.
    #[error("the amount must be greater than zero")]
    NotPositive,
    /// A settled authorization can no longer be changed.
    #[error("an authorization that is settled can no longer be adjusted")]
    AdjustNotAllowed,
    /// An adjustment below what was already cancelled.
    #[error("{requested} is less than the {cancelled} already cancelled")]
    AdjustBelowCancelled {
        /// The new authorised amount asked for.
        requested: i64,
        /// Already cancelled.
        cancelled: i64,
    },
    /// The payment was never authorised (refused, or still pending).
    #[error("the payment was not authorised, so it cannot be modified")]
    NotAuthorized,
    /// A modification in another currency than the authorisation's (Adyen).
    #[error("the currency {requested} is not the authorisation's {authorised}")]
    CurrencyMismatch {
        /// The modification's currency.
        requested: String,
        /// The authorisation's.
        authorised: String,
    },
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

    /// Whether the ledger is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// An operation on a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Settle everything that remains.
    SettleFull,
    /// Settle part.
    SettlePartial(i64),
    /// Cancel everything that remains.
    CancelFull,
    /// Cancel part.
    CancelPartial(i64),
    /// Refund everything refundable.
    RefundFull,
    /// Refund part.
    RefundPartial(i64),
    /// Cancel if nothing is settled, else refund everything refundable.
    Reverse,
    /// Change the authorized amount (before any settlement).
    Adjust(i64),
}

impl Op {
    fn apply_to(self, p: &mut Payment) -> Result<(), RuleError> {
        match self {
            Op::SettleFull => {
                // A full settle is offered only before any partial one.
                if !p.can_settle() || p.settled > 0 {
                    return Err(RuleError::SettleNotAllowed);
                }
                p.settled += p.remaining();
                p.status = Status::Settled;
                p.last_event = Event::SentForSettlement;
            }
            Op::SettlePartial(a) => {
                if a <= 0 {
                    return Err(RuleError::NotPositive);
                }
                if !p.can_settle() {
                    return Err(RuleError::SettleNotAllowed);
                }
                if a > p.remaining() {
                    return Err(RuleError::ExceedsAuthorized { requested: a, remaining: p.remaining() });
                }
                p.settled += a;
                p.status = Status::Settled;
                p.last_event = Event::SentForSettlement;
            }
            Op::CancelFull => {
                if !p.can_cancel() {
                    return Err(RuleError::CancelNotAllowed);
                }
                p.cancelled += p.remaining();
                if p.settled == 0 {
                    p.status = Status::Cancelled;
                }
                p.last_event = Event::SentForCancellation;
            }
            Op::CancelPartial(a) => {
                if a <= 0 {
                    return Err(RuleError::NotPositive);
                }
                if !p.can_cancel() {
                    return Err(RuleError::CancelNotAllowed);
                }
                if a > p.remaining() {
                    return Err(RuleError::ExceedsAuthorized { requested: a, remaining: p.remaining() });
                }
                p.cancelled += a;
                if p.remaining() == 0 && p.settled == 0 {
                    p.status = Status::Cancelled;
                }
                p.last_event = Event::SentForCancellation;
            }
            Op::RefundFull => {
                // A full refund is offered only before any partial one.
                if !p.can_refund() || p.refunded > 0 {
                    return Err(RuleError::RefundNotAllowed);
                }
                p.refunded = p.settled;
                p.status = Status::Refunded;
                p.last_event = Event::SentForRefund;
            }
            Op::RefundPartial(a) => {
                if a <= 0 {
                    return Err(RuleError::NotPositive);
                }
                if !p.can_refund() {
                    return Err(RuleError::RefundNotAllowed);
                }
                if a > p.refundable() {
                    return Err(RuleError::ExceedsSettled { requested: a, refundable: p.refundable() });
                }
                p.refunded += a;
                if p.refundable() == 0 && p.remaining() == 0 {
                    p.status = Status::Refunded;
                }
                p.last_event = Event::SentForRefund;
            }
            Op::Reverse => {
                // Cancel what nothing settled yet; else refund what was settled.
                return if p.can_cancel() && p.settled == 0 {
                    Op::CancelFull.apply_to(p)
                } else {
                    Op::RefundFull.apply_to(p)
                };
            }
            Op::Adjust(a) => {
                if a <= 0 {
                    return Err(RuleError::NotPositive);
                }
                if p.status != Status::Authorized || p.settled > 0 {
                    return Err(RuleError::AdjustNotAllowed);
                }
                if a < p.cancelled {
                    return Err(RuleError::AdjustBelowCancelled { requested: a, cancelled: p.cancelled });
                }
                p.authorized = a;
            }
        }
        Ok(())
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
