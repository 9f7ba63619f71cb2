//! `GET /api/openapi.json`: the document the server serves describes exactly
//! the routes it has, and each documented route reaches its handler.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::BTreeSet;

use reqwest::{Method, redirect};
use serde_json::{Value, json};
use usher_tests::{TestApp, error_of, python_tool};

const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// (method, path) of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

/// `GET /api/openapi.json`: HTTP 200, JSON.
async fn document(app: &TestApp) -> Value {
    let res = app
        .api
        .http()
        .get(format!("{}/api/openapi.json", app.api.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_served_document_is_openapi_3_1_and_lists_exactly_the_servers_routes() {
    let app = TestApp::start().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");

    let served: BTreeSet<_> = usher_http::routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect();
    assert_eq!(operations(&doc), served);
    for path in [
        "/api/bots/list.json",
        "/api/bots/add.json",
        "/api/bots/chats.json",
        "/api/bots/del.json",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_served_document_passes_an_openapi_3_1_validator() {
    let app = TestApp::start().await;
    let file = std::env::temp_dir().join(format!("usher-openapi-{}.json", rand::random::<u64>()));
    std::fs::write(&file, document(&app).await.to_string()).unwrap();
    let output = tokio::process::Command::new(python_tool("openapi-spec-validator"))
        .args(["--schema", "3.1", "--validation-errors", "all"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_in_the_served_document_validates_against_its_schema() {
    let app = TestApp::start().await;
    let file = std::env::temp_dir().join(format!("usher-examples-{}.json", rand::random::<u64>()));
    std::fs::write(&file, document(&app).await.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/check_examples.py");
    let output = tokio::process::Command::new(python_tool("python3"))
        .arg(script)
        .arg(&file)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("examples validate"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_reaches_its_handler() {
    let app = TestApp::start().await;
    let account = app.account().await;
    let (_, bot) = app.connected_bot(&account, "docbot").await;
    let doc = document(&app).await;
    let http = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();

    for (method, path) in operations(&doc) {
        let url = format!(
            "{}{}",
            app.api.base(),
            path.replace("{bot}", &bot.to_string())
                .replace("{file}", "index.html")
        );
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let res = http
            .request(method.clone(), &url)
            .bearer_auth(&account.key)
            .header("X-Telegram-Bot-Api-Secret-Token", "not-the-secret")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let content_type = header("content-type");
        let location = header("location");
        let body = res.bytes().await.unwrap();
        let expected = match path.as_str() {
            "/docs" => 308,
            "/telegram/webhook/{bot}" => 401, // the handler checked the secret
            _ => 200,
        };
        assert_eq!(status, expected, "{method} {path}");
        if path.starts_with("/api/") && path != "/api/openapi.json" {
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_ne!(error_of(&body), Some("func"), "{method} {path}: {body}");
            let other = if method == Method::GET {
                Method::POST
            } else {
                Method::GET
            };
            // A path may serve both (camp/links.json reads and writes);
            // then each is checked on its own turn.
            if doc["paths"][path.as_str()]
                .get(other.as_str().to_lowercase())
                .is_some()
            {
                continue;
            }
            let body: Value = http
                .request(other.clone(), &url)
                .bearer_auth(&account.key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(error_of(&body), Some("func"), "{other} {path}");
        }
        if path == "/docs" {
            assert_eq!(location.as_deref(), Some("/docs/"), "{path}");
        }
        if path == "/docs/{file}" {
            assert_eq!(content_type.as_deref(), Some("text/html"), "{path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undocumented_path_is_not_served() {
    let app = TestApp::start().await;
    let account = app.account().await;
    for path in ["/api/bots/nope.json", "/api/openapi.yaml", "/doc", "/api"] {
        let body = app.api.get(path, &account.key, &[]).await;
        assert_eq!(error_of(&body), Some("func"), "{path}: {body}");
    }
    let missing = app
        .api
        .http()
        .get(format!("{}/docs/no-such-file.js", app.api.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404, "an unknown reference asset");
    let res = app
        .api
        .http()
        .post(format!("{}/api/openapi.json", app.api.base()))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_of(&body), Some("func"), "POST to the document");
}
