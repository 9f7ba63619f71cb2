//! The `usher` binary's command-line contract, run as a real process.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::process::{Command, Output};

use serde_json::Value;
use usher_sandbox::SandboxOptions;
use usher_tests::{Api, TestDb, UsherProcess, settings_env, test_settings};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

fn usher(db: &TestDb, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(["--config-dir", "/nonexistent"])
        .env("USHER__DATABASE__URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout_line(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one line: {text:?}");
    text.trim_end().to_owned()
}

async fn list(base: &str, key: &str) -> Value {
    Api::new(base.to_owned())
        .get("/api/bots/list.json", key, &[])
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_are_created_rotated_banned_and_unbanned_from_the_command_line() {
    let sandbox = usher_sandbox::start(SandboxOptions::default())
        .await
        .unwrap();
    let db = TestDb::new();
    // `account create` creates and migrates the database itself.
    let key = stdout_line(&usher(&db, &["account", "create", "--name", "Acme"]));
    let (id, secret) = key.split_once('-').unwrap();
    assert!(id.parse::<i64>().unwrap() > 0);
    assert!(secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_alphanumeric()));

    let mut settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    settings.http.listen = "127.0.0.1:0".into();
    let server = UsherProcess::serve(std::path::Path::new(BIN), &settings_env(&settings), "warn");
    let base = server.base_url();
    assert_eq!(list(&base, &key).await["status"], "ok");

    let rotated = stdout_line(&usher(&db, &["account", "rotate-key", id]));
    assert_ne!(rotated, key);
    assert_eq!(
        list(&base, &key).await["error"],
        "key",
        "the old key stops at once"
    );
    assert_eq!(list(&base, &rotated).await["status"], "ok");

    assert!(usher(&db, &["account", "ban", id]).status.success());
    assert_eq!(list(&base, &rotated).await["error"], "ban");
    assert!(usher(&db, &["account", "unban", id]).status.success());
    assert_eq!(list(&base, &rotated).await["status"], "ok");

    let missing = usher(&db, &["account", "rotate-key", "999999"]);
    assert!(!missing.status.success());
    assert!(missing.stdout.is_empty());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account 999999"));
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrations_create_the_database_once_and_agree() {
    let db = TestDb::new();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                Command::new(BIN)
                    .args(["migrate", "--config-dir", "/nonexistent"])
                    .env("USHER__DATABASE__URL", url)
                    .env("RUST_LOG", "info")
                    .output()
                    .unwrap()
            })
        })
        .collect();
    let outputs: Vec<Output> = runs.into_iter().map(|t| t.join().unwrap()).collect();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let applied = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("applied migrations"))
        .count();
    assert_eq!(
        applied, 1,
        "one process applied them, the others found them current"
    );
    let client = db.connect().await;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('accounts','bots','bot_chats')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_never_migrates_unless_asked_and_says_what_to_run() {
    let sandbox = usher_sandbox::start(SandboxOptions::default())
        .await
        .unwrap();
    let db = TestDb::new();
    let mut settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    settings.http.listen = "127.0.0.1:0".into();
    let env = settings_env(&settings);
    let serve = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .args(["--config-dir", "/nonexistent"])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    // A database that does not exist: serve refuses and creates nothing.
    let refused = serve(&["serve"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("run `usher migrate` first"), "{err}");
    assert!(!db.exists().await, "serve created no database");

    // `serve --migrate` (the quick start) migrates, then serves.
    let server = UsherProcess::start(
        std::path::Path::new(BIN),
        &["serve", "--migrate"],
        &env,
        "warn",
    );
    let key = stdout_line(&usher(&db, &["account", "create"]));
    assert_eq!(list(&server.base_url(), &key).await["status"], "ok");
    drop(server);

    // A retention shorter than exactly-once needs: refused, named.
    for (key, value, named) in [
        (
            "USHER__RETENTION__RAW_UPDATE_DAYS",
            "1",
            "retention.raw_update_days must be at least 2, not 1",
        ),
        (
            "USHER__RETENTION__MEMBER_EVENT_MONTHS",
            "0",
            "retention.member_event_months must be at least 1, not 0",
        ),
    ] {
        let short = Command::new(BIN)
            .args(["serve", "--config-dir", "/nonexistent"])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(key, value)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(!short.status.success());
        let err = String::from_utf8_lossy(&short.stderr);
        assert!(err.contains(named), "{err}");
    }

    // A database one migration behind: serve names it and refuses.
    let client = db.connect().await;
    let newest: String = client
        .query_one(
            "DELETE FROM __diesel_schema_migrations WHERE version = \
             (SELECT max(version) FROM __diesel_schema_migrations) RETURNING version",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let behind = serve(&["serve"]);
    assert!(!behind.status.success());
    let err = String::from_utf8_lossy(&behind.stderr);
    assert!(
        err.contains("schema is behind this build (1 pending"),
        "{err}"
    );
    let named = format!(
        "{}-{}-{}-{}_",
        &newest[..4],
        &newest[4..6],
        &newest[6..8],
        &newest[8..]
    );
    assert!(err.contains(&named), "{named} in {err}");
    sandbox.stop().await;
}

#[test]
fn bad_configuration_fails_with_a_clear_message() {
    let out = Command::new(BIN)
        .args(["migrate", "--config-dir", "/nonexistent"])
        .env("USHER__DATABASE__POOL_SIZE", "many")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("configuration"), "{err}");
}

#[test]
fn check_config_shows_sources_masks_secrets_and_warns_about_public_url() {
    let key = usher_store::TokenCipher::generate_key();
    let key_text = secrecy::ExposeSecret::expose_secret(&key).to_owned();
    let out = Command::new(BIN)
        .args(["check-config", "--config-dir", "/nonexistent"])
        .env(
            "USHER__DATABASE__URL",
            "postgres://usher:hunter2@db.internal:5432/usher?sslmode=prefer&password=swordfish",
        )
        .env("USHER__HTTP__PUBLIC_URL", "http://hooks.example.org:8080")
        .env("USHER__SECRETS__TOKEN_KEY", &key_text)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("database.url = postgres://usher:***@db.internal:5432/usher?sslmode=prefer&password=***    (environment USHER__DATABASE__URL)"), "{text}");
    assert!(
        text.contains("http.listen = 127.0.0.1:8080    (built-in default)"),
        "{text}"
    );
    assert!(
        text.contains(
            "secrets.token_key = <set, hidden>    (environment USHER__SECRETS__TOKEN_KEY)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "warning: http.public_url is http: Telegram delivers webhooks over HTTPS only"
        ),
        "{text}"
    );
    assert!(
        text.contains("warning: http.public_url uses port 8080"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("swordfish") && !text.contains(&key_text),
        "secrets masked"
    );

    let dir = std::env::temp_dir().join(format!("usher-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("local.toml"), "[secrets]\ntoken_key = \"too short\"\n[http]\npublic_url = \"https://hooks.example.org\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("check-config")
        .arg("--config-dir")
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!out.status.success(), "a bad key fails the check");
    assert!(
        text.contains(&format!(
            "http.public_url = https://hooks.example.org    ({})",
            dir.join("local.toml").display()
        )),
        "{text}"
    );
    assert!(text.contains("error: secrets.token_key"), "{text}");
    assert!(
        !text.contains("warning: http.public_url"),
        "HTTPS on 443 is fine: {text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn upkeep_runs_one_round_as_of_a_chosen_time_and_says_what_it_did() {
    let db = TestDb::new();
    // A database that was never migrated: upkeep refuses and says why.
    let refused = usher(&db, &["upkeep"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("usher migrate"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(usher(&db, &["migrate"]).status.success());

    // A year and a month on, every partition the migrations made is past
    // the retention and dropped; the ones around that date are made.
    let now = chrono::Utc::now();
    let later = now + chrono::Months::new(13);
    let at = later.to_rfc3339();
    let out = usher(&db, &["upkeep", "--at", &at]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let this_month = now.format("%Y-%m-01").to_string();
    let later_month = later.format("%Y-%m-01").to_string();
    let today = now.format("%Y-%m-%d").to_string();
    let later_day = later.format("%Y-%m-%d").to_string();
    for expected in [
        format!("dropped member events {this_month}"),
        format!("created member events {later_month}"),
        format!("dropped raw updates {today}"),
        format!("created raw updates {later_day}"),
    ] {
        assert!(text.lines().any(|l| l == expected), "{expected}:\n{text}");
    }
    // Once done, a second round at the same time changes nothing.
    let again = usher(&db, &["upkeep", "--at", &at]);
    assert!(again.status.success());
    assert_eq!(String::from_utf8(again.stdout).unwrap(), "");
    // A time that is not one is refused by the parser, naming the flag.
    let bad = usher(&db, &["upkeep", "--at", "yesterday"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--at"));
}

#[tokio::test(flavor = "multi_thread")]
async fn upkeep_that_cannot_have_its_lock_gives_up_names_the_step_and_exits_1() {
    let db = TestDb::new();
    assert!(usher(&db, &["migrate"]).status.success());
    // A reader of member events in a long transaction: dropping a month
    // needs the table to itself, and the upkeep waits 200 ms at most.
    let reader = db.connect().await;
    reader
        .batch_execute("BEGIN; LOCK TABLE member_events IN ACCESS SHARE MODE")
        .await
        .unwrap();
    let later = (chrono::Utc::now() + chrono::Months::new(13)).to_rfc3339();
    let out = usher(&db, &["upkeep", "--at", &later]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dropping member events"), "{err}");
    assert!(err.contains("the next round tries again"), "{err}");
    // The other series' round still ran: raw updates' days were kept up.
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("dropped raw updates")),
        "{text}"
    );
    reader.batch_execute("COMMIT").await.unwrap();
    // Once the reader is gone, the next round does what is left.
    let again = usher(&db, &["upkeep", "--at", &later]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        String::from_utf8(again.stdout)
            .unwrap()
            .contains("dropped member events")
    );
}
