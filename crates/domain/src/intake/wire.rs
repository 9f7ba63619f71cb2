//! The Bot API objects usher reads, as lenient serde types: every field
//! usher does not strictly need is optional, unknown fields are ignored,
//! and statuses are plain strings so that a status Telegram adds later
//! does not make the whole update unreadable.

use serde::Deserialize;

/// A Chat. Only `id` is required.
#[derive(Debug, Clone, Deserialize)]
pub struct Chat {
    /// Telegram's chat id.
    pub id: i64,
    /// `private`, `group`, `supergroup` or `channel` (empty when absent,
    /// as in Telegram's 2015 examples).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Title of groups, supergroups and channels.
    #[serde(default)]
    pub title: Option<String>,
    /// Public username, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// First name (private chats).
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name (private chats).
    #[serde(default)]
    pub last_name: Option<String>,
}

/// A User. Only `id` is required (old payloads lack `is_bot`).
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Telegram's user id.
    pub id: i64,
    /// Whether the user is a bot.
    #[serde(default)]
    pub is_bot: Option<bool>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name (may be JSON null).
    #[serde(default)]
    pub last_name: Option<String>,
    /// Username (may be JSON null).
    #[serde(default)]
    pub username: Option<String>,
}

/// A ChatMember of any status, known or not.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatMember {
    /// The member.
    pub user: User,
    /// `creator`, `administrator`, `member`, `restricted`, `left`,
    /// `kicked`, or a status Telegram added later.
    pub status: String,
    /// For `restricted`: whether the user is still in the chat.
    #[serde(default)]
    pub is_member: Option<bool>,
    /// For `kicked`/`restricted`/`member`: until when (0 = forever).
    #[serde(default)]
    pub until_date: Option<i64>,
}

impl ChatMember {
    /// Whether this status makes the member an administrator of the chat.
    pub fn is_admin(&self) -> bool {
        matches!(self.status.as_str(), "administrator" | "creator")
    }

    /// Whether the member is in the chat: `Some(true)` for member,
    /// administrator, creator or restricted-and-member; `Some(false)` for
    /// left, kicked or restricted-and-not-member; `None` for an unknown
    /// status.
    pub fn in_chat(&self) -> Option<bool> {
        match self.status.as_str() {
            "member" | "administrator" | "creator" => Some(true),
            "restricted" => Some(self.is_member.unwrap_or(true)),
            "left" | "kicked" => Some(false),
            _ => None,
        }
    }
}

/// A ChatInviteLink.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatInviteLink {
    /// The link ("…"-shortened when another admin created it).
    pub invite_link: String,
    /// The link's name, if any.
    #[serde(default)]
    pub name: Option<String>,
}

/// A ChatMemberUpdated (`my_chat_member`, `chat_member`).
#[derive(Debug, Clone, Deserialize)]
pub struct ChatMemberUpdated {
    /// The chat.
    pub chat: Chat,
    /// Who performed the change.
    pub from: User,
    /// When, in Unix time.
    pub date: i64,
    /// The member before.
    pub old_chat_member: ChatMember,
    /// The member after.
    pub new_chat_member: ChatMember,
    /// The invite link used to join, if any.
    #[serde(default)]
    pub invite_link: Option<ChatInviteLink>,
    /// Joined after a join request approved without an invite link.
    #[serde(default)]
    pub via_join_request: Option<bool>,
    /// Joined through a chat folder invite link.
    #[serde(default)]
    pub via_chat_folder_invite_link: Option<bool>,
}

/// A ChatJoinRequest.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatJoinRequest {
    /// The chat asked to join.
    pub chat: Chat,
    /// Who asks.
    pub from: User,
    /// When, in Unix time.
    pub date: i64,
    /// The user's bio, if any.
    #[serde(default)]
    pub bio: Option<String>,
    /// The invite link used, if any.
    #[serde(default)]
    pub invite_link: Option<ChatInviteLink>,
}

/// The parts of a Message usher reads: group-to-supergroup migration, and
/// `/start` in a private chat.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    /// The chat the message is in.
    pub chat: Chat,
    /// The sender, if a user.
    #[serde(default)]
    pub from: Option<User>,
    /// The text, for text messages.
    #[serde(default)]
    pub text: Option<String>,
    /// When, in Unix time.
    #[serde(default)]
    pub date: Option<i64>,
    /// In the old group: the supergroup it became.
    #[serde(default)]
    pub migrate_to_chat_id: Option<i64>,
    /// In the new supergroup: the group it was.
    #[serde(default)]
    pub migrate_from_chat_id: Option<i64>,
}
