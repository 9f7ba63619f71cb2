//! `POST /telegram/webhook/{bot id}`: where Telegram delivers a bot's
//! updates. Not part of the JSON API: it answers with real HTTP statuses,
//! because Telegram retries an update until it gets a 2xx.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use tracing::{error, instrument, warn};
use usher_domain::BotId;
use usher_domain::services::{IntakeError, Received};

use crate::AppState;
use crate::metrics::kind_label;

/// Header in which Telegram echoes the bot's `secret_token`.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// Largest update body read (Telegram's are a few KiB).
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Seconds Telegram is asked to wait before delivering again after a 503.
const RETRY_AFTER_S: &str = "1";

/// The webhook's path: [`usher_domain::services::WEBHOOK_PATH_PREFIX`] then our bot id.
pub const WEBHOOK: &str = "/telegram/webhook/{bot}";

/// Registers the webhook route; any other path under `/telegram` is 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/telegram")
            .app_data(web::PayloadConfig::new(WEBHOOK_BODY_LIMIT))
            .route(
                WEBHOOK.trim_start_matches("/telegram"),
                web::post().to(handle),
            )
            .default_service(web::to(HttpResponse::NotFound)),
    );
}

/// Handles one delivery: 200 (empty) once the update is committed, or was
/// already, or the bot is deleted; 401 for a wrong secret; 404 for an
/// unknown bot; 400 for a body that is not an Update; 503 with
/// `Retry-After` when the database failed or intake is full, so Telegram
/// delivers it again.
#[instrument(skip_all, fields(bot.id = %bot))]
pub async fn handle(
    req: HttpRequest,
    bot: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(bot) = bot.parse::<i64>().ok().filter(|id| *id > 0).map(BotId) else {
        return HttpResponse::NotFound().finish();
    };
    let secret = req
        .headers()
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let intake = state.intake.clone();
    // A task of its own: if Telegram hangs up, the transaction still runs
    // to its end instead of being dropped half-way.
    let outcome =
        tokio::spawn(async move { intake.receive(bot, secret.as_deref(), &body).await }).await;
    let (kind, result, response) = match outcome {
        Ok(Ok(Received::Applied(kind))) => {
            (kind_label(&kind), "applied", HttpResponse::Ok().finish())
        }
        Ok(Ok(Received::Duplicate(kind))) => {
            (kind_label(&kind), "duplicate", HttpResponse::Ok().finish())
        }
        Ok(Ok(Received::BotDeleted)) => ("unread", "bot_deleted", HttpResponse::Ok().finish()),
        Ok(Err(IntakeError::UnknownBot)) => {
            ("unread", "unknown_bot", HttpResponse::NotFound().finish())
        }
        Ok(Err(IntakeError::BadSecret)) => {
            warn!("webhook delivery with a wrong or missing secret");
            (
                "unread",
                "bad_secret",
                HttpResponse::Unauthorized().finish(),
            )
        }
        Ok(Err(IntakeError::NotAnUpdate(_))) => {
            warn!("webhook body is not an Update");
            (
                "unread",
                "not_an_update",
                HttpResponse::BadRequest().finish(),
            )
        }
        Ok(Err(IntakeError::Busy)) => ("unread", "busy", unavailable()),
        // Admission control: Telegram keeps the update and delivers it again.
        Ok(Err(IntakeError::Shed)) => ("unread", "shed", unavailable()),
        Ok(Err(IntakeError::Store(err))) => {
            error!(error = %format!("{:#}", err.0), "database failure; Telegram will retry");
            ("unread", "db", unavailable())
        }
        Err(join) => {
            error!(error = %join, "webhook task failed");
            ("unread", "failed", unavailable())
        }
    };
    metrics::counter!("webhook_updates_total", "kind" => kind, "result" => result).increment(1);
    response
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, RETRY_AFTER_S))
        .finish()
}
