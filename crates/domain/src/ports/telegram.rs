//! The Telegram Bot API port.

use async_trait::async_trait;

use crate::subscribers::join_requests::RequestAnswer;
use crate::subscribers::{OutgoingMessage, SendFailure};
use crate::{BotProfile, BotToken, ChatId, TgBotId, WebhookSecret};

/// How a Telegram call failed. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    /// Telegram rejected the token (HTTP 401 or 404).
    #[error("telegram rejected the token: {0}")]
    Rejected(String),
    /// Telegram could not be reached, timed out, answered 5xx or 429, or
    /// answered something that is not the Bot API.
    #[error("telegram unreachable: {0}")]
    Unreachable(String),
    /// Telegram understood the call and refused it (any other API error).
    #[error("telegram refused the call: {0}")]
    Refused(String),
}

/// A member's status in a chat, as `getChatMember` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberStatus {
    /// `creator`, `administrator`, `member`, `restricted`, `left`, `kicked`.
    pub status: String,
    /// Whether that is administrator or creator.
    pub is_admin: bool,
    /// The ChatMember object (the rights).
    pub member: serde_json::Value,
}

/// The webhook to register for one bot.
#[derive(Debug, Clone)]
pub struct WebhookRegistration {
    /// The HTTPS URL Telegram will POST updates to; never contains the token.
    pub url: String,
    /// The value Telegram must echo in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: WebhookSecret,
    /// The update kinds to receive; always sent in full, because Telegram
    /// keeps a previous list when it is omitted.
    pub allowed_updates: Vec<&'static str>,
}

/// Outgoing calls to the Bot API. Every call MUST give up after the
/// configured timeout with [`TelegramError::Unreachable`].
#[async_trait]
pub trait TelegramGateway: Send + Sync {
    /// `getMe`. MUST return `Rejected` when Telegram answers 401 or 404,
    /// `Unreachable` on connect failure, timeout, 5xx, 429 or a non-JSON body.
    async fn get_me(&self, token: &BotToken) -> Result<BotProfile, TelegramError>;

    /// `setWebhook` with the URL, secret and allowed updates given.
    async fn set_webhook(
        &self,
        token: &BotToken,
        hook: &WebhookRegistration,
    ) -> Result<(), TelegramError>;

    /// `deleteWebhook`, dropping updates still pending for the bot.
    async fn delete_webhook(&self, token: &BotToken) -> Result<(), TelegramError>;

    /// `getChatMember`: the status of user `member` (here: the bot itself)
    /// in `chat`. A chat the bot cannot see is `Refused`.
    async fn member_status(
        &self,
        token: &BotToken,
        chat: ChatId,
        member: TgBotId,
    ) -> Result<MemberStatus, TelegramError>;

    /// `createChatInviteLink` in `chat`, named `name`, creating join
    /// requests or admitting at once; answers the link's URL. A bot that
    /// may not invite users there is `Refused`.
    async fn create_invite_link(
        &self,
        token: &BotToken,
        chat: ChatId,
        name: &str,
        creates_join_request: bool,
    ) -> Result<String, TelegramError>;

    /// `revokeChatInviteLink` of the link `url` in `chat`. Revoking a
    /// revoked link succeeds.
    async fn revoke_invite_link(
        &self,
        token: &BotToken,
        chat: ChatId,
        url: &str,
    ) -> Result<(), TelegramError>;

    /// `approveChatJoinRequest` or `declineChatJoinRequest` of user
    /// `user`'s request to join `chat`. Failures as
    /// [`TelegramGateway::send_message`]'s: a request that is gone (decided
    /// already, `HIDE_REQUESTER_MISSING`) is `Permanent`.
    async fn answer_join_request(
        &self,
        token: &BotToken,
        chat: ChatId,
        user: i64,
        answer: RequestAnswer,
    ) -> Result<(), SendFailure>;

    /// `sendMessage` of `message` to the private chat `chat`, with
    /// `parse_mode: Markdown` and the button as an inline keyboard. MUST
    /// answer `Permanent` for 400 and 403 (and a rejected token),
    /// `RetryAfter` for 429, `Transient` for 5xx, timeouts and connection
    /// errors.
    async fn send_message(
        &self,
        token: &BotToken,
        chat: i64,
        message: &OutgoingMessage,
    ) -> Result<(), SendFailure>;
}
