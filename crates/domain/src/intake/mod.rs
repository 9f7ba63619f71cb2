//! Webhook intake: what an Update from Telegram means for usher.
//!
//! [`parse_update`] reads a webhook body with types of usher's own
//! ([`wire`]) that tolerate missing optional fields, extra fields and
//! unknown values, unlike teloxide's `Update`, which silently turns such
//! updates into an empty `UpdateKind::Error`.

mod admission;
mod effect;
mod parse;
pub mod wire;

pub use admission::{Admission, Priority};
pub use effect::{
    BotMembership, ChatRef, Effect, MemberEvent, MemberEventKind, StartCommand, UserRef,
};
pub use parse::{IncomingUpdate, NotAnUpdate, parse_update};
