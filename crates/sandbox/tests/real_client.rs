//! A real Bot API client library, aiogram 3 from PyPI (installed by
//! `scripts/ensure-test-tools.sh`), runs a whole session against the
//! sandbox: every method the sandbox serves, and every update it delivers
//! parsed by the library's own strict `Update` type.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;
use std::time::Duration;

use usher_sandbox::{SandboxOptions, start};

/// Every Bot API method the sandbox implements, as its call log names them.
const SERVED: [&str; 13] = [
    "getme",
    "setwebhook",
    "deletewebhook",
    "getwebhookinfo",
    "getupdates",
    "getchat",
    "getchatmember",
    "approvechatjoinrequest",
    "declinechatjoinrequest",
    "createchatinvitelink",
    "editchatinvitelink",
    "revokechatinvitelink",
    "sendmessage",
];

fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/ensure-test-tools.sh",
        python.display()
    );
    python
}

#[tokio::test(flavor = "multi_thread")]
async fn aiogram_drives_every_method_and_parses_every_update() {
    let sb = start(SandboxOptions::default()).await.unwrap();
    let bot = sb.create_bot("trackbot", "Track", None);
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/real_client/aiogram_session.py");
    let run = tokio::process::Command::new(python())
        .arg(&script)
        .arg(sb.api_url())
        .arg(&bot.token)
        .arg(bot.id.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the aiogram session finished")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("aiogram session ok: 13 updates parsed"),
        "{stdout}"
    );
    let called: Vec<String> = sb.calls().into_iter().map(|c| c.method).collect();
    for method in SERVED {
        assert!(
            called.iter().any(|c| c == method),
            "{method} not called: {called:?}"
        );
    }
    assert_eq!(
        sb.messages(bot.id).len(),
        3,
        "the three messages aiogram sent"
    );
}
