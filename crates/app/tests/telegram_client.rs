//! The Telegram client carries the bot's token in every URL: no proxy from
//! the environment ever sees a call, and no redirect carries one to
//! another host (as for postbacks).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use serde_json::json;
use usher_tests::{Api, BinaryCast, Reply, Tracker, UsherProcess};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

async fn add(base: &str, key: &str, token: &str) -> serde_json::Value {
    Api::send(
        reqwest::Client::new()
            .post(format!("{base}/api/bots/add.json"))
            .query(&[("id", key)])
            .json(&json!({ "token": token })),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_variables_never_see_a_telegram_call() {
    let thief = Tracker::start(Reply::status(502));
    let proxy = thief.base.clone();
    let cast = BinaryCast::new(
        Path::new(BIN),
        &[
            ("HTTP_PROXY", proxy.as_str()),
            ("HTTPS_PROXY", proxy.as_str()),
            ("ALL_PROXY", proxy.as_str()),
            ("http_proxy", proxy.as_str()),
            ("https_proxy", proxy.as_str()),
            ("all_proxy", proxy.as_str()),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ],
    )
    .await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let bot = cast.sandbox.create_bot("proxiedbot", "P", None);
    let added = add(&usher.base_url(), &cast.key, &bot.token).await;
    assert_eq!(added["status"], "ok", "{added}");
    assert!(
        thief.hits().is_empty(),
        "the proxy saw {:?}",
        thief
            .hits()
            .iter()
            .map(|h| h.path().len())
            .collect::<Vec<_>>()
    );
    usher.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_from_telegram_is_not_followed() {
    let thief = Tracker::start(Reply::status(200));
    let redirector = Tracker::start(Reply::status(307).location(&format!("{}/stolen", thief.base)));
    let cast = BinaryCast::new(
        Path::new(BIN),
        &[("USHER__TELEGRAM__API_URL", redirector.base.as_str())],
    )
    .await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let token = cast.sandbox.create_bot("redirectedbot", "R", None).token;
    let token = token.as_str();
    let added = add(&usher.base_url(), &cast.key, token).await;
    assert_eq!(added["status"], "error", "{added}");
    assert!(!redirector.hits().is_empty(), "Telegram was asked: {added}");
    assert!(thief.hits().is_empty(), "the redirect was followed");
    assert!(!added.to_string().contains(token));
    assert!(!usher.output().contains(token), "no token in the log");
    usher.terminate();
}
