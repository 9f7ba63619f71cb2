//! The API's error codes, and the one place that maps domain errors to them.

use std::fmt;

use tracing::error;
use usher_domain::ports::StoreError;
use usher_domain::services::{
    AddBotError, AddCampaignError, AuthError, CampaignIdError, ChatsError, DecideError,
    DeleteBotError, EditCampaignError, LinkError, LinkFailure, ProfileError, SettingsError,
};
use usher_domain::subscribers::join_requests::DecideRefusal;

/// An error code of `conventions.md` or `rules.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Unknown endpoint path, or the wrong method for it.
    Func,
    /// The body is too large or cannot be parsed as its content type says.
    Request,
    /// The API key is missing, malformed or not valid.
    Key,
    /// The account is suspended.
    Ban,
    /// The database failed; retry later.
    Db,
    /// The bot token is invalid or Telegram rejected it.
    Token,
    /// The bot is connected to a different account.
    Exists,
    /// The token is valid but webhook registration failed.
    Webhook,
    /// Telegram could not be reached.
    Unreachable,
    /// The `id` parameter is missing, malformed, unknown or another account's.
    Id,
    /// `camp/add.json`: the bot is missing, unknown, another account's or deleted.
    Bot,
    /// `camp/add.json`: the chat is not one `bots/chats.json` offers.
    Chat,
    /// `camp/add.json`: the welcome text is missing or too long.
    Welcome,
    /// `camp/add.json`, `camp/edit.json`: the button is wrong.
    Button,
    /// `camp/add.json`, `camp/edit.json`: the unsub window is wrong.
    Unsub,
    /// A list's `campaign` filter: not a positive integer, unknown, another account's.
    Campaign,
    /// A list's `status` filter is not 0-4.
    Status,
    /// `from` is not Unix seconds.
    From,
    /// `to` is not Unix seconds (or, for stats, the range is wrong).
    To,
    /// `limit` is not 1-200.
    Limit,
    /// `offset` is not an integer >= 0.
    Offset,
    /// `journal/list.json`: `action` is not one of the journal's.
    Action,
    /// `journal/list.json`: `paid` is not 0 or 1.
    Paid,
    /// A postback template is not valid.
    Postback,
    /// `postbacks/list.json`: `lead` is malformed, unknown or another account's.
    Lead,
    /// `postbacks/list.json`: `state` is not pending, sent or failed.
    State,
    /// `camp/add.json`, `camp/edit.json`: `link_mode` is not none, join or request.
    Mode,
    /// `camp/links.json`: `revoke` is not an extra link of the campaign.
    Link,
    /// `camp/links.json`: `name` is missing, blank or too long.
    Name,
    /// The bot may not make or revoke invite links in the campaign's chat.
    Rights,
    /// `camp/add.json`, `camp/edit.json`: `join_requests` is not a policy.
    Policy,
    /// `leads/approve.json`, `leads/decline.json`: the lead is not held.
    Held,
    /// `leads/approve.json`, `leads/decline.json`: an answer to the lead's
    /// request is queued already.
    Deciding,
}

impl ErrorCode {
    /// The codes any endpoint can answer, in the order they are checked
    /// (`conventions.md`); `db` can come at any step.
    pub const COMMON: [ErrorCode; 5] = [
        ErrorCode::Func,
        ErrorCode::Request,
        ErrorCode::Key,
        ErrorCode::Ban,
        ErrorCode::Db,
    ];

    /// Every code, for documents and tests that must cover them all.
    pub const ALL: [ErrorCode; 33] = [
        ErrorCode::Func,
        ErrorCode::Request,
        ErrorCode::Key,
        ErrorCode::Ban,
        ErrorCode::Db,
        ErrorCode::Token,
        ErrorCode::Exists,
        ErrorCode::Webhook,
        ErrorCode::Unreachable,
        ErrorCode::Id,
        ErrorCode::Bot,
        ErrorCode::Chat,
        ErrorCode::Welcome,
        ErrorCode::Button,
        ErrorCode::Unsub,
        ErrorCode::Campaign,
        ErrorCode::Status,
        ErrorCode::From,
        ErrorCode::To,
        ErrorCode::Limit,
        ErrorCode::Offset,
        ErrorCode::Action,
        ErrorCode::Paid,
        ErrorCode::Postback,
        ErrorCode::Lead,
        ErrorCode::State,
        ErrorCode::Mode,
        ErrorCode::Link,
        ErrorCode::Name,
        ErrorCode::Rights,
        ErrorCode::Policy,
        ErrorCode::Held,
        ErrorCode::Deciding,
    ];

