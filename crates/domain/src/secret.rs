//! Webhook secrets: the value Telegram echoes in
//! `X-Telegram-Bot-Api-Secret-Token`.

use std::fmt;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The characters Telegram allows in a `secret_token` (1-256 of them).
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
/// 48 characters of a 64-letter alphabet: 288 bits.
const LEN: usize = 48;

/// A per-bot random secret for `setWebhook`. `Debug` never prints it.
#[derive(Clone)]
pub struct WebhookSecret(SecretString);

impl WebhookSecret {
    /// A fresh secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut rng = rand::rngs::OsRng;
        let text: String = (0..LEN)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        Self(SecretString::from(text))
    }

    /// The secret itself, for `setWebhook` only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The SHA-256 digest that is stored instead of the secret.
    pub fn digest(&self) -> [u8; 32] {
        digest_of(self.expose())
    }
}

/// The SHA-256 digest of a presented header value.
pub fn digest_of(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// Whether a presented header value matches a stored digest, in constant time.
pub fn matches_digest(presented: &str, stored: &[u8]) -> bool {
    digest_of(presented).ct_eq(stored).into()
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_fit_telegram_rules_and_differ() {
        let a = WebhookSecret::generate();
        let b = WebhookSecret::generate();
        assert_eq!(a.expose().len(), LEN);
        assert!(a.expose().bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a.expose(), b.expose());
        assert!(matches_digest(a.expose(), &a.digest()));
        assert!(!matches_digest(b.expose(), &a.digest()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
