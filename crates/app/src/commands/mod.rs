//! What each command does.

mod account;
mod serve;

pub use account::account;
pub use serve::{migrate, serve};
