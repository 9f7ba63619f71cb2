//! Two instances sharing a database never seal tokens under different
//! keys: without `secrets.token_key` each would make a key file of its own,
//! and the second one to start refuses, naming the setting, never a key.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use usher_sandbox::SandboxOptions;
use usher_tests::{TestDb, UsherProcess, free_port, settings_env, test_settings};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

fn key_file(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "usher-key-{tag}-{}-{nanos}.key",
        std::process::id()
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_instance_with_another_key_refuses_to_start() {
    let sandbox = usher_sandbox::start(SandboxOptions::default())
        .await
        .unwrap();
    let db = TestDb::new();
    let mut settings = test_settings(&db, &sandbox, "https://hooks.example.org");
    settings.secrets.token_key = None;
    let env_with = |file: &Path| {
        let mut s = settings.clone();
        s.http.listen = format!("127.0.0.1:{}", free_port());
        let mut env = settings_env(&s);
        env.push((
            "USHER__SECRETS__TOKEN_KEY_FILE".into(),
            file.display().to_string(),
        ));
        env
    };
    let (first_file, second_file) = (key_file("first"), key_file("second"));
    let mut first = UsherProcess::serve(Path::new(BIN), &env_with(&first_file), "warn");
    let refused = Command::new(BIN)
        .arg("serve")
        .args(["--config-dir", "/nonexistent"])
        .envs(env_with(&second_file))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "it must not serve:\n{text}");
    assert!(
        text.contains(
            "secrets.token_key is not the key this database's bot tokens are sealed with"
        ),
        "{text}"
    );
    let second_key = std::fs::read_to_string(&second_file).unwrap();
    let first_key = std::fs::read_to_string(&first_file).unwrap();
    assert!(!text.contains(second_key.trim()) && !text.contains(first_key.trim()));
    // Given the first one's key, a second instance starts.
    let mut shared = env_with(&second_file);
    shared.push((
        "USHER__SECRETS__TOKEN_KEY".into(),
        first_key.trim().to_owned(),
    ));
    let mut second = UsherProcess::serve(Path::new(BIN), &shared, "warn");
    let health = reqwest::Client::new()
        .get(format!("{}/healthz", second.base_url()))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    second.terminate();
    first.terminate();
    std::fs::remove_file(first_file).ok();
    std::fs::remove_file(second_file).ok();
}
