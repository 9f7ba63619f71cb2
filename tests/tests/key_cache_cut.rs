//! Issue 22, item 7: a revoked API key stops working within a bound on
//! every instance, whatever becomes of the connection its key-change
//! notifications come on. Here that connection is cut silently: its bytes
//! stop flowing while the socket stays open, so no error ever reaches it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use usher_tests::{PgProxy, TestApp, error_of};

/// The README's bound: a revoked key works at most 10 s (the cache's
/// ttl); the listener's heartbeat usually notices sooner. The slack is for
/// a loaded machine.
const BOUND: Duration = Duration::from_secs(10);
const SLACK: Duration = Duration::from_secs(5);

const LIST: &str = "/api/bots/list.json";

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_stops_within_the_bound_when_the_listener_is_cut_silently() {
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxy = PgProxy::start(upstream).await;
    let app = TestApp::start_with(|settings| {
        let url = proxy.url_for(settings.database.url.expose_secret());
        settings.database.url = SecretString::from(url);
    })
    .await;
    let acc = app.account().await;
    // Served once, so the key is in the cache from here on.
    let listening_since = Instant::now();
    while proxy.listeners() == 0 {
        assert!(
            listening_since.elapsed() < Duration::from_secs(10),
            "nobody listens"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        assert_eq!(app.api.get(LIST, &acc.key, &[]).await["status"], "ok");
    }

    proxy.freeze_listeners();
    let new_key = app.rotate_key(&acc).await;
    let rotated = Instant::now();
    loop {
        let body = app.api.get(LIST, &acc.key, &[]).await;
        if error_of(&body) == Some("key") {
            break;
        }
        assert_eq!(body["status"], "ok", "{body}");
        assert!(
            rotated.elapsed() < BOUND + SLACK,
            "the revoked key still works {:?} after the rotation",
            rotated.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.api.get(LIST, &new_key, &[]).await["status"], "ok");

    // The listener notices its connection is dead and listens anew.
    while proxy.listeners() < 2 {
        assert!(
            rotated.elapsed() < BOUND + SLACK,
            "the listener never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
