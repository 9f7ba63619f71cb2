//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// usher: connects customers' Telegram bots to subscriber tracking.
#[derive(Debug, Parser)]
#[command(name = "usher", version)]
pub struct Cli {
    /// Directory holding default.toml and local.toml.
    #[arg(
        long,
        global = true,
        default_value = "config",
        env = "USHER_CONFIG_DIR"
    )]
    pub config_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP. Refuses to start while the database lacks a migration of
    /// this build: run `usher migrate` first (a deploy's own step).
    Serve {
        /// Apply pending migrations first (creating the database if
        /// missing): for one instance or development, not a rolling deploy.
        #[arg(long)]
        migrate: bool,
    },
    /// Create the database if missing and apply pending migrations, beside
    /// instances that still serve (each statement waits at most 2 s for a
    /// lock, then the migration is tried again).
    Migrate,
    /// Run one round of the time partitions' upkeep now, as every serving
    /// instance does each `retention.upkeep_interval_s`: make the
    /// partitions ahead, drop the ones past the retention. Prints each
    /// change; exits 1 when a step failed (it is tried again next round).
    Upkeep {
        /// Keep the partitions as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Validate the configuration; show each value's source (secrets masked).
    CheckConfig,
    /// Manage customer accounts.
    #[command(subcommand)]
    Account(AccountCommand),
}

/// `usher account ...`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; prints its API key alone on one line.
    Create {
        /// A label for the account.
        #[arg(long)]
        name: Option<String>,
    },
    /// Give an account a new key; prints it. The old key stops working.
    RotateKey {
        /// The account id.
        id: i64,
    },
    /// Suspend an account: its calls answer `ban`.
    Ban {
        /// The account id.
        id: i64,
    },
    /// Reinstate a suspended account.
    Unban {
        /// The account id.
        id: i64,
    },
}
