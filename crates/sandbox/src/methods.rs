//! The Bot API methods the sandbox implements.

use actix_web::HttpResponse;
use serde_json::{Value, json};
use url::Url;

use crate::envelope;
use crate::params::{self, Params};
use crate::state::{FakeBot, State, WebhookState};

/// Runs `method` (lower-cased) for `bot`.
pub(crate) fn dispatch(
    state: &State,
    bot: &FakeBot,
    method: &str,
    params: &Params,
) -> HttpResponse {
    match method {
        "getme" => get_me(bot),
        "setwebhook" => set_webhook(state, bot, params),
        "deletewebhook" => delete_webhook(state, bot, params),
        "getwebhookinfo" => get_webhook_info(state, bot),
        "getchatmember" => get_chat_member(state, bot, params),
        _ => envelope::error(404, "Not Found: method not found", None),
    }
}

/// `getMe`: the bot's User with every field Telegram sends for a bot
/// (Bot API 10.1), including those "returned only in getMe".
fn get_me(bot: &FakeBot) -> HttpResponse {
    let mut user = json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false,
        "has_topics_enabled": false,
        "allows_users_to_create_topics": false,
        "can_manage_bots": false,
        "supports_guest_queries": false,
        "supports_join_request_queries": false,
    });
    if let Some(last) = &bot.last_name {
        user["last_name"] = json!(last);
    }
    envelope::ok(user, None)
}

/// `setWebhook`, with the server's checks: URL, ports, secret token.
fn set_webhook(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
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
    let Ok(allowed) = params::string_list(params, "allowed_updates") else {
        return envelope::bad_request("can't parse allowed updates");
    };
    let max_connections = params::integer(params, "max_connections")
        .map(|n| n.clamp(1, 100) as u32)
        .unwrap_or(40);
    let changed = state.with_webhook(bot.id, |hook| {
        // Omitted allowed_updates keep the previous list.
        let allowed_updates = allowed
            .or_else(|| hook.as_ref().map(|h| h.allowed_updates.clone()))
            .unwrap_or_default();
        let new = WebhookState {
            url,
            secret_token,
            allowed_updates,
            max_connections,
        };
        let changed = hook.as_ref() != Some(&new);
        *hook = Some(new);
        changed
    });
    if params::boolean(params, "drop_pending_updates") {
        state.drop_pending(bot.id);
    }
    let description = if changed.unwrap_or(true) {
        "Webhook was set"
    } else {
        "Webhook is already set"
    };
    envelope::ok(Value::Bool(true), Some(description))
}

/// `deleteWebhook`; updates stay queued unless `drop_pending_updates`.
fn delete_webhook(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    if params::boolean(params, "drop_pending_updates") {
        state.drop_pending(bot.id);
    }
    let had = state
        .with_webhook(bot.id, |hook| hook.take().is_some())
        .unwrap_or(false);
    let description = if had {
        "Webhook was deleted"
    } else {
        "Webhook is already deleted"
    };
    envelope::ok(Value::Bool(true), Some(description))
}

/// `getWebhookInfo`, with the queue's `pending_update_count` and the last
/// delivery error.
fn get_webhook_info(state: &State, bot: &FakeBot) -> HttpResponse {
    envelope::ok(webhook_info(state, bot), None)
}

/// The `WebhookInfo` object of `bot`.
pub(crate) fn webhook_info(state: &State, bot: &FakeBot) -> Value {
    let (pending, error_date, error_message) = state.queue_info(bot.id);
    let mut info = match &bot.webhook {
        None => {
            json!({ "url": "", "has_custom_certificate": false, "pending_update_count": pending })
        }
        Some(hook) => json!({
            "url": hook.url,
            "has_custom_certificate": false,
            "pending_update_count": pending,
            "max_connections": hook.max_connections,
            "allowed_updates": hook.allowed_updates,
        }),
    };
    if let (Some(date), Some(message)) = (error_date, error_message) {
        info["last_error_date"] = json!(date);
        info["last_error_message"] = json!(message);
    }
    info
}

/// `getChatMember`, for the bot itself: its status as its last
/// `my_chat_member` update said. The sandbox knows no other members.
fn get_chat_member(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let (Some(chat), Some(user)) = (
        params::integer(params, "chat_id"),
        params::integer(params, "user_id"),
    ) else {
        return envelope::bad_request("chat_id and user_id are required");
    };
    if user != bot.id {
        return envelope::bad_request("user not found");
    }
    match state.membership(bot.id, chat) {
        Some(member) => envelope::ok(member, None),
        None => envelope::bad_request("chat not found"),
    }
}
