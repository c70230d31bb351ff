//! Typed clients generated from `spec/` at build time.

/// Wire format of one operation, taken from the spec by build.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    /// Method name on the generated client (snake_case operationId).
    pub method: &'static str,
    /// The vendor's operationId.
    pub operation_id: &'static str,
    /// Documented request media type, if the operation has a body.
    pub request_media_type: Option<&'static str>,
    /// Documented response media type.
    pub response_media_type: Option<&'static str>,
    /// Headers with one allowed value, sent on every call.
    pub constant_headers: &'static [(&'static str, &'static str)],
}

pub mod worldpay_v7 {
    //! Worldpay Access Card Payments v7.
    #[allow(missing_docs, clippy::all, unused)]
    mod generated {
        include!(concat!(env!("OUT_DIR"), "/worldpay-card-payments-v7.rs"));
    }
    pub use generated::*;
    include!(concat!(env!("OUT_DIR"), "/worldpay-card-payments-v7.wire.rs"));
}
pub mod worldpay_payments {
    //! Worldpay Access Payments API 2024-06-01.
    #[allow(missing_docs, clippy::all, unused)]
    mod generated {
        include!(concat!(env!("OUT_DIR"), "/worldpay-payments-2024-06-01.rs"));
    }
    pub use generated::*;
    include!(concat!(env!("OUT_DIR"), "/worldpay-payments-2024-06-01.wire.rs"));
}
pub mod adyen {
    //! Adyen classic Payment API v40.
    #[allow(missing_docs, clippy::all, unused)]
    mod generated {
        include!(concat!(env!("OUT_DIR"), "/adyen-payment-v40.rs"));
    }
    pub use generated::*;
    include!(concat!(env!("OUT_DIR"), "/adyen-payment-v40.wire.rs"));
}
