//! What Telegram knows about people and chats, shared by every bot: users,
//! chats, who is a member of what (bots included), pending join requests,
//! invite links, and each bot's private chats. It changes when an update is
//! produced, whether or not the bot asked for that kind of update.

use std::collections::HashMap;

use rand::Rng;
use serde_json::{Value, json};

/// A bot's private chat with one person.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PrivateChat {
    /// The person has blocked the bot.
    pub blocked: bool,
}

/// An invite link and the chat it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct InviteLink {
    pub chat: i64,
    /// The `ChatInviteLink` object.
    pub object: Value,
}

/// A join request not yet decided.
#[derive(Debug, Clone)]
pub(crate) struct PendingRequest {
    /// The link it came through, if any.
    pub link: Option<Value>,
    /// Its `date`: the bot may write to `user_chat_id` for five minutes
    /// from it.
    pub date: i64,
}

/// How long after a join request its `user_chat_id` may be messaged
/// (Bot API, ChatJoinRequest: "for 5 minutes ... until the join request is
/// processed").
pub(crate) const USER_CHAT_WINDOW_SECS: i64 = 300;

/// The shared world.
#[derive(Debug, Default)]
pub(crate) struct World {
    /// `User` objects by id, as last seen.
    users: HashMap<i64, Value>,
    /// `Chat` objects (id, type, title, username) by id.
    chats: HashMap<i64, Value>,
    /// `ChatMember` objects by (chat, user).
    members: HashMap<(i64, i64), Value>,
    /// Pending join requests by (chat, user).
    requests: HashMap<(i64, i64), PendingRequest>,
    /// Invite links by URL.
    links: HashMap<String, InviteLink>,
    /// Private chats by (bot, user): a person who ever wrote to the bot.
    private: HashMap<(i64, i64), PrivateChat>,
    /// The last message id of each chat, per bot for private chats.
    message_ids: HashMap<(i64, i64), i64>,
}

impl World {
    /// Takes in what `update` (of kind `kind`, for bot `bot`) says
    /// about users, chats and memberships.
    pub(crate) fn observe(&mut self, bot: i64, kind: &str, update: &Value) {
        let body = &update[kind];
        match kind {
            "message" | "edited_message" | "channel_post" | "edited_channel_post" => {
                self.remember_chat(&body["chat"]);
                self.remember_user(&body["from"]);
                if body["chat"]["type"] == "private"
                    && let Some(user) = body["from"]["id"].as_i64()
                {
                    self.private.entry((bot, user)).or_default();
                    if let Some(id) = body["message_id"].as_i64() {
                        let last = self.message_ids.entry((bot, user)).or_insert(0);
                        *last = (*last).max(id);
                    }
                }
            }
            "my_chat_member" | "chat_member" => {
                self.remember_chat(&body["chat"]);
                self.remember_user(&body["from"]);
                let member = &body["new_chat_member"];
                self.remember_user(&member["user"]);
                let (Some(chat), Some(user)) =
                    (body["chat"]["id"].as_i64(), member["user"]["id"].as_i64())
                else {
                    return;
                };
                if body["chat"]["type"] == "private" {
                    // The person blocked (kicked) or unblocked the bot.
                    let blocked = member["status"] == "kicked";
                    self.private.entry((bot, chat)).or_default().blocked = blocked;
                } else {
                    self.members.insert((chat, user), member.clone());
                    if is_member(member) {
                        self.requests.remove(&(chat, user));
                    }
                }
            }
            "chat_join_request" => {
                self.remember_chat(&body["chat"]);
                self.remember_user(&body["from"]);
                if let (Some(chat), Some(user)) =
                    (body["chat"]["id"].as_i64(), body["from"]["id"].as_i64())
                {
                    let link = body.get("invite_link").cloned();
                    let date = body["date"].as_i64().unwrap_or_default();
                    self.requests
                        .insert((chat, user), PendingRequest { link, date });
                }
            }
            _ => {}
        }
    }

    fn remember_chat(&mut self, chat: &Value) {
        if let Some(id) = chat["id"].as_i64() {
            self.chats.insert(id, chat.clone());
        }
    }

    fn remember_user(&mut self, user: &Value) {
        if let Some(id) = user["id"].as_i64() {
            self.users.insert(id, user.clone());
        }
    }

    /// The `User` object of `id`, if the sandbox has seen that person.
    pub(crate) fn user(&self, id: i64) -> Option<&Value> {
        self.users.get(&id)
    }

