//! Deep links: `https://t.me/<bot>?start=<code>-<click>`, and the
//! `/start <payload>` message Telegram delivers when someone taps one.

use crate::campaign::CODE_LEN;

/// The longest click id: `start` holds 64 characters, the code and its
/// dash take 9.
pub const CLICK_MAX_LEN: usize = 55;

/// What a `/start` payload names: a campaign code and the tracker's click.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPayload {
    /// The campaign code (before the first `-`).
    pub code: String,
    /// The click id (after the first `-`; may hold `-` itself), `""` when
    /// the link had none.
    pub click: String,
}

fn is_link_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl StartPayload {
    /// Reads the text of a private message. `None` unless it is `/start`
    /// (optionally `/start@<bot>`) followed by a payload of a code of
    /// [`CODE_LEN`] letters and digits, optionally `-` and a click of at most
    /// [`CLICK_MAX_LEN`] characters of `A-Za-z0-9_-`.
    pub fn from_message(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("/start")?;
        let rest = match rest.strip_prefix('@') {
            Some(mention) => mention.split_once(' ').map_or("", |(_, after)| after),
            None => rest.strip_prefix(' ')?,
        };
        let payload = rest.trim();
        let (code, click) = payload.split_once('-').unwrap_or((payload, ""));
        let code_ok = code.len() == CODE_LEN && code.chars().all(|c| c.is_ascii_alphanumeric());
        let click_ok = click.len() <= CLICK_MAX_LEN && click.chars().all(is_link_char);
        (code_ok && click_ok).then(|| Self {
            code: code.to_owned(),
            click: click.to_owned(),
        })
    }
}

/// Whether `text` is a `/start` command at all (with or without payload).
pub fn is_start(text: &str) -> bool {
    text == "/start" || text.starts_with("/start ") || text.starts_with("/start@")
}

/// The link `camp/get.json` answers: the deep link with `{click}` in place
/// of the click, ready for a tracker.
pub fn campaign_link(bot_username: &str, code: &str) -> String {
    format!("https://t.me/{bot_username}?start={code}-{{click}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_splits_at_its_first_dash() {
        let p = StartPayload::from_message("/start Ab12Cd34-click-with-dash_1").unwrap();
        assert_eq!(p.code, "Ab12Cd34");
        assert_eq!(p.click, "click-with-dash_1");
        let bare = StartPayload::from_message("/start Ab12Cd34").unwrap();
        assert_eq!(bare.click, "");
        let mention = StartPayload::from_message("/start@mybot Ab12Cd34-x").unwrap();
        assert_eq!(mention.click, "x");
    }

    #[test]
    fn anything_else_names_no_campaign() {
        for text in [
            "/start",
            "/start ",
            "/starting Ab12Cd34",
            "/start Ab12Cd3",
            "/start Ab12Cd345",
            "/start Ab12Cd3!-x",
            "/start Ab12Cd34-x y",
            "hello",
        ] {
            assert_eq!(StartPayload::from_message(text), None, "{text}");
        }
        let long = format!("/start Ab12Cd34-{}", "c".repeat(CLICK_MAX_LEN + 1));
        assert_eq!(StartPayload::from_message(&long), None);
        let longest = format!("/start Ab12Cd34-{}", "c".repeat(CLICK_MAX_LEN));
        assert!(StartPayload::from_message(&longest).is_some());
    }

    #[test]
    fn start_commands_are_recognised_with_or_without_payload() {
        assert!(is_start("/start"));
        assert!(is_start("/start xyz"));
        assert!(is_start("/start@bot"));
        assert!(!is_start("/stats"));
    }

    #[test]
    fn the_link_leaves_the_click_to_the_tracker() {
        assert_eq!(
            campaign_link("mytrackbot", "Ab12Cd34"),
            "https://t.me/mytrackbot?start=Ab12Cd34-{click}"
        );
    }
}
