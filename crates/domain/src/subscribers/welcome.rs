//! The welcome message: what is sent (the campaign's text with its macros
//! filled and escaped, and its button), and what happens when sending
//! fails (`subscribers.md`, "The welcome message").

use std::time::Duration;

use super::LeadStatus;
use super::markdown;
use crate::postbacks::PostbackMacros;

/// What a welcome is made of, as the outbox item and its lead and campaign
/// have it when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeParts {
    /// The campaign's `welcome` (legacy Markdown, with macros).
    pub template: String,
    /// `button_text`, `""` for none.
    pub button_text: String,
    /// `button_url`, `""` for none.
    pub button_url: String,
    /// The subscriber's first name (`{name}`).
    pub first_name: String,
    /// The chat's title (`{title}`).
    pub title: String,
    /// The campaign code (`{campaign}`).
    pub code: String,
    /// The lead's click (`{click}`).
    pub click: String,
    /// The values of the postback macros for the button's URL: `{user}`
    /// (account), `{lead}`, `{subscriber}`, `{username}`, `{chat}`,
    /// `{status}`, `{time}`.
    pub account: i64,
    /// The lead's id.
    pub lead: i64,
    /// The subscriber's Telegram id.
    pub subscriber: i64,
    /// The subscriber's username, `""` if none.
    pub username: String,
    /// The tracked chat's id.
    pub chat: i64,
    /// The lead's status.
    pub status: LeadStatus,
    /// Unix seconds of the event that queued the welcome.
    pub time: i64,
}

/// A message ready for `sendMessage` with `parse_mode: Markdown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The text, legacy Markdown.
    pub text: String,
    /// One inline URL button: its text and URL.
    pub button: Option<(String, String)>,
}

impl WelcomeParts {
    /// The message: macros in the text escaped for legacy Markdown where
    /// they stand, macros in the button URL percent-encoded.
    pub fn message(&self) -> OutgoingMessage {
        let text = markdown::render(
            &self.template,
            &[
                ("{name}", &self.first_name),
                ("{title}", &self.title),
                ("{campaign}", &self.code),
                ("{click}", &self.click),
            ],
        );
        let button = (!self.button_text.is_empty() && !self.button_url.is_empty()).then(|| {
            let macros = PostbackMacros {
                click: self.click.clone(),
                status: self.status,
                campaign: self.code.clone(),
                account: self.account,
                lead: self.lead,
                subscriber: self.subscriber,
                username: self.username.clone(),
                chat: self.chat,
                time: self.time,
            };
            (self.button_text.clone(), macros.fill(&self.button_url))
        });
        OutgoingMessage { text, button }
    }
}

/// How a `sendMessage` failed, as far as retrying cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// 400 or 403 (blocked, cannot initiate, bad request), or a rejected
    /// token: sending again cannot help.
    Permanent(String),
    /// 429: Telegram asks the bot to wait this many seconds.
    RetryAfter(u64),
    /// 5xx, timeout, connection error: worth another try.
    Transient(String),
}

/// The retry rules of welcomes.
#[derive(Debug, Clone, Copy)]
pub struct WelcomeRetry {
    /// A welcome not sent by this age is failed (`welcome.max_age_s`).
    pub max_age: Duration,
    /// First retry delay, doubling, at most 60 s (`welcome.retry_base_ms`).
    pub base: Duration,
}

/// The longest wait between two tries of a welcome.
pub const WELCOME_RETRY_CAP: Duration = Duration::from_secs(60);

/// What to do after a failed try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    Retry(Duration),
    /// Give up; the reason is kept.
    Fail(String),
}

impl WelcomeRetry {
    /// After the `attempts`-th try (1 for the first) failed with `failure`,
    /// the item being `age` old.
    pub fn after(&self, attempts: u32, age: Duration, failure: &SendFailure) -> AfterFailure {
        let wait = match failure {
            SendFailure::Permanent(reason) => return AfterFailure::Fail(reason.clone()),
            SendFailure::RetryAfter(seconds) => Duration::from_secs(*seconds),
            SendFailure::Transient(_) => {
                let doublings = attempts.saturating_sub(1).min(16);
                (self.base * 2u32.pow(doublings)).min(WELCOME_RETRY_CAP)
            }
        };
        if age + wait > self.max_age {
            let reason = match failure {
                SendFailure::Transient(reason) => format!("expired: {reason}"),
                _ => "expired: flood control".to_owned(),
            };
            return AfterFailure::Fail(reason);
        }
        AfterFailure::Retry(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> WelcomeParts {
        WelcomeParts {
            template: "Hi *{name}*, welcome to {title} ({campaign}, {click}) {unknown}".into(),
            button_text: "Join".into(),
            button_url: "https://t.me/+abc?c={click}&u={username}&s={status}&x={nope}".into(),
            first_name: "a_b".into(),
            title: "My_Chan".into(),
            code: "Ab12Cd34".into(),
            click: "c 1&#".into(),
            account: 7,
            lead: 9,
            subscriber: 42,
            username: "Аня".into(),
            chat: -100,
            status: LeadStatus::Wait,
            time: 1,
        }
    }

    #[test]
    fn macros_are_escaped_in_the_text_and_encoded_in_the_url() {
        let message = parts().message();
        assert_eq!(
            message.text,
            r"Hi *a_b*, welcome to My\_Chan (Ab12Cd34, c 1&#) {unknown}"
        );
        assert_eq!(markdown::check(&message.text), Ok(()));
        let (text, url) = message.button.unwrap();
        assert_eq!(text, "Join");
        assert_eq!(
            url,
            "https://t.me/+abc?c=c%201%26%23&u=%D0%90%D0%BD%D1%8F&s=wait&x={nope}"
        );
    }

    #[test]
    fn no_button_without_both_parts() {
        let mut p = parts();
        p.button_url.clear();
        assert_eq!(p.message().button, None);
    }

    #[test]
    fn retries_double_to_a_minute_and_stop_at_the_age_limit() {
        let retry = WelcomeRetry {
            max_age: Duration::from_secs(3600),
            base: Duration::from_secs(1),
        };
        let transient = SendFailure::Transient("timed out".into());
        let waits: Vec<_> = (1..=8)
            .map(|n| retry.after(n, Duration::ZERO, &transient))
            .collect();
        let secs = |s| AfterFailure::Retry(Duration::from_secs(s));
        assert_eq!(
            waits,
            vec![
                secs(1),
                secs(2),
                secs(4),
                secs(8),
                secs(16),
                secs(32),
                secs(60),
                secs(60)
            ]
        );
        assert_eq!(
            retry.after(1, Duration::ZERO, &SendFailure::RetryAfter(5)),
            secs(5)
        );
        assert!(matches!(
            retry.after(1, Duration::from_secs(3600), &transient),
            AfterFailure::Fail(reason) if reason == "expired: timed out"
        ));
        assert_eq!(
            retry.after(
                1,
                Duration::ZERO,
                &SendFailure::Permanent("Forbidden: bot was blocked by the user".into())
            ),
            AfterFailure::Fail("Forbidden: bot was blocked by the user".into())
        );
    }
}
