//! Bot API parameters: "query string, application/x-www-form-urlencoded,
//! application/json or multipart/form-data" (Bot API, Making requests).
//! Every value is kept as JSON; form and multipart values are strings, and
//! JSON-serialized arrays in them (e.g. `allowed_updates`) are read later.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::header;
use serde_json::Value;

/// The parameters of one call, by name.
pub(crate) type Params = HashMap<String, Value>;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) struct BadBody;

/// Query-string parameters, then body parameters (which win).
pub(crate) fn read(req: &HttpRequest, body: &[u8]) -> Result<Params, BadBody> {
    let mut params: Params = url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    if body.is_empty() {
        return Ok(params);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => {
            let value: Value = serde_json::from_slice(body).map_err(|_| BadBody)?;
            let Value::Object(map) = value else {
                return Err(BadBody);
            };
            params.extend(map);
        }
        "application/x-www-form-urlencoded" => {
            params.extend(
                url::form_urlencoded::parse(body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))),
            );
        }
        "multipart/form-data" => {
            let boundary = boundary(&content_type).ok_or(BadBody)?;
            params.extend(multipart_fields(body, &boundary)?);
        }
        _ => return Err(BadBody),
    }
    Ok(params)
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|part| {
        let (name, value) = part.trim().split_once('=')?;
        name.eq_ignore_ascii_case("boundary")
            .then(|| value.trim_matches('"').to_owned())
    })
}

/// The text fields of a multipart body (files are not needed here).
fn multipart_fields(body: &[u8], boundary: &str) -> Result<Vec<(String, Value)>, BadBody> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    for part in text.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, value) = part.split_once("\r\n\r\n").ok_or(BadBody)?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let name = head
            .lines()
            .find(|line| line.to_ascii_lowercase().starts_with("content-disposition"))
            .and_then(|line| {
                line.split(';').find_map(|p| {
                    let (k, v) = p.trim().split_once('=')?;
                    (k == "name").then(|| v.trim_matches('"').to_owned())
                })
            })
            .ok_or(BadBody)?;
        fields.push((name, Value::String(value.to_owned())));
    }
    Ok(fields)
}

/// A parameter as a string (a JSON string, or a number's digits).
pub(crate) fn string(params: &Params, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A parameter as an integer.
pub(crate) fn integer(params: &Params, name: &str) -> Option<i64> {
    match params.get(name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A parameter as a boolean (`true`/`false`, also as strings).
pub(crate) fn boolean(params: &Params, name: &str) -> bool {
    match params.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        _ => false,
    }
}
