//! The schema audit of docs/scaling.md (issue 24): what a move to Citus,
//! distributed by account, has to change in today's schema, read from the
//! catalog of a migrated database. The document lists the findings between
//! its `audit:begin` and `audit:end` marks; this test fails when the schema
//! and the document disagree, so neither changes without the other.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;

use usher_tests::TestDb;

/// Tables that would not be distributed: reference tables, tables emptied
/// and dropped before a move, and diesel's own.
const NOT_DISTRIBUTED: &[&str] = &[
    "__diesel_schema_migrations",
    "bot_claims",
    "token_key_check",
    "updates",
    "member_events_legacy",
];

/// Every table that would be distributed, its keys and foreign keys that
/// do not hold `account_id`, and every trigger, as sorted lines.
async fn findings(db: &tokio_postgres::Client) -> Vec<String> {
    let not_distributed: Vec<String> = NOT_DISTRIBUTED.iter().map(|s| s.to_string()).collect();
    // Ordinary and partitioned tables, not partitions; `accounts` is the
    // group itself (its `id` is the distribution column).
    let tables = "SELECT c.oid, c.relname::text AS name FROM pg_class c \
                  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') \
                  AND NOT c.relispartition AND c.relname::text <> ALL($1) \
                  AND c.relname <> 'accounts'";
    let has_account = "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid \
                       AND a.attname = 'account_id' AND NOT a.attisdropped)";
    let mut lines = Vec::new();
    for row in db
        .query(
            &format!("SELECT t.name FROM ({tables}) t WHERE NOT {has_account}"),
            &[&not_distributed],
        )
        .await
        .unwrap()
    {
        lines.push(format!(
            "table without account_id: {}",
            row.get::<_, String>(0)
        ));
    }
    for row in db
        .query(
            &format!(
                "SELECT t.name, k.conname::text, k.contype::text FROM ({tables}) t \
                 JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype IN ('p', 'u', 'f') \
                 WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid \
                                   AND a.attnum = ANY(k.conkey) AND a.attname = 'account_id') \
                 AND NOT (k.contype = 'f' AND k.confrelid = 'accounts'::regclass)"
            ),
            &[&not_distributed],
        )
        .await
        .unwrap()
    {
        let (table, name, kind): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let what = if kind == "f" {
            "foreign key without account_id"
        } else {
            "key without account_id"
        };
        lines.push(format!("{what}: {table} {name}"));
    }
    for row in db
        .query(
            "SELECT c.relname::text, g.tgname::text FROM pg_trigger g \
             JOIN pg_class c ON c.oid = g.tgrelid \
             WHERE NOT g.tgisinternal AND c.relnamespace = 'public'::regnamespace",
            &[],
        )
        .await
        .unwrap()
    {
        let (table, name): (String, String) = (row.get(0), row.get(1));
        lines.push(format!("trigger: {table} {name}"));
    }
    lines.sort();
    lines
}

/// The lines of the fenced block between the audit marks of the document.
fn documented() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/scaling.md");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("<!-- audit:begin -->").expect("audit:begin mark");
    let end = text.find("<!-- audit:end -->").expect("audit:end mark");
    text[start..end]
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("```") && !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scaling_document_lists_what_citus_would_refuse_in_the_schema() {
    let db = TestDb::new();
    usher_store::migrate::run(&db.url).await.unwrap();
    let found = findings(&db.connect().await).await;
    // The audit sees what it must: a table with no account at all, a key
    // and a trigger (so an empty catalog read cannot pass).
    assert!(
        found
            .iter()
            .any(|l| l == "table without account_id: bot_chats")
    );
    assert!(
        found
            .iter()
            .any(|l| l == "key without account_id: leads leads_pkey")
    );
    assert!(
        found
            .iter()
            .any(|l| l == "trigger: campaigns campaigns_served")
    );
    assert_eq!(
        found,
        documented(),
        "docs/scaling.md's audit block must be the schema's findings, sorted:\n{}",
        found.join("\n")
    );
}
