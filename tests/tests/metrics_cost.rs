//! `GET /metrics` costs the database little however often it is scraped
//! (its own binary: the recorder is process-wide).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use usher_tests::TestApp;

/// A scrape costs the database at most one read every two seconds, and
/// never waits for one once it has figures: with the tables it reads
/// locked, scrapes still answer, and only one read waits on the lock.
#[tokio::test(flavor = "multi_thread")]
async fn scrapes_do_not_query_the_database_each_time() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    app.connected_bot(&acc, "scrapedbot").await;
    let scrape = || async {
        app.api
            .http()
            .get(format!("{}/metrics", app.api.base()))
            .timeout(Duration::from_secs(3))
            .send()
            .await
    };
    let first = scrape().await.unwrap().text().await.unwrap();
    assert!(first.contains(r#"bots{status="active"} 1"#), "{first}");
    let locker = app.db.connect().await;
    locker
        .batch_execute("BEGIN; LOCK TABLE outbox, bots IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // Thirty scrapes over three seconds, past one refresh.
    for _ in 0..30 {
        let answer = scrape()
            .await
            .expect("a scrape answers with the tables locked");
        assert_eq!(answer.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let waiting: i64 = app
        .db
        .connect()
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' \
               AND (query LIKE '%count(*) AS pending%' \
                    OR query LIKE 'SELECT COUNT(*), count(\"bots\".\"id\") FILTER%')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // The one refresh due meanwhile waits; no scrape added another.
    assert_eq!(waiting, 1, "reads of the metrics waiting on the lock");
    locker.batch_execute("ROLLBACK").await.unwrap();
}
