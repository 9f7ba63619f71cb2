//! An HTTP client for usher's JSON API.

use serde_json::Value;

/// Calls one usher server. Every call asserts the conventions that hold for
/// every answer: HTTP 200 and a JSON body.
#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    /// A client for the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying client, for requests of unusual shape.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `GET path?id=KEY&...query`.
    pub async fn get(&self, path: &str, key: &str, query: &[(&str, &str)]) -> Value {
        let mut pairs = vec![("id", key)];
        pairs.extend_from_slice(query);
        let req = self
            .http
            .get(format!("{}{}", self.base, path))
            .query(&pairs);
        Self::send(req).await
    }

    /// `POST path?id=KEY` with a JSON body.
    pub async fn post_json(&self, path: &str, key: &str, body: Value) -> Value {
        let req = self
            .http
            .post(format!("{}{}", self.base, path))
            .query(&[("id", key)])
            .json(&body);
        Self::send(req).await
    }

    /// `bots/add.json` with `token`, as JSON.
    pub async fn add_bot(&self, key: &str, token: &str) -> Value {
        self.post_json(
            "/api/bots/add.json",
            key,
            serde_json::json!({ "token": token }),
        )
        .await
    }

    /// `POST path?id=KEY` with a form body.
    pub async fn post_form(&self, path: &str, key: &str, form: &[(&str, &str)]) -> Value {
        let req = self
            .http
            .post(format!("{}{}", self.base, path))
            .query(&[("id", key)])
            .form(form);
        Self::send(req).await
    }

    /// Sends any request and checks the envelope conventions.
    pub async fn send(req: reqwest::RequestBuilder) -> Value {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "the API always answers HTTP 200");
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let body: Value = res.json().await.unwrap();
        let status = body["status"].as_str().unwrap_or("");
        assert!(status == "ok" || status == "error", "{body}");
        body
    }
}

/// The error code of an answer, or `None` when it succeeded.
pub fn error_of(body: &Value) -> Option<&str> {
    (body["status"] == "error").then(|| body["error"].as_str().unwrap_or("?"))
}
