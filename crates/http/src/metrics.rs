//! `GET /metrics`: Prometheus text exposition.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use async_trait::async_trait;
use usher_domain::services::ALLOWED_UPDATES;

/// Renders the metrics, refreshing gauges that are read at scrape time
/// (pool state, bots by status) first.
#[async_trait]
pub trait MetricsSource: Send + Sync {
    /// The exposition text.
    async fn render(&self) -> String;
}

/// The metrics source the server was built with.
#[derive(Clone)]
pub struct Metrics(pub Arc<dyn MetricsSource>);

/// Where Prometheus scrapes.
pub const METRICS: &str = "/metrics";

/// Registers `/metrics`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(METRICS, web::get().to(render));
}

async fn render(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.0.render().await)
}

/// The update kinds usher asks Telegram for are counted by name; any other
/// is counted as `other`, so a new kind cannot grow the number of series
/// without bound.
pub(crate) fn kind_label(kind: &str) -> &'static str {
    ALLOWED_UPDATES
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}
