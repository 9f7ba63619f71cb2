//! Telegram's answer envelopes.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Value, json};

/// `{"ok":true,"result":...}`, with a `description` when Telegram gives one.
pub(crate) fn ok(result: Value, description: Option<&str>) -> HttpResponse {
    let mut body = json!({ "ok": true, "result": result });
    if let Some(text) = description {
        body["description"] = json!(text);
    }
    HttpResponse::Ok().json(body)
}

/// `{"ok":false,"error_code":code,"description":...}` with HTTP status `code`.
pub(crate) fn error(code: u16, description: &str, retry_after: Option<u32>) -> HttpResponse {
    let mut body = json!({ "ok": false, "error_code": code, "description": description });
    if let Some(seconds) = retry_after {
        body["parameters"] = json!({ "retry_after": seconds });
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(body)
}

/// 401 for a well-formed token no bot has.
pub(crate) fn unauthorized() -> HttpResponse {
    error(401, "Unauthorized", None)
}

/// 404 for a malformed token or a path the API does not serve.
pub(crate) fn not_found() -> HttpResponse {
    error(404, "Not Found", None)
}

/// 400 with a `Bad Request: ...` description.
pub(crate) fn bad_request(what: &str) -> HttpResponse {
    error(400, &format!("Bad Request: {what}"), None)
}

/// 429 flood control: "Too Many Requests: retry after N" with
/// `parameters.retry_after`.
pub(crate) fn too_many_requests(retry_after: u32) -> HttpResponse {
    error(
        429,
        &format!("Too Many Requests: retry after {retry_after}"),
        Some(retry_after),
    )
}

/// A Bot API error answer not yet turned into a response, for helpers that
/// check one parameter and let their caller answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    code: u16,
    description: String,
}

impl Refusal {
    /// An error with this code and full description.
    pub(crate) fn new(code: u16, description: &str) -> Self {
        Self {
            code,
            description: description.to_owned(),
        }
    }

    /// 400 `Bad Request: {what}`.
    pub(crate) fn bad_request(what: &str) -> Self {
        Self::new(400, &format!("Bad Request: {what}"))
    }
}

impl From<Refusal> for HttpResponse {
    fn from(refusal: Refusal) -> Self {
        error(refusal.code, &refusal.description, None)
    }
}
