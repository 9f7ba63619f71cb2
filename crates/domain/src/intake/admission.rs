//! Admission control for webhook intake: how many updates one instance
//! holds at once (waiting for a batch or being applied), and which are
//! turned away first when it is full. A turned-away delivery is answered
//! 503 with `Retry-After`, so Telegram keeps the update and delivers it
//! again; nothing is lost, and the updates admitted keep their latency
//! instead of every delivery waiting behind a queue that only grows.

use super::{Effect, IncomingUpdate};

/// How urgently an update is taken in when intake is nearly full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// A person waits on it: `/start` in the bot's private chat, whose
    /// welcome must not wait behind a channel's burst of joins.
    Urgent,
    /// Everything else (member updates, the bot's own status, messages).
    Normal,
}

impl IncomingUpdate {
    /// This update's [`Priority`].
    pub fn priority(&self) -> Priority {
        match self.effect {
            Effect::Start(_) => Priority::Urgent,
            _ => Priority::Normal,
        }
    }
}

/// The most updates held at once, and the part of it that normal updates
/// may fill: the rest is kept for urgent ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    limit: usize,
}

impl Admission {
    /// At most `limit` updates held at once (at least 1).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
        }
    }

    /// The most updates held at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether an update of `priority` is taken in while `held` are held
    /// already: urgent ones up to the limit, normal ones up to three
    /// quarters of it.
    pub fn admits(&self, held: usize, priority: Priority) -> bool {
        let room = match priority {
            Priority::Urgent => self.limit,
            Priority::Normal => (self.limit * 3 / 4).max(1),
        };
        held < room
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::parse_update;

    fn update(json: &str) -> IncomingUpdate {
        parse_update(json.as_bytes()).expect("an update")
    }

    #[test]
    fn a_start_in_the_private_chat_is_urgent_a_member_update_is_not() {
        let start = update(
            r#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private","first_name":"A"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"/start abc"}}"#,
        );
        assert_eq!(start.priority(), Priority::Urgent);
        let join = update(
            r#"{"update_id":2,"chat_member":{"chat":{"id":-100,"type":"channel","title":"C"},"from":{"id":5,"is_bot":false,"first_name":"A"},"date":1,"old_chat_member":{"user":{"id":5,"is_bot":false,"first_name":"A"},"status":"left"},"new_chat_member":{"user":{"id":5,"is_bot":false,"first_name":"A"},"status":"member"}}}"#,
        );
        assert_eq!(join.priority(), Priority::Normal);
        let text = update(
            r#"{"update_id":3,"message":{"message_id":2,"date":1,"chat":{"id":5,"type":"private","first_name":"A"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hello"}}"#,
        );
        assert_eq!(text.priority(), Priority::Normal);
    }

    #[test]
    fn normal_updates_leave_a_quarter_of_the_room_to_urgent_ones() {
        let admission = Admission::new(8);
        assert!(admission.admits(5, Priority::Normal));
        assert!(!admission.admits(6, Priority::Normal));
        assert!(admission.admits(7, Priority::Urgent));
        assert!(!admission.admits(8, Priority::Urgent));
    }

    #[test]
    fn a_limit_of_one_still_admits_one_of_each() {
        let admission = Admission::new(0);
        assert_eq!(admission.limit(), 1);
        assert!(admission.admits(0, Priority::Normal));
        assert!(admission.admits(0, Priority::Urgent));
        assert!(!admission.admits(1, Priority::Urgent));
    }
}
