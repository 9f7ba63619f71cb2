//! Mapping teloxide's errors onto the port's, with no token in them.

use teloxide_core::{ApiError, RequestError};
use usher_domain::BotToken;
use usher_domain::ports::TelegramError;
use usher_domain::subscribers::SendFailure;

/// Classifies a failed call. teloxide drops the HTTP status and keeps the
/// description, so "Unauthorized"/"Not Found" mean a rejected token, and any
/// other API error is a refusal of this particular call.
pub(crate) fn classify(err: &RequestError, token: &BotToken) -> TelegramError {
    match err {
        RequestError::Api(ApiError::InvalidToken) => TelegramError::Rejected("Unauthorized".into()),
        RequestError::Api(api) => {
            let description = match api {
                ApiError::Unknown(text) => text.clone(),
                known => known.to_string(),
            };
            let text = token.redact(&description);
            if text.starts_with("Unauthorized") || text.starts_with("Not Found") {
                TelegramError::Rejected(text)
            } else if looks_like_server_error(&text) {
                TelegramError::Unreachable(text)
            } else {
                TelegramError::Refused(text)
            }
        }
        RequestError::RetryAfter(seconds) => {
            TelegramError::Unreachable(format!("flood control: retry after {}s", seconds.seconds()))
        }
        RequestError::MigrateToChatId(_) => {
            TelegramError::Refused("unexpected chat migration answer".into())
        }
        RequestError::Network(net) => {
            let kind = if net.is_timeout() {
                "timed out"
            } else if net.is_connect() {
                "connection failed"
            } else if net.is_body() || net.is_decode() {
                "broken response"
            } else {
                "network error"
            };
            TelegramError::Unreachable(kind.into())
        }
        RequestError::InvalidJson { .. } => {
            TelegramError::Unreachable("answer is not Bot API JSON".into())
        }
        RequestError::Io(_) => TelegramError::Unreachable("i/o error".into()),
    }
}

/// Classifies a failed `sendMessage` for the retry rules: 429 waits, 5xx
/// and network trouble are transient, every other answer (400, 403, a
/// rejected token) is permanent.
pub(crate) fn classify_send(err: &RequestError, token: &BotToken) -> SendFailure {
    match err {
        RequestError::RetryAfter(seconds) => SendFailure::RetryAfter(u64::from(seconds.seconds())),
        other => match classify(other, token) {
            TelegramError::Unreachable(reason) => SendFailure::Transient(reason),
            TelegramError::Rejected(reason) | TelegramError::Refused(reason) => {
                SendFailure::Permanent(reason)
            }
        },
    }
}

/// Telegram's 5xx answers carry descriptions like these; they mean "try
/// later", not "no".
fn looks_like_server_error(text: &str) -> bool {
    [
        "Internal Server Error",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Timeout",
    ]
    .iter()
    .any(|s| text.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> BotToken {
        BotToken::parse("7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq").unwrap()
    }

    #[test]
    fn invalid_token_is_rejected() {
        let err = RequestError::Api(ApiError::InvalidToken);
        assert!(matches!(
            classify(&err, &token()),
            TelegramError::Rejected(_)
        ));
        let err = RequestError::Api(ApiError::Unknown(
            "Unauthorized: invalid token specified".into(),
        ));
        assert!(matches!(
            classify(&err, &token()),
            TelegramError::Rejected(_)
        ));
    }

    #[test]
    fn server_errors_and_flood_control_are_unreachable() {
        let err = RequestError::Api(ApiError::Unknown("Internal Server Error".into()));
        assert!(matches!(
            classify(&err, &token()),
            TelegramError::Unreachable(_)
        ));
        let err = RequestError::RetryAfter(teloxide_core::types::Seconds::from_seconds(3));
        assert!(matches!(
            classify(&err, &token()),
            TelegramError::Unreachable(_)
        ));
    }

    #[test]
    fn other_api_errors_are_refusals_without_the_token() {
        let t = token();
        let text = format!("Bad Request: bad webhook: {}", t.expose());
        let err = RequestError::Api(ApiError::Unknown(text));
        match classify(&err, &t) {
            TelegramError::Refused(msg) => assert!(!msg.contains("AAHdq"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }
}
