//! The Bot API methods the sandbox implements: each method name to its
//! handler (the parameters they share are read in `arguments`).

use actix_web::HttpResponse;
use serde_json::{Value, json};

use crate::envelope;
use crate::params::Params;
use crate::state::{FakeBot, State};
use crate::{chat_methods, invite_links, send, webhook_methods};

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
        "createchatinvitelink" => invite_links::create_invite_link(state, bot, params),
        "editchatinvitelink" => invite_links::edit_invite_link(state, bot, params),
        "revokechatinvitelink" => invite_links::revoke_invite_link(state, bot, params),
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
