//! `GET /healthz` (the process answers) and `GET /readyz` (the database is
//! reachable and its schema is current), for load balancers and
//! orchestrators. Outside `/api/`: real HTTP statuses, small JSON bodies.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use async_trait::async_trait;
use serde_json::json;
use tracing::warn;

/// What readiness depends on.
#[async_trait]
pub trait Readiness: Send + Sync {
    /// `Ok` when the service can serve; otherwise what is missing, as a
    /// short word (`db`, `migrations`).
    async fn ready(&self) -> Result<(), &'static str>;
}

/// The readiness check the server was built with.
#[derive(Clone)]
pub struct Health(pub Arc<dyn Readiness>);

/// Liveness: the process answers.
pub const HEALTHZ: &str = "/healthz";
/// Readiness: the database is reachable and its schema current.
pub const READYZ: &str = "/readyz";

/// Registers `/healthz` and `/readyz`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(HEALTHZ, web::get().to(healthz))
        .route(READYZ, web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(health: web::Data<Health>) -> HttpResponse {
    match health.0.ready().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(missing) => {
            warn!(missing, "not ready");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "error", "error": missing }))
        }
    }
}
