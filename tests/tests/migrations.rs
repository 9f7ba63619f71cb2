//! Migrations beside live instances (issue 24): a migration that cannot
//! have its lock gives up instead of queueing writers behind it, and tries
//! again; a migration applied while intake runs at load costs no webhook
//! an error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;
use std::time::{Duration, Instant};

use usher_sandbox::{SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::{TestApp, TestDb};

fn migrations_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

/// Undoes the applied migrations whose number is `from` or more, newest
/// first, with their own down.sql; returns their versions, oldest first.
async fn revert_from(db: &tokio_postgres::Client, from: u32) -> Vec<String> {
    revert_range(db, from, u32::MAX).await
}

/// Undoes the applied migrations numbered `from` to `to`, newest first;
/// returns their versions, oldest first. The later ones stay applied.
async fn revert_range(db: &tokio_postgres::Client, from: u32, to: u32) -> Vec<String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(migrations_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("up.sql").exists())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (from..=to).contains(&name[11..17].parse::<u32>().unwrap())
        })
        .collect();
    dirs.sort();
    let mut versions = Vec::new();
    for dir in dirs.iter().rev() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let version: String = name[..17].chars().filter(char::is_ascii_digit).collect();
        db.batch_execute(&std::fs::read_to_string(dir.join("down.sql")).unwrap())
            .await
            .unwrap();
        db.execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = $1",
            &[&version],
        )
        .await
        .unwrap();
        versions.insert(0, version);
    }
    versions
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_that_cannot_have_its_lock_lets_writers_by_and_tries_again() {
    let db = TestDb::new();
    usher_store::migrate::run(&db.url).await.unwrap();
    // Migration 13 locks `leads` in SHARE mode to count it.
    let reverted = revert_from(&db.connect().await, 13).await;
    assert_eq!(reverted.len(), 9, "{reverted:?}");

    // A long writer holds `leads`.
    let holder = connect(&db.url).await;
    holder
        .batch_execute("BEGIN; LOCK TABLE leads IN ROW EXCLUSIVE MODE")
        .await
        .unwrap();
    let url = db.url.clone();
    let migration = tokio::spawn(async move { usher_store::migrate::run(&url).await });
    // Wait until the migration waits for its lock.
    let watcher = db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                 WHERE NOT l.granted AND c.relname = 'leads'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the migration never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another writer comes: it queues behind the waiting migration, which
    // gives up within its lock timeout and lets it by, while the first
    // writer still holds the table.
    let writer = connect(&db.url).await;
    tokio::time::timeout(
        Duration::from_secs(15),
        writer.batch_execute("BEGIN; LOCK TABLE leads IN ROW EXCLUSIVE MODE; COMMIT"),
    )
    .await
    .expect("the writer waited behind the migration until the first writer ended")
    .unwrap();
    assert!(!migration.is_finished(), "the migration cannot be done yet");
    holder.batch_execute("COMMIT").await.unwrap();
    let applied = migration.await.unwrap().unwrap();
    assert_eq!(applied, reverted, "tried again and applied them all");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_under_intake_load_costs_no_webhook_an_error() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, _) = app.connected_bot(&acc, "loadedbot").await;
    let db = app.db.connect().await;
    // The table before partitioning, with rows, so that the index build
    // takes a while.
    db.batch_execute(
        "INSERT INTO updates (bot_id, update_id, kind, payload, received_at) \
         SELECT (SELECT id FROM bots LIMIT 1), g, 'chat_member', '{}', now() - g * interval '1 second' \
         FROM generate_series(1, 200000) g",
    )
    .await
    .unwrap();
    // Migration 15 builds an index concurrently; 16 renames member_events
    // away and puts the partitioned table in its place while intake writes
    // it; 17 adds a column to the campaigns intake reads. The later ones
    // stay: this build's intake reads their columns (a build that serves
    // beside a schema before its own migrations is not a deploy usher
    // makes: `serve` refuses it).
    let reverted = revert_range(&db, 15, 17).await;
    assert_eq!(reverted.len(), 3);

    let room = SandboxChat {
        id: -100_900,
        title: "Busy".into(),
        kind: "channel".into(),
    };
    let sandbox = app.sandbox.clone();
    let producer = tokio::spawn(async move {
        let mut sent = 0;
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            for n in 0..20 {
                let user = SandboxUser::new(10_000 + (sent + n) % 500, "Busy");
                let event = if (sent + n) % 2 == 0 {
                    SandboxEvent::Join {
                        chat: room.clone(),
                        user,
                        invite_link: None,
                        via_join_request: false,
                        date: None,
                    }
                } else {
                    SandboxEvent::Leave {
                        chat: room.clone(),
                        user,
                        date: None,
                    }
                };
                sandbox.send_event(bot.id, &event).unwrap();
            }
            sent += 20;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sent
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let applied = usher_store::migrate::run(&app.db.url).await.unwrap();
    assert_eq!(applied, reverted);
    let sent = producer.await.unwrap();
    assert!(
        app.sandbox
            .wait_delivered(bot.id, Duration::from_secs(60))
            .await
    );
    let attempts = app.sandbox.attempts(bot.id);
    let failed: Vec<_> = attempts.iter().filter(|a| a.status != Some(200)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {:?}",
        failed.len(),
        attempts.len(),
        &failed[..failed.len().min(5)]
    );
    // Events written before the rename are in the table it renamed.
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM (SELECT 1 FROM member_events WHERE chat_id = -100900 \
             UNION ALL SELECT 1 FROM member_events_legacy WHERE chat_id = -100900) e",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, sent, "each update stored once");
    // Both sides of the rename took events: it happened under load.
    for table in ["member_events", "member_events_legacy"] {
        let n: i64 = db
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE chat_id = -100900"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(n > 0, "{table} took no event");
    }
    let valid: bool = db
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'updates_by_received_at'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid);
}
