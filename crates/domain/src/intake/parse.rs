//! Reading a webhook body into an [`IncomingUpdate`].

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tracing::warn;

use super::effect::{
    BotMembership, ChatRef, Effect, MemberEvent, MemberEventKind, StartCommand, UserRef,
};
use super::wire;
use crate::ChatId;

/// An update as usher understood it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingUpdate {
    /// Telegram's `update_id`: the key of exactly-once per bot.
    pub update_id: i64,
    /// The update's kind: the name of its one optional field
    /// (`my_chat_member`, `guest_message`, ...), or `empty`.
    pub kind: String,
    /// The `date` of the update's object (Unix seconds), when it has one
    /// that a timestamp can hold. It is part of the update as Telegram sent
    /// it, so a redelivery repeats it exactly: the raw update is stored
    /// under it (its time partition), never under the time it arrived.
    pub date: Option<i64>,
    /// What it changes.
    pub effect: Effect,
}

/// The latest `date` usher stores as such (9999-12-31T23:59:59Z); a larger
/// one, or a negative one, is kept as no date.
pub const LATEST_DATE: i64 = 253_402_300_799;

/// The body is not an Update: not a JSON object, or no integer `update_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a Telegram Update")]
pub struct NotAnUpdate;

/// Reads an Update. Never fails for a valid Update, whatever its kind or
/// fields: what usher does not understand gets [`Effect::None`] and is
/// recorded as received.
pub fn parse_update(body: &[u8]) -> Result<IncomingUpdate, NotAnUpdate> {
    let object: Map<String, Value> = serde_json::from_slice(body).map_err(|_| NotAnUpdate)?;
    let update_id = object
        .get("update_id")
        .and_then(Value::as_i64)
        .ok_or(NotAnUpdate)?;
    // "At most one of the optional parameters can be present"; if a
    // malformed update has several, the first one counts.
    let Some((kind, payload)) = object.iter().find(|(k, _)| k.as_str() != "update_id") else {
        return Ok(IncomingUpdate {
            update_id,
            kind: "empty".into(),
            date: None,
            effect: Effect::None,
        });
    };
    let effect = interpret(kind, payload).unwrap_or_else(|| {
        warn!(update_id, kind = %kind, "update not understood; recorded as received");
        Effect::None
    });
    let date = payload
        .get("date")
        .and_then(Value::as_i64)
        .filter(|d| (0..=LATEST_DATE).contains(d));
    Ok(IncomingUpdate {
        update_id,
        kind: kind.clone(),
        date,
        effect,
    })
}

/// The effect of one known kind; `None` when its body is not what the Bot
/// API documents.
fn interpret(kind: &str, payload: &Value) -> Option<Effect> {
    match kind {
        "my_chat_member" => bot_membership(payload),
        "chat_member" => chat_member(payload),
        "chat_join_request" => join_request(payload),
        "message" => message(payload),
        _ => Some(Effect::None),
    }
}

fn bot_membership(payload: &Value) -> Option<Effect> {
    let update: wire::ChatMemberUpdated = serde_json::from_value(payload.clone()).ok()?;
    // In private chats this only says the user blocked or unblocked the bot.
    if update.chat.kind.as_deref() == Some("private") {
        return Some(if update.new_chat_member.status == "kicked" {
            Effect::Blocked {
                user: user_ref(&update.from),
                at: time(update.date)?,
            }
        } else {
            Effect::None
        });
    }
    Some(Effect::BotMembership(BotMembership {
        chat: chat_ref(&update.chat),
        is_admin: update.new_chat_member.is_admin(),
        status: update.new_chat_member.status.clone(),
        member: payload
            .get("new_chat_member")
            .cloned()
            .unwrap_or(Value::Null),
        at: time(update.date)?,
    }))
}

fn chat_member(payload: &Value) -> Option<Effect> {
    let update: wire::ChatMemberUpdated = serde_json::from_value(payload.clone()).ok()?;
    let old = &update.old_chat_member;
    let new = &update.new_chat_member;
    let via_join_request = update.via_join_request.unwrap_or(false);
    let kind = match (old.in_chat(), new.in_chat()) {
        (Some(false), Some(true)) if via_join_request => MemberEventKind::Approved,
        (Some(false), Some(true)) => MemberEventKind::Join,
        // A ban, whether the user was in the chat or had already left.
        (_, Some(false)) if new.status == "kicked" && old.status != "kicked" => {
            MemberEventKind::Kicked
        }
        (Some(true), Some(false)) => MemberEventKind::Leave,
        _ => MemberEventKind::Changed,
    };
    let user = user_ref(&new.user);
    let actor = (update.from.id != user.id).then_some(update.from.id);
    Some(Effect::Member(MemberEvent {
        chat: chat_ref(&update.chat),
        user,
        kind,
        old_status: Some(old.status.clone()),
        new_status: Some(new.status.clone()),
        actor,
        at: time(update.date)?,
        invite_link: update.invite_link.as_ref().map(|l| l.invite_link.clone()),
        invite_link_name: update.invite_link.and_then(|l| l.name),
        via_join_request,
    }))
}

fn join_request(payload: &Value) -> Option<Effect> {
    let request: wire::ChatJoinRequest = serde_json::from_value(payload.clone()).ok()?;
    Some(Effect::Member(MemberEvent {
        chat: chat_ref(&request.chat),
        user: user_ref(&request.from),
        kind: MemberEventKind::JoinRequest,
        old_status: None,
        new_status: None,
        actor: None,
        at: time(request.date)?,
        invite_link: request.invite_link.as_ref().map(|l| l.invite_link.clone()),
        invite_link_name: request.invite_link.and_then(|l| l.name),
        via_join_request: false,
    }))
}

fn message(payload: &Value) -> Option<Effect> {
    let message: wire::Message = serde_json::from_value(payload.clone()).ok()?;
    if message.chat.kind.as_deref() == Some("private") {
        return Some(start_command(&message).unwrap_or(Effect::None));
    }
    Some(migration(&message))
}

/// `/start` from a person in the private chat; `None` for any other message.
fn start_command(message: &wire::Message) -> Option<Effect> {
    let text = message.text.as_deref()?;
    if !crate::subscribers::deep_link::is_start(text) {
        return None;
    }
    let from = message.from.as_ref()?;
    Some(Effect::Start(StartCommand {
        user: user_ref(from),
        at: time(message.date?)?,
        payload: crate::subscribers::StartPayload::from_message(text),
    }))
}

fn migration(message: &wire::Message) -> Effect {
    let here = ChatId(message.chat.id);
    match (message.migrate_to_chat_id, message.migrate_from_chat_id) {
        (Some(to), _) => Effect::ChatMigrated {
            from: here,
            to: ChatId(to),
        },
        (None, Some(from)) if from != here.0 => Effect::ChatMigrated {
            from: ChatId(from),
            to: here,
        },
        _ => Effect::None,
    }
}

fn chat_ref(chat: &wire::Chat) -> ChatRef {
    let name = || {
        let parts: Vec<&str> = [chat.first_name.as_deref(), chat.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    ChatRef {
        id: ChatId(chat.id),
        title: chat
            .title
            .clone()
            .or_else(name)
            .or_else(|| chat.username.clone())
            .unwrap_or_default(),
        kind: chat.kind.clone().unwrap_or_default(),
    }
}

fn user_ref(user: &wire::User) -> UserRef {
    UserRef {
        id: user.id,
        username: user.username.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
    }
}

fn time(unix: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(unix, 0)
}
