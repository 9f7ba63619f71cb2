//! The private-channel flow's rules (issue 26): what a campaign's
//! join-request policy does with a request for its chat, when a greeting
//! through the request's `user_chat_id` may still go, which campaign an
//! invite link belongs to, and when a customer may decide a request from
//! the API.
//!
//! Pure rules; the outbox carries out what they decide (a greeting and an
//! answer to Telegram are outgoing work like any welcome).

/// What a campaign does with a join request for its chat
/// (`join_requests` of `camp/add` and `camp/edit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinRequestPolicy {
    /// The request is held (rule 2); a person approves it in Telegram, or
    /// the customer through `leads/approve.json` or `leads/decline.json`.
    #[default]
    Manual,
    /// Approved at once.
    Approve,
    /// The requester is greeted through `user_chat_id`, then approved.
    AfterWelcome,
    /// Declined at once.
    Decline,
}

impl JoinRequestPolicy {
    /// Every policy, in the order of their codes.
    pub const ALL: [JoinRequestPolicy; 4] = [
        JoinRequestPolicy::Manual,
        JoinRequestPolicy::Approve,
        JoinRequestPolicy::AfterWelcome,
        JoinRequestPolicy::Decline,
    ];

    /// The API names of every policy, in the order of their codes.
    pub const NAMES: [&'static str; 4] = ["manual", "approve", "after_welcome", "decline"];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self.code() as usize]
    }

    /// The policy of an API name; `None` for anything else (exact, case
    /// sensitive, as every enumerated parameter of the API).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Its stored code.
    pub fn code(self) -> i16 {
        match self {
            JoinRequestPolicy::Manual => 0,
            JoinRequestPolicy::Approve => 1,
            JoinRequestPolicy::AfterWelcome => 2,
            JoinRequestPolicy::Decline => 3,
        }
    }

    /// The policy of a stored code.
    pub fn from_code(code: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// An answer to a join request (`approveChatJoinRequest` or
/// `declineChatJoinRequest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAnswer {
    /// Let the person in: Telegram then sends the join (rule 3 follows).
    Approve,
    /// Refuse the request.
    Decline,
}

impl RequestAnswer {
    /// Its stored code (`outbox.answer`).
    pub fn code(self) -> i16 {
        match self {
            RequestAnswer::Approve => 1,
            RequestAnswer::Decline => 2,
        }
    }

    /// The answer of a stored code.
    pub fn from_code(code: i16) -> Option<Self> {
        [RequestAnswer::Approve, RequestAnswer::Decline]
            .into_iter()
            .find(|a| a.code() == code)
    }

    /// Its name in the API (`approve`, `decline`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAnswer::Approve => "approve",
            RequestAnswer::Decline => "decline",
        }
    }
}

/// What to queue for a new join request of an active campaign's chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPlan {
    /// Greet the requester through `user_chat_id` first.
    pub greet: bool,
    /// Answer the request, after the greeting when there is one.
    pub answer: Option<RequestAnswer>,
}

/// The plan of `policy` for a new request. A paused or deleted campaign
/// queues nothing whatever its policy (rules 1 and 8 stand): the request
/// waits for a person, as under `manual`.
pub fn plan_request(policy: JoinRequestPolicy, campaign_active: bool) -> RequestPlan {
    let (greet, answer) = match policy {
        _ if !campaign_active => (false, None),
        JoinRequestPolicy::Manual => (false, None),
        JoinRequestPolicy::Approve => (false, Some(RequestAnswer::Approve)),
        JoinRequestPolicy::AfterWelcome => (true, Some(RequestAnswer::Approve)),
        JoinRequestPolicy::Decline => (false, Some(RequestAnswer::Decline)),
    };
    RequestPlan { greet, answer }
}

/// How long a join request's `user_chat_id` may be messaged: "for 5
/// minutes … until the join request is processed" (Bot API,
/// ChatJoinRequest).
pub const USER_CHAT_WINDOW_SECS: i64 = 300;

/// Whether a greeting through `user_chat_id` may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Greeting {
    /// Send it.
    Send,
    /// It can no longer go: fail it with this reason (the answer to the
    /// request still goes).
    Missed(&'static str),
}

/// Reason of a greeting whose five minutes passed.
pub const WINDOW_CLOSED: &str = "user_chat_id window closed";
/// Reason of a greeting whose request was decided before it went.
pub const REQUEST_DECIDED: &str = "join request already decided";

/// Whether a greeting for a request dated `requested` (Unix seconds) may
/// go at `now`, given whether the request has been decided meanwhile.
/// Strictly inside the window: at five minutes sharp it is closed, so a
/// clock a little ahead of Telegram's fails a greeting rather than sends
/// one Telegram refuses.
pub fn greeting(requested: i64, now: i64, decided: bool) -> Greeting {
    if decided {
        Greeting::Missed(REQUEST_DECIDED)
    } else if now.saturating_sub(requested) >= USER_CHAT_WINDOW_SECS {
        Greeting::Missed(WINDOW_CLOSED)
    } else {
        Greeting::Send
    }
}