    /// What the code tells a client, for the API reference.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::Func => "unknown endpoint path, or the wrong method for it",
            ErrorCode::Request => {
                "the body is over 64 KiB, or cannot be parsed as its content type says \
                 (a non-empty body must be a JSON object or a UTF-8 form)"
            }
            ErrorCode::Key => {
                "the API key is missing, malformed or not valid (also a rotated-out key)"
            }
            ErrorCode::Ban => "the account is suspended",
            ErrorCode::Db => "the database failed; retry later",
            ErrorCode::Token => {
                "the token is missing, does not look like a Bot API token, \
                 or Telegram rejected it"
            }
            ErrorCode::Exists => "this bot is already connected to a different account",
            ErrorCode::Webhook => {
                "the token is valid but webhook registration failed; nothing was changed"
            }
            ErrorCode::Unreachable => {
                "Telegram could not be reached, timed out or failed; nothing was changed"
            }
            ErrorCode::Id => {
                "the `id` parameter is missing, not a positive integer, unknown, \
                 or belongs to another account"
            }
            ErrorCode::Bot => {
                "`bot` is missing, not a positive integer, unknown, another account's, \
                 or deleted"
            }
            ErrorCode::Chat => {
                "`chat` is missing, not an integer, or not a chat `bots/chats.json` \
                 offers for that bot"
            }
            ErrorCode::Welcome => {
                "`welcome` is missing, not a string, blank, over 4096 characters, or legacy \
                 Markdown that Telegram would refuse (an entity opened and never closed)"
            }
            ErrorCode::Button => {
                "`button_text` and `button_url` are not both given or both empty, the text \
                 is over 64 characters, or the URL is not an http or https URL with a host"
            }
            ErrorCode::Unsub => "`unsub_window` is not an integer of seconds >= 0",
            ErrorCode::Campaign => {
                "`campaign` is not a positive integer, unknown, or another account's campaign"
            }
            ErrorCode::Status => "`status` is not a lead status (0 to 4)",
            ErrorCode::From => "`from` is not Unix seconds (an integer >= 0)",
            ErrorCode::To => {
                "`to` is not Unix seconds, or (stats) before `from` or more than 366 days after it"
            }
            ErrorCode::Limit => "`limit` is not an integer from 1 to 200",
            ErrorCode::Offset => "`offset` is not an integer >= 0",
            ErrorCode::Action => "`action` is not one of join, leave, kick, request, start, block",
            ErrorCode::Paid => "`paid` is not 0 or 1",
            ErrorCode::Postback => {
                "a `pb_*` template is not a string, not an http or https URL with a host, over \
                 2048 characters, or its host is an IP address in a blocked range"
            }
            ErrorCode::Lead => {
                "`lead` is not a positive integer, unknown, or another account's lead"
            }
            ErrorCode::State => "`state` is not one of pending, sent, failed",
            ErrorCode::Mode => "`link_mode` is not one of none, join, request",
            ErrorCode::Link => {
                "`revoke` is not a positive integer, or not an extra link of that campaign \
                 (the link of its mode changes through `link_mode` of `camp/edit.json`)"
            }
            ErrorCode::Name => "`name` is missing, not a string, blank, or over 32 characters",
            ErrorCode::Rights => {
                "Telegram refused to make or revoke the invite link: the bot is not an \
                 administrator of the chat with the right to invite users (or it left the \
                 chat, or its token was revoked); nothing was changed"
            }
            ErrorCode::Policy => {
                "`join_requests` is not one of manual, approve, after_welcome, decline"
            }
            ErrorCode::Held => "the lead is not held: it has no join request waiting to be decided",
            ErrorCode::Deciding => {
                "an answer to the lead's join request is queued already; its outcome is in \
                 `leads/get.json`"
            }
        }
    }

    /// The word clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Func => "func",
            ErrorCode::Request => "request",
            ErrorCode::Key => "key",
            ErrorCode::Ban => "ban",
            ErrorCode::Db => "db",
            ErrorCode::Token => "token",
            ErrorCode::Exists => "exists",
            ErrorCode::Webhook => "webhook",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::Id => "id",
            ErrorCode::Bot => "bot",
            ErrorCode::Chat => "chat",
            ErrorCode::Welcome => "welcome",
            ErrorCode::Button => "button",
            ErrorCode::Unsub => "unsub",
            ErrorCode::Campaign => "campaign",
            ErrorCode::Status => "status",
            ErrorCode::From => "from",
            ErrorCode::To => "to",
            ErrorCode::Limit => "limit",
            ErrorCode::Offset => "offset",
            ErrorCode::Action => "action",
            ErrorCode::Paid => "paid",
            ErrorCode::Postback => "postback",
            ErrorCode::Lead => "lead",
            ErrorCode::State => "state",
            ErrorCode::Mode => "mode",
            ErrorCode::Link => "link",
            ErrorCode::Name => "name",
            ErrorCode::Rights => "rights",
            ErrorCode::Policy => "policy",
            ErrorCode::Held => "held",
            ErrorCode::Deciding => "deciding",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// By value, so that handlers use `?` on every service's error.
