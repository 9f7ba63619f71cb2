//! The control API, for tests and demos driving the sandbox over HTTP:
//!
//! | call | does |
//! |---|---|
//! | `POST /_sandbox/bots` `{"username","first_name","last_name"?}` | creates a bot; answers it with its `token` |
//! | `GET /_sandbox/bots/{id}` | the bot, with its `webhook` (url, secret_token, allowed_updates) |
//! | `POST /_sandbox/bots/{id}/token` | regenerates its token (the old one stops working) |
//! | `POST /_sandbox/bots/{id}/updates` (an Update as JSON) | queues it for delivery to the bot's webhook; answers its `update_id` |
//! | `POST /_sandbox/bots/{id}/events` (a [`SandboxEvent`] as JSON) | makes it happen (promote, demote, remove_bot, join, leave, kick, join_request, start, message, block, unblock) and queues its update |
//! | `POST /_sandbox/bots/{id}/events/batch` (a JSON array of events) | makes each happen in order; answers each one's `update_id` and `queued` |
//! | `GET /_sandbox/bots/{id}/messages` | every message the bot sent: `chat_id`, `parse_mode`, the `Message`, `sent_at_ms` |
//! | `GET /_sandbox/bots/{id}/floods` | how many calls of the bot flood control answered 429 |
//! | `GET /_sandbox/bots/{id}/attempts` | every delivery attempt, with the webhook's status |
//! | `POST /_sandbox/faults` (a [`Fault`] as JSON) | adds a fault |
//! | `DELETE /_sandbox/faults` | removes every fault |
//! | `GET /_sandbox/calls` | every Bot API call received, oldest first |
//! | `GET /_sandbox/links` | every invite link made by `createChatInviteLink`: `chat` and its `ChatInviteLink` as now (`is_revoked` after a revoke) |
//! | `POST /_sandbox/load` (a [`LoadSpec`] as JSON) | starts producing member updates at a fixed rate (open loop); answers `{"load": id}` |
//! | `GET /_sandbox/load/{id}` | that run's [`LoadReport`](crate::LoadReport): produced, delivered, production-to-2xx percentiles |

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::events::SandboxEvent;
use crate::faults::Fault;
use crate::load_runs::LoadSpec;
use crate::state::State;

/// Registers the control routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sandbox")
            .route("/bots", web::post().to(create_bot))
            .route("/bots/{id}", web::get().to(get_bot))
            .route("/bots/{id}/token", web::post().to(regenerate_token))
            .route("/bots/{id}/updates", web::post().to(send_update))
            .route("/bots/{id}/events", web::post().to(send_event))
            .route("/bots/{id}/events/batch", web::post().to(send_events))
            .route("/bots/{id}/attempts", web::get().to(attempts))
            .route("/bots/{id}/messages", web::get().to(messages))
            .route("/bots/{id}/floods", web::get().to(floods))
            .route("/faults", web::post().to(add_fault))
            .route("/faults", web::delete().to(clear_faults))
            .route("/calls", web::get().to(calls))
            .route("/links", web::get().to(links))
            .route("/load", web::post().to(start_load))
            .route("/load/{id}", web::get().to(load_report)),
    );
}

#[derive(Deserialize)]
struct NewBot {
    username: String,
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
}

async fn create_bot(state: web::Data<State>, body: web::Json<NewBot>) -> HttpResponse {
    let state = state.into_inner();
    let bot = crate::delivery::create_bot(
        &state,
        &body.username,
        &body.first_name,
        body.last_name.as_deref(),
    );
    HttpResponse::Ok().json(bot)
}

async fn get_bot(state: web::Data<State>, id: web::Path<i64>) -> HttpResponse {
    match state.bot(*id) {
        Some(bot) => HttpResponse::Ok().json(bot),
        None => HttpResponse::NotFound().json(json!({ "error": "no such bot" })),
    }
}

