//! Delivering updates to webhooks as Telegram does (telegram-facts §3):
//! one update per POST with `X-Telegram-Bot-Api-Secret-Token`, in order per
//! bot; any answer but 2xx (or no answer) keeps the update queued and it is
//! sent again after an exponential backoff; a failing update holds back the
//! ones behind it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::state::State;

/// Delivery timing.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// First wait after a failed delivery; doubled after each failure.
    pub retry_initial: Duration,
    /// Longest wait between attempts (Telegram: 60 s).
    pub retry_max: Duration,
    /// How long one delivery may take before it counts as failed
    /// (Telegram: 60 s).
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

/// The update kinds Telegram sends when `allowed_updates` is empty.
fn allowed_by_default(kind: &str) -> bool {
    !matches!(
        kind,
        "chat_member" | "message_reaction" | "message_reaction_count"
    )
}

/// The kind of an update: its one field besides `update_id`.
pub(crate) fn kind_of(update: &Value) -> String {
    update
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "update_id").cloned())
        .unwrap_or_default()
}

/// The delivery loop of one bot; ends when the sandbox stops.
pub(crate) async fn run(
    state: Arc<State>,
    bot: i64,
    client: reqwest::Client,
    options: DeliveryOptions,
) {
    let notify = state.queue_notify(bot);
    let mut backoff = options.retry_initial;
    loop {
        if state.is_stopped() {
            return;
        }
        let Some(next) = state.next_delivery(bot) else {
            // Woken by a new update or a new webhook; the timeout is a
            // safety net only.
            let _ = tokio::time::timeout(Duration::from_millis(500), notify.notified()).await;
            continue;
        };
        let allowed = if next.allowed_updates.is_empty() {
            allowed_by_default(&next.kind)
        } else {
            next.allowed_updates.contains(&next.kind)
        };
        if !allowed {
            // Telegram would never have produced it for this webhook.
            state.finish_delivery(bot, next.update_id);
            continue;
        }
        let mut request = client
            .post(&next.url)
            .timeout(options.timeout)
            .header("content-type", "application/json")
            .body(next.body.clone());
        if let Some(secret) = &next.secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let (status, error) = match request.send().await {
            Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None),
            Ok(res) => {
                let status = res.status();
                let reason = status.canonical_reason().unwrap_or("");
                let message = format!(
                    "Wrong response from the webhook: {} {reason}",
                    status.as_u16()
                );
                (Some(status.as_u16()), Some(message))
            }
            Err(err) if err.is_timeout() => (None, Some("Connection timed out".to_owned())),
            Err(err) if err.is_connect() => (None, Some("Connection refused".to_owned())),
            Err(_) => (None, Some("Webhook connection closed".to_owned())),
        };
        let failed = error.is_some();
        state.record_attempt(bot, next.update_id, status, error);
        if failed {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(options.retry_max);
        } else {
            state.finish_delivery(bot, next.update_id);
            backoff = options.retry_initial;
        }
    }
}
