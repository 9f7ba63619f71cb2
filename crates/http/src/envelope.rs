//! The JSON envelope every API answer uses: always HTTP 200.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::json;
use usher_domain::subscribers::views::Page;

use crate::ErrorCode;

/// `{"status":"ok","data":...}`, serialized straight from `data` (no
/// intermediate JSON tree).
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    #[derive(Serialize)]
    struct Envelope<T> {
        status: &'static str,
        data: T,
    }
    match serde_json::to_vec(&Envelope { status: "ok", data }) {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("application/json")
            .body(body),
        Err(_) => error(ErrorCode::Db),
    }
}

/// `{"status":"ok","total":N,"data":[...]}`: one page of a list, each row
/// as `item` shows it, and how many rows match in all; with
/// `"total_capped":true` when the page is capped (more rows match than
/// were counted, and `total` is the cap).
pub fn ok_page<'a, R, T: Serialize>(page: &'a Page<R>, item: impl Fn(&'a R) -> T) -> HttpResponse {
    #[derive(Serialize)]
    struct Envelope<T> {
        status: &'static str,
        total: i64,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        total_capped: bool,
        data: Vec<T>,
    }
    match serde_json::to_vec(&Envelope {
        status: "ok",
        total: page.total,
        total_capped: page.capped,
        data: page.rows.iter().map(item).collect(),
    }) {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("application/json")
            .body(body),
        Err(_) => error(ErrorCode::Db),
    }
}

/// `{"status":"ok"}` for an action with nothing to return.
pub fn ok_empty() -> HttpResponse {
    respond(&json!({ "status": "ok" }))
}

/// `{"status":"error","error":"<code>"}`. The code also travels in the
/// response's extensions, so the request log and metrics can count outcomes
/// (the HTTP status is always 200).
pub fn error(code: ErrorCode) -> HttpResponse {
    let mut res = respond(&json!({ "status": "error", "error": code.as_str() }));
    res.extensions_mut().insert(code);
    res
}

/// A handler or extractor that fails with a code answers the envelope
/// `{"status":"error","error":"<code>"}` with HTTP 200, so handlers return
/// `Result<HttpResponse, ErrorCode>` and use `?`.
impl ResponseError for ErrorCode {
    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }

    fn error_response(&self) -> HttpResponse {
        error(*self)
    }
}

fn respond(body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(body.to_string())
}
