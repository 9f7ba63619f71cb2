//! Delivering updates to webhooks as Telegram does (`WebhookActor.cpp`):
//! one update per POST with `X-Telegram-Bot-Api-Secret-Token`; queue heads
//! of different chats and users go out in parallel, up to the webhook's
//! `max_connections`; any answer but 2xx (or no answer) keeps the update at
//! the head of its queue, retried at once, then after growing delays, or
//! after the webhook's own `Retry-After`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::delivery_options::DeliveryOptions;
use crate::state::{Attempt, Delivery, FakeBot, State};
use crate::updates::{Backoff, Outcome};

/// The delivery loop of one bot; ends when the sandbox stops.
pub(crate) async fn run(
    state: Arc<State>,
    bot: i64,
    client: reqwest::Client,
    options: DeliveryOptions,
) {
    let notify = state.notifier(bot);
    let backoff = Arc::new(Backoff {
        initial: options.retry_initial,
        max: options.retry_max,
    });
    loop {
        if state.is_stopped() {
            return;
        }
        let (due, wake) = state.due_deliveries(bot);
        for delivery in due {
            tokio::spawn(deliver(
                state.clone(),
                bot,
                client.clone(),
                options.timeout,
                backoff.clone(),
                delivery,
            ));
        }
        // Woken by a new update, a finished delivery or a new webhook; the
        // timeout covers queues waiting out a delay.
        let safety = Instant::now() + Duration::from_millis(500);
        let until = wake.map_or(safety, |w| w.min(safety));
        let _ = tokio::time::timeout_at(until.into(), notify.notified()).await;
    }
}

async fn deliver(
    state: Arc<State>,
    bot: i64,
    client: reqwest::Client,
    timeout: Duration,
    backoff: Arc<Backoff>,
    delivery: Delivery,
) {
    let mut request = client
        .post(&delivery.url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .body(delivery.body.clone());
    if let Some(secret) = &delivery.secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    let (status, error, retry_after) = match request.send().await {
        Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None, None),
        Ok(res) => {
            let status = res.status();
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let reason = status.canonical_reason().unwrap_or("");
            let message = format!(
                "Wrong response from the webhook: {} {reason}",
                status.as_u16()
            );
            (Some(status.as_u16()), Some(message), retry_after)
        }
        Err(err) if err.is_timeout() => (None, Some("Connection timed out".to_owned()), None),
        Err(err) if err.is_connect() => (None, Some("Connection refused".to_owned()), None),
        Err(_) => (None, Some("Webhook connection closed".to_owned()), None),
    };
    let outcome = if error.is_none() {
        Outcome::Delivered
    } else {
        Outcome::Failed { retry_after }
    };
    let attempt = Attempt {
        update_id: delivery.update_id,
        status,
        error,
    };
    state.finish_delivery(bot, &delivery, attempt, outcome, &backoff);
}

/// Registers a new bot in `state` and starts its delivery loop.
pub(crate) fn create_bot(
    state: &Arc<State>,
    username: &str,
    first: &str,
    last: Option<&str>,
) -> FakeBot {
    let bot = state.register_bot(username, first, last);
    let (client, options) = state.delivery_setup();
    state.spawn(run(state.clone(), bot.id, client, options));
    bot
}
