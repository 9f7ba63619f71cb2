//! Bot tokens: passwords that must never be shown.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::TgBotId;

/// A token issued by @BotFather, checked to have the Bot API form
/// `<digits>:<35 or more of A-Za-z0-9_->` (`rules.md`, bots/add.json 1).
///
/// Promises: it can only be built from a well-formed string; `Debug` and
/// `Display` never print it; the only way to read it is
/// [`BotToken::expose`], which callers use solely to talk to Telegram or to
/// encrypt it.
#[derive(Clone)]
pub struct BotToken {
    secret: SecretString,
    tg: TgBotId,
}

/// Why a string is not a bot token. Carries no part of the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a bot token")]
pub struct MalformedToken;

/// The fewest characters Telegram puts after the colon (see telegram-facts §1).
const MIN_SECRET_LEN: usize = 35;
/// Telegram refuses longer tokens outright.
const MAX_TOKEN_LEN: usize = 80;

impl BotToken {
    /// Checks the form of `raw` without asking Telegram.
    pub fn parse(raw: &str) -> Result<Self, MalformedToken> {
        if raw.len() > MAX_TOKEN_LEN {
            return Err(MalformedToken);
        }
        let (id, secret) = raw.split_once(':').ok_or(MalformedToken)?;
        let id_ok = !id.is_empty()
            && id.len() <= 16
            && id.bytes().all(|b| b.is_ascii_digit())
            && !id.starts_with('0');
        let secret_ok = secret.len() >= MIN_SECRET_LEN
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok || !secret_ok {
            return Err(MalformedToken);
        }
        let tg = id.parse::<i64>().map_err(|_| MalformedToken)?;
        Ok(Self {
            secret: SecretString::from(raw.to_owned()),
            tg: TgBotId(tg),
        })
    }

    /// The bot's Telegram id, as written before the colon.
    pub fn tg(&self) -> TgBotId {
        self.tg
    }

    /// The whole token. Only for calling Telegram and for encryption.
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }

    /// Replaces every occurrence of this token (and of its secret part) in
    /// `text`, so that a message from a library can be logged safely.
    pub fn redact(&self, text: &str) -> String {
        let whole = self.expose();
        let secret_part = whole.split_once(':').map(|(_, s)| s).unwrap_or(whole);
        text.replace(whole, "<token>")
            .replace(secret_part, "<token>")
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BotToken({}:<redacted>)", self.tg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq";

    #[test]
    fn accepts_the_bot_api_form_and_reads_the_id() {
        let token = BotToken::parse(GOOD).unwrap();
        assert_eq!(token.tg(), TgBotId(7_123_456_789));
        assert_eq!(token.expose(), GOOD);
    }

    #[test]
    fn rejects_malformed_tokens() {
        for bad in [
            "",
            "abc",
            "123456",
            ":AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
            "0123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
            "12a4:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
            "1234:short",
            "1234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw q",
            "1234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\0",
            " 1234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
            "12345678901234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
        ] {
            assert_eq!(BotToken::parse(bad).err(), Some(MalformedToken), "{bad:?}");
        }
        let too_long = format!("1234:{}", "a".repeat(80));
        assert!(BotToken::parse(&too_long).is_err());
    }

    #[test]
    fn never_prints_itself() {
        let token = BotToken::parse(GOOD).unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains("AAHdq"), "{shown}");
        assert!(shown.contains("7123456789"));
    }

    #[test]
    fn redacts_the_token_and_its_secret_part() {
        let token = BotToken::parse(GOOD).unwrap();
        let secret = GOOD.split_once(':').unwrap().1;
        let text = format!("url /bot{GOOD}/GetMe and {secret}");
        let clean = token.redact(&text);
        assert!(!clean.contains(secret), "{clean}");
    }
}
