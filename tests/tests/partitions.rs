//! Raw updates in day partitions and member events in month partitions of
//! their own date (issue 24): exactly-once across a partition boundary, and
//! an upkeep that makes partitions ahead, moves early arrivals in, and
//! drops only what is past the retention.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::json;
use usher_domain::ports::RetentionStore;
use usher_domain::retention::{Retention, Series};
use usher_domain::services::RetentionService;
use usher_sandbox::{SandboxChat, SandboxEvent, SandboxUser};
use usher_store::TokenCipher;
use usher_tests::TestApp;

fn channel(id: i64) -> SandboxChat {
    SandboxChat {
        id,
        title: "Days".into(),
        kind: "channel".into(),
    }
}

/// Which partition of `table` holds each row of update `update_id` of
/// `bot` (`raw_updates`: each stored copy; `member_events`: its event).
async fn partitions_of(app: &TestApp, table: &str, bot: i64, update_id: i64) -> Vec<String> {
    app.db
        .connect()
        .await
        .query(
            &format!(
                "SELECT tableoid::regclass::text FROM {table} WHERE bot_id = $1 AND update_id = $2"
            ),
            &[&bot, &update_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// How many member events bot `bot` has.
async fn member_events(app: &TestApp, bot: i64) -> i64 {
    app.db
        .connect()
        .await
        .query_one(
            "SELECT count(*) FROM member_events WHERE bot_id = $1",
            &[&bot],
        )
        .await
        .unwrap()
        .get(0)
}

fn day_name(day: NaiveDate) -> String {
    format!("raw_updates_p{}", day.format("%Y%m%d"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivery_across_midnight_meets_its_first_copy() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "midnightbot").await;
    let secret = app.held_secret(bot.id);
    let today = Utc::now().date_naive();
    let midnight = today.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let join = |update_id: i64, date: i64| {
        let event = SandboxEvent::Join {
            chat: channel(-100_555),
            user: SandboxUser::new(7_000 + update_id, "Night"),
            invite_link: None,
            via_join_request: false,
            date: Some(date),
        };
        let mut update = event.to_update((bot.id, &bot.username, &bot.first_name));
        update["update_id"] = json!(update_id);
        update
    };
    // The last second of yesterday and the first of today: delivered today,
    // and again, each copy is stored once, in the partition of its date
    // (not of the day it arrived).
    let cases = [
        (901, midnight - 1, day_name(today - Days::new(1))),
        (902, midnight, day_name(today)),
    ];
    for (update_id, date, partition) in &cases {
        let update = join(*update_id, *date);
        for _ in 0..3 {
            assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
        }
        assert_eq!(
            partitions_of(&app, "raw_updates", id, *update_id).await,
            vec![partition.clone()]
        );
    }
    // An update without a date (a callback query: usher does not ask for
    // them) goes to the catch-all partition, once.
    let undated = json!({
        "update_id": 903,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
            "chat_instance": "-1",
            "data": "x"
        }
    });
    for _ in 0..2 {
        assert_eq!(app.deliver(id, Some(&secret), &undated).await, 200);
    }
    assert_eq!(
        partitions_of(&app, "raw_updates", id, 903).await,
        vec!["raw_updates_default".to_owned()]
    );
    // One member event per update, whatever the copies, in the month
    // partition of its date.
    assert_eq!(member_events(&app, id).await, 2);
    for (update_id, date, _) in &cases {
        let month = DateTime::from_timestamp(*date, 0).unwrap().format("%Y%m");
        assert_eq!(
            partitions_of(&app, "member_events", id, *update_id).await,
            vec![format!("member_events_p{month}")]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_stored_before_partitioning_is_not_new_again() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "legacybot").await;
    let secret = app.held_secret(bot.id);
    // An instance of the version before partitioning stored this one in
    // `updates`; Telegram redelivers it to this version.
    let event = SandboxEvent::Join {
        chat: channel(-100_556),
        user: SandboxUser::new(8_000, "Old"),
        invite_link: None,
        via_join_request: false,
        date: Some(Utc::now().timestamp() - 60),
    };
    let mut update = event.to_update((bot.id, &bot.username, &bot.first_name));
    update["update_id"] = json!(77);
    let db = app.db.connect().await;
    db.execute(
        "INSERT INTO updates (bot_id, update_id, kind, payload) VALUES ($1, 77, 'chat_member', '{}')",
        &[&id],
    )
    .await
    .unwrap();
    assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
    assert!(partitions_of(&app, "raw_updates", id, 77).await.is_empty());
    assert_eq!(
        member_events(&app, id).await,
        0,
        "applied once already, by the older instance"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upkeep_across_a_month_drops_only_what_is_past_the_retention() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (_, id) = app.connected_bot(&acc, "upkeepbot").await;
    let store = Arc::new(
        usher_app::server::store(
            &app.settings,
            TokenCipher::from_base64(&TokenCipher::generate_key()).unwrap(),
        )
        .unwrap(),
    );
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    // Days of a January gone by, made as the upkeep of then made them.
    for d in ["2026-01-29", "2026-01-30", "2026-01-31", "2026-02-01"] {
        store
            .create_partition(Series::RawUpdates, day(d))
            .await
            .unwrap();
    }
    // And the months of member events then: last December and January.
    for m in ["2025-12-01", "2026-01-01"] {
        store
            .create_partition(Series::MemberEvents, day(m))
            .await
            .unwrap();
    }
    let db = app.db.connect().await;
    // Rows written as of a chosen date, straight into the tables.
    let insert_dated = |sql: &'static str, update_id: i64, at: &'static str| {
        let db = &db;
        async move {
            db.execute(sql, &[&id, &update_id, &at]).await.unwrap();
        }
    };
    let store_at = |update_id, at| {
        insert_dated(
            "INSERT INTO raw_updates (bot_id, update_id, date, kind, payload) \
             VALUES ($1, $2, $3::text::timestamptz, 'chat_member', '{}')",
            update_id,
            at,
        )
    };
    store_at(1, "2026-01-29T23:59:59Z").await;
    store_at(2, "2026-01-30T12:00:00Z").await;
    store_at(3, "2026-01-31T00:00:00Z").await;
    store_at(4, "2026-02-01T08:00:00Z").await;
    // Ahead of its day's partition: the catch-all keeps it until then.
    store_at(5, "2026-02-04T10:00:00Z").await;
    assert_eq!(
        partitions_of(&app, "raw_updates", id, 5).await,
        vec!["raw_updates_default"]
    );
    let event_at = |update_id, at| {
        insert_dated(
            "INSERT INTO member_events (bot_id, update_id, chat_id, user_id, event, at, \
               via_join_request) VALUES ($1, $2, -100, 7, 'join', $3::text::timestamptz, false)",
            update_id,
            at,
        )
    };
    event_at(11, "2025-12-31T23:59:59Z").await;
    event_at(12, "2026-01-01T00:00:00Z").await;
    // Ahead of its month's partition: the catch-all keeps it until then.
    event_at(13, "2026-03-15T00:00:00Z").await;
    // The table before partitioning, last written long ago.
    db.execute(
        "INSERT INTO updates (bot_id, update_id, kind, payload, received_at) \
         VALUES ($1, 1, 'chat_member', '{}', '2026-01-01T00:00:00Z')",
        &[&id],
    )
    .await
    .unwrap();

    let now: DateTime<Utc> = "2026-02-02T06:00:00Z".parse().unwrap();
    let service = RetentionService::new(store.clone(), Retention::new(2, 1).unwrap());
    let report = service.upkeep(now).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    // Kept from two days before February 2nd: January 31st on.
    assert_eq!(
        report.dropped_of(Series::RawUpdates),
        vec![day("2026-01-29"), day("2026-01-30")]
    );
    // Made: February 2nd through the 9th (the 1st existed).
    assert_eq!(
        report.created_of(Series::RawUpdates),
        day("2026-02-02").iter_days().take(8).collect::<Vec<_>>()
    );
    // One month kept from February 1st: January stays, December goes.
    assert_eq!(
        report.dropped_of(Series::MemberEvents),
        vec![day("2025-12-01")]
    );
    assert_eq!(
        report.created_of(Series::MemberEvents),
        vec![day("2026-02-01"), day("2026-03-01"), day("2026-04-01")]
    );
    // The old table of raw updates is past its retention; member events'
    // old table is empty, so there is nothing to do.
    assert_eq!(report.emptied_legacy, vec![Series::RawUpdates]);
    for (update_id, partition) in [
        (11, None),
        (12, Some("member_events_p202601")),
        (13, Some("member_events_p202603")),
    ] {
        assert_eq!(
            partitions_of(&app, "member_events", id, update_id).await,
            partition.map(str::to_owned).into_iter().collect::<Vec<_>>(),
            "member event {update_id}"
        );
    }
    for (update_id, partition) in [
        (1, None),
        (2, None),
        (3, Some("raw_updates_p20260131")),
        (4, Some("raw_updates_p20260201")),
        (5, Some("raw_updates_p20260204")),
    ] {
        assert_eq!(
            partitions_of(&app, "raw_updates", id, update_id).await,
            partition.map(str::to_owned).into_iter().collect::<Vec<_>>(),
            "update {update_id}"
        );
    }
    let legacy: i64 = db
        .query_one("SELECT count(*) FROM updates", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(legacy, 0);
    // Today's partitions, made by the migration, are not touched.
    let today = Utc::now().date_naive();
    let days = store.partitions(Series::RawUpdates).await.unwrap();
    assert!(days.contains(&today));
    let months = store.partitions(Series::MemberEvents).await.unwrap();
    assert!(months.contains(&Series::MemberEvents.period().start_of(today)));

    // A second round finds nothing to do.
    let again = service.upkeep(now).await;
    assert!(!again.changed(), "{again:?}");
    assert!(again.failed.is_empty(), "{:?}", again.failed);
}
