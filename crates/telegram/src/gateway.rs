//! [`TelegramGateway`] with teloxide-core.

use std::time::Duration;

use async_trait::async_trait;
use teloxide_core::Bot;
use teloxide_core::payloads::{
    CreateChatInviteLinkSetters, DeleteWebhookSetters, SendMessageSetters, SetWebhookSetters,
};
use teloxide_core::requests::Requester;
use teloxide_core::types::{
    AllowedUpdate, ChatMemberStatus, InlineKeyboardButton, InlineKeyboardMarkup, ParseMode, UserId,
};
use tracing::instrument;
use url::Url;
use usher_domain::ports::{MemberStatus, TelegramError, TelegramGateway, WebhookRegistration};
use usher_domain::subscribers::join_requests::RequestAnswer;
use usher_domain::subscribers::{OutgoingMessage, SendFailure};
use usher_domain::{BotProfile, BotToken, ChatId, TgBotId};

use crate::errors::{classify, classify_send};

/// Where Telegram is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Base URL of the Bot API, without a trailing slash:
    /// `https://api.telegram.org` or a sandbox.
    pub api_url: Url,
    /// The longest any call may take.
    pub timeout: Duration,
}

/// The Telegram gateway: one shared HTTP client, one `Bot` handle per call
/// (cheap: it shares the client). A `Bot` prints its token in `Debug`, so
/// none is ever logged or kept.
pub struct TeloxideGateway {
    client: reqwest::Client,
    api_url: Url,
    timeout: Duration,
}

impl TeloxideGateway {
    /// A gateway for `settings`.
    pub fn new(settings: GatewaySettings) -> anyhow::Result<Self> {
        // The token is in every URL: no proxy from the environment may see
        // it, and no redirect may carry it to another host.
        let client = teloxide_core::net::default_reqwest_settings()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .timeout(settings.timeout)
            .build()?;
        // teloxide appends `/bot<token>/<Method>` segments: a trailing slash
        // would make a double slash.
        let mut api_url = settings.api_url;
        let trimmed = api_url.path().trim_end_matches('/').to_owned();
        api_url.set_path(&trimmed);
        Ok(Self {
            client,
            api_url,
            timeout: settings.timeout,
        })
    }

    fn bot(&self, token: &BotToken) -> Bot {
        Bot::with_client(token.expose(), self.client.clone()).set_api_url(self.api_url.clone())
    }

    /// Runs one call within the timeout. teloxide waits 10 s after a 5xx
    /// before reading it; the timeout cuts that short.
    async fn call<T, F>(
        &self,
        method: &'static str,
        token: &BotToken,
        fut: F,
    ) -> Result<T, TelegramError>
    where
        F: Future<Output = Result<T, teloxide_core::RequestError>>,
    {
        let started = std::time::Instant::now();
        let outcome = match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(classify(&err, token)),
            Err(_) => Err(TelegramError::Unreachable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        };
        let result = match &outcome {
            Ok(_) => "ok",
            Err(TelegramError::Rejected(_)) => "rejected",
            Err(TelegramError::Unreachable(_)) => "unreachable",
            Err(TelegramError::Refused(_)) => "refused",
        };
        metrics::counter!("telegram_requests_total", "method" => method, "result" => result)
            .increment(1);
        metrics::histogram!("telegram_request_duration_seconds", "method" => method, "result" => result)
            .record(started.elapsed().as_secs_f64());
        outcome
    }
}

fn allowed_update(kind: &str) -> Option<AllowedUpdate> {
    Some(match kind {
        "message" => AllowedUpdate::Message,
        "edited_message" => AllowedUpdate::EditedMessage,
        "channel_post" => AllowedUpdate::ChannelPost,
        "edited_channel_post" => AllowedUpdate::EditedChannelPost,
        "my_chat_member" => AllowedUpdate::MyChatMember,
        "chat_member" => AllowedUpdate::ChatMember,
        "chat_join_request" => AllowedUpdate::ChatJoinRequest,
        _ => return None,
    })
}

