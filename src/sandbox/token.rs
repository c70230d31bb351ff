//! Opaque, tamper-evident `linkData` tokens.
//!
//! A token is URL-safe base64 (no padding, so never a `/`) of
//! `payment id (8 bytes) | action (1 byte) | HMAC-SHA256(key, id | action | merchant)[..12]`.
//! The key is random per process. A forged, edited, foreign-merchant or wrong-action
//! token does not verify, and the twin answers 404.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ledger::{Merchant, PaymentId};

const MAC_LEN: usize = 12;

/// What a token lets its holder do: the action of the operation its link names.
pub use crate::operation::Action;

pub struct Keys {
    key: [u8; 32],
}

impl Keys {
    pub fn random() -> Self {
        Keys { key: rand::random() }
    }

    fn mac(&self, id: PaymentId, action: Action, merchant: Merchant) -> [u8; MAC_LEN] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length works");
        m.update(&id.to_be_bytes());
        m.update(&[action as u8]);
        m.update(&merchant.to_be_bytes());
        let full = m.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    pub fn issue(&self, id: PaymentId, action: Action, merchant: Merchant) -> String {
        let mut raw = Vec::with_capacity(9 + MAC_LEN);
        raw.extend_from_slice(&id.to_be_bytes());
        raw.push(action as u8);
        raw.extend_from_slice(&self.mac(id, action, merchant));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The payment a token names, if it verifies for this action and merchant.
    pub fn verify(&self, token: &str, action: Action, merchant: Merchant) -> Option<PaymentId> {
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != 9 + MAC_LEN || raw[8] != action as u8 {
            return None;
        }
        let id = PaymentId::from_be_bytes(raw[..8].try_into().ok()?);
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length works");
        m.update(&id.to_be_bytes());
        m.update(&[action as u8]);
        m.update(&merchant.to_be_bytes());
        m.verify_truncated_left(&raw[9..]).ok()?;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_payment_action_and_merchant() {
        let k = Keys::random();
        let t = k.issue(42, Action::Settle, 7);
        assert_eq!(k.verify(&t, Action::Settle, 7), Some(42));
        assert_eq!(k.verify(&t, Action::Cancel, 7), None, "wrong action");
        assert_eq!(k.verify(&t, Action::Settle, 8), None, "foreign merchant");
        let mut edited = t.clone().into_bytes();
        edited[3] = if edited[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(k.verify(std::str::from_utf8(&edited).unwrap(), Action::Settle, 7), None, "edited");
        assert_eq!(Keys::random().verify(&t, Action::Settle, 7), None, "another process");
        assert_eq!(k.verify("not base64 !", Action::Settle, 7), None);
        assert!(!t.contains('/') && !t.contains('%'));
    }
}
