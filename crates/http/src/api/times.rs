//! How the API writes times: `YYYY-MM-DD HH:MM:SS` in UTC.

use std::fmt::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A lead that never joined has this join time (and so on).
pub(crate) const NEVER: &str = "0000-00-00 00:00:00";

/// `t` as the API writes it. Written field by field: chrono's `format`
/// parses its pattern again on every call, which showed as a tenth of
/// usher's CPU in `bots/list.json`.
pub(crate) fn time(t: &DateTime<Utc>) -> String {
    let mut out = String::with_capacity(19);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_chrono_s_pattern_writes() {
        for unix in [
            0,
            1,
            59,
            86_399,
            951_782_400,
            1_796_000_000,
            253_402_300_799,
        ] {
            let t = DateTime::from_timestamp(unix, 0).unwrap_or_default();
            assert_eq!(
                time(&t),
                t.format("%Y-%m-%d %H:%M:%S").to_string(),
                "{unix}"
            );
        }
        let subsecond = DateTime::from_timestamp(1_796_000_000, 999_999_999).unwrap_or_default();
        assert_eq!(
            time(&subsecond),
            "2026-11-30 00:53:20",
            "seconds, not rounded"
        );
    }
}
