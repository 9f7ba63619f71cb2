//! `setWebhook`, `deleteWebhook`, `getWebhookInfo` and `getUpdates`, with
//! the official server's checks and answers (`Client.cpp`).

use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use serde_json::{Value, json};
use url::Url;

use crate::allowed;
use crate::envelope;
use crate::params::{self, Params};
use crate::state::{FakeBot, State, WebhookState};

/// The address the server shows in `ip_address`: the one given, an IP
/// literal's own, loopback for `localhost`; `<unknown>` until resolved.
fn shown_address(url: &Url, given: Option<&str>) -> String {
    if let Some(ip) = given.filter(|ip| !ip.is_empty()) {
        return ip.to_owned();
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => "127.0.0.1".into(),
        _ => "<unknown>".into(),
    }
}

/// `setWebhook`: URL, ports and secret checked as Telegram does;
/// "Webhook is already set" when nothing about the webhook changed (a new
/// `allowed_updates` alone is taken without counting as a change).
pub(crate) fn set_webhook(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let url = params::string(params, "url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(state, bot, params);
    }
    let Ok(parsed) = Url::parse(&url) else {
        return envelope::bad_request("invalid webhook URL specified");
    };
    if !state.local {
        if parsed.scheme() != "https" {
            return envelope::bad_request("bad webhook: HTTPS url must be provided for webhook");
        }
        let port = parsed.port_or_known_default().unwrap_or(0);
        if ![443, 80, 88, 8443].contains(&port) {
            return envelope::bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            );
        }
    } else if !matches!(parsed.scheme(), "http" | "https") {
        return envelope::bad_request("invalid webhook URL specified");
    }
    let secret_token = params::string(params, "secret_token").filter(|s| !s.is_empty());
    if let Some(secret) = &secret_token {
        if secret.len() > 256 {
            return envelope::bad_request("secret token is too long");
        }
        if !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return envelope::bad_request("secret token contains unallowed characters");
        }
    }
    let max_connections =
        params::integer(params, "max_connections").map_or(40, |n| n.clamp(1, 100) as u32);
    let ip = params::string(params, "ip_address");
    let new = WebhookState {
        ip_address: Some(shown_address(&parsed, ip.as_deref())),
        url,
        secret_token,
        max_connections,
    };
    let drop = params::boolean(params, "drop_pending_updates");
    let kinds = allowed::parse(params.get("allowed_updates"));
    let changed = state.with_bot(bot.id, |fake| {
        if let Some(kinds) = kinds {
            fake.allowed_updates = kinds;
        }
        let changed = fake.webhook.as_ref() != Some(&new) || drop;
        fake.webhook = Some(new);
        changed
    });
    let changed = changed.unwrap_or(true);
    if drop {
        state.drop_pending(bot.id);
    }
    if changed {
        state.forget_webhook_error(bot.id);
    }
    let description = if changed {
        "Webhook was set"
    } else {
        "Webhook is already set"
    };
    envelope::ok(Value::Bool(true), Some(description))
}

/// `deleteWebhook`; updates stay queued unless `drop_pending_updates`, and
/// the last delivery error is forgotten with the webhook.
pub(crate) fn delete_webhook(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    if params::boolean(params, "drop_pending_updates") {
        state.drop_pending(bot.id);
    }
    let had = state
        .with_bot(bot.id, |fake| fake.webhook.take().is_some())
        .unwrap_or(false);
    if had {
        state.forget_webhook_error(bot.id);
    }
    let description = if had {
        "Webhook was deleted"
    } else {
        "Webhook is already deleted"
    };
    envelope::ok(Value::Bool(true), Some(description))
}

/// The `WebhookInfo` object of `bot`, with the fields the official server
/// writes and only when it writes them.
pub(crate) fn webhook_info(state: &State, bot: &FakeBot) -> Value {
    let bot = state.bot(bot.id).unwrap_or_else(|| bot.clone());
    let (pending, error_date, error_message) = state.queue_info(bot.id);
    let hook = bot.webhook.as_ref();
    let mut info = json!({
        "url": hook.map_or("", |h| h.url.as_str()),
        "has_custom_certificate": false,
        "pending_update_count": pending,
    });
    if let (Some(date), Some(message)) = (error_date, error_message) {
        info["last_error_date"] = json!(date);
        info["last_error_message"] = json!(message);
    }
    if let Some(hook) = hook {
        info["max_connections"] = json!(hook.max_connections);
        info["ip_address"] = json!(hook.ip_address.as_deref().unwrap_or("<unknown>"));
    }
    if bot.allowed_updates != allowed::default_kinds() {
        info["allowed_updates"] = json!(bot.allowed_updates);
    }
    info
}

/// `getUpdates`: refused while a webhook is set; otherwise confirms the
/// updates below `offset` and answers up to `limit` (1-100) of the rest,
/// waiting up to `timeout` seconds (at most 50) for one to come.
pub(crate) async fn get_updates(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    if state.bot(bot.id).is_some_and(|b| b.webhook.is_some()) {
        return envelope::error(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            None,
        );
    }
    if let Some(kinds) = allowed::parse(params.get("allowed_updates")) {
        state.with_bot(bot.id, |fake| fake.allowed_updates = kinds);
    }
    let offset = params::integer(params, "offset").filter(|o| *o > 0);
    let limit = params::integer(params, "limit").map_or(100, |n| n.clamp(1, 100)) as usize;
    let timeout = params::integer(params, "timeout").map_or(0, |n| n.clamp(0, 50)) as u64;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let updates = state.poll(bot.id, offset, limit);
        if !updates.is_empty() || Instant::now() >= deadline || state.is_stopped() {
            return envelope::ok(Value::Array(updates), None);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
