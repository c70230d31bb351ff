//! The one list of APIs. build.rs generates from it the `Api` enum, the client modules
//! and each API's operation table; `tests/build_failures.rs` reads it too. Adding an
//! API is a row here, a spec file in `spec/`, a gateway in the twin and its features.

/// One API as the crate names it.
pub struct ApiDecl {
    /// The `Api` variant.
    pub variant: &'static str,
    /// The spec file stem in `spec/`, also the folder of its examples.
    pub stem: &'static str,
    /// The client module under `payconform::client`.
    pub module: &'static str,
    /// The short name the step vocabulary and the CLI accept.
    pub short: &'static str,
    /// Human title.
    pub title: &'static str,
    /// Path prefix of the API on a gateway host (what the spec's server URL adds).
    pub base_path: &'static str,
    /// The vendor (`Worldpay`, `Adyen`): a `Vendor` variant. What is the same for all
    /// of a vendor's APIs (credentials, error fields, notifications) keys on it.
    pub vendor: &'static str,
    /// The response field where a success offers the payment's next actions (`_links`,
    /// `_actions`), or "" where the API offers none (Adyen: a modification names the
    /// pspReference).
    pub offers: &'static str,
}

/// The APIs, in a fixed order.
pub const APIS: [ApiDecl; 4] = [
    ApiDecl {
        variant: "WorldpayV7",
        stem: "worldpay-card-payments-v7",
        module: "worldpay_v7",
        short: "worldpay-v7",
        title: "Worldpay Card Payments v7",
        base_path: "",
        vendor: "Worldpay",
        offers: "_links",
    },
    ApiDecl {
        variant: "WorldpayPayments",
        stem: "worldpay-payments-2024-06-01",
        module: "worldpay_payments",
        short: "worldpay-payments",
        title: "Worldpay Payments API 2024-06-01",
        base_path: "",
        vendor: "Worldpay",
        offers: "_actions",
    },
    ApiDecl {
        variant: "Adyen",
        stem: "adyen-payment-v40",
        module: "adyen",
        short: "adyen",
        title: "Adyen Payment API v40",
        base_path: "/pal/servlet/Payment/v40",
        vendor: "Adyen",
        offers: "",
    },
    ApiDecl {
        variant: "AdyenCheckout",
        stem: "adyen-checkout-v71",
        module: "adyen_checkout",
        short: "adyen-checkout",
        title: "Adyen Checkout API v71",
        base_path: "/checkout/v71",
        vendor: "Adyen",
        offers: "",
    },
];
