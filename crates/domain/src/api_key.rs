//! Account API keys of the form `{account_id}-{secret}` (`conventions.md`).

use std::fmt;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AccountId;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// 40 letters and digits: about 238 bits.
const SECRET_LEN: usize = 40;
/// Longer presented secrets are not keys; this bounds the work of hashing.
const MAX_SECRET_LEN: usize = 256;

/// An API key presented by a client or freshly made for an account.
/// `Debug` never prints its secret.
#[derive(Clone)]
pub struct ApiKey {
    account: AccountId,
    secret: SecretString,
}

/// The stored form of a key: the SHA-256 of its secret part. The secret is
/// random and long, so a fast hash is enough; nobody can guess it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyHash(pub Vec<u8>);

impl fmt::Debug for ApiKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeyHash(..)")
    }
}

impl ApiKey {
    /// Whether `text` has the shape of a key: a positive integer, a dash,
    /// then letters and digits. Anything else (`7`, `-1`, `abc`) is not a key,
    /// which is how a key and a bot id sharing the name `id` are told apart.
    pub fn looks_like_key(text: &str) -> bool {
        Self::parse(text).is_some()
    }

    /// Reads a presented key; `None` if it does not have a key's shape.
    pub fn parse(text: &str) -> Option<Self> {
        let (id, secret) = text.split_once('-')?;
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if secret.is_empty()
            || secret.len() > MAX_SECRET_LEN
            || !secret.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return None;
        }
        let account = id.parse::<i64>().ok().filter(|n| *n > 0)?;
        Some(Self {
            account: AccountId(account),
            secret: SecretString::from(secret.to_owned()),
        })
    }

    /// A new random key for `account`.
    pub fn generate(account: AccountId) -> Self {
        let mut rng = rand::rngs::OsRng;
        let secret: String = (0..SECRET_LEN)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        Self {
            account,
            secret: SecretString::from(secret),
        }
    }

    /// The account the key claims to belong to.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The hash to store for this key.
    pub fn hash(&self) -> ApiKeyHash {
        ApiKeyHash(Sha256::digest(self.secret.expose_secret().as_bytes()).to_vec())
    }

    /// Whether this key is the one whose hash is stored, in constant time.
    pub fn matches(&self, stored: &ApiKeyHash) -> bool {
        self.hash().0.ct_eq(&stored.0).into()
    }

    /// The full key text, `{account_id}-{secret}`, to show once to its owner.
    pub fn reveal(&self) -> String {
        format!("{}-{}", self.account, self.secret.expose_secret())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}-<redacted>)", self.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_keys_from_ids() {
        assert!(ApiKey::looks_like_key("42-d3adb33f"));
        for not_key in [
            "7", "-1", "abc", "42-", "-abc", "0-abc", "42-ab-c", "42-ab c", "x-abc",
        ] {
            assert!(!ApiKey::looks_like_key(not_key), "{not_key}");
        }
    }

    #[test]
    fn generated_key_round_trips_and_matches_its_hash() {
        let key = ApiKey::generate(AccountId(42));
        let text = key.reveal();
        assert!(text.starts_with("42-"));
        let parsed = ApiKey::parse(&text).unwrap();
        assert_eq!(parsed.account(), AccountId(42));
        assert!(parsed.matches(&key.hash()));
        let other = ApiKey::generate(AccountId(42));
        assert!(!other.matches(&key.hash()));
        assert!(!format!("{key:?}").contains(&text[3..]));
    }
}
