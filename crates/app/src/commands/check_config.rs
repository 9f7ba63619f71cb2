//! `usher check-config`: validates the configuration, says which source set
//! each value (secrets masked), and warns about what Telegram would refuse.

use std::io::Write;
use std::path::Path;

use config::{Config, File};
use secrecy::ExposeSecret;
use url::Url;
use usher_store::TokenCipher;

use crate::settings::Settings;

/// Every setting, as `section.key`.
const KEYS: &[&str] = &[
    "database.url",
    "database.pool_size",
    "database.timeout_ms",
    "http.listen",
    "http.public_url",
    "http.workers",
    "http.shutdown_timeout_s",
    "telegram.api_url",
    "telegram.timeout_ms",
    "telegram.send_rate_per_bot",
    "welcome.max_age_s",
    "welcome.retry_base_ms",
    "welcome.max_in_flight",
    "secrets.token_key",
    "secrets.token_key_file",
    "intake.batch_max",
    "intake.batch_workers",
    "log.format",
    "log.level",
];

/// Ports Telegram delivers webhooks to.
const WEBHOOK_PORTS: &[u16] = &[443, 80, 88, 8443];

/// Prints the report; fails when the configuration cannot be used.
pub fn check_config(config_dir: &Path) -> anyhow::Result<()> {
    let settings = Settings::load(config_dir)?;
    let mut out = std::io::stdout().lock();
    for key in KEYS {
        writeln!(
            out,
            "{key} = {}    ({})",
            shown(&settings, key),
            source(config_dir, key)
        )?;
    }
    let (warnings, errors) = review(&settings);
    for warning in &warnings {
        writeln!(out, "warning: {warning}")?;
    }
    for error in &errors {
        writeln!(out, "error: {error}")?;
    }
    out.flush()?;
    anyhow::ensure!(
        errors.is_empty(),
        "the configuration has {} error(s)",
        errors.len()
    );
    Ok(())
}

/// The value of `key` as it may be shown: passwords and keys masked.
fn shown(s: &Settings, key: &str) -> String {
    match key {
        "database.url" => mask_password(s.database.url.expose_secret()),
        "database.pool_size" => s.database.pool_size.to_string(),
        "database.timeout_ms" => s.database.timeout_ms.to_string(),
        "http.listen" => s.http.listen.clone(),
        "http.public_url" => s.http.public_url.clone(),
        "http.workers" => s.http.workers.to_string(),
        "http.shutdown_timeout_s" => s.http.shutdown_timeout_s.to_string(),
        "telegram.api_url" => s.telegram.api_url.clone(),
        "telegram.timeout_ms" => s.telegram.timeout_ms.to_string(),
        "telegram.send_rate_per_bot" => s.telegram.send_rate_per_bot.to_string(),
        "welcome.max_age_s" => s.welcome.max_age_s.to_string(),
        "welcome.retry_base_ms" => s.welcome.retry_base_ms.to_string(),
        "welcome.max_in_flight" => s.welcome.max_in_flight.to_string(),
        "secrets.token_key" => match &s.secrets.token_key {
            Some(k) if !k.expose_secret().is_empty() => "<set, hidden>".into(),
            _ => "<not set>".into(),
        },
        "secrets.token_key_file" => s.secrets.token_key_file.display().to_string(),
        "intake.batch_max" => s.intake.batch_max.to_string(),
        "intake.batch_workers" => s.intake.batch_workers.to_string(),
        "log.format" => s.log.format.clone(),
        "log.level" => s.log.level.clone(),
        _ => String::new(),
    }
}

/// `url` with its password masked, in the user part and in any query
/// parameter that libpq reads a password from (`password`, `sslpassword`)
/// or whose name says it holds one.
fn mask_password(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return "<not a URL>".into();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let secret_name = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["pass", "secret", "token"].iter().any(|w| name.contains(w))
    };
    if parsed.query_pairs().any(|(name, _)| secret_name(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let shown = if secret_name(&name) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), shown)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Which source gave `key` its value: the last one that sets it wins.
fn source(config_dir: &Path, key: &str) -> String {
    let env = format!("USHER__{}", key.replace('.', "__").to_uppercase());
    if std::env::var_os(&env).is_some() {
        return format!("environment {env}");
    }
    for file in ["local.toml", "default.toml"] {
        let path = config_dir.join(file);
        let sets = Config::builder()
            .add_source(File::from(path.clone()).required(false))
            .build()
            .map(|c| c.get_string(key).is_ok())
            .unwrap_or(false);
        if sets {
            return path.display().to_string();
        }
    }
    if key == "secrets.token_key" {
        "unset".into()
    } else {
        "built-in default".into()
    }
}

/// Warnings (usable but risky) and errors (unusable).
fn review(s: &Settings) -> (Vec<String>, Vec<String>) {
    let (mut warnings, mut errors) = (Vec::new(), Vec::new());
    match Url::parse(&s.http.public_url) {
        Ok(url) => {
            if url.scheme() != "https" {
                warnings.push(format!(
                    "http.public_url is {}: Telegram delivers webhooks over HTTPS only",
                    url.scheme()
                ));
            }
            let port = url.port_or_known_default().unwrap_or(0);
            if !WEBHOOK_PORTS.contains(&port) {
                warnings.push(format!(
                    "http.public_url uses port {port}: Telegram accepts only 443, 80, 88 and 8443"
                ));
            }
            if url.host_str() == Some("usher.example.com") {
                warnings.push("http.public_url is still the example default".into());
            }
        }
        Err(err) => errors.push(format!("http.public_url is not a URL: {err}")),
    }
    if let Err(err) = Url::parse(&s.telegram.api_url) {
        errors.push(format!("telegram.api_url is not a URL: {err}"));
    }
    if Url::parse(s.database.url.expose_secret()).is_err() {
        errors.push("database.url is not a URL".into());
    }
    match &s.secrets.token_key {
        Some(key) if !key.expose_secret().is_empty() => {
            if let Err(err) = TokenCipher::from_base64(key) {
                errors.push(err.to_string());
            }
        }
        _ => warnings.push(format!(
            "secrets.token_key is not set: serve will use (or create) {}; production must set it",
            s.secrets.token_key_file.display()
        )),
    }
    if !matches!(s.log.format.as_str(), "text" | "json") {
        errors.push(format!(
            "log.format must be text or json, not {:?}",
            s.log.format
        ));
    }
    if s.database.pool_size == 0 {
        errors.push("database.pool_size must be at least 1".into());
    }
    (warnings, errors)
}

#[cfg(test)]
mod tests {
    use super::mask_password;

    #[test]
    fn passwords_in_the_user_part_and_the_query_are_masked() {
        assert_eq!(
            mask_password("postgres://u:hunter2@db/usher"),
            "postgres://u:***@db/usher"
        );
        let shown = mask_password(
            "postgres://u@db/usher?sslmode=require&password=hunter2&sslpassword=s3cret&PassWord=x",
        );
        assert_eq!(
            shown,
            "postgres://u@db/usher?sslmode=require&password=***&sslpassword=***&PassWord=***"
        );
        assert_eq!(
            mask_password("postgres://db/usher?application_name=usher"),
            "postgres://db/usher?application_name=usher"
        );
    }
}
