//! The conventions every endpoint follows (`conventions.md`): paths and
//! methods, both key placements, both body encodings, error precedence,
//! and the JSON envelope for every bad request.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::{Value, json};
use usher_tests::{Api, TestApp, error_of};

async fn raw(req: reqwest::RequestBuilder) -> Value {
    Api::send(req).await
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_and_wrong_methods_are_func() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let http = app.api.http();
    let base = app.api.base();
    let cases = [
        http.get(format!("{base}/api/bots/nothing.json")),
        http.get(format!("{base}/api/bots/list")),
        http.get(format!("{base}/api/")),
        http.get(format!("{base}/")),
        http.post(format!("{base}/api/bots/list.json")),
        http.post(format!("{base}/api/bots/chats.json")),
        http.get(format!("{base}/api/bots/add.json")),
        http.get(format!("{base}/api/bots/del.json")),
        http.put(format!("{base}/api/bots/add.json")),
        http.delete(format!("{base}/api/bots/del.json")),
        http.patch(format!("{base}/api/bots/list.json")),
    ];
    for req in cases {
        let body = raw(req.query(&[("id", acc.key.as_str())])).await;
        assert_eq!(error_of(&body), Some("func"), "{body}");
    }
    // func comes first: an unknown path is unknown to everyone.
    let body = raw(http.get(format!("{base}/api/nope.json"))).await;
    assert_eq!(error_of(&body), Some("func"));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_checked_in_the_query_or_as_bearer() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let http = app.api.http();
    let url = format!("{}/api/bots/list.json", app.api.base());

    let by_query = raw(http.get(&url).query(&[("id", acc.key.as_str())])).await;
    assert_eq!(by_query["status"], "ok");
    let by_bearer = raw(http.get(&url).bearer_auth(&acc.key)).await;
    assert_eq!(by_bearer["status"], "ok");
    // On POST the key is in the query too (or the header), never the body.
    let post = raw(http
        .post(format!("{}/api/bots/del.json", app.api.base()))
        .bearer_auth(&acc.key)
        .json(&json!({ "id": 999 })))
    .await;
    assert_eq!(error_of(&post), Some("id"));
    let in_body = raw(http
        .post(format!("{}/api/bots/del.json", app.api.base()))
        .json(&json!({ "id": acc.key })))
    .await;
    assert_eq!(error_of(&in_body), Some("key"));

    let (id, _) = acc.key.split_once('-').unwrap();
    let wrong_secret = format!("{id}-WrongSecret123");
    let other_account = format!("99999-{}", acc.key.split_once('-').unwrap().1);
    for bad in [
        "",
        "abc",
        "7",
        "-1",
        "42-",
        "42-bad secret",
        wrong_secret.as_str(),
        other_account.as_str(),
    ] {
        let body = raw(http.get(&url).query(&[("id", bad)])).await;
        assert_eq!(error_of(&body), Some("key"), "{bad:?}");
        let body = raw(http
            .get(&url)
            .header("authorization", format!("Bearer {bad}")))
        .await;
        assert_eq!(error_of(&body), Some("key"), "bearer {bad:?}");
    }
    let no_key = raw(http.get(&url)).await;
    assert_eq!(error_of(&no_key), Some("key"));
    let basic = raw(http.get(&url).basic_auth(&acc.key, Some("x"))).await;
    assert_eq!(error_of(&basic), Some("key"));
    // Two different keys in the query present no key.
    let other = app.account().await;
    let two = raw(http
        .get(&url)
        .query(&[("id", acc.key.as_str()), ("id", other.key.as_str())]))
    .await;
    assert_eq!(error_of(&two), Some("key"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_stops_at_once_and_a_banned_account_is_ban() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let new_key = app.rotate_key(&acc).await;
    let old = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(error_of(&old), Some("key"));
    let new = app.api.get("/api/bots/list.json", &new_key, &[]).await;
    assert_eq!(new["status"], "ok");

    let acc = usher_tests::Account {
        id: acc.id,
        key: new_key,
    };
    app.set_banned(&acc, true).await;
    for (path, query) in [
        ("/api/bots/list.json", vec![]),
        ("/api/bots/chats.json", vec![("id", "1")]),
    ] {
        let body = app.api.get(path, &acc.key, &query).await;
        assert_eq!(error_of(&body), Some("ban"), "{path}");
    }
    let body = app.add_bot(&acc, "x").await;
    assert_eq!(
        error_of(&body),
        Some("ban"),
        "ban comes before the endpoint's checks"
    );
    let body = app.api.get("/api/bots/list.json", "1-wrongkey", &[]).await;
    assert_eq!(error_of(&body), Some("key"));
    app.set_banned(&acc, false).await;
    let body = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_key_is_refused_on_the_next_request_once_another_instance_rotates_or_bans_it() {
    let app = TestApp::start().await;
    let mut acc = app.account().await;
    for round in 0..10 {
        // Warm the server's key cache, then change the key elsewhere (the
        // harness's own store stands for another instance or the CLI).
        for _ in 0..3 {
            let warm = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
            assert_eq!(warm["status"], "ok", "round {round}");
        }
        let new_key = app.rotate_key(&acc).await;
        let old = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
        assert_eq!(
            error_of(&old),
            Some("key"),
            "round {round}: the old key still worked"
        );
        acc.key = new_key;
        let new = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
        assert_eq!(new["status"], "ok", "round {round}");
        app.set_banned(&acc, true).await;
        let banned = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
        assert_eq!(
            error_of(&banned),
            Some("ban"),
            "round {round}: the ban was missed"
        );
        app.set_banned(&acc, false).await;
        let back = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
        assert_eq!(
            back["status"], "ok",
            "round {round}: the reinstatement was missed"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_changed_while_the_listener_is_cut_off_is_still_refused() {
    let app = TestApp::start().await;
    let mut acc = app.account().await;
    let warm = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(warm["status"], "ok");
    // Cut the listener's connection: the server must stop trusting its
    // cache, since notifications may be missed until it listens again.
    let db = app.db.connect().await;
    let cut = db
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(cut, 1, "the listener's connection was found");
    let old_key = acc.key.clone();
    acc.key = app.rotate_key(&acc).await;
    let old_key_refused = app.api.get("/api/bots/list.json", &old_key, &[]).await;
    assert_eq!(error_of(&old_key_refused), Some("key"));
    let new = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(new["status"], "ok");
    app.set_banned(&acc, true).await;
    let banned = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(error_of(&banned), Some("ban"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_are_request_and_come_before_key() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let http = app.api.http();
    let url = format!("{}/api/bots/add.json", app.api.base());
    let huge = "a".repeat(65 * 1024);
    let four_mb = format!("token={}", "a".repeat(4 * 1024 * 1024));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1,2]".to_vec()),
        ("application/json", b"\"token\"".to_vec()),
        ("application/json", deep.into_bytes()),
        ("application/json", vec![b'{', 0xff, b'}']),
        (
            "application/json",
            format!("{{\"token\":\"{huge}\"}}").into_bytes(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"token=%ff%fe".to_vec(),
        ),
        ("application/x-www-form-urlencoded", four_mb.into_bytes()),
        ("text/plain", b"token=abc".to_vec()),
        ("multipart/form-data; boundary=x", b"--x\r\n".to_vec()),
        ("application/xml", b"<token/>".to_vec()),
    ];
    for (content_type, body) in cases {
        for key in [Some(acc.key.as_str()), None] {
            let mut req = http
                .post(&url)
                .header("content-type", content_type)
                .body(body.clone());
            if let Some(key) = key {
                req = req.query(&[("id", key)]);
            }
            let answer = raw(req).await;
            assert_eq!(
                error_of(&answer),
                Some("request"),
                "{content_type} key={key:?}"
            );
        }
    }
    // No content type with a body is refused as well.
    let answer = raw(http
        .post(&url)
        .query(&[("id", acc.key.as_str())])
        .body("token=abc"))
    .await;
    assert_eq!(error_of(&answer), Some("request"));
    // An empty body carries no parameters: the endpoint's own error.
    let answer = raw(http.post(&url).query(&[("id", acc.key.as_str())])).await;
    assert_eq!(error_of(&answer), Some("token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ambiguous_id_tells_key_from_bot_id() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let bot = app.bot("idbot");
    let added = app.add_bot(&acc, &bot.token).await;
    let bot_id = added["data"]["id"].as_i64().unwrap().to_string();
    let http = app.api.http();
    let url = format!("{}/api/bots/chats.json", app.api.base());

    // ?id=KEY&id=7, in either order.
    for pairs in [
        vec![("id", acc.key.as_str()), ("id", bot_id.as_str())],
        vec![("id", bot_id.as_str()), ("id", acc.key.as_str())],
    ] {
        let body = raw(http.get(&url).query(&pairs)).await;
        assert_eq!(body, json!({ "status": "ok", "data": [] }), "{pairs:?}");
    }
    // Bearer key and the bot id in the query.
    let body = raw(http
        .get(&url)
        .bearer_auth(&acc.key)
        .query(&[("id", bot_id.as_str())]))
    .await;
    assert_eq!(body["status"], "ok");
    // Non-key values are the parameter: each is a bad bot id.
    for bad in [
        "-1",
        "0",
        "abc",
        "1.5",
        "",
        "99999999999999999999",
        "+7",
        " 7",
    ] {
        let body = raw(http
            .get(&url)
            .query(&[("id", acc.key.as_str()), ("id", bad)]))
        .await;
        assert_eq!(error_of(&body), Some("id"), "{bad:?}");
    }
    // Two bot ids are ambiguous.
    let body = raw(http.get(&url).query(&[
        ("id", acc.key.as_str()),
        ("id", bot_id.as_str()),
        ("id", "8"),
    ]))
    .await;
    assert_eq!(error_of(&body), Some("id"));
    // Only a key and no bot id: the parameter is missing.
    let body = raw(http.get(&url).query(&[("id", acc.key.as_str())])).await;
    assert_eq!(error_of(&body), Some("id"));
}

#[tokio::test(flavor = "multi_thread")]
async fn numeric_parameters_arrive_as_numbers_or_digit_strings_in_both_encodings() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let mut ids = Vec::new();
    for name in ["numbot", "strbot", "formbot"] {
        let bot = app.bot(name);
        let added = app.add_bot(&acc, &bot.token).await;
        ids.push(added["data"]["id"].as_i64().unwrap());
    }
    let del = "/api/bots/del.json";
    assert_eq!(
        app.api
            .post_json(del, &acc.key, json!({ "id": ids[0] }))
            .await["status"],
        "ok"
    );
    assert_eq!(
        app.api
            .post_json(del, &acc.key, json!({ "id": ids[1].to_string() }))
            .await["status"],
        "ok"
    );
    let id = ids[2].to_string();
    assert_eq!(
        app.api
            .post_form(del, &acc.key, &[("id", id.as_str())])
            .await["status"],
        "ok"
    );
    let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["status"] == 3)
    );

    for bad in [
        json!(1.5),
        json!(-3),
        json!(0),
        json!(true),
        json!(null),
        json!([1]),
        json!({"a":1}),
        json!("1e3"),
        json!(""),
        json!(9.3e30),
    ] {
        let body = app.api.post_json(del, &acc.key, json!({ "id": bad })).await;
        assert_eq!(error_of(&body), Some("id"), "{bad}");
    }
    let body = app.api.post_json(del, &acc.key, json!({})).await;
    assert_eq!(error_of(&body), Some("id"));
}
