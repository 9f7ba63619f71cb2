//! `usher account ...`: keys are printed alone on stdout, messages go to
//! stderr.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use usher_domain::AccountId;
use usher_domain::services::AccountService;
use usher_store::TokenCipher;

use crate::cli::AccountCommand;
use crate::server;
use crate::settings::Settings;

/// Runs one account command.
pub async fn account(settings: &Settings, command: &AccountCommand) -> anyhow::Result<()> {
    usher_store::migrate::run(settings.database.url.expose_secret()).await?;
    // Account commands never touch tokens: any key will do for the store.
    let cipher = TokenCipher::from_base64(&TokenCipher::generate_key())?;
    let accounts = AccountService::new(Arc::new(server::store(settings, cipher)?));
    match command {
        AccountCommand::Create { name } => {
            let key = accounts.create(name.as_deref()).await?;
            print_line(&key.reveal())
        }
        AccountCommand::RotateKey { id } => {
            let key = accounts
                .rotate_key(AccountId(*id))
                .await?
                .with_context(|| format!("no account {id}"))?;
            print_line(&key.reveal())
        }
        AccountCommand::Ban { id } => set_banned(&accounts, *id, true).await,
        AccountCommand::Unban { id } => set_banned(&accounts, *id, false).await,
    }
}

async fn set_banned(accounts: &AccountService, id: i64, banned: bool) -> anyhow::Result<()> {
    let found = accounts.set_banned(AccountId(id), banned).await?;
    anyhow::ensure!(found, "no account {id}");
    let word = if banned { "suspended" } else { "reinstated" };
    writeln!(std::io::stderr(), "account {id} {word}")?;
    Ok(())
}

fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}
