//! The one list of APIs. build.rs generates from it the `Api` enum, the client modules
//! and each API's operation table; `tests/build_failures.rs` reads it too. Adding an
//! API is a row here and a spec file in `spec/`.

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
}

/// The APIs, in a fixed order.
pub const APIS: [ApiDecl; 3] = [
    ApiDecl {
        variant: "WorldpayV7",
        stem: "worldpay-card-payments-v7",
        module: "worldpay_v7",
        short: "worldpay-v7",
        title: "Worldpay Card Payments v7",
        base_path: "",
    },
    ApiDecl {
        variant: "WorldpayPayments",
        stem: "worldpay-payments-2024-06-01",
        module: "worldpay_payments",
        short: "worldpay-payments",
        title: "Worldpay Payments API 2024-06-01",
        base_path: "",
    },
    ApiDecl {
        variant: "Adyen",
        stem: "adyen-payment-v40",
        module: "adyen",
        short: "adyen",
        title: "Adyen Payment API v40",
        base_path: "/pal/servlet/Payment/v40",
    },
];
