//! The teloxide-core adapter of usher's Telegram port.
//!
//! One shared HTTP client serves every bot; `telegram.api_url` decides where
//! calls go (Telegram itself, or `tg-sandbox` in tests). Every call is bounded
//! by `telegram.timeout_ms`, and no error this crate produces contains a token:
//! messages are built here from error kinds, and are redacted once more.

mod errors;
mod gateway;

pub use gateway::{GatewaySettings, TeloxideGateway};
