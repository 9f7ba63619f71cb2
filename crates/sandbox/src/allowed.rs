//! `allowed_updates` as the official server keeps it (`Client.cpp`,
//! `get_allowed_update_types`): a set of known kinds, written in one fixed
//! order, that belongs to the bot rather than to one `setWebhook` call.

use serde_json::Value;

/// Every update kind of Bot API 10.x, in the server's own order (its
/// `UpdateType` enum, without the internal custom kinds).
pub(crate) const UPDATE_KINDS: [&str; 25] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
    "message_reaction",
    "message_reaction_count",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "purchased_paid_media",
    "managed_bot",
    "guest_message",
];

/// Kinds a bot gets only when it asks for them by name.
const OPT_IN: [&str; 3] = ["chat_member", "message_reaction", "message_reaction_count"];

/// The kinds a bot receives when it never asked, or asked for none it knows.
pub(crate) fn default_kinds() -> Vec<String> {
    UPDATE_KINDS
        .iter()
        .filter(|kind| !OPT_IN.contains(kind))
        .map(|kind| (*kind).to_owned())
        .collect()
}

/// What an `allowed_updates` parameter does to the bot's list: `None` when
/// it leaves the list as it is (absent, empty, not a JSON array of strings),
/// otherwise the new list: known names lower-cased in the fixed order, or
/// the default list when none is known.
pub(crate) fn parse(raw: Option<&Value>) -> Option<Vec<String>> {
    let value = match raw? {
        Value::String(text) if text.is_empty() => return None,
        Value::String(text) => serde_json::from_str::<Value>(text).ok()?,
        other => other.clone(),
    };
    let Value::Array(items) = value else {
        return None;
    };
    let mut asked = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(name) = item else {
            return None;
        };
        asked.push(name.to_ascii_lowercase());
    }
    let known: Vec<String> = UPDATE_KINDS
        .iter()
        .filter(|kind| asked.iter().any(|a| a == *kind))
        .map(|kind| (*kind).to_owned())
        .collect();
    Some(if known.is_empty() {
        default_kinds()
    } else {
        known
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_lower_cased_ordered_and_unknown_ones_dropped() {
        let list = parse(Some(&json!(["CHAT_MEMBER", "nonsense", "Message"]))).unwrap();
        assert_eq!(list, vec!["message", "chat_member"]);
    }

    #[test]
    fn a_serialized_array_works_like_an_array() {
        let list = parse(Some(&json!("[\"my_chat_member\"]"))).unwrap();
        assert_eq!(list, vec!["my_chat_member"]);
    }

    #[test]
    fn nothing_known_or_an_empty_list_means_the_default() {
        assert_eq!(parse(Some(&json!([]))).unwrap(), default_kinds());
        assert_eq!(parse(Some(&json!(["nope"]))).unwrap(), default_kinds());
        assert!(!default_kinds().contains(&"chat_member".to_owned()));
    }

    #[test]
    fn absent_or_unparsable_values_keep_the_old_list() {
        assert_eq!(parse(None), None);
        assert_eq!(parse(Some(&json!(""))), None);
        assert_eq!(parse(Some(&json!("[not json"))), None);
        assert_eq!(parse(Some(&json!({"a": 1}))), None);
        assert_eq!(parse(Some(&json!(["message", 1]))), None);
    }
}
