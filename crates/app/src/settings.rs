//! Configuration: built-in defaults (`config/default.toml`), then the files
//! `default.toml` and `local.toml` of the config directory, then environment
//! variables `USHER__<SECTION>__<KEY>`, later sources winning.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use config::{Config, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;

/// The defaults, built into the binary so it runs from any directory.
const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// All of usher's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// PostgreSQL.
    pub database: DatabaseSettings,
    /// The HTTP server.
    pub http: HttpSettings,
    /// The Bot API.
    pub telegram: TelegramSettings,
    /// Keys.
    pub secrets: SecretsSettings,
    /// Logging.
    pub log: LogSettings,
    /// Webhook intake.
    pub intake: IntakeSettings,
    /// `[welcome]`.
    pub welcome: WelcomeSettings,
    /// `[postbacks]`.
    pub postbacks: PostbackSettings,
    /// `[retention]`.
    pub retention: RetentionSettings,
}

/// `[retention]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Days a raw update is kept after its date (at least 2).
    pub raw_update_days: u32,
    /// Months a member event is kept after its date (at least 1).
    pub member_event_months: u32,
    /// Seconds between two upkeep rounds.
    pub upkeep_interval_s: u64,
}

/// `[postbacks]`: sending postbacks to trackers.
#[derive(Debug, Clone, Deserialize)]
pub struct PostbackSettings {
    /// Let postbacks reach loopback, private and metadata addresses.
    pub allow_private: bool,
    /// The longest one GET may take, in milliseconds.
    pub timeout_ms: u64,
    /// First retry delay, doubling.
    pub retry_base_ms: u64,
    /// The longest delay between tries.
    pub retry_max_ms: u64,
    /// A postback not delivered by this age (seconds) is failed.
    pub give_up_s: u64,
    /// Most postbacks in flight to one target (`host:port`), across
    /// instances: a slow tracker holds up only its own.
    pub per_target: u32,
    /// Most postbacks in flight in one instance.
    pub max_in_flight: usize,
    /// Most postbacks of one account in flight in one instance: an
    /// account's many slow trackers hold up only that account.
    pub per_account: usize,
}

/// `[welcome]`: sending welcome messages.
#[derive(Debug, Clone, Deserialize)]
pub struct WelcomeSettings {
    /// A welcome not sent by this age (seconds) is failed.
    pub max_age_s: u64,
    /// First retry delay (doubling, at most 60 s).
    pub retry_base_ms: u64,
    /// Most welcomes in flight at once in one instance: a hung Telegram
    /// holds at most this many connections.
    pub max_in_flight: usize,
}

/// `[intake]`.
#[derive(Debug, Clone, Deserialize)]
pub struct IntakeSettings {
    /// Most updates per transaction; 0 applies each in its own.
    pub batch_max: usize,
    /// Batch transactions in flight at once.
    pub batch_workers: usize,
    /// Most updates held at once (admission control; see
    /// [`usher_store::BatchSettings::max_held`]).
    pub max_held: usize,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connection URL; may hold a password, so it is kept secret.
    pub url: SecretString,
    /// Most pooled connections.
    pub pool_size: usize,
    /// Most connections of the outbox workers' own pool (claims, outcome
    /// records, pauses), on top of `pool_size`.
    pub outbox_pool_size: usize,
    /// Longest wait for a connection, in milliseconds.
    pub timeout_ms: u64,
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    /// Listen address; port 0 picks a free port.
    pub listen: String,
    /// The base URL Telegram calls for webhooks.
    pub public_url: String,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Longest wait for requests in flight at shutdown, in seconds.
    pub shutdown_timeout_s: u64,
}

/// `[telegram]`.
#[derive(Debug, Clone, Deserialize)]
pub struct TelegramSettings {
    /// Base URL of the Bot API.
    pub api_url: String,
    /// Longest any call may take, in milliseconds.
    pub timeout_ms: u64,
    /// Messages one bot may send in any one second.
    pub send_rate_per_bot: u32,
}

/// `[secrets]`.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of the 32-byte key encrypting bot tokens.
    pub token_key: Option<SecretString>,
    /// Where `serve` keeps a generated key when `token_key` is unset.
    pub token_key_file: PathBuf,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// Filter used when `RUST_LOG` is unset.
    pub level: String,
}

impl Settings {
    /// Loads the settings from `config_dir` and the environment.
    pub fn load(config_dir: &Path) -> anyhow::Result<Self> {
        Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from(config_dir.join("default.toml")).required(false))
            .add_source(File::from(config_dir.join("local.toml")).required(false))
            .add_source(
                Environment::with_prefix("USHER")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("invalid configuration")
    }

    /// The built-in defaults alone, ignoring files and environment (tests
    /// start from these and change fields).
    pub fn defaults() -> anyhow::Result<Self> {
        Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()?
            .try_deserialize()
            .context("invalid built-in configuration")
    }

    /// `telegram.timeout_ms` as a duration.
    pub fn telegram_timeout(&self) -> Duration {
        Duration::from_millis(self.telegram.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_match_the_documented_contract() {
        let s = Settings::defaults().unwrap();
        assert_eq!(
            s.database.url.expose_secret(),
            "postgres://postgres@127.0.0.1:5432/usher"
        );
        assert_eq!(s.http.listen, "127.0.0.1:8080");
        assert_eq!(s.telegram.api_url, "https://api.telegram.org");
        assert_eq!(s.telegram.timeout_ms, 10_000);
        assert!(s.secrets.token_key.is_none());
    }

    #[test]
    fn local_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("usher-cfg-{}", rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("local.toml"), "[telegram]\ntimeout_ms = 1234\n").unwrap();
        let s = Settings::load(&dir).unwrap();
        assert_eq!(s.telegram.timeout_ms, 1234);
        std::fs::remove_dir_all(&dir).ok();
    }

    fn rand_suffix() -> String {
        format!("{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], "")
    }
}
