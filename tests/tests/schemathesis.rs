//! Schemathesis (from PyPI) against the live service with the OpenAPI
//! document it serves: generated valid and invalid calls to every
//! operation, none answered with a 5xx, every answer matching the document
//! (status code, content type, headers, body schema).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use usher_tests::{TestApp, chat, python_tool};

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_document() {
    let app = TestApp::start().await;
    let account = app.account().await;
    // Something to find: a connected bot administering a chat, tracked by a
    // campaign, and another chat the picker offers.
    let (bot, id) = app.connected_bot(&account, "fuzzedbot").await;
    app.promote(
        bot.id,
        [-1_001_000_000_001_i64, -1_001_000_000_002].map(|id| chat(id, "Chat", "supergroup")),
    )
    .await;
    let campaign = app
        .api
        .post_json(
            "/api/camp/add.json",
            &account.key,
            json!({ "bot": id, "chat": -1_001_000_000_001_i64, "welcome": "Hi!" }),
        )
        .await;
    assert_eq!(campaign["status"], "ok", "{campaign}");

    // A directory of its own: the report, the config, and the cache
    // Schemathesis keeps in its working directory.
    let report = std::env::temp_dir().join(format!("usher-schemathesis-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&report).unwrap();
    // The webhook with a real bot id, so calls reach the secret check
    // instead of stopping at 404.
    let config = report.join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "[[operations]]\ninclude-operation-id = \"telegram.webhook\"\n\
             parameters = {{ \"path.bot\" = \"{id}\" }}\n"
        ),
    )
    .unwrap();
    let run = tokio::process::Command::new(python_tool("schemathesis"))
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/openapi.json", app.api.base()))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance",
            "--header",
            &format!("Authorization: Bearer {}", account.key),
            "--max-examples",
            "40",
            "--seed",
            "20261124",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--max-redirects",
            "0",
            "--suppress-health-check",
            "all",
            "--report",
            "junit",
            "--report-dir",
        ])
        .arg(&report)
        .current_dir(&report)
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("Schemathesis finished within 10 minutes")
        .expect("Schemathesis ran");
    let junit = std::fs::read_dir(&report)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
        .collect::<String>();
    let _ = std::fs::remove_dir_all(&report);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every operation was exercised (Schemathesis leaves out the document
    // it reads its operations from).
    let tested: std::collections::BTreeSet<String> = junit
        .split("testcase name=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        // The stateful phase (API links between operations) is one case of its own.
        .filter(|name| *name != "Stateful tests")
        .map(str::to_owned)
        .collect();
    let expected: std::collections::BTreeSet<String> = usher_http::routes()
        .into_iter()
        .filter(|(_, path)| *path != usher_http::openapi::DOCUMENT_PATH)
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert_eq!(tested, expected, "operations tested:\n{stdout}");
    assert!(
        !stdout.contains("errored"),
        "no errored operation:\n{stdout}"
    );
    assert!(
        !stdout.contains("Missing test data"),
        "every operation reached its logic:\n{stdout}"
    );
}
