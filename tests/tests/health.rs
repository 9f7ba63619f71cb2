//! `/healthz` and `/readyz`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::{Value, json};
use usher_tests::TestApp;

async fn probe(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app
        .api
        .http()
        .get(format!("{}{path}", app.api.base()))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn liveness_and_readiness_follow_the_database_and_its_schema() {
    let app = TestApp::start_with(|s| s.database.timeout_ms = 500).await;
    assert_eq!(
        probe(&app, "/healthz").await,
        (200, json!({ "status": "ok" }))
    );
    assert_eq!(
        probe(&app, "/readyz").await,
        (200, json!({ "status": "ok" }))
    );

    app.db.cut_off().await;
    assert_eq!(
        probe(&app, "/healthz").await.0,
        200,
        "alive without its database"
    );
    assert_eq!(
        probe(&app, "/readyz").await,
        (503, json!({ "status": "error", "error": "db" }))
    );
    app.db.restore().await;
    let mut ready = (0, Value::Null);
    for _ in 0..50 {
        ready = probe(&app, "/readyz").await;
        if ready.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ready.0, 200, "ready again: {ready:?}");

    // A schema behind the binary's migrations is not ready.
    let db = app.db.connect().await;
    let newest: String = db
        .query_one("SELECT max(version) FROM __diesel_schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    db.execute(
        "DELETE FROM __diesel_schema_migrations WHERE version = $1",
        &[&newest],
    )
    .await
    .unwrap();
    assert_eq!(
        probe(&app, "/readyz").await,
        (503, json!({ "status": "error", "error": "migrations" }))
    );
}
