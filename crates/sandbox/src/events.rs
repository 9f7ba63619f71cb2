//! Building realistic updates (Bot API shapes) for what happens in chats:
//! the bot promoted or demoted, members joining, leaving, being banned,
//! asking to join.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    /// Username, if any.
    #[serde(default)]
    pub username: Option<String>,
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
        /// The invite link used.
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
}

fn user(u: &SandboxUser, is_bot: bool) -> Value {
    let mut v = json!({ "id": u.id, "is_bot": is_bot, "first_name": u.first_name });
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    v
}

fn admin_rights(member: Value, chat: &SandboxChat) -> Value {
    let mut m = member;
    m["status"] = json!("administrator");
    for right in [
        "can_be_edited",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    ] {
        m[right] = json!(right != "can_be_edited" && right != "can_promote_members");
    }
    m["is_anonymous"] = json!(false);
    if chat.kind == "channel" {
        m["can_post_messages"] = json!(true);
        m["can_edit_messages"] = json!(true);
    } else {
        m["can_pin_messages"] = json!(true);
    }
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

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl SandboxEvent {
    /// The update (without `update_id`) this event produces for the bot
    /// `bot` (its id, username and first name).
    pub fn to_update(&self, bot: (i64, &str, &str)) -> Value {
        let me = json!({ "id": bot.0, "is_bot": true, "first_name": bot.2, "username": bot.1 });
        let changed = |chat: &SandboxChat, by: Value, date: Option<i64>, old: Value, new: Value| {
            json!({
                "chat": chat_json(chat),
                "from": by,
                "date": date.unwrap_or_else(now),
                "old_chat_member": old,
                "new_chat_member": new,
            })
        };
        match self {
            SandboxEvent::Promote { chat, by, date } => json!({ "my_chat_member": changed(
                chat, user(by, false), *date,
                member(me.clone(), "member"),
                admin_rights(member(me, "administrator"), chat),
            )}),
            SandboxEvent::Demote { chat, by, date } => json!({ "my_chat_member": changed(
                chat, user(by, false), *date,
                admin_rights(member(me.clone(), "administrator"), chat),
                member(me, "member"),
            )}),
            SandboxEvent::RemoveBot { chat, by, date } => json!({ "my_chat_member": changed(
                chat, user(by, false), *date,
                admin_rights(member(me.clone(), "administrator"), chat),
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
                    chat,
                    user(u, false),
                    *date,
                    member(user(u, false), "left"),
                    member(user(u, false), "member"),
                );
                if let Some(link) = invite_link {
                    update["invite_link"] = json!({
                        "invite_link": link, "creator": me, "creates_join_request": false,
                        "is_primary": false, "is_revoked": false,
                    });
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
                chat, user(u, false), *date, member(user(u, false), "member"), member(user(u, false), "left"),
            )}),
            SandboxEvent::Kick {
                chat,
                user: u,
                by,
                date,
            } => json!({ "chat_member": changed(
                chat, user(by, false), *date, member(user(u, false), "member"), member(user(u, false), "kicked"),
            )}),
            SandboxEvent::JoinRequest {
                chat,
                user: u,
                invite_link,
                date,
            } => {
                let mut request = json!({
                    "chat": chat_json(chat),
                    "from": user(u, false),
                    "user_chat_id": u.id,
                    "date": date.unwrap_or_else(now),
                });
                if let Some(link) = invite_link {
                    request["invite_link"] = json!({
                        "invite_link": link, "creator": me, "creates_join_request": true,
                        "is_primary": false, "is_revoked": false,
                    });
                }
                json!({ "chat_join_request": request })
            }
        }
    }
}
