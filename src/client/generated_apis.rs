//! The generated modules. Never edit: change `spec/` and rebuild.

pub mod worldpay_v7 {
    //! Worldpay Access Card Payments v7 (`spec/worldpay-card-payments-v7.yaml`).
    #[allow(missing_docs, clippy::all, unused, rustdoc::all)]
    mod generated {
        include!(concat!(env!("OUT_DIR"), "/worldpay-card-payments-v7.rs"));
    }
    pub use generated::*;
    include!(concat!(env!("OUT_DIR"), "/worldpay-card-payments-v7.wire.rs"));
}

pub mod worldpay_payments {
    //! Worldpay Access Payments API 2024-06-01 (`spec/worldpay-payments-2024-06-01.yaml`).
    #[allow(missing_docs, clippy::all, unused, rustdoc::all)]
    mod generated {
        include!(concat!(env!("OUT_DIR"), "/worldpay-payments-2024-06-01.rs"));
    }
    pub use generated::*;
    include!(concat!(env!("OUT_DIR"), "/worldpay-payments-2024-06-01.wire.rs"));
}

pub mod adyen {
    //! Adyen classic Payment API v40 (`spec/adyen-payment-v40.yaml`).
    #[allow(missing_docs, clippy::all, unused, rustdoc::all)]
    mod generated {
        include!(concat!(env!("OUT_DIR"), "/adyen-payment-v40.rs"));
    }
    pub use generated::*;
    include!(concat!(env!("OUT_DIR"), "/adyen-payment-v40.wire.rs"));
}
