//! The actix-web adapter: usher's JSON API (`/api/...`) under the
//! conventions of `conventions.md`.
//!
//! Every answer on `/api/` is HTTP 200 with a JSON envelope, whatever
//! happened: handlers answer through [`envelope`], unknown paths and methods
//! answer `func`, and anything actix itself rejects is rewritten by
//! [`json_errors`] into the envelope.

pub mod api;
pub mod call;
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
mod state;
pub mod webhook;

use actix_web::http::Method;
use actix_web::web;

pub use call::BODY_LIMIT;
pub use error_code::ErrorCode;
pub use request_log::RequestLog;
pub use state::AppState;

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
