//! The settings every test server and sandbox starts from.

use std::time::Duration;

use secrecy::SecretString;
use usher_app::Settings;
use usher_sandbox::{DeliveryOptions, SandboxHandle, SandboxOptions};
use usher_store::TokenCipher;

use crate::db::TestDb;

/// A sandbox that retries failed deliveries quickly (50 ms doubling to
/// 400 ms, instead of Telegram's 1 s to 60 s).
pub fn fast_sandbox() -> SandboxOptions {
    SandboxOptions {
        delivery: DeliveryOptions {
            retry_initial: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
            timeout: Duration::from_secs(10),
        },
        ..SandboxOptions::default()
    }
}

/// Settings for a test server on `db`, calling `sandbox` as Telegram.
pub fn test_settings(db: &TestDb, sandbox: &SandboxHandle, public_url: &str) -> Settings {
    let mut settings = Settings::defaults().unwrap();
    settings.database.url = SecretString::from(db.url.clone());
    settings.database.pool_size = 8;
    settings.http.listen = "127.0.0.1:0".into();
    settings.http.public_url = public_url.into();
    settings.http.workers = 2;
    settings.http.shutdown_timeout_s = 1;
    settings.telegram.api_url = sandbox.api_url();
    settings.telegram.timeout_ms = 2_000;
    settings.secrets.token_key = Some(TokenCipher::generate_key());
    settings
}
