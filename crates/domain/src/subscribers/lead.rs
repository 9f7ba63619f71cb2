//! A lead: one subscriber in one campaign, and the statuses it goes
//! through.

/// A lead's status (`subscribers.md`, "Lead statuses").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadStatus {
    /// 0: started the bot through the campaign's link.
    Wait,
    /// 1: asked to join the chat, not yet admitted.
    Hold,
    /// 2: a member of the chat.
    Approve,
    /// 3: left the chat.
    Cancel,
    /// 4: removed (banned) from the chat.
    Trash,
}

impl LeadStatus {
    /// Every status, by code.
    pub const ALL: [LeadStatus; 5] = [
        LeadStatus::Wait,
        LeadStatus::Hold,
        LeadStatus::Approve,
        LeadStatus::Cancel,
        LeadStatus::Trash,
    ];

    /// The API's code, 0 to 4.
    pub fn code(self) -> i16 {
        match self {
            LeadStatus::Wait => 0,
            LeadStatus::Hold => 1,
            LeadStatus::Approve => 2,
            LeadStatus::Cancel => 3,
            LeadStatus::Trash => 4,
        }
    }

    /// The status of a code; `None` outside 0-4.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| i64::from(s.code()) == code)
    }

    /// The name postbacks report (`{status}`).
    pub fn name(self) -> &'static str {
        match self {
            LeadStatus::Wait => "wait",
            LeadStatus::Hold => "hold",
            LeadStatus::Approve => "approve",
            LeadStatus::Cancel => "cancel",
            LeadStatus::Trash => "trash",
        }
    }
}

/// Where an event stands in a bot's history: Telegram's `date`, then the
/// `update_id`. Rules apply in this order; an older event changes no lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventOrder {
    /// The update's date, Unix seconds.
    pub date: i64,
    /// The update's id.
    pub update_id: i64,
}

/// A lead's state, as the rules read and change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// Its status now.
    pub status: LeadStatus,
    /// The tracker's click id of the last link that brought the person.
    pub click: String,
    /// When the person first started the bot (Unix seconds).
    pub start_time: i64,
    /// When the person last joined the chat; `None` until the first join.
    pub join_time: Option<i64>,
    /// The last event applied to it.
    pub last_event: EventOrder,
}

impl Lead {
    /// Whether the lead ever reached approve (it counts in `confirms`).
    pub fn confirmed(&self) -> bool {
        self.join_time.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for status in LeadStatus::ALL {
            assert_eq!(
                LeadStatus::from_code(i64::from(status.code())),
                Some(status)
            );
        }
        assert_eq!(LeadStatus::from_code(5), None);
        assert_eq!(LeadStatus::Approve.name(), "approve");
    }
}
