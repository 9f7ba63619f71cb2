//! Logs: JSON lines with `log.format = "json"`, every line of a request
//! carrying its request id, `RUST_LOG`-style filtering.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind};
use usher_tests::{TestDb, UsherProcess, cli_account, fast_sandbox, settings_env, test_settings};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let sandbox = usher_sandbox::start(fast_sandbox()).await.unwrap();
    let db = TestDb::new();
    let settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    let mut env = settings_env(&settings);
    env.push(("USHER__LOG__FORMAT".into(), "json".into()));
    let mut server = UsherProcess::serve(Path::new(BIN), &env, "info,actix_server=warn");
    let key = cli_account(Path::new(BIN), &db.url);
    let bot = sandbox.create_bot("logbot", "Log", None);
    sandbox.add_fault(
        Fault::on(
            "getMe",
            FaultKind::Error {
                status: 429,
                description: "Too Many Requests: retry after 1".into(),
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    let http = reqwest::Client::new();
    for _ in 0..2 {
        http.post(format!("{}/api/bots/add.json", server.base_url()))
            .query(&[("id", &key)])
            .json(&json!({ "token": bot.token }))
            .send()
            .await
            .unwrap();
    }
    server.terminate();

    let lines: Vec<Value> = server
        .output()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let in_requests: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["span"]["name"] == "request" || l["spans"].as_array().is_some_and(|s| !s.is_empty())
        })
        .collect();
    assert!(in_requests.len() >= 3, "{lines:?}");
    let mut ids = HashSet::new();
    for line in &in_requests {
        let id = line["spans"][0]["request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no request id: {line}"));
        ids.insert(id.to_owned());
    }
    assert_eq!(ids.len(), 2, "one id per request");
    assert!(
        in_requests
            .iter()
            .any(|l| l["message"] == "getMe failed" && l["level"] == "WARN"),
        "the failure is logged within its request"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["target"].as_str() != Some("actix_server::worker")),
        "RUST_LOG filters per target"
    );
    sandbox.stop().await;
}
