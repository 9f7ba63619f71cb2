//! The key that encrypts bot tokens: `secrets.token_key`, or a key file that
//! `serve` creates once when none is configured.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use tracing::warn;
use usher_store::TokenCipher;

use crate::settings::SecretsSettings;

/// The configured key, or the key file's, creating the file (mode 0600)
/// with a random key if it does not exist yet.
pub fn load_or_create(settings: &SecretsSettings) -> anyhow::Result<TokenCipher> {
    let key = match &settings.token_key {
        Some(key) if !key.expose_secret().trim().is_empty() => key.clone(),
        _ => from_file(&settings.token_key_file)?,
    };
    TokenCipher::from_base64(&key).context("secrets.token_key")
}

fn from_file(path: &Path) -> anyhow::Result<SecretString> {
    let created = TokenCipher::generate_key();
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match file {
        Ok(mut file) => {
            file.write_all(created.expose_secret().as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            warn!(
                path = %path.display(),
                "secrets.token_key is not set: created a random key file; production must set secrets.token_key and keep it safe"
            );
            Ok(created)
        }
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            warn!(
                path = %path.display(),
                "secrets.token_key is not set: using the key file; production must set secrets.token_key"
            );
            Ok(SecretString::from(text.trim().to_owned()))
        }
        Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_a_private_key_file_once_then_reuses_it() {
        let dir = std::env::temp_dir().join(format!("usher-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token.key");
        let settings = SecretsSettings {
            token_key: None,
            token_key_file: path.clone(),
        };
        load_or_create(&settings).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.len(), 44);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        load_or_create(&settings).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        std::fs::remove_dir_all(&dir).ok();
    }
}
