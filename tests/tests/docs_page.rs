//! `GET /docs`: the API reference renders in a real browser (Debian's
//! headless Chromium) with every host but loopback unresolvable, so it
//! cannot lean on a CDN, and it lists the bots endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::process::Stdio;
use std::time::Duration;

use usher_tests::{TestApp, chromium};

/// The DOM of `url` once its scripts ran (up to 20 s of virtual time).
async fn rendered_dom(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("usher-chromium-{}", rand::random::<u64>()));
    let run = tokio::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            // No name resolves: an asset from the internet cannot load.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            url,
        ])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("Chromium finished within 2 minutes")
        .expect("Chromium ran");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_page_renders_offline_and_lists_the_bots_endpoints() {
    let app = TestApp::start().await;
    let dom = rendered_dom(&format!("{}/docs", app.api.base())).await;

    assert!(
        dom.contains("swagger-ui"),
        "Swagger UI mounted: {dom:.2000}"
    );
    for (path, summary) in [
        ("/api/bots/list.json", "List bots"),
        ("/api/bots/add.json", "Connect a bot"),
        ("/api/bots/chats.json", "List admin chats"),
        ("/api/bots/del.json", "Disconnect a bot"),
    ] {
        assert!(
            dom.contains(&format!("data-path=\"{path}\"")),
            "{path} rendered as an operation"
        );
        assert!(dom.contains(summary), "{summary} rendered");
    }
    assert!(
        !dom.contains("Failed to load API definition"),
        "the document loaded"
    );
}

/// "Try it out" works with the Bearer key: Chromium, driven over the
/// DevTools protocol, authorizes on the page, then runs a read and a write
/// from it.
#[tokio::test(flavor = "multi_thread")]
async fn try_it_out_runs_a_read_and_a_write_with_the_bearer_key() {
    let app = TestApp::start().await;
    let account = app.account().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/swagger_try_it.py");
    let run = tokio::process::Command::new(usher_tests::python_tool("python3"))
        .arg(script)
        .arg(chromium())
        .arg(format!("{}/docs/", app.api.base()))
        .arg(&account.key)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the browser session finished within 2 minutes")
        .expect("the browser session ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read = stdout
        .lines()
        .find(|l| l.starts_with("READ"))
        .unwrap_or_default();
    assert!(read.contains("\"ok\""), "the read answered ok: {stdout}");
    let written = app
        .api
        .get("/api/profile/info.json", &account.key, &[])
        .await;
    assert_eq!(
        written["data"]["pb_wait"], "https://tracker.example/pb?subid={click}",
        "the write from the page took effect: {stdout}"
    );
}
