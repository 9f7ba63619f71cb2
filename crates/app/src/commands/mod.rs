//! What each command does.

mod account;
mod check_config;
mod serve;
mod upkeep;

pub use account::account;
pub use check_config::check_config;
pub use serve::{migrate, serve};
pub use upkeep::upkeep;
