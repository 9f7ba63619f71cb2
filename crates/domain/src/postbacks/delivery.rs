//! What becomes of a postback after one try (`subscribers.md`, "Delivery"):
//! 2xx delivered; connection errors, timeouts, 408, 425, 429 and 5xx tried
//! again with exponential backoff (a longer `Retry-After` wins) until the
//! give-up age; anything else (3xx included), and a blocked address, failed
//! at once.

use std::time::Duration;

/// How one try of a postback went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The tracker answered with this HTTP status (and a `Retry-After`, if
    /// it sent one).
    Answered {
        /// The HTTP status.
        code: u16,
        /// The `Retry-After` it asked for.
        retry_after: Option<Duration>,
    },
    /// No complete answer within the timeout.
    Timeout,
    /// No connection (refused, unreachable, name not found, TLS failure).
    Connect(String),
    /// The host is, or resolves to, a blocked address: no connection made.
    Blocked(String),
}

/// The `error` of `postbacks/list.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostbackError {
    /// No complete answer in time.
    Timeout,
    /// No connection.
    Connect,
    /// A blocked address.
    Blocked,
    /// An HTTP answer that was not 2xx.
    Http,
}

impl PostbackError {
    /// The API's word.
    pub fn as_str(self) -> &'static str {
        match self {
            PostbackError::Timeout => "timeout",
            PostbackError::Connect => "connect",
            PostbackError::Blocked => "blocked",
            PostbackError::Http => "http",
        }
    }
}

/// What to do with a postback after a try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The tracker took it.
    Delivered,
    /// Try again after this long.
    Retry(Duration),
    /// Give up.
    Failed,
}

/// A try's verdict with what the customer sees of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// Delivered, again later, or failed.
    pub verdict: Verdict,
    /// The HTTP status, 0 without an answer.
    pub code: u16,
    /// Why it did not succeed; `None` when delivered.
    pub error: Option<PostbackError>,
    /// A line for the operator (the connection error, the status).
    pub detail: String,
}

/// The retry rules of postbacks, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct PostbackRetry {
    /// First delay (`postbacks.retry_base_ms`), doubling.
    pub base: Duration,
    /// Longest delay between tries (`postbacks.retry_max_ms`).
    pub max: Duration,
    /// Not delivered by this age: failed (`postbacks.give_up_s`).
    pub give_up: Duration,
}

impl PostbackRetry {
    /// The verdict on the `attempts`-th try (1 for the first) of a postback
    /// queued `age` ago.
    pub fn judge(&self, attempts: u32, age: Duration, attempt: &Attempt) -> Judged {
        let (code, error, detail, retry_after, worth_retrying) = match attempt {
            Attempt::Answered { code, .. } if (200..300).contains(code) => {
                return Judged {
                    verdict: Verdict::Delivered,
                    code: *code,
                    error: None,
                    detail: String::new(),
                };
            }
            Attempt::Answered { code, retry_after } => (
                *code,
                PostbackError::Http,
                format!("HTTP {code}"),
                *retry_after,
                matches!(code, 408 | 425 | 429 | 500..=599),
            ),
            Attempt::Timeout => (
                0,
                PostbackError::Timeout,
                "timed out".to_owned(),
                None,
                true,
            ),
            Attempt::Connect(why) => (0, PostbackError::Connect, why.clone(), None, true),
            Attempt::Blocked(why) => (0, PostbackError::Blocked, why.clone(), None, false),
        };
        let verdict = if !worth_retrying {
            Verdict::Failed
        } else {
            let doublings = attempts.saturating_sub(1).min(30);
            let backoff = self
                .base
                .saturating_mul(2u32.saturating_pow(doublings))
                .min(self.max);
            let wait = retry_after.map_or(backoff, |asked| asked.max(backoff));
            if age.saturating_add(wait) > self.give_up {
                Verdict::Failed
            } else {
                Verdict::Retry(wait)
            }
        };
        Judged {
            verdict,
            code,
            error: Some(error),
            detail,
        }
    }
}

/// Reads a `Retry-After` value: delay-seconds, or an HTTP date (the wait
/// until then, from `now_unix`).
pub fn parse_retry_after(value: &str, now_unix: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value)
        .ok()?
        .timestamp();
    Some(Duration::from_secs(
        u64::try_from(at - now_unix).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);
    const RULES: PostbackRetry = PostbackRetry {
        base: MIN,
        max: Duration::from_secs(3600),
        give_up: Duration::from_secs(86_400),
    };

    fn answered(code: u16) -> Attempt {
        Attempt::Answered {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn two_hundreds_are_delivered() {
        for code in [200, 201, 204, 299] {
            let judged = RULES.judge(1, Duration::ZERO, &answered(code));
            assert_eq!(judged.verdict, Verdict::Delivered);
            assert_eq!((judged.code, judged.error), (code, None));
        }
    }

    #[test]
    fn transient_failures_back_off_from_a_minute_doubling_to_an_hour() {
        let waits: Vec<_> = (1..=9)
            .map(|n| RULES.judge(n, Duration::ZERO, &answered(503)).verdict)
            .collect();
        let mins = |m: u64| Verdict::Retry(MIN * m as u32);
        assert_eq!(
            waits,
            vec![
                mins(1),
                mins(2),
                mins(4),
                mins(8),
                mins(16),
                mins(32),
                mins(60),
                mins(60),
                mins(60)
            ]
        );
        for attempt in [
            answered(408),
            answered(425),
            answered(429),
            answered(500),
            answered(599),
            Attempt::Timeout,
            Attempt::Connect("refused".into()),
        ] {
            assert_eq!(
                RULES.judge(1, Duration::ZERO, &attempt).verdict,
                mins(1),
                "{attempt:?}"
            );
        }
    }

    #[test]
    fn other_answers_and_blocked_addresses_fail_at_once() {
        for code in [301, 302, 307, 400, 403, 404, 410, 451] {
            let judged = RULES.judge(1, Duration::ZERO, &answered(code));
            assert_eq!(judged.verdict, Verdict::Failed, "{code}");
            assert_eq!(
                (judged.code, judged.error),
                (code, Some(PostbackError::Http))
            );
        }
        let judged = RULES.judge(1, Duration::ZERO, &Attempt::Blocked("127.0.0.1".into()));
        assert_eq!(judged.verdict, Verdict::Failed);
        assert_eq!(judged.error, Some(PostbackError::Blocked));
    }

    #[test]
    fn a_longer_retry_after_wins_and_a_shorter_one_does_not() {
        let asked = |s| Attempt::Answered {
            code: 429,
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            RULES.judge(1, Duration::ZERO, &asked(7200)).verdict,
            Verdict::Retry(Duration::from_secs(7200))
        );
        assert_eq!(
            RULES.judge(1, Duration::ZERO, &asked(5)).verdict,
            Verdict::Retry(MIN)
        );
    }

    #[test]
    fn nothing_is_tried_past_the_give_up_age() {
        let late = Duration::from_secs(86_400 - 30);
        let judged = RULES.judge(20, late, &Attempt::Timeout);
        assert_eq!(judged.verdict, Verdict::Failed);
        assert_eq!(judged.error, Some(PostbackError::Timeout));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(
            parse_retry_after(" 120 ", 0),
            Some(Duration::from_secs(120))
        );
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2026 07:28:00 GMT")
            .unwrap()
            .timestamp();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:30:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:20:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
