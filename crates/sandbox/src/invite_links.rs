//! `createChatInviteLink`, `editChatInviteLink` and `revokeChatInviteLink`,
//! as the official server answers them: the bot must be an administrator
//! with `can_invite_users`, may change only links it created, and a
//! revoked link stays known (with `is_revoked`) but admits nobody.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use crate::chat_methods::chat_with_invite_rights;
use crate::envelope::{self, Refusal};
use crate::events::bot_user;
use crate::params::{self, Params};
use crate::state::{FakeBot, State};

/// Telegram's longest link name, in characters.
const NAME_MAX_CHARS: usize = 32;

/// Telegram's answer for a link that is not one of the chat's (MTProto's
/// `INVITE_HASH_EXPIRED`, which TDLib passes on).
const UNKNOWN_LINK: &str = "INVITE_HASH_EXPIRED";

/// The options `createChatInviteLink` and `editChatInviteLink` share, read
/// and checked: `name`, `expire_date`, `member_limit`,
/// `creates_join_request`.
fn link_options(params: &Params) -> Result<Vec<(&'static str, Value)>, Refusal> {
    let name = params::string(params, "name").unwrap_or_default();
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(Refusal::bad_request(
            "invite link name must be at most 32 characters long",
        ));
    }
    let creates_join_request = params::boolean(params, "creates_join_request");
    let member_limit = params::integer(params, "member_limit").filter(|n| *n > 0);
    if member_limit.is_some_and(|n| n > 99_999) {
        return Err(Refusal::bad_request(
            "parameter \"member_limit\" must be between 0 and 99999",
        ));
    }
    if creates_join_request && member_limit.is_some() {
        return Err(Refusal::bad_request(
            "member limit can't be specified for links requiring administrator approval",
        ));
    }
    let mut options = vec![("creates_join_request", json!(creates_join_request))];
    options.push((
        "name",
        if name.is_empty() {
            Value::Null
        } else {
            json!(name)
        },
    ));
    let expire = params::integer(params, "expire_date").filter(|d| *d > 0);
    options.push((
        "expire_date",
        expire.map(|d| json!(d)).unwrap_or(Value::Null),
    ));
    options.push((
        "member_limit",
        member_limit.map(|n| json!(n)).unwrap_or(Value::Null),
    ));
    Ok(options)
}

/// `createChatInviteLink`: a new additional link, with the options given.
pub(crate) fn create_invite_link(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let made = chat_with_invite_rights(state, bot, params).and_then(|chat| {
        let options = link_options(params)?;
        let present: Vec<_> = options.into_iter().filter(|(_, v)| !v.is_null()).collect();
        Ok(state
            .lock()
            .world
            .create_link(chat, bot_user(bot), &present))
    });
    match made {
        Ok(link) => envelope::ok(link, None),
        Err(refusal) => refusal.into(),
    }
}

/// `editChatInviteLink`: new options for a link the bot created; an
/// option left out is cleared, as the official server does.
pub(crate) fn edit_invite_link(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let edited = own_link(state, bot, params).and_then(|(url, is_revoked)| {
        if is_revoked {
            return Err(Refusal::bad_request("INVITE_REVOKED_MISSING"));
        }
        let options = link_options(params)?;
        let mut inner = state.lock();
        let link = inner
            .world
            .link_mut(&url)
            .ok_or_else(|| Refusal::bad_request(UNKNOWN_LINK))?;
        for (name, value) in options {
            match value {
                Value::Null => {
                    if let Some(object) = link.object.as_object_mut() {
                        object.remove(name);
                    }
                }
                value => link.object[name] = value,
            }
        }
        Ok(link.object.clone())
    });
    match edited {
        Ok(link) => envelope::ok(link, None),
        Err(refusal) => refusal.into(),
    }
}

/// `revokeChatInviteLink`: the link stops admitting anyone; revoking a
/// revoked link answers it again.
pub(crate) fn revoke_invite_link(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let revoked = own_link(state, bot, params).and_then(|(url, _)| {
        let mut inner = state.lock();
        let link = inner
            .world
            .link_mut(&url)
            .ok_or_else(|| Refusal::bad_request(UNKNOWN_LINK))?;
        link.object["is_revoked"] = json!(true);
        Ok(link.object.clone())
    });
    match revoked {
        Ok(link) => envelope::ok(link, None),
        Err(refusal) => refusal.into(),
    }
}

/// The `invite_link` of a call: a link of its chat that this bot created,
/// with whether it is revoked already.
fn own_link(state: &State, bot: &FakeBot, params: &Params) -> Result<(String, bool), Refusal> {
    let chat = chat_with_invite_rights(state, bot, params)?;
    let url = params::string(params, "invite_link").unwrap_or_default();
    if url.is_empty() {
        return Err(Refusal::bad_request("Invite link must be non-empty"));
    }
    let inner = state.lock();
    match inner.world.link(&url) {
        Some(link) if link.chat == chat && link.object["creator"]["id"] == json!(bot.id) => {
            Ok((url, link.object["is_revoked"] == true))
        }
        _ => Err(Refusal::bad_request(UNKNOWN_LINK)),
    }
}
