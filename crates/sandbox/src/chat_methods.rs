//! `getChat`, `getChatMember`, `approveChatJoinRequest` and
//! `declineChatJoinRequest`.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use crate::arguments::{chat_id, user_id};
use crate::envelope::{self, Refusal};
use crate::events::bot_user;
use crate::params::Params;
use crate::state::{FakeBot, State, unix_now};
use crate::world::is_member;

/// Gift types a chat accepts, as `ChatFullInfo` carries them.
fn accepted_gift_types() -> Value {
    json!({
        "unlimited_gifts": true, "limited_gifts": true, "unique_gifts": true,
        "premium_subscription": true, "gifts_from_channels": true,
    })
}

/// The chat as the bot may see it: a private chat with someone who wrote
/// to it, or a group or channel it is in.
fn visible_chat(state: &State, bot: &FakeBot, chat: i64) -> Result<Value, Refusal> {
    let inner = state.lock();
    let world = &inner.world;
    if chat > 0 {
        if world.private_chat(bot.id, chat).is_some()
            && let Some(user) = world.user(chat)
        {
            return Ok(crate::events::private_chat_json(user));
        }
        return Err(Refusal::bad_request("chat not found"));
    }
    match (world.chat(chat), world.bot_member(chat, bot.id)) {
        (Some(object), Some(member)) if is_member(member) => Ok(object.clone()),
        _ => Err(Refusal::bad_request("chat not found")),
    }
}

/// `getChat`: a `ChatFullInfo` for a chat the bot can see.
pub(crate) fn get_chat(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let chat = match chat_id(state, params).and_then(|id| visible_chat(state, bot, id)) {
        Ok(chat) => chat,
        Err(answer) => return answer.into(),
    };
    let mut full = chat;
    full["accent_color_id"] = json!(0);
    full["max_reaction_count"] = json!(11);
    full["accepted_gift_types"] = accepted_gift_types();
    envelope::ok(full, None)
}

/// `getChatMember`: the bot's own status, or a person's, in a chat the
/// bot is in.
pub(crate) fn get_chat_member(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let chat = match chat_id(state, params) {
        Ok(chat) => chat,
        Err(answer) => return answer.into(),
    };
    let user = match user_id(params) {
        Ok(user) => user,
        Err(answer) => return answer.into(),
    };
    if let Err(answer) = visible_chat(state, bot, chat) {
        return answer.into();
    }
    let member = state.lock().world.member(chat, user);
    match member {
        Some(member) => envelope::ok(member, None),
        None => envelope::bad_request("user not found"),
    }
}

/// The chat of a call that needs the bot to be an administrator allowed to
/// invite users, as join requests and invite links do.
pub(crate) fn chat_with_invite_rights(
    state: &State,
    bot: &FakeBot,
    params: &Params,
) -> Result<i64, Refusal> {
    let chat = chat_id(state, params)?;
    visible_chat(state, bot, chat)?;
    let inner = state.lock();
    let member = inner.world.bot_member(chat, bot.id);
    let can_invite = member.is_some_and(|m| {
        m["status"] == "creator"
            || (m["status"] == "administrator" && m["can_invite_users"] == true)
    });
    if can_invite {
        Ok(chat)
    } else {
        Err(Refusal::bad_request("CHAT_ADMIN_REQUIRED"))
    }
}

/// `approveChatJoinRequest`: the person joins, and the bot gets the
/// `chat_member` update, `via_join_request`, with the link they used.
pub(crate) fn approve_join_request(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let (chat, user, link) = match take_request(state, bot, params) {
        Ok(found) => found,
        Err(answer) => return answer.into(),
    };
    let (chat_object, person) = {
        let inner = state.lock();
        (
            inner
                .world
                .chat(chat)
                .cloned()
                .unwrap_or(json!({ "id": chat })),
            inner
                .world
                .user(user)
                .cloned()
                .unwrap_or(json!({ "id": user })),
        )
    };
    let mut change = json!({
        "chat": chat_object,
        "from": bot_user(bot),
        "date": unix_now(),
        "old_chat_member": { "user": person, "status": "left" },
        "new_chat_member": { "user": person, "status": "member" },
        "via_join_request": true,
    });
    if let Some(link) = link {
        change["invite_link"] = link;
    }
    state.enqueue(bot.id, json!({ "chat_member": change }));
    envelope::ok(Value::Bool(true), None)
}

/// `declineChatJoinRequest`: the request is gone; nothing is delivered.
pub(crate) fn decline_join_request(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    match take_request(state, bot, params) {
        Ok(_) => envelope::ok(Value::Bool(true), None),
        Err(answer) => answer.into(),
    }
}

/// The pending request of `user_id` to join `chat_id`, removed.
fn take_request(
    state: &State,
    bot: &FakeBot,
    params: &Params,
) -> Result<(i64, i64, Option<Value>), Refusal> {
    let chat = chat_with_invite_rights(state, bot, params)?;
    let user = user_id(params)?;
    let mut inner = state.lock();
    if inner
        .world
        .member(chat, user)
        .is_some_and(|m| is_member(&m))
    {
        return Err(Refusal::bad_request("USER_ALREADY_PARTICIPANT"));
    }
    match inner.world.take_request(chat, user) {
        Some(link) => Ok((chat, user, link)),
        None => Err(Refusal::bad_request("HIDE_REQUESTER_MISSING")),
    }
}
