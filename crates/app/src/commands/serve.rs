//! `usher serve` and `usher migrate`.

use secrecy::ExposeSecret;
use tracing::info;

use crate::server;
use crate::settings::Settings;

/// Serves until SIGINT or SIGTERM, then finishes requests in flight; with
/// `migrate`, applies pending migrations first.
pub async fn serve(settings: &Settings, migrate: bool) -> anyhow::Result<()> {
    if migrate {
        usher_store::migrate::run(settings.database.url.expose_secret()).await?;
    }
    let running = server::start_with(settings, None, true).await?;
    running.task.await??;
    info!("usher stopped");
    Ok(())
}

/// Creates the database if needed and applies pending migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    usher_store::migrate::run(settings.database.url.expose_secret()).await?;
    Ok(())
}