    /// The `Chat` object of `id`.
    pub(crate) fn chat(&self, id: i64) -> Option<&Value> {
        self.chats.get(&id)
    }

    /// The id of the chat (or person) with this public username.
    pub(crate) fn chat_by_username(&self, username: &str) -> Option<i64> {
        let same = |v: &Value| {
            v["username"]
                .as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(username))
        };
        self.chats
            .iter()
            .find(|(_, chat)| same(chat))
            .or_else(|| self.users.iter().find(|(_, user)| same(user)))
            .map(|(id, _)| *id)
    }

    /// `user`'s `ChatMember` in `chat`: as last changed, or `left` for a
    /// known person who never was there.
    pub(crate) fn member(&self, chat: i64, user: i64) -> Option<Value> {
        if let Some(member) = self.members.get(&(chat, user)) {
            return Some(member.clone());
        }
        self.users
            .get(&user)
            .map(|u| json!({ "user": u, "status": "left" }))
    }

    /// The bot's own `ChatMember` in `chat`, if it was ever there.
    pub(crate) fn bot_member(&self, chat: i64, bot: i64) -> Option<&Value> {
        self.members.get(&(chat, bot))
    }

    /// `bot`'s private chat with `user`, if the person ever wrote to it.
    pub(crate) fn private_chat(&self, bot: i64, user: i64) -> Option<PrivateChat> {
        self.private.get(&(bot, user)).copied()
    }

    /// The next message id in `bot`'s view of `chat`.
    pub(crate) fn next_message_id(&mut self, bot: i64, chat: i64) -> i64 {
        let last = self.message_ids.entry((bot, chat)).or_insert(0);
        *last += 1;
        *last
    }

    /// Removes the pending request of `user` to join `chat`; `None` if
    /// there is none. The link it used comes back.
    pub(crate) fn take_request(&mut self, chat: i64, user: i64) -> Option<Option<Value>> {
        self.requests.remove(&(chat, user)).map(|r| r.link)
    }

    /// Whether `bot` may write to `user` through a join request's
    /// `user_chat_id` at `now`: the person has a request pending, younger
    /// than five minutes, in a chat where the bot may decide it.
    pub(crate) fn may_write_to_requester(&self, bot: i64, user: i64, now: i64) -> bool {
        self.requests.iter().any(|(&(chat, requester), request)| {
            requester == user
                && now - request.date < USER_CHAT_WINDOW_SECS
                && self.bot_member(chat, bot).is_some_and(|m| {
                    m["status"] == "creator"
                        || (m["status"] == "administrator" && m["can_invite_users"] == true)
                })
        })
    }

    /// Makes a new invite link for `chat`, created by `creator`.
    pub(crate) fn create_link(
        &mut self,
        chat: i64,
        creator: Value,
        extra: &[(&str, Value)],
    ) -> Value {
        let mut rng = rand::thread_rng();
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let code: String = (0..16)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        let url = format!("https://t.me/+{code}");
        let mut object = json!({
            "invite_link": url,
            "creator": creator,
            "creates_join_request": false,
            "is_primary": false,
            "is_revoked": false,
        });
        for (name, value) in extra {
            object[*name] = value.clone();
        }
        self.links.insert(
            url,
            InviteLink {
                chat,
                object: object.clone(),
            },
        );
        object
    }

    /// The invite link with this URL.
    pub(crate) fn link(&self, url: &str) -> Option<&InviteLink> {
        self.links.get(url)
    }

    /// Every invite link made here, as `{"chat", "link"}`, sorted by URL.
    pub(crate) fn links(&self) -> Vec<Value> {
        let mut links: Vec<Value> = self
            .links
            .values()
            .map(|l| json!({ "chat": l.chat, "link": l.object }))
            .collect();
        links.sort_by(|a, b| {
            a["link"]["invite_link"]
                .as_str()
                .cmp(&b["link"]["invite_link"].as_str())
        });
        links
    }

    /// The invite link with this URL, to change.
    pub(crate) fn link_mut(&mut self, url: &str) -> Option<&mut InviteLink> {
        self.links.get_mut(url)
    }
}

/// Whether a `ChatMember` object is in the chat.
pub(crate) fn is_member(member: &Value) -> bool {
    match member["status"].as_str() {
        Some("creator" | "administrator" | "member") => true,
        Some("restricted") => member["is_member"] == true,
        _ => false,
    }
}
