//! Logging: human-readable or JSON lines on stderr, filtered by `RUST_LOG`
//! (or `log.level`). Records of the `log` crate (reqwest, hyper) are routed
//! through the same filter, so nothing bypasses it.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::settings::LogSettings;

/// Installs the global subscriber. Call once, at start.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .map_err(|err| anyhow::anyhow!("invalid log filter: {err}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    let result = match settings.format.as_str() {
        "json" => builder.json().flatten_event(true).try_init(),
        "text" => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        other => anyhow::bail!("log.format must be \"text\" or \"json\", not {other:?}"),
    };
    result.map_err(|err| anyhow::anyhow!("installing the logger: {err}"))
}
