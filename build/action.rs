//! The action vocabulary of `x-payconform-action`: what an operation does to a
//! payment, in words shared by every API. Shared by the build script (which checks each
//! operation's word and writes it into the generated operation table) and the library
//! (`payconform::operation::Action`), through `#[path]`.

/// What an operation does to a payment, in the vocabulary shared by every API
/// (`x-payconform-action` in `spec/`). The twin applies the money rules of it; the
/// harness finds the operation for a step by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Authorize a payment (v7 `authorize`, Payments API `payment`, Adyen `authorise`).
    Authorize,
    /// Settle the whole authorized amount.
    Settle,
    /// Settle part of it.
    PartialSettle,
    /// Cancel the whole authorization.
    Cancel,
    /// Cancel part of it.
    PartialCancel,
    /// Refund the whole settled amount.
    Refund,
    /// Refund part of it.
    PartialRefund,
    /// Cancel if not settled, refund if settled (Worldpay's reversal).
    Reverse,
    /// Ask for the payment's last event.
    Events,
    /// Adyen's cancelOrRefund.
    CancelOrRefund,
    /// Adyen's technicalCancel (by the merchant's reference).
    TechnicalCancel,
    /// Adyen's adjustAuthorisation.
    AdjustAuthorisation,
}

impl Action {
    /// Every action, in vocabulary order.
    pub const ALL: [Action; 12] = [
        Action::Authorize,
        Action::Settle,
        Action::PartialSettle,
        Action::Cancel,
        Action::PartialCancel,
        Action::Refund,
        Action::PartialRefund,
        Action::Reverse,
        Action::Events,
        Action::CancelOrRefund,
        Action::TechnicalCancel,
        Action::AdjustAuthorisation,
    ];

    /// The word `spec/` writes (`partialSettle`).
    pub fn word(self) -> &'static str {
        match self {
            Action::Authorize => "authorize",
            Action::Settle => "settle",
            Action::PartialSettle => "partialSettle",
            Action::Cancel => "cancel",
            Action::PartialCancel => "partialCancel",
            Action::Refund => "refund",
            Action::PartialRefund => "partialRefund",
            Action::Reverse => "reverse",
            Action::Events => "events",
            Action::CancelOrRefund => "cancelOrRefund",
            Action::TechnicalCancel => "technicalCancel",
            Action::AdjustAuthorisation => "adjustAuthorisation",
        }
    }

    /// The action a word of the vocabulary names.
    pub fn from_word(word: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.word() == word)
    }

    /// The variant's name (`PartialSettle`), as generated code spells it.
    pub fn variant(self) -> String {
        let w = self.word();
        w[..1].to_uppercase() + &w[1..]
    }
}
