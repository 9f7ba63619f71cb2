//! What the paged lists share: a bounded count of the matching rows and
//! the `AND` conditions of the filters a call gave.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use usher_domain::subscribers::views::COUNT_CAP;

/// One count.
#[derive(QueryableByName)]
pub(crate) struct Count {
    /// The number counted.
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

/// A statement counting the rows of `from_where` (`<table> WHERE ...`), at
/// most [`COUNT_CAP`] + 1 of them: its work is bounded whatever matches.
pub(crate) fn capped_count(from_where: &str) -> String {
    format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM {from_where} LIMIT {}) AS capped",
        COUNT_CAP + 1
    )
}

/// `(total, capped)` of a count that [`capped_count`] made.
pub(crate) fn cap(n: i64) -> (i64, bool) {
    (n.min(COUNT_CAP), n > COUNT_CAP)
}

/// ` AND <condition>` for each filter given.
pub(crate) fn conditions(parts: &[(bool, &str)]) -> String {
    parts
        .iter()
        .filter(|(given, _)| *given)
        .map(|(_, sql)| format!(" AND {sql}"))
        .collect()
}
