//! The Bot API methods the sandbox implements, and the parameter rules
//! they share with the official server.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use crate::envelope::{self, Refusal};
use crate::params::{self, Params};
use crate::state::{FakeBot, State};
use crate::{chat_methods, send, webhook_methods};

/// Runs `method` (lower-cased) for `bot`.
pub(crate) async fn dispatch(
    state: &State,
    bot: &FakeBot,
    method: &str,
    params: &Params,
) -> HttpResponse {
    match method {
        "getme" => get_me(bot),
        "setwebhook" => webhook_methods::set_webhook(state, bot, params),
        "deletewebhook" => webhook_methods::delete_webhook(state, bot, params),
        "getwebhookinfo" => envelope::ok(webhook_methods::webhook_info(state, bot), None),
        "getupdates" => webhook_methods::get_updates(state, bot, params).await,
        "getchat" => chat_methods::get_chat(state, bot, params),
        "getchatmember" => chat_methods::get_chat_member(state, bot, params),
        "approvechatjoinrequest" => chat_methods::approve_join_request(state, bot, params),
        "declinechatjoinrequest" => chat_methods::decline_join_request(state, bot, params),
        "createchatinvitelink" => chat_methods::create_invite_link(state, bot, params),
        "sendmessage" => send::send_message(state, bot, params),
        _ => envelope::error(404, "Not Found: method not found", None),
    }
}

/// The bot's `User` object as `getMe` answers it: every field Telegram
/// sends for a bot (Bot API 10.1), including those "returned only in getMe".
pub(crate) fn me(bot: &FakeBot) -> Value {
    let mut user = json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.first_name,
    });
    if let Some(last) = &bot.last_name {
        user["last_name"] = json!(last);
    }
    user["username"] = json!(bot.username);
    for (field, value) in [
        ("can_join_groups", true),
        ("can_read_all_group_messages", false),
        ("supports_inline_queries", false),
        ("can_connect_to_business", false),
        ("has_main_web_app", false),
        ("has_topics_enabled", false),
        ("allows_users_to_create_topics", false),
        ("can_manage_bots", false),
        ("supports_guest_queries", false),
        ("supports_join_request_queries", false),
    ] {
        user[field] = json!(value);
    }
    user
}

fn get_me(bot: &FakeBot) -> HttpResponse {
    envelope::ok(me(bot), None)
}

/// The bot's `User` object as it appears inside messages and links.
pub(crate) fn bot_user(bot: &FakeBot) -> Value {
    crate::events::bot_user_json((bot.id, &bot.username, &bot.first_name))
}

/// The leading integer of a parameter, as `td::to_integer` reads it
/// (`"12abc"` is 12, `"abc"` is 0).
fn leading_integer(text: &str) -> i64 {
    let text = text.trim();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// `chat_id`: `Err` with Telegram's answer when it is missing or names
/// no chat the sandbox knows.
pub(crate) fn chat_id(state: &State, params: &Params) -> Result<i64, Refusal> {
    let raw = params::string(params, "chat_id").unwrap_or_default();
    if raw.is_empty() {
        return Err(Refusal::bad_request("chat_id is empty"));
    }
    if let Some(username) = raw.strip_prefix('@') {
        return state
            .lock()
            .world
            .chat_by_username(username)
            .ok_or_else(|| Refusal::bad_request("chat not found"));
    }
    match leading_integer(&raw) {
        0 => Err(Refusal::bad_request("chat not found")),
        id => Ok(id),
    }
}

/// `user_id`: `Err` with Telegram's answer when it is not a positive integer.
pub(crate) fn user_id(params: &Params) -> Result<i64, Refusal> {
    let raw = params::string(params, "user_id").unwrap_or_default();
    match leading_integer(&raw).max(0) {
        0 => Err(Refusal::bad_request("invalid user_id specified")),
        id => Ok(id),
    }
}

#[cfg(test)]
mod tests {
    use super::leading_integer;

    #[test]
    fn integers_are_read_like_td_to_integer() {
        assert_eq!(leading_integer("12abc"), 12);
        assert_eq!(leading_integer("-100123"), -100123);
        assert_eq!(leading_integer("abc"), 0);
        assert_eq!(leading_integer(""), 0);
    }
}
