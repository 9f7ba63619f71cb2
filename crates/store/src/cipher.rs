//! Encryption of bot tokens at rest.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretString};
use usher_domain::{BotToken, TgBotId};

const NONCE_LEN: usize = 12;

/// ChaCha20-Poly1305 with the key `secrets.token_key`. Each ciphertext is
/// `nonce || sealed token`, bound to the bot's Telegram id, so a ciphertext
/// copied to another row does not decrypt.
pub struct TokenCipher {
    aead: ChaCha20Poly1305,
}

/// Why a configured key cannot be used. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum TokenKeyError {
    /// Not standard base64.
    #[error("secrets.token_key is not standard base64")]
    NotBase64,
    /// Not 32 bytes once decoded.
    #[error("secrets.token_key must decode to 32 bytes, got {0}")]
    WrongLength(usize),
}

impl TokenCipher {
    /// A cipher from the base64 text of a 32-byte key (44 characters).
    pub fn from_base64(key: &SecretString) -> Result<Self, TokenKeyError> {
        let bytes = STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| TokenKeyError::NotBase64)?;
        if bytes.len() != 32 {
            return Err(TokenKeyError::WrongLength(bytes.len()));
        }
        Ok(Self {
            aead: ChaCha20Poly1305::new(Key::from_slice(&bytes)),
        })
    }

    /// A new random key, as base64 text.
    pub fn generate_key() -> SecretString {
        let key = ChaCha20Poly1305::generate_key(&mut OsRng);
        SecretString::from(STANDARD.encode(key))
    }

    /// Seals `token` for storage.
    pub fn encrypt(&self, token: &BotToken) -> anyhow::Result<Vec<u8>> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = token.tg().0.to_be_bytes();
        let sealed = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: token.expose().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("token encryption failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a stored token of bot `tg`. Fails (without saying more) when
    /// the key is not the one it was sealed with or the data was altered.
    pub fn decrypt(&self, tg: TgBotId, stored: &[u8]) -> anyhow::Result<BotToken> {
        if stored.len() <= NONCE_LEN {
            anyhow::bail!("stored token of bot {tg} is truncated");
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let aad = tg.0.to_be_bytes();
        let plain = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "stored token of bot {tg} does not decrypt: wrong secrets.token_key?"
                )
            })?;
        let text = String::from_utf8(plain)
            .map_err(|_| anyhow::anyhow!("stored token of bot {tg} is not text"))?;
        BotToken::parse(&text).map_err(|_| anyhow::anyhow!("stored token of bot {tg} is malformed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_to_the_bot() {
        let cipher = TokenCipher::from_base64(&TokenCipher::generate_key()).unwrap();
        let token = BotToken::parse("7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq").unwrap();
        let sealed = cipher.encrypt(&token).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("AAHdq"));
        assert_eq!(
            cipher.decrypt(token.tg(), &sealed).unwrap().expose(),
            token.expose()
        );
        assert!(cipher.decrypt(TgBotId(1), &sealed).is_err());
        let other = TokenCipher::from_base64(&TokenCipher::generate_key()).unwrap();
        assert!(other.decrypt(token.tg(), &sealed).is_err());
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(matches!(
            TokenCipher::from_base64(&SecretString::from("not base64!")),
            Err(TokenKeyError::NotBase64)
        ));
        assert!(matches!(
            TokenCipher::from_base64(&SecretString::from("AAAA")),
            Err(TokenKeyError::WrongLength(3))
        ));
    }
}
