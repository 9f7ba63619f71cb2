//! What an update changes in usher's data.

use chrono::{DateTime, Utc};

use crate::ChatId;

/// A chat as an update names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRef {
    /// Telegram's chat id.
    pub id: ChatId,
    /// The title (or a name for chats without one; may be empty).
    pub title: String,
    /// Telegram's chat type.
    pub kind: String,
}

/// A user as an update names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// Telegram's user id.
    pub id: i64,
    /// Username, if any.
    pub username: Option<String>,
    /// First name, if given.
    pub first_name: Option<String>,
    /// Last name, if any.
    pub last_name: Option<String>,
}

/// The bot's own status changed in a chat (`my_chat_member`).
#[derive(Debug, Clone, PartialEq)]
pub struct BotMembership {
    /// The chat.
    pub chat: ChatRef,
    /// Whether the bot is now an administrator (or creator) there.
    pub is_admin: bool,
    /// The bot's new status, as Telegram wrote it.
    pub status: String,
    /// The bot's new ChatMember object (its rights), as received.
    pub member: serde_json::Value,
    /// When Telegram says it happened.
    pub at: DateTime<Utc>,
}

/// What happened to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberEventKind {
    /// Entered the chat.
    Join,
    /// Entered the chat after a join request was approved.
    Approved,
    /// Left the chat.
    Leave,
    /// Was banned from the chat.
    Kicked,
    /// Asked to join.
    JoinRequest,
    /// Another change (promotion, restriction, an unknown status).
    Changed,
}

impl MemberEventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberEventKind::Join => "join",
            MemberEventKind::Approved => "approved",
            MemberEventKind::Leave => "leave",
            MemberEventKind::Kicked => "kicked",
            MemberEventKind::JoinRequest => "join_request",
            MemberEventKind::Changed => "changed",
        }
    }
}

/// A join, leave or join request in a chat (`chat_member`,
/// `chat_join_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEvent {
    /// The chat.
    pub chat: ChatRef,
    /// The member.
    pub user: UserRef,
    /// What happened.
    pub kind: MemberEventKind,
    /// Status before (none for a join request).
    pub old_status: Option<String>,
    /// Status after (none for a join request).
    pub new_status: Option<String>,
    /// Who did it, when not the member themself.
    pub actor: Option<i64>,
    /// When Telegram says it happened.
    pub at: DateTime<Utc>,
    /// The invite link used, if any.
    pub invite_link: Option<String>,
    /// The invite link's name, if any.
    pub invite_link_name: Option<String>,
    /// Joined through an approved join request.
    pub via_join_request: bool,
}

/// `/start` in the private chat of a person and the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartCommand {
    /// Who pressed Start.
    pub user: UserRef,
    /// When Telegram says it happened.
    pub at: DateTime<Utc>,
    /// The campaign code and click of the deep link, when the payload is
    /// one (`None` for `/start` alone or any other payload).
    pub payload: Option<crate::subscribers::StartPayload>,
}

/// What applying an update does.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The bot's status in a (non-private) chat changed.
    BotMembership(BotMembership),
    /// A member event to record.
    Member(MemberEvent),
    /// A group became a supergroup: its cache entry and history move.
    ChatMigrated {
        /// The old group id.
        from: ChatId,
        /// The new supergroup id.
        to: ChatId,
    },
    /// A person pressed Start in the private chat.
    Start(StartCommand),
    /// A person blocked the bot (`my_chat_member` in the private chat,
    /// new status `kicked`).
    Blocked {
        /// Who blocked it.
        user: UserRef,
        /// When Telegram says it happened.
        at: DateTime<Utc>,
    },
    /// Nothing beyond recording the update itself.
    None,
}
