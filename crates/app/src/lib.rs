//! The `usher` binary's library: configuration, logging, wiring and the
//! commands, so that tests can start the real server in-process.

pub mod cli;
pub mod commands;
pub mod metrics;
pub mod outcome_retry;
pub mod postback_client;
pub mod postback_sender;
pub mod readiness;
pub mod server;
pub mod settings;
pub mod telemetry;
pub mod token_key;
pub mod upkeep;
pub mod welcome_sender;

pub use server::{Running, start};
pub use settings::Settings;