impl From<StoreError> for ErrorCode {
    /// A database failure is logged here, once, with its whole cause chain;
    /// the client only learns `db`.
    fn from(err: StoreError) -> Self {
        error!(error = %format!("{:#}", err.0), "database failure");
        ErrorCode::Db
    }
}

impl From<AuthError> for ErrorCode {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Key => ErrorCode::Key,
            AuthError::Banned => ErrorCode::Ban,
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<AddBotError> for ErrorCode {
    fn from(err: AddBotError) -> Self {
        match err {
            AddBotError::Malformed | AddBotError::Rejected => ErrorCode::Token,
            AddBotError::Unreachable => ErrorCode::Unreachable,
            AddBotError::Exists => ErrorCode::Exists,
            AddBotError::Webhook => ErrorCode::Webhook,
            AddBotError::Store(store) => store.into(),
        }
    }
}

impl From<ChatsError> for ErrorCode {
    fn from(err: ChatsError) -> Self {
        match err {
            ChatsError::UnknownBot => ErrorCode::Id,
            ChatsError::Store(store) => store.into(),
        }
    }
}

impl From<DeleteBotError> for ErrorCode {
    fn from(err: DeleteBotError) -> Self {
        match err {
            DeleteBotError::UnknownBot => ErrorCode::Id,
            DeleteBotError::Store(store) => store.into(),
        }
    }
}

impl From<AddCampaignError> for ErrorCode {
    fn from(err: AddCampaignError) -> Self {
        match err {
            AddCampaignError::Bot => ErrorCode::Bot,
            AddCampaignError::Chat => ErrorCode::Chat,
            AddCampaignError::Settings(which) => which.into(),
            AddCampaignError::Link(failure) => failure.into(),
            AddCampaignError::Store(store) => store.into(),
        }
    }
}

impl From<CampaignIdError> for ErrorCode {
    fn from(err: CampaignIdError) -> Self {
        match err {
            CampaignIdError::Unknown => ErrorCode::Id,
            CampaignIdError::Unreachable => ErrorCode::Unreachable,
            CampaignIdError::Store(store) => store.into(),
        }
    }
}

impl From<SettingsError> for ErrorCode {
    fn from(err: SettingsError) -> Self {
        match err {
            SettingsError::Welcome => ErrorCode::Welcome,
            SettingsError::Button => ErrorCode::Button,
            SettingsError::Unsub => ErrorCode::Unsub,
            SettingsError::Postback => ErrorCode::Postback,
            SettingsError::LinkMode => ErrorCode::Mode,
            SettingsError::JoinRequests => ErrorCode::Policy,
        }
    }
}

impl From<DecideError> for ErrorCode {
    fn from(err: DecideError) -> Self {
        match err {
            DecideError::Unknown => ErrorCode::Id,
            DecideError::Refused(DecideRefusal::NotHeld) => ErrorCode::Held,
            DecideError::Refused(DecideRefusal::AlreadyDeciding) => ErrorCode::Deciding,
            DecideError::Store(store) => store.into(),
        }
    }
}

impl From<LinkFailure> for ErrorCode {
    fn from(failure: LinkFailure) -> Self {
        match failure {
            LinkFailure::Rights => ErrorCode::Rights,
            LinkFailure::Unreachable => ErrorCode::Unreachable,
        }
    }
}

impl From<LinkError> for ErrorCode {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::Unknown => ErrorCode::Id,
            LinkError::Name => ErrorCode::Name,
            LinkError::Link => ErrorCode::Link,
            LinkError::Telegram(failure) => failure.into(),
            LinkError::Store(store) => store.into(),
        }
    }
}

impl From<EditCampaignError> for ErrorCode {
    fn from(err: EditCampaignError) -> Self {
        match err {
            EditCampaignError::Unknown => ErrorCode::Id,
            EditCampaignError::Settings(which) => which.into(),
            EditCampaignError::Link(failure) => failure.into(),
            EditCampaignError::Store(store) => store.into(),
        }
    }
}

impl From<ProfileError> for ErrorCode {
    fn from(err: ProfileError) -> Self {
        match err {
            ProfileError::Postback => ErrorCode::Postback,
            // Authenticated a moment ago and gone now: the key no longer works.
            ProfileError::Unknown => ErrorCode::Key,
            ProfileError::Store(store) => store.into(),
        }
    }
}
