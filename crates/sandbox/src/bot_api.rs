//! `/bot<token>/<method>`: token check, faults, flood control, then the method.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use crate::envelope;
use crate::faults::FaultKind;
use crate::methods;
use crate::params;
use crate::state::State;

/// Whether `token` has a shape the Bot API server accepts at all (its
/// `ClientManager` refuses anything else before looking the bot up).
fn well_formed(token: &str) -> bool {
    let Some((id, secret)) = token.split_once(':') else {
        return false;
    };
    let id_ok = !id.is_empty()
        && !id.starts_with('0')
        && id.bytes().all(|b| b.is_ascii_digit())
        && id.parse::<i64>().is_ok_and(|n| n > 0 && n < (1 << 54));
    let secret_ok = !secret.is_empty()
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    token.len() <= 80 && id_ok && secret_ok
}

/// Every request that is not a control call.
pub(crate) async fn handle(req: HttpRequest, body: Bytes, state: web::Data<State>) -> HttpResponse {
    let path = req.path().trim_start_matches('/');
    let Some(rest) = path.strip_prefix("bot") else {
        return envelope::not_found();
    };
    let Some((token, method)) = rest.split_once('/') else {
        return envelope::not_found();
    };
    if !well_formed(token) || method.is_empty() || method.contains('/') {
        return envelope::not_found();
    }
    let method = method.to_ascii_lowercase();
    let _in_flight = state.call_started();
    let bot = state.bot_by_token(token);
    state.record_call(&method, bot.as_ref().map(|b| b.id));
    if let Some(fault) = state.take_fault(&method, bot.as_ref().map(|b| b.id)) {
        match fault.kind {
            FaultKind::Error {
                status,
                description,
                retry_after,
            } => return envelope::error(status, &description, retry_after),
            FaultKind::Delay { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
            FaultKind::Drop => return dropped(),
            FaultKind::Garbage { status } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                return HttpResponse::build(status)
                    .content_type("text/html")
                    .body("<html><body><h1>502 Bad Gateway</h1></body></html>");
            }
        }
    }
    let Some(bot) = bot else {
        return envelope::unauthorized();
    };
    if let Err(retry_after) = state.flood_check(bot.id) {
        return envelope::too_many_requests(retry_after);
    }
    let Ok(params) = params::read(&req, &body) else {
        return envelope::bad_request("can't parse request parameters");
    };
    methods::dispatch(&state, &bot, &method, &params).await
}

/// Starts a chunked answer and breaks the connection before it ends.
fn dropped() -> HttpResponse {
    let broken = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault"))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(broken)
}
