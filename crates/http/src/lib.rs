//! The actix-web adapter: usher's JSON API (`/api/...`) under the
//! conventions of `conventions.md`.
//!
//! Every answer on `/api/` is HTTP 200 with a JSON envelope, whatever
//! happened: handlers answer through [`envelope`], unknown paths and methods
//! answer `func`, and anything actix itself rejects is rewritten by
//! [`json_errors`] into the envelope.

pub mod api;
mod call;
pub mod envelope;
pub mod error_code;
#[doc(hidden)]
pub mod fuzzing;
pub mod health;
mod json_errors;
pub mod metrics;
pub mod openapi;
mod params;
mod request_log;
pub mod webhook;

use actix_web::http::Method;
use actix_web::web;
use usher_domain::services::{AccountService, BotService, CampaignService, IntakeService};

pub use error_code::ErrorCode;
pub use request_log::RequestLog;

/// Largest request body the API reads (`conventions.md`).
pub const BODY_LIMIT: usize = 64 * 1024;

/// What the handlers share: the domain services.
#[derive(Clone)]
pub struct AppState {
    /// Accounts and authentication.
    pub accounts: AccountService,
    /// The bot lifecycle.
    pub bots: BotService,
    /// Webhook intake.
    pub intake: IntakeService,
    /// Campaigns.
    pub campaigns: CampaignService,
    /// Leads, the journal and stats.
    pub subscribers: usher_domain::services::SubscriberService,
    /// The account's profile and global postback templates.
    pub profile: usher_domain::services::ProfileService,
    /// The public base URL of the service (`http.public_url`): the
    /// document's `servers`.
    pub public_url: String,
}

/// Every route [`configure`] registers, as (method, path pattern): the
/// JSON API's endpoints, the document, the reference page, the probes, the
/// metrics and the webhook. The OpenAPI document describes exactly these:
/// tests compare it with this list and with the paths of actix's own
/// resource tree.
pub fn routes() -> Vec<(Method, &'static str)> {
    let mut routes: Vec<_> = api::ENDPOINTS
        .iter()
        .map(|endpoint| (endpoint.verb.method(), endpoint.path))
        .collect();
    routes.extend([
        (Method::GET, openapi::DOCUMENT_PATH),
        (Method::GET, openapi::DOCS_PATH),
        (Method::GET, openapi::DOCS_FILES),
        (Method::GET, health::HEALTHZ),
        (Method::GET, health::READYZ),
        (Method::GET, metrics::METRICS),
        (Method::POST, webhook::WEBHOOK),
    ]);
    routes
}

/// Registers the JSON API, the Telegram webhook, the health probes, the
/// metrics, the API reference, and the `func` fallback for every other path.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(webhook::routes)
        .configure(health::routes)
        .configure(metrics::routes)
        .configure(openapi::docs_routes)
        .service(
            web::scope(api::SCOPE)
                .wrap(json_errors::handlers())
                .configure(openapi::document_route)
                .configure(api::routes)
                .default_service(web::to(api::unknown_endpoint)),
        )
        .default_service(web::to(api::unknown_endpoint));
}