/// The campaign (or link id) whose invite link `link` is, among `links`: every link
/// usher created for the campaigns of the chat, as Telegram returned it,
/// revoked ones included (a request sent through a link before it was
/// revoked still belongs to its campaign).
///
/// Exact match only. Telegram shows a link created by another
/// administrator with its tail replaced by "…"; such a link never belongs
/// to a campaign.
pub fn campaign_of_link<'a, T>(
    link: &str,
    links: impl IntoIterator<Item = (&'a str, T)>,
) -> Option<T> {
    if link.contains('…') {
        return None;
    }
    links
        .into_iter()
        .find(|(known, _)| *known == link)
        .map(|(_, campaign)| campaign)
}

/// Why a customer may not decide a request from the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecideRefusal {
    /// The lead is not held: there is no request of theirs to decide.
    #[error("the lead is not held")]
    NotHeld,
    /// Its request was decided already (by a person in Telegram, or by an
    /// earlier call) and Telegram's answer has not come back yet.
    #[error("the request is being decided")]
    AlreadyDeciding,
}

/// Whether `leads/approve.json` or `leads/decline.json` may queue an answer
/// for a lead whose status is `held` or not, with `deciding` saying whether
/// an answer is queued already.
pub fn may_decide(held: bool, deciding: bool) -> Result<(), DecideRefusal> {
    if !held {
        Err(DecideRefusal::NotHeld)
    } else if deciding {
        Err(DecideRefusal::AlreadyDeciding)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CampaignId;

    #[test]
    fn names_and_codes_round_trip_and_nothing_else_parses() {
        for policy in JoinRequestPolicy::ALL {
            assert_eq!(JoinRequestPolicy::parse(policy.as_str()), Some(policy));
            assert_eq!(JoinRequestPolicy::from_code(policy.code()), Some(policy));
        }
        for bad in ["", "Manual", "after-welcome", "approve ", "1"] {
            assert_eq!(JoinRequestPolicy::parse(bad), None, "{bad:?}");
        }
        assert_eq!(JoinRequestPolicy::from_code(4), None);
        assert_eq!(JoinRequestPolicy::default(), JoinRequestPolicy::Manual);
    }

    #[test]
    fn each_policy_plans_its_answer_and_only_after_welcome_greets() {
        use JoinRequestPolicy::*;
        let plan = |p| plan_request(p, true);
        assert_eq!(
            plan(Manual),
            RequestPlan {
                greet: false,
                answer: None
            }
        );
        assert_eq!(plan(Approve).answer, Some(RequestAnswer::Approve));
        assert!(!plan(Approve).greet);
        assert_eq!(
            plan(AfterWelcome),
            RequestPlan {
                greet: true,
                answer: Some(RequestAnswer::Approve)
            }
        );
        assert_eq!(plan(Decline).answer, Some(RequestAnswer::Decline));
        // A paused or deleted campaign answers nothing and greets nobody.
        for policy in JoinRequestPolicy::ALL {
            assert_eq!(
                plan_request(policy, false),
                RequestPlan {
                    greet: false,
                    answer: None
                }
            );
        }
    }

    #[test]
    fn a_greeting_goes_only_inside_five_minutes_and_before_the_answer() {
        let asked = 1_800_000_000;
        assert_eq!(greeting(asked, asked, false), Greeting::Send);
        assert_eq!(greeting(asked, asked + 299, false), Greeting::Send);
        assert_eq!(
            greeting(asked, asked + 300, false),
            Greeting::Missed(WINDOW_CLOSED)
        );
        assert_eq!(
            greeting(asked, asked + 10, true),
            Greeting::Missed(REQUEST_DECIDED)
        );
        // A clock behind the request's date still sends; extremes do not
        // overflow.
        assert_eq!(greeting(asked, asked - 5, false), Greeting::Send);
        assert_eq!(
            greeting(i64::MIN, i64::MAX, false),
            Greeting::Missed(WINDOW_CLOSED)
        );
    }

    #[test]
    fn a_link_is_its_campaigns_only_when_it_matches_exactly() {
        let links = [
            ("https://t.me/+AbCdEfGh12345678", CampaignId(7)),
            ("https://t.me/+ZyXwVuTs87654321", CampaignId(9)),
        ];
        assert_eq!(
            campaign_of_link("https://t.me/+ZyXwVuTs87654321", links),
            Some(CampaignId(9))
        );
        assert_eq!(
            campaign_of_link("https://t.me/+AbCdEfGh1234567", links),
            None
        );
        assert_eq!(
            campaign_of_link("https://t.me/+AbCdEfGh12345678 ", links),
            None
        );
        // Another administrator's link, shown elided, never matches, even
        // one whose visible part is a campaign's.
        assert_eq!(campaign_of_link("https://t.me/+AbCd…", links), None);
        let elided_known = [("https://t.me/+AbCd…", CampaignId(3))];
        assert_eq!(campaign_of_link("https://t.me/+AbCd…", elided_known), None);
    }

    #[test]
    fn only_a_held_lead_with_no_answer_queued_may_be_decided() {
        assert_eq!(may_decide(true, false), Ok(()));
        assert_eq!(may_decide(false, false), Err(DecideRefusal::NotHeld));
        assert_eq!(may_decide(false, true), Err(DecideRefusal::NotHeld));
        assert_eq!(may_decide(true, true), Err(DecideRefusal::AlreadyDeciding));
    }
}
