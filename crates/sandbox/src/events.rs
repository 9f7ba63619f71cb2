//! Building realistic updates (Bot API shapes) for what people do: the bot
//! promoted or demoted, members joining, leaving, being banned, asking to
//! join; people starting the bot from a deep link, writing to it, blocking
//! and unblocking it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::state::{FakeBot, State, unix_now};

/// A chat in which something happens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxChat {
    /// Chat id (`-100…` for channels and supergroups).
    pub id: i64,
    /// Title.
    pub title: String,
    /// `channel`, `supergroup` or `group`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxUser {
    /// User id.
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// Last name, if any.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Username, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// IETF language tag of the person's app, if known.
    #[serde(default)]
    pub language_code: Option<String>,
}

impl SandboxUser {
    /// A person with only an id and a first name.
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            last_name: None,
            username: None,
            language_code: None,
        }
    }

    /// The same person with a username.
    pub fn with_username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }
}

/// Something that happens, from which the sandbox builds an update.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SandboxEvent {
    /// `my_chat_member`: the bot becomes an administrator (`by` did it).
    Promote {
        /// The chat.
        chat: SandboxChat,
        /// Who promoted the bot.
        by: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `my_chat_member`: the bot goes from administrator to member.
    Demote {
        /// The chat.
        chat: SandboxChat,
        /// Who demoted the bot.
        by: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `my_chat_member`: the bot is removed from the chat (banned).
    RemoveBot {
        /// The chat.
        chat: SandboxChat,
        /// Who removed the bot.
        by: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `chat_member`: a user joins (by an invite link, if given).
    Join {
        /// The chat.
        chat: SandboxChat,
        /// Who joins.
        user: SandboxUser,
        /// The invite link used (one made by `createChatInviteLink`
        /// comes with its whole object).
        #[serde(default)]
        invite_link: Option<String>,
        /// Joined through an approved join request.
        #[serde(default)]
        via_join_request: bool,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `chat_member`: a user leaves.
    Leave {
        /// The chat.
        chat: SandboxChat,
        /// Who leaves.
        user: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `chat_member`: a user is banned by `by`.
    Kick {
        /// The chat.
        chat: SandboxChat,
        /// Who is banned.
        user: SandboxUser,
        /// Who bans.
        by: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `chat_join_request`: a user asks to join.
    JoinRequest {
        /// The chat.
        chat: SandboxChat,
        /// Who asks.
        user: SandboxUser,
        /// The invite link used.
        #[serde(default)]
        invite_link: Option<String>,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `message`: the user taps the bot's deep link (or Start) and the app
    /// sends `/start <payload>` in the private chat.
    Start {
        /// Who starts the bot.
        user: SandboxUser,
        /// The deep link's `start` parameter, if any.
        #[serde(default)]
        payload: Option<String>,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `message`: the user writes `text` to the bot in the private chat.
    Message {
        /// Who writes.
        user: SandboxUser,
        /// The text.
        text: String,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `my_chat_member` in the private chat: the user blocks the bot.
    Block {
        /// Who blocks the bot.
        user: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
    /// `my_chat_member` in the private chat: the user unblocks the bot.
    Unblock {
        /// Who unblocks the bot.
        user: SandboxUser,
        /// Unix time; now when absent.
        #[serde(default)]
        date: Option<i64>,
    },
}

/// The `User` object of a person.
pub(crate) fn user_json(u: &SandboxUser) -> Value {
    let mut v = json!({ "id": u.id, "is_bot": false, "first_name": u.first_name });
    if let Some(last) = &u.last_name {
        v["last_name"] = json!(last);
    }
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    if let Some(code) = &u.language_code {
        v["language_code"] = json!(code);
    }
    v
}

/// The private `Chat` of a person with a bot.
pub(crate) fn private_chat_json(user: &Value) -> Value {
    let mut chat = json!({ "id": user["id"], "first_name": user["first_name"] });
    for field in ["last_name", "username"] {
        if let Some(value) = user.get(field) {
            chat[field] = value.clone();
        }
    }
    chat["type"] = json!("private");
    chat
}

/// The bot's `User` object as it appears in updates.
pub(crate) fn bot_user_json(bot: (i64, &str, &str)) -> Value {
    json!({ "id": bot.0, "is_bot": true, "first_name": bot.2, "username": bot.1 })
}

/// An administrator with the rights a bot is usually given, with every
/// field the official server writes for that kind of chat (Bot API 10.1).
fn administrator(user: Value, chat: &SandboxChat) -> Value {
    let mut m = json!({ "user": user, "status": "administrator", "can_be_edited": false });
    m["can_manage_chat"] = json!(true);
    m["can_change_info"] = json!(true);
    if chat.kind == "channel" {
        m["can_post_messages"] = json!(true);
        m["can_edit_messages"] = json!(true);
    }
    m["can_delete_messages"] = json!(true);
    m["can_invite_users"] = json!(true);
    m["can_restrict_members"] = json!(true);
    if chat.kind != "channel" {
        m["can_pin_messages"] = json!(true);
    }
    if chat.kind == "supergroup" {
        m["can_manage_topics"] = json!(false);
    }
    m["can_promote_members"] = json!(false);
    m["can_manage_video_chats"] = json!(true);
    m["can_post_stories"] = json!(true);
    m["can_edit_stories"] = json!(true);
    m["can_delete_stories"] = json!(true);
    if chat.kind == "channel" {
        m["can_manage_direct_messages"] = json!(false);
    } else {
        m["can_manage_tags"] = json!(false);
    }
    m["can_send_welcome_messages"] = json!(true);
    m["is_anonymous"] = json!(false);
    m["can_manage_voice_chats"] = json!(true);
    m
}

fn member(u: Value, status: &str) -> Value {
    let mut m = json!({ "user": u, "status": status });
    if status == "kicked" {
        m["until_date"] = json!(0);
    }
    m
}

fn chat_json(chat: &SandboxChat) -> Value {
    json!({ "id": chat.id, "title": chat.title, "type": chat.kind })
}

/// A `ChatInviteLink` object for a link the sandbox did not create.
fn plain_link(url: &str, creator: &Value, creates_join_request: bool) -> Value {
    json!({
        "invite_link": url, "creator": creator, "creates_join_request": creates_join_request,
        "is_primary": false, "is_revoked": false,
    })
}

/// The text message `text` of `from` in its private chat with the bot,
/// with the `bot_command` entity Telegram adds for a leading command.
fn private_message(from: &SandboxUser, text: &str, date: Option<i64>) -> Value {
    let sender = user_json(from);
    let mut message = json!({
        "message_id": 1,
        "from": sender,
        "chat": private_chat_json(&sender),
        "date": date.unwrap_or_else(unix_now),
        "text": text,
    });
    if text.starts_with('/') {
        let command_len = text.find(|c: char| c.is_whitespace()).unwrap_or(text.len());
        let units = text[..command_len].encode_utf16().count();
        message["entities"] = json!([{ "offset": 0, "length": units, "type": "bot_command" }]);
    }
    message
}

impl SandboxEvent {
    /// The update (without `update_id`) this event produces for the bot
    /// `bot` (its id, username and first name), on its own: messages are
    /// numbered 1 and a user's previous status is assumed. The sandbox fills
    /// in what it knows when the event happens there.
    pub fn to_update(&self, bot: (i64, &str, &str)) -> Value {
        let me = bot_user_json(bot);
        let changed = |chat: Value, by: Value, date: Option<i64>, old: Value, new: Value| {
            json!({
                "chat": chat,
                "from": by,
                "date": date.unwrap_or_else(unix_now),
                "old_chat_member": old,
                "new_chat_member": new,
            })
        };
        match self {
            SandboxEvent::Promote { chat, by, date } => json!({ "my_chat_member": changed(
                chat_json(chat), user_json(by), *date,
                member(me.clone(), "member"),
                administrator(me, chat),
            )}),
            SandboxEvent::Demote { chat, by, date } => json!({ "my_chat_member": changed(
                chat_json(chat), user_json(by), *date,
                administrator(me.clone(), chat),
                member(me, "member"),
            )}),
            SandboxEvent::RemoveBot { chat, by, date } => json!({ "my_chat_member": changed(
                chat_json(chat), user_json(by), *date,
                administrator(me.clone(), chat),
                member(me, "kicked"),
            )}),
            SandboxEvent::Join {
                chat,
                user: u,
                invite_link,
                via_join_request,
                date,
            } => {
                let mut update = changed(
                    chat_json(chat),
                    user_json(u),
                    *date,
                    member(user_json(u), "left"),
                    member(user_json(u), "member"),
                );
                if let Some(link) = invite_link {
                    update["invite_link"] = plain_link(link, &me, *via_join_request);
                }
                if *via_join_request {
                    update["via_join_request"] = json!(true);
                }
                json!({ "chat_member": update })
            }
            SandboxEvent::Leave {
                chat,
                user: u,
                date,
            } => json!({ "chat_member": changed(
                chat_json(chat), user_json(u), *date, member(user_json(u), "member"), member(user_json(u), "left"),
            )}),
            SandboxEvent::Kick {
                chat,
                user: u,
                by,
                date,
            } => json!({ "chat_member": changed(
                chat_json(chat), user_json(by), *date, member(user_json(u), "member"), member(user_json(u), "kicked"),
            )}),
            SandboxEvent::JoinRequest {
                chat,
                user: u,
                invite_link,
                date,
            } => {
                let mut request = json!({
                    "chat": chat_json(chat),
                    "from": user_json(u),
                    "user_chat_id": u.id,
                    "date": date.unwrap_or_else(unix_now),
                });
                if let Some(link) = invite_link {
                    request["invite_link"] = plain_link(link, &me, true);
                }
                json!({ "chat_join_request": request })
            }
            SandboxEvent::Start {
                user: u,
                payload,
                date,
            } => {
                let text = match payload {
                    Some(p) if !p.is_empty() => format!("/start {p}"),
                    _ => "/start".to_owned(),
                };
                json!({ "message": private_message(u, &text, *date) })
            }
            SandboxEvent::Message {
                user: u,
                text,
                date,
            } => json!({ "message": private_message(u, text, *date) }),
            SandboxEvent::Block { user: u, date } => json!({ "my_chat_member": changed(
                private_chat_json(&user_json(u)), user_json(u), *date,
                member(me.clone(), "member"), member(me, "kicked"),
            )}),
            SandboxEvent::Unblock { user: u, date } => json!({ "my_chat_member": changed(
                private_chat_json(&user_json(u)), user_json(u), *date,
                member(me.clone(), "kicked"), member(me, "member"),
            )}),
        }
    }

    /// Makes the event happen for bot `bot`: the update as the sandbox's
    /// world has it (message ids, previous statuses, invite links it made),
    /// produced like any other. `None` for an unknown bot.
    pub(crate) fn happen(&self, state: &State, bot: i64) -> Option<(i64, bool)> {
        self.happen_for(state, bot, None)
    }

    /// [`SandboxEvent::happen`], for the load run `load` when given.
    pub(crate) fn happen_for(
        &self,
        state: &State,
        bot: i64,
        load: Option<u64>,
    ) -> Option<(i64, bool)> {
        let fake = state.bot(bot)?;
        let mut update = self.to_update((fake.id, &fake.username, &fake.first_name));
        {
            let mut inner = state.lock();
            let world = &mut inner.world;
            match self {
                SandboxEvent::Start { user, .. } | SandboxEvent::Message { user, .. } => {
                    update["message"]["message_id"] = json!(world.next_message_id(bot, user.id));
                }
                SandboxEvent::Join { chat, user, .. }
                | SandboxEvent::Leave { chat, user, .. }
                | SandboxEvent::Kick { chat, user, .. } => {
                    if let Some(mut old) = world.member(chat.id, user.id) {
                        old["user"] = user_json(user);
                        update["chat_member"]["old_chat_member"] = old;
                    }
                }
                _ => {}
            }
            let kind = if update.get("chat_member").is_some() {
                "chat_member"
            } else {
                "chat_join_request"
            };
            let chat = update[kind]["chat"]["id"].as_i64();
            if let Some(url) = update[kind]["invite_link"]["invite_link"].as_str()
                && let Some(link) = world.link(url)
                && Some(link.chat) == chat
            {
                update[kind]["invite_link"] = link.object.clone();
            }
        }
        state.enqueue_for(bot, update, load)
    }
}

/// The bot's `User` object as it appears inside messages and links.
pub(crate) fn bot_user(bot: &FakeBot) -> Value {
    bot_user_json((bot.id, &bot.username, &bot.first_name))
}
