//! Vendor-variance mode (`--variance SEED`): the twin changes, per seed, every choice the
//! vendors' documents leave open, so that code (or a scenario) depending on an
//! undocumented detail breaks here rather than in production.
//!
//! What a seed varies:
//! - the `errorName` and `message` of a Worldpay rule error (the vendor publishes none);
//! - the refusal code of plain `REFUSED` (published as "N/A") and what `ERROR` does
//!   (its HTTP effect is not published);
//! - an extra, undocumented field in every successful Worldpay answer and Adyen
//!   authorisation (the vendors' objects are open);
//! - how many event queries after a change still show the previous event (events are
//!   asynchronous at the vendors);
//! - the leading digits of Adyen pspReferences.
//!
//! Which of the documented-optional links are offered is not varied yet: the specs
//! declare one list per response status, and a plain authorization and one sent for
//! settlement share a status, so a varied subset could offer what a documented rule
//! forbids.

/// The choices one seed makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variance {
    /// The seed.
    pub seed: u64,
    /// Every Worldpay rule error gets this `errorName`.
    pub rule_error_name: &'static str,
    /// And a message starting with this.
    pub rule_error_message: &'static str,
    /// Refusal code of plain `REFUSED`, if any.
    pub plain_refused_code: Option<&'static str>,
    /// `ERROR` answers 500 `internalErrorOccurred` instead of a refusal.
    pub error_is_500: bool,
    /// Name of the extra field in successful answers.
    pub extra_field: String,
    /// Event queries after a change that still show the previous event.
    pub event_lag: u8,
    /// The first two characters (upper-case letters or digits) of every Adyen
    /// pspReference.
    pub psp_prefix: [u8; 2],
    /// Worldpay: a settle or refund of more than is left is received (202) and then
    /// fails in its event (`Settlement failed`, `Refund failed`) instead of being
    /// refused at once. No Worldpay page documents a synchronous refusal for it, and v7
    /// says a 202 means "received, not processed": both are possible. Seeds 1, 3 and
    /// other odd seeds do it; even seeds refuse at once.
    pub async_refusals: bool,
}

/// SplitMix64: a few well-spread numbers from one seed.
fn mix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Variance {
    /// The choices of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        let mut pick = |n: u64| mix(&mut s) % n;
        const NAMES: [&str; 4] = ["actionNotAllowed", "paymentStateInvalid", "requestConflict", "operationRejected"];
        const MESSAGES: [&str; 3] =
            ["The action is not allowed", "This payment cannot be modified this way", "Request rejected"];
        const CODES: [Option<&str>; 3] = [None, Some("05"), Some("2")];
        Variance {
            seed,
            rule_error_name: NAMES[pick(4) as usize],
            rule_error_message: MESSAGES[pick(3) as usize],
            plain_refused_code: CODES[pick(3) as usize],
            error_is_500: pick(2) == 0,
            extra_field: format!("vendorExtension{}", pick(1000)),
            event_lag: 1 + pick(2) as u8,
            psp_prefix: {
                const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
                [ALNUM[pick(36) as usize], ALNUM[pick(36) as usize]]
            },
            async_refusals: seed % 2 == 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_deterministic_and_differ() {
        assert_eq!(Variance::new(7), Variance::new(7));
        let all: Vec<Variance> = (1..=8).map(Variance::new).collect();
        let names: std::collections::BTreeSet<_> = all.iter().map(|v| v.rule_error_name).collect();
        assert!(names.len() > 1, "eight seeds all chose {names:?}");
        assert!(
            all.iter().all(|v| (1..=2).contains(&v.event_lag) && v.psp_prefix.iter().all(u8::is_ascii_alphanumeric))
        );
    }
}
