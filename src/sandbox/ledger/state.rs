//! The state of one payment and the rules that change it: statuses, events, the
//! operations and what each may do, pure functions of the payment.

use super::{Merchant, PaymentId};
use std::collections::VecDeque;

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
    /// A settlement that was received (202) and then failed: no money moved.
    SettlementFailed,
    /// A refund that was received (202) and then failed: no money moved.
    RefundFailed,
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
            Event::SettlementFailed => "Settlement failed",
            Event::RefundFailed => "Refund failed",
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
    /// The card brand, as Adyen names it in notifications (`visa`, `mc`, `amex`, …);
    /// empty where the API does not say.
    pub brand: &'static str,
    /// Adyen: authorised as a pre-authorisation (`additionalData.authorisationType:
    /// PreAuth`), so its amount may be adjusted.
    pub pre_auth: bool,
}

/// A payment's modifications: the last [`HISTORY`] of them, and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The most recent modifications, oldest first.
    pub kept: VecDeque<Modification>,
    /// Every modification ever recorded on the payment, kept or not.
    pub total: u64,
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
    /// Adyen adjusts only a pre-authorisation (`authorisationType: PreAuth`).
    #[error(
        "the authorisation is not a pre-authorisation (additionalData.authorisationType PreAuth); it cannot be adjusted"
    )]
    NotPreAuthorisation,
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
    pub(super) fn apply_to(self, p: &mut Payment) -> Result<(), RuleError> {
        match self {
            Op::SettleFull => settle(p, None),
            Op::SettlePartial(a) => settle(p, Some(positive(a)?)),
            Op::CancelFull => cancel(p, None),
            Op::CancelPartial(a) => cancel(p, Some(positive(a)?)),
            Op::RefundFull => refund(p, None),
            Op::RefundPartial(a) => refund(p, Some(positive(a)?)),
            // Cancel what nothing settled yet; else refund what was settled.
            Op::Reverse if p.can_cancel() && p.settled == 0 => cancel(p, None),
            Op::Reverse => refund(p, None),
            Op::Adjust(a) => adjust(p, positive(a)?),
        }
    }
}

/// A partial amount must be positive.
fn positive(a: i64) -> Result<i64, RuleError> {
    if a <= 0 { Err(RuleError::NotPositive) } else { Ok(a) }
}

/// Settle `amount`, or all that remains (offered only before any partial settle).
fn settle(p: &mut Payment, amount: Option<i64>) -> Result<(), RuleError> {
    if !p.can_settle() || (amount.is_none() && p.settled > 0) {
        return Err(RuleError::SettleNotAllowed);
    }
    let a = amount.unwrap_or(p.remaining());
    if a > p.remaining() {
        return Err(RuleError::ExceedsAuthorized { requested: a, remaining: p.remaining() });
    }
    p.settled += a;
    p.status = Status::Settled;
    p.last_event = Event::SentForSettlement;
    Ok(())
}

/// Cancel `amount`, or all that remains; cancelled once nothing remains and nothing
/// was settled.
fn cancel(p: &mut Payment, amount: Option<i64>) -> Result<(), RuleError> {
    if !p.can_cancel() {
        return Err(RuleError::CancelNotAllowed);
    }
    let a = amount.unwrap_or(p.remaining());
    if a > p.remaining() {
        return Err(RuleError::ExceedsAuthorized { requested: a, remaining: p.remaining() });
    }
    p.cancelled += a;
    if p.remaining() == 0 && p.settled == 0 {
        p.status = Status::Cancelled;
    }
    p.last_event = Event::SentForCancellation;
    Ok(())
}

/// Refund `amount`, or all that was settled (offered only before any partial refund).
fn refund(p: &mut Payment, amount: Option<i64>) -> Result<(), RuleError> {
    if !p.can_refund() || (amount.is_none() && p.refunded > 0) {
        return Err(RuleError::RefundNotAllowed);
    }
    let a = amount.unwrap_or(p.refundable());
    if a > p.refundable() {
        return Err(RuleError::ExceedsSettled { requested: a, refundable: p.refundable() });
    }
    p.refunded += a;
    if amount.is_none() || (p.refundable() == 0 && p.remaining() == 0) {
        p.status = Status::Refunded;
    }
    p.last_event = Event::SentForRefund;
    Ok(())
}

/// Adyen's adjustAuthorisation: a new authorized amount, before any capture, not below
/// what was cancelled.
fn adjust(p: &mut Payment, a: i64) -> Result<(), RuleError> {
    if p.status != Status::Authorized || p.settled > 0 {
        return Err(RuleError::AdjustNotAllowed);
    }
    if a < p.cancelled {
        return Err(RuleError::AdjustBelowCancelled { requested: a, cancelled: p.cancelled });
    }
    p.authorized = a;
    Ok(())
}
