//! `usher upkeep`: one round of the time partitions' upkeep, on demand.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use usher_domain::services::{Partition, RetentionService};
use usher_store::TokenCipher;

use crate::server;
use crate::settings::Settings;

/// Runs one round as of `at` (now when `None`) on a database whose schema
/// is this build's; prints `created <series> <start>` and `dropped ...` on
/// stdout for each partition, `emptied <series>` for an old table, and each
/// failure on stderr. Fails when a step failed.
pub async fn upkeep(settings: &Settings, at: Option<DateTime<Utc>>) -> anyhow::Result<()> {
    usher_store::migrate::require_current(settings.database.url.expose_secret()).await?;
    // The upkeep never touches tokens: any key will do for the store.
    let cipher = TokenCipher::from_base64(&TokenCipher::generate_key())?;
    let store = Arc::new(server::store(settings, cipher)?);
    let service = RetentionService::new(store, server::retention(settings)?);
    let report = service.upkeep(at.unwrap_or_else(Utc::now)).await;
    let mut out = std::io::stdout().lock();
    let line = |verb: &str, p: &Partition| format!("{verb} {} {}", p.series.name(), p.start);
    for partition in &report.created {
        writeln!(out, "{}", line("created", partition))?;
    }
    for partition in &report.dropped {
        writeln!(out, "{}", line("dropped", partition))?;
    }
    for series in &report.emptied_legacy {
        writeln!(out, "emptied the old table of {}", series.name())?;
    }
    out.flush()?;
    for failure in &report.failed {
        writeln!(std::io::stderr(), "{failure}")?;
    }
    anyhow::ensure!(
        report.failed.is_empty(),
        "{} upkeep step(s) failed; the next round tries again",
        report.failed.len()
    );
    Ok(())
}