async fn regenerate_token(state: web::Data<State>, id: web::Path<i64>) -> HttpResponse {
    match state.regenerate_token(*id) {
        Some(token) => HttpResponse::Ok().json(json!({ "token": token })),
        None => HttpResponse::NotFound().json(json!({ "error": "no such bot" })),
    }
}

async fn add_fault(state: web::Data<State>, body: web::Json<Fault>) -> HttpResponse {
    state.add_fault(body.into_inner());
    HttpResponse::Ok().json(json!({ "ok": true }))
}

async fn clear_faults(state: web::Data<State>) -> HttpResponse {
    state.clear_faults();
    HttpResponse::Ok().json(json!({ "ok": true }))
}

async fn calls(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(state.calls())
}

/// The answer to a produced update: its id, and whether it was queued (the
/// bot's `allowed_updates` may leave its kind out).
fn queued(produced: Option<(i64, bool)>) -> HttpResponse {
    match produced {
        Some((id, queued)) => HttpResponse::Ok().json(json!({ "update_id": id, "queued": queued })),
        None => HttpResponse::NotFound().json(json!({ "error": "no such bot" })),
    }
}

async fn send_update(
    state: web::Data<State>,
    id: web::Path<i64>,
    body: web::Json<serde_json::Value>,
) -> HttpResponse {
    if !body.is_object() {
        return HttpResponse::BadRequest().json(json!({ "error": "an update is a JSON object" }));
    }
    queued(state.enqueue(*id, body.into_inner()))
}

async fn send_event(
    state: web::Data<State>,
    id: web::Path<i64>,
    body: web::Json<SandboxEvent>,
) -> HttpResponse {
    queued(body.happen(&state, *id))
}

async fn send_events(
    state: web::Data<State>,
    id: web::Path<i64>,
    body: web::Json<Vec<SandboxEvent>>,
) -> HttpResponse {
    let mut answers = Vec::with_capacity(body.len());
    for event in body.iter() {
        match event.happen(&state, *id) {
            Some((update_id, queued)) => {
                answers.push(json!({ "update_id": update_id, "queued": queued }))
            }
            None => return HttpResponse::NotFound().json(json!({ "error": "no such bot" })),
        }
    }
    HttpResponse::Ok().json(answers)
}

async fn links(state: web::Data<State>) -> HttpResponse {
    let links = state.lock().world.links();
    HttpResponse::Ok().json(links)
}

async fn attempts(state: web::Data<State>, id: web::Path<i64>) -> HttpResponse {
    HttpResponse::Ok().json(state.attempts(*id))
}

async fn messages(state: web::Data<State>, id: web::Path<i64>) -> HttpResponse {
    HttpResponse::Ok().json(state.sent(*id))
}

async fn floods(state: web::Data<State>, id: web::Path<i64>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "floods": state.floods(*id) }))
}

/// Starts an open-loop load run (see [`crate::load`](LoadSpec)): `{"load": id}`.
async fn start_load(state: web::Data<State>, body: web::Json<LoadSpec>) -> HttpResponse {
    let spec = body.into_inner();
    if spec.bots.is_empty() || spec.rate == 0 || !(spec.seconds > 0.0 && spec.seconds <= 3600.0) {
        return HttpResponse::BadRequest()
            .json(json!({ "error": "a load needs bots, a rate above 0 and 0 < seconds <= 3600" }));
    }
    if let Some(unknown) = spec.bots.iter().find(|&&bot| state.bot(bot).is_none()) {
        return HttpResponse::NotFound().json(json!({ "error": "no such bot", "bot": unknown }));
    }
    let id = crate::load::spawn(&state.into_inner(), spec);
    HttpResponse::Ok().json(json!({ "load": id }))
}

async fn load_report(state: web::Data<State>, id: web::Path<u64>) -> HttpResponse {
    match state.load_report(*id) {
        Some(report) => HttpResponse::Ok().json(report),
        None => HttpResponse::NotFound().json(json!({ "error": "no such load" })),
    }
}
