//! A campaign's invite links (issue 26): the link of its mode, made by
//! usher with `createChatInviteLink` and named by the campaign's code, and
//! extra named links (one per ad, say) of `camp/links.json`. Telegram keeps
//! a revoked link, and so does usher: a join that arrives late through it
//! still belongs to its campaign.

use chrono::{DateTime, Utc};

use crate::CampaignId;

/// Whether usher makes an invite link for a campaign, and which kind
/// (`link_mode` of `camp/add` and `camp/edit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkMode {
    /// No link: people come through the deep link alone (the default, and
    /// every campaign made before issue 26).
    #[default]
    None,
    /// A link that admits at once.
    Join,
    /// A link that creates a join request, decided by the campaign's
    /// join-request policy.
    Request,
}

impl LinkMode {
    /// Every mode, in the order of their codes.
    pub const ALL: [LinkMode; 3] = [LinkMode::None, LinkMode::Join, LinkMode::Request];

    /// Every API name, in the order of their codes.
    pub const NAMES: [&'static str; 3] = ["none", "join", "request"];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self.code() as usize]
    }

    /// The mode of an API name; `None` for anything else (exact, case
    /// sensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Its stored code.
    pub fn code(self) -> i16 {
        match self {
            LinkMode::None => 0,
            LinkMode::Join => 1,
            LinkMode::Request => 2,
        }
    }

    /// The mode of a stored code; an unknown code reads as none.
    pub fn from_code(code: i16) -> Self {
        Self::ALL
            .into_iter()
            .find(|m| m.code() == code)
            .unwrap_or_default()
    }

    /// Whether a link of this mode creates join requests; `None` for no
    /// link.
    pub fn creates_join_request(self) -> Option<bool> {
        match self {
            LinkMode::None => None,
            LinkMode::Join => Some(false),
            LinkMode::Request => Some(true),
        }
    }
}

/// Our id of an invite link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub i64);

/// An invite link usher made for a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteLink {
    /// Our id.
    pub id: LinkId,
    /// The campaign it belongs to.
    pub campaign: CampaignId,
    /// The link, `https://t.me/+...`, as Telegram made it.
    pub url: String,
    /// Its name (the campaign's code for the link of the campaign's mode).
    pub name: String,
    /// Whether it creates join requests instead of admitting at once.
    pub creates_join_request: bool,
    /// Whether it is the link of the campaign's mode (`invite_link` of
    /// `camp/get.json` while it is live), not an extra one.
    pub primary: bool,
    /// When usher made it.
    pub created: DateTime<Utc>,
    /// When usher revoked it; `None` while it admits.
    pub revoked: Option<DateTime<Utc>>,
}

/// A link Telegram has just made, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInviteLink {
    /// The link as Telegram answered it.
    pub url: String,
    /// The name it was made with.
    pub name: String,
    /// Whether it creates join requests.
    pub creates_join_request: bool,
    /// The link of the campaign's mode.
    pub primary: bool,
}

/// The longest link name Telegram takes, in characters.
pub const LINK_NAME_MAX_CHARS: usize = 32;

/// Whether `name` may name an extra link: 1 to 32 characters, not blank.
pub fn link_name_ok(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= LINK_NAME_MAX_CHARS
}

/// What changes in a campaign's links when its mode goes from `from` to
/// `to`: whether its live primary link is revoked, and which kind of link
/// is made in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeChange {
    /// Revoke the live primary link.
    pub revoke_primary: bool,
    /// Make a new primary link; `Some(creates_join_request)`.
    pub make: Option<bool>,
}

/// The change of links from mode `from` to mode `to`; nothing when they
/// are the same.
pub fn mode_change(from: LinkMode, to: LinkMode) -> ModeChange {
    if from == to {
        return ModeChange {
            revoke_primary: false,
            make: None,
        };
    }
    ModeChange {
        revoke_primary: from != LinkMode::None,
        make: to.creates_join_request(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_names_and_codes() {
        for mode in LinkMode::ALL {
            assert_eq!(LinkMode::parse(mode.as_str()), Some(mode));
            assert_eq!(LinkMode::from_code(mode.code()), mode);
        }
        assert_eq!(LinkMode::parse("Join"), None, "case sensitive");
        assert_eq!(LinkMode::parse(""), None);
        assert_eq!(LinkMode::from_code(9), LinkMode::None);
        assert_eq!(LinkMode::default(), LinkMode::None);
    }

    #[test]
    fn a_mode_change_revokes_the_old_link_and_makes_the_new_kind() {
        use LinkMode::*;
        let change = |revoke_primary, make| ModeChange {
            revoke_primary,
            make,
        };
        assert_eq!(mode_change(None, None), change(false, Option::None));
        assert_eq!(mode_change(Join, Join), change(false, Option::None));
        assert_eq!(mode_change(None, Join), change(false, Some(false)));
        assert_eq!(mode_change(None, Request), change(false, Some(true)));
        assert_eq!(mode_change(Join, Request), change(true, Some(true)));
        assert_eq!(mode_change(Request, None), change(true, Option::None));
    }

    #[test]
    fn names_are_one_to_32_characters_not_blank() {
        assert!(link_name_ok("ad 7"));
        assert!(link_name_ok(&"é".repeat(32)));
        assert!(!link_name_ok(&"é".repeat(33)));
        assert!(!link_name_ok(""));
        assert!(!link_name_ok("   "));
    }
}
