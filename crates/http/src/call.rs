//! Reading one API call: body, then key, then account, in the order of
//! `conventions.md` (`request`, `key`, `ban`), before any endpoint check.
//! [`ApiCall`] is an actix extractor, so a handler that takes one starts
//! only once the call is read and authenticated; a call that fails here is
//! answered with its [`ErrorCode`] and never reaches the handler.

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use usher_domain::{AccountId, ApiKey};

use crate::params::{ParamValue, Params, form_pairs};
use crate::{AppState, ErrorCode};

/// Largest request body the API reads (`conventions.md`).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Past this much, an oversized body is no longer drained before answering
/// `request`; the connection is closed instead.
const DRAIN_LIMIT: usize = 8 * 1024 * 1024;

/// An authenticated call and its parameters.
pub struct ApiCall {
    /// The caller's account.
    pub account: AccountId,
    /// The endpoint's parameters (the key itself is not among them).
    pub(crate) params: Params,
}

impl FromRequest for ApiCall {
    type Error = ErrorCode;
    type Future = LocalBoxFuture<'static, Result<Self, ErrorCode>>;

    /// A `POST` reads its body; any other method (the router lets only the
    /// endpoint's own verb through) reads the query string.
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            // The state is registered with the app; missing, it is a bug of
            // the wiring, answered like any internal failure.
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or(ErrorCode::Db)?;
            if req.method() == Method::POST {
                post(&req, payload, &state).await
            } else {
                get(&req, &state).await
            }
        })
    }
}

/// A GET call: parameters from the query string.
async fn get(req: &HttpRequest, state: &AppState) -> Result<ApiCall, ErrorCode> {
    let query = Query::parse(req)?;
    let account = authenticate(req, &query, state).await?;
    let params = Params::from_pairs(
        query
            .params
            .into_iter()
            .map(|(k, v)| (k, ParamValue::Text(v)))
            .collect(),
    );
    Ok(ApiCall { account, params })
}

/// A POST call: parameters from the body (JSON or form); the query string
/// only carries the key.
async fn post(req: &HttpRequest, payload: Payload, state: &AppState) -> Result<ApiCall, ErrorCode> {
    let body = read_body(req, payload).await?;
    let params = parse_body(req, &body)?;
    let query = Query::parse(req)?;
    let account = authenticate(req, &query, state).await?;
    Ok(ApiCall { account, params })
}

/// The query string split into key-shaped `id` values and the rest.
struct Query {
    keys: Vec<String>,
    params: Vec<(String, String)>,
}

impl Query {
    fn parse(req: &HttpRequest) -> Result<Self, ErrorCode> {
        let pairs = form_pairs(req.query_string()).map_err(|_| ErrorCode::Request)?;
        let (keys, params) = pairs
            .into_iter()
            .partition::<Vec<_>, _>(|(k, v)| k == "id" && ApiKey::looks_like_key(v));
        Ok(Self {
            keys: keys.into_iter().map(|(_, v)| v).collect(),
            params,
        })
    }
}

/// The key a request presents: a key-shaped `id` in the query string if
/// there is one, else `Authorization: Bearer`. Two different keys in the
/// query present none.
fn presented_key(req: &HttpRequest, query: &Query) -> Option<ApiKey> {
    if let Some(first) = query.keys.first() {
        if query.keys.iter().any(|k| k != first) {
            return None;
        }
        return ApiKey::parse(first);
    }
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    ApiKey::parse(key.trim())
}

async fn authenticate(
    req: &HttpRequest,
    query: &Query,
    state: &AppState,
) -> Result<AccountId, ErrorCode> {
    let key = presented_key(req, query);
    state
        .accounts
        .authenticate(key.as_ref())
        .await
        .map_err(ErrorCode::from)
}

/// Reads at most [`BODY_LIMIT`] bytes; a larger body is `request`.
async fn read_body(req: &HttpRequest, mut payload: Payload) -> Result<BytesMut, ErrorCode> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT) {
        return Err(ErrorCode::Request);
    }
    let mut body = BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ErrorCode::Request)?;
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            return Err(ErrorCode::Request);
        }
        if seen <= BODY_LIMIT {
            body.extend_from_slice(&chunk);
        }
    }
    // The rest was drained (not kept) so the client can read the answer.
    if seen > BODY_LIMIT {
        return Err(ErrorCode::Request);
    }
    Ok(body)
}

/// Parameters from a body, by its content type. An empty body carries no
/// parameters whatever its type; any other type is `request`.
fn parse_body(req: &HttpRequest, body: &[u8]) -> Result<Params, ErrorCode> {
    if body.is_empty() {
        return Ok(Params::default());
    }
    let mime = req.content_type().to_ascii_lowercase();
    let parsed = if mime == "application/json" || mime.ends_with("+json") {
        Params::from_json(body)
    } else if mime == "application/x-www-form-urlencoded" {
        Params::from_form(body)
    } else {
        return Err(ErrorCode::Request);
    };
    parsed.map_err(|_| ErrorCode::Request)
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test, web};

    use super::ApiCall;
    use crate::ErrorCode;

    /// A server wired without its services answers `db` in the envelope
    /// (HTTP 200, the code in the extensions for the log), not a panic or
    /// a 500, and the handler never runs.
    #[actix_web::test]
    async fn a_call_without_the_services_wired_answers_db() {
        let app = test::init_service(App::new().route(
            "/api/x.json",
            web::get().to(|_call: ApiCall| async { HttpResponse::NoContent().finish() }),
        ))
        .await;
        let request = test::TestRequest::get().uri("/api/x.json").to_request();
        let res = test::call_service(&app, request).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.response().extensions().get::<ErrorCode>(),
            Some(&ErrorCode::Db)
        );
        let body = test::read_body(res).await;
        assert_eq!(body, r#"{"status":"error","error":"db"}"#.as_bytes());
    }
}
