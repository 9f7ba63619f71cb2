//! The API's error codes, and the one place that maps domain errors to them.

use std::fmt;

use tracing::error;
use usher_domain::ports::StoreError;
use usher_domain::services::{
    AddBotError, AddCampaignError, AuthError, CampaignIdError, ChatsError, DeleteBotError,
};

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
    pub const ALL: [ErrorCode; 13] = [
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
                "`welcome` is missing, not a string, blank, or over 4096 characters"
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
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&StoreError> for ErrorCode {
    /// A database failure is logged here, once, with its whole cause chain;
    /// the client only learns `db`.
    fn from(err: &StoreError) -> Self {
        error!(error = %format!("{:#}", err.0), "database failure");
        ErrorCode::Db
    }
}

impl From<&AuthError> for ErrorCode {
    fn from(err: &AuthError) -> Self {
        match err {
            AuthError::Key => ErrorCode::Key,
            AuthError::Banned => ErrorCode::Ban,
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<&AddBotError> for ErrorCode {
    fn from(err: &AddBotError) -> Self {
        match err {
            AddBotError::Malformed | AddBotError::Rejected => ErrorCode::Token,
            AddBotError::Unreachable => ErrorCode::Unreachable,
            AddBotError::Exists => ErrorCode::Exists,
            AddBotError::Webhook => ErrorCode::Webhook,
            AddBotError::Store(store) => store.into(),
        }
    }
}

impl From<&ChatsError> for ErrorCode {
    fn from(err: &ChatsError) -> Self {
        match err {
            ChatsError::UnknownBot => ErrorCode::Id,
            ChatsError::Store(store) => store.into(),
        }
    }
}

impl From<&DeleteBotError> for ErrorCode {
    fn from(err: &DeleteBotError) -> Self {
        match err {
            DeleteBotError::UnknownBot => ErrorCode::Id,
            DeleteBotError::Store(store) => store.into(),
        }
    }
}

impl From<&AddCampaignError> for ErrorCode {
    fn from(err: &AddCampaignError) -> Self {
        match err {
            AddCampaignError::Bot => ErrorCode::Bot,
            AddCampaignError::Chat => ErrorCode::Chat,
            AddCampaignError::Welcome => ErrorCode::Welcome,
            AddCampaignError::Store(store) => store.into(),
        }
    }
}

impl From<&CampaignIdError> for ErrorCode {
    fn from(err: &CampaignIdError) -> Self {
        match err {
            CampaignIdError::Unknown => ErrorCode::Id,
            CampaignIdError::Store(store) => store.into(),
        }
    }
}
