//! The parameters several methods take, read as the official server reads
//! them (`td::to_integer`), with Telegram's answers when they are wrong.

use crate::envelope::Refusal;
use crate::params::{self, Params};
use crate::state::State;

/// The leading integer of a parameter, as `td::to_integer` reads it
/// (`"12abc"` is 12, `"abc"` is 0).
fn leading_integer(text: &str) -> i64 {
    let text = text.trim();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// `chat_id`: `Err` with Telegram's answer when it is missing or names
/// no chat the sandbox knows.
pub(crate) fn chat_id(state: &State, params: &Params) -> Result<i64, Refusal> {
    let raw = params::string(params, "chat_id").unwrap_or_default();
    if raw.is_empty() {
        return Err(Refusal::bad_request("chat_id is empty"));
    }
    if let Some(username) = raw.strip_prefix('@') {
        return state
            .lock()
            .world
            .chat_by_username(username)
            .ok_or_else(|| Refusal::bad_request("chat not found"));
    }
    match leading_integer(&raw) {
        0 => Err(Refusal::bad_request("chat not found")),
        id => Ok(id),
    }
}

/// `user_id`: `Err` with Telegram's answer when it is not a positive integer.
pub(crate) fn user_id(params: &Params) -> Result<i64, Refusal> {
    let raw = params::string(params, "user_id").unwrap_or_default();
    match leading_integer(&raw).max(0) {
        0 => Err(Refusal::bad_request("invalid user_id specified")),
        id => Ok(id),
    }
}

#[cfg(test)]
mod tests {
    use super::leading_integer;

    #[test]
    fn integers_are_read_like_td_to_integer() {
        assert_eq!(leading_integer("12abc"), 12);
        assert_eq!(leading_integer("-100123"), -100123);
        assert_eq!(leading_integer("abc"), 0);
        assert_eq!(leading_integer(""), 0);
    }
}