#[async_trait]
impl TelegramGateway for TeloxideGateway {
    #[instrument(skip_all, fields(bot.tg = %token.tg()))]
    async fn get_me(&self, token: &BotToken) -> Result<BotProfile, TelegramError> {
        let bot = self.bot(token);
        let request = bot.get_me();
        let me = self
            .call("getMe", token, async move { request.await })
            .await?;
        let tg = i64::try_from(me.user.id.0)
            .map_err(|_| TelegramError::Unreachable("bot id out of range".into()))?;
        Ok(BotProfile {
            tg: TgBotId(tg),
            username: me.user.username.clone().unwrap_or_default(),
            first_name: me.user.first_name.clone(),
            last_name: me.user.last_name.clone(),
        })
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg()))]
    async fn set_webhook(
        &self,
        token: &BotToken,
        hook: &WebhookRegistration,
    ) -> Result<(), TelegramError> {
        let url = Url::parse(&hook.url)
            .map_err(|_| TelegramError::Refused("webhook URL is not a URL".into()))?;
        let allowed: Vec<AllowedUpdate> = hook
            .allowed_updates
            .iter()
            .filter_map(|kind| allowed_update(kind))
            .collect();
        let bot = self.bot(token);
        let request = bot
            .set_webhook(url)
            .secret_token(hook.secret.expose().to_owned())
            .allowed_updates(allowed);
        self.call("setWebhook", token, async move { request.await })
            .await?;
        Ok(())
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg()))]
    async fn delete_webhook(&self, token: &BotToken) -> Result<(), TelegramError> {
        let bot = self.bot(token);
        let request = bot.delete_webhook().drop_pending_updates(true);
        self.call("deleteWebhook", token, async move { request.await })
            .await?;
        Ok(())
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg(), chat.id = %chat))]
    async fn member_status(
        &self,
        token: &BotToken,
        chat: ChatId,
        member: TgBotId,
    ) -> Result<MemberStatus, TelegramError> {
        let user = u64::try_from(member.0)
            .map_err(|_| TelegramError::Refused("user id out of range".into()))?;
        let bot = self.bot(token);
        let request = bot.get_chat_member(teloxide_core::types::ChatId(chat.0), UserId(user));
        let found = self
            .call("getChatMember", token, async move { request.await })
            .await?;
        let status = match found.status() {
            ChatMemberStatus::Owner => "creator",
            ChatMemberStatus::Administrator => "administrator",
            ChatMemberStatus::Member => "member",
            ChatMemberStatus::Restricted => "restricted",
            ChatMemberStatus::Left => "left",
            ChatMemberStatus::Banned => "kicked",
        };
        Ok(MemberStatus {
            status: status.to_owned(),
            is_admin: found.is_privileged(),
            member: serde_json::to_value(&found).unwrap_or(serde_json::Value::Null),
        })
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg(), chat.id = %chat))]
    async fn create_invite_link(
        &self,
        token: &BotToken,
        chat: ChatId,
        name: &str,
        creates_join_request: bool,
    ) -> Result<String, TelegramError> {
        let bot = self.bot(token);
        let request = bot
            .create_chat_invite_link(teloxide_core::types::ChatId(chat.0))
            .name(name.to_owned())
            .creates_join_request(creates_join_request);
        let link = self
            .call("createChatInviteLink", token, async move { request.await })
            .await?;
        Ok(link.invite_link)
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg(), chat.id = %chat))]
    async fn revoke_invite_link(
        &self,
        token: &BotToken,
        chat: ChatId,
        url: &str,
    ) -> Result<(), TelegramError> {
        let bot = self.bot(token);
        let request =
            bot.revoke_chat_invite_link(teloxide_core::types::ChatId(chat.0), url.to_owned());
        self.call("revokeChatInviteLink", token, async move { request.await })
            .await?;
        Ok(())
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg()))]
    async fn send_message(
        &self,
        token: &BotToken,
        chat: i64,
        message: &OutgoingMessage,
    ) -> Result<(), SendFailure> {
        let bot = self.bot(token);
        // subscribers.md fixes the legacy mode for welcomes; teloxide keeps
        // it, deprecated in favour of MarkdownV2.
        #[allow(deprecated)]
        let mut request = bot
            .send_message(teloxide_core::types::ChatId(chat), message.text.clone())
            .parse_mode(ParseMode::Markdown);
        if let Some((text, url)) = &message.button {
            let url = Url::parse(url)
                .map_err(|_| SendFailure::Permanent("the button URL is not a URL".into()))?;
            request =
                request.reply_markup(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(
                    text.clone(),
                    url,
                )]]));
        }
        self.send_call("sendMessage", token, async move { request.await.map(drop) })
            .await
    }

    #[instrument(skip_all, fields(bot.tg = %token.tg()))]
    async fn answer_join_request(
        &self,
        token: &BotToken,
        chat: ChatId,
        user: i64,
        answer: RequestAnswer,
    ) -> Result<(), SendFailure> {
        let bot = self.bot(token);
        let chat = teloxide_core::types::ChatId(chat.0);
        let user = UserId(u64::try_from(user).unwrap_or_default());
        match answer {
            RequestAnswer::Approve => {
                let request = bot.approve_chat_join_request(chat, user);
                self.send_call("approveChatJoinRequest", token, async move {
                    request.await.map(drop)
                })
                .await
            }
            RequestAnswer::Decline => {
                let request = bot.decline_chat_join_request(chat, user);
                self.send_call("declineChatJoinRequest", token, async move {
                    request.await.map(drop)
                })
                .await
            }
        }
    }
}

impl TeloxideGateway {
    /// Runs a call that delivers something to a person (a message, an
    /// answer to their request) within the timeout, with its failure
    /// classified for the outbox's retry rules and its metrics recorded.
    async fn send_call(
        &self,
        method: &'static str,
        token: &BotToken,
        call: impl std::future::Future<Output = Result<(), teloxide_core::RequestError>>,
    ) -> Result<(), SendFailure> {
        let started = std::time::Instant::now();
        let outcome = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(classify_send(&err, token)),
            Err(_) => Err(SendFailure::Transient(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        };
        let result = match &outcome {
            Ok(()) => "ok",
            Err(SendFailure::Permanent(_)) => "refused",
            Err(SendFailure::RetryAfter(_)) => "flood",
            Err(SendFailure::Transient(_)) => "unreachable",
        };
        metrics::counter!("telegram_requests_total", "method" => method, "result" => result)
            .increment(1);
        metrics::histogram!("telegram_request_duration_seconds", "method" => method, "result" => result)
            .record(started.elapsed().as_secs_f64());
        outcome
    }
}
