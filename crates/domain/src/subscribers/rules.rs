//! The rules of "What happens" (`subscribers.md`, rules 1-8) as one pure
//! function: from (the lead, if any; the campaign's state; the event) to
//! what becomes of the lead, whether a welcome is sent, which postback is
//! queued, and how the journal records it.

use super::lead::{EventOrder, Lead, LeadStatus};

/// The state of the campaign an event concerns, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignState {
    /// Active (0), paused (1) or deleted (2); a campaign whose bot is
    /// deleted counts as deleted.
    pub status: crate::CampaignStatus,
    /// `unsub_window` in seconds; 0: no window.
    pub unsub_window: i64,
}

/// What happened to the subscriber, already attributed to the campaign
/// whose code or chat it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriberEvent {
    /// `/start` with the campaign's code; `click` from the payload (`""`
    /// without one).
    Start {
        /// The click id.
        click: String,
    },
    /// A join request for the campaign's chat.
    JoinRequest,
    /// The person became a member of the chat, from a status that was not.
    Join,
    /// The person left the chat.
    Leave,
    /// The person was removed (banned) from the chat.
    Kick,
    /// A join request through one of the campaign's invite links
    /// (issue 26): a join request that makes a lead when there is none.
    RequestThroughLink,
    /// A join through one of the campaign's invite links (issue 26): a
    /// join that makes a lead when there is none.
    JoinThroughLink,
}

/// What becomes of the lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadChange {
    /// Nothing changes (or there is still no lead).
    Unchanged,
    /// A new lead.
    Created(Lead),
    /// The lead as it is now.
    Updated(Lead),
}

/// What the rules decide for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The lead's change.
    pub lead: LeadChange,
    /// Queue the welcome message to the person.
    pub welcome: bool,
    /// Queue the postback of this status.
    pub postback: Option<LeadStatus>,
    /// The journal entry belongs to a lead (`paid`).
    pub paid: bool,
}

impl Decision {
    fn journal_only(paid: bool) -> Self {
        Self {
            lead: LeadChange::Unchanged,
            welcome: false,
            postback: None,
            paid,
        }
    }
}

/// Applies one event at `at` to `lead` (the lead of this campaign and
/// person, if any) under `campaign`.
///
/// The promises, each tested: one lead per campaign and person (a lead is
/// only ever created when there is none); an event not newer than the
/// lead's last changes nothing; a paused campaign makes no lead and queues
/// no postback and no welcome; a deleted one changes nothing; cancel and
/// trash postbacks come only after a join and inside the unsub window.
pub fn apply(
    lead: Option<&Lead>,
    campaign: CampaignState,
    event: &SubscriberEvent,
    at: EventOrder,
) -> Decision {
    use crate::CampaignStatus::{Active, Deleted, Paused};
    if campaign.status == Deleted {
        return Decision::journal_only(lead.is_some());
    }
    let active = campaign.status == Active;
    let Some(lead) = lead else {
        // Rules 1 and 8: only a start through an active campaign makes a
        // lead, and (issue 26) a join or request through one of its invite
        // links, with no click; anything else is organic.
        let created = |status, click: &str, welcome| Decision {
            lead: LeadChange::Created(Lead {
                status,
                click: click.to_owned(),
                start_time: at.date,
                join_time: (status == LeadStatus::Approve).then_some(at.date),
                last_event: at,
            }),
            welcome,
            postback: Some(status),
            paid: true,
        };
        return match event {
            SubscriberEvent::Start { click } if active => created(LeadStatus::Wait, click, true),
            SubscriberEvent::RequestThroughLink if active => created(LeadStatus::Hold, "", false),
            SubscriberEvent::JoinThroughLink if active => created(LeadStatus::Approve, "", false),
            _ => Decision::journal_only(false),
        };
    };
    if at <= lead.last_event {
        // A retried or reordered delivery cannot undo a newer state.
        return Decision::journal_only(true);
    }
    let mut next = lead.clone();
    next.last_event = at;
    let mut welcome = false;
    let mut postback = None;
    match event {
        SubscriberEvent::Start { click } => {
            if !click.is_empty() {
                next.click = click.clone();
            }
            welcome = active;
            if matches!(
                lead.status,
                LeadStatus::Wait | LeadStatus::Cancel | LeadStatus::Trash
            ) {
                next.status = LeadStatus::Wait;
                postback = Some(LeadStatus::Wait);
            }
        }
        // Through a link or not, a lead's join is a join: it keeps its click.
        SubscriberEvent::JoinRequest | SubscriberEvent::RequestThroughLink => {
            next.status = LeadStatus::Hold;
            postback = Some(LeadStatus::Hold);
        }
        SubscriberEvent::Join | SubscriberEvent::JoinThroughLink => {
            next.status = LeadStatus::Approve;
            next.join_time = Some(at.date);
            postback = Some(LeadStatus::Approve);
        }
        SubscriberEvent::Leave | SubscriberEvent::Kick => {
            let status = if *event == SubscriberEvent::Leave {
                LeadStatus::Cancel
            } else {
                LeadStatus::Trash
            };
            next.status = status;
            let inside_window = lead.join_time.is_some_and(|joined| {
                campaign.unsub_window == 0 || at.date - joined <= campaign.unsub_window
            });
            postback = inside_window.then_some(status);
        }
    }
    if campaign.status == Paused {
        postback = None;
    }
    Decision {
        lead: LeadChange::Updated(next),
        welcome,
        postback,
        paid: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CampaignStatus;

    const ACTIVE: CampaignState = CampaignState {
        status: CampaignStatus::Active,
        unsub_window: 0,
    };

    fn at(date: i64) -> EventOrder {
        EventOrder {
            date,
            update_id: date,
        }
    }

    fn start(click: &str) -> SubscriberEvent {
        SubscriberEvent::Start {
            click: click.into(),
        }
    }

    fn updated(decision: &Decision) -> Lead {
        match &decision.lead {
            LeadChange::Created(lead) | LeadChange::Updated(lead) => lead.clone(),
            LeadChange::Unchanged => panic!("no change: {decision:?}"),
        }
    }

    #[test]
    fn a_first_start_makes_a_waiting_lead_greets_and_posts_wait() {
        let d = apply(None, ACTIVE, &start("c1"), at(100));
        assert_eq!(
            d.lead,
            LeadChange::Created(Lead {
                status: LeadStatus::Wait,
                click: "c1".into(),
                start_time: 100,
                join_time: None,
                last_event: at(100),
            })
        );
        assert!(d.welcome && d.paid);
        assert_eq!(d.postback, Some(LeadStatus::Wait));
    }

    #[test]
    fn a_repeat_start_greets_again_and_only_a_lost_lead_waits_again() {
        let lead = updated(&apply(None, ACTIVE, &start("c1"), at(100)));
        let again = apply(Some(&lead), ACTIVE, &start(""), at(110));
        let same = updated(&again);
        assert_eq!(same.click, "c1", "no click keeps the old one");
        assert!(again.welcome);
        assert_eq!(again.postback, Some(LeadStatus::Wait));

        let member = updated(&apply(Some(&same), ACTIVE, &SubscriberEvent::Join, at(120)));
        let d = apply(Some(&member), ACTIVE, &start("c2"), at(130));
        assert!(d.welcome);
        assert_eq!(d.postback, None, "a member stays approve");
        assert_eq!(updated(&d).status, LeadStatus::Approve);
        assert_eq!(updated(&d).click, "c2");

        let gone = updated(&apply(
            Some(&member),
            ACTIVE,
            &SubscriberEvent::Leave,
            at(140),
        ));
        let back = apply(Some(&gone), ACTIVE, &start("c3"), at(150));
        assert_eq!(
            updated(&back).status,
            LeadStatus::Wait,
            "a new ad brought them back"
        );
        assert_eq!(back.postback, Some(LeadStatus::Wait));
    }

    #[test]
    fn request_join_leave_kick_move_the_lead() {
        let lead = updated(&apply(None, ACTIVE, &start(""), at(100)));
        let hold = apply(Some(&lead), ACTIVE, &SubscriberEvent::JoinRequest, at(110));
        assert_eq!(updated(&hold).status, LeadStatus::Hold);
        assert_eq!(hold.postback, Some(LeadStatus::Hold));
        let join = apply(
            Some(&updated(&hold)),
            ACTIVE,
            &SubscriberEvent::Join,
            at(120),
        );
        assert_eq!(updated(&join).join_time, Some(120));
        assert_eq!(join.postback, Some(LeadStatus::Approve));
        let kick = apply(
            Some(&updated(&join)),
            ACTIVE,
            &SubscriberEvent::Kick,
            at(130),
        );
        assert_eq!(updated(&kick).status, LeadStatus::Trash);
        assert_eq!(kick.postback, Some(LeadStatus::Trash));
        let rejoin = apply(
            Some(&updated(&kick)),
            ACTIVE,
            &SubscriberEvent::Join,
            at(200),
        );
        assert_eq!(
            updated(&rejoin).join_time,
            Some(200),
            "a re-join sets it again"
        );
    }

    #[test]
    fn the_unsub_window_decides_cancel_postbacks_not_the_status() {
        let windowed = CampaignState {
            unsub_window: 60,
            ..ACTIVE
        };
        let lead = updated(&apply(None, windowed, &start(""), at(100)));
        let never_joined = apply(Some(&lead), windowed, &SubscriberEvent::Leave, at(110));
        assert_eq!(updated(&never_joined).status, LeadStatus::Cancel);
        assert_eq!(never_joined.postback, None, "no join, no cancel postback");

        let joined = updated(&apply(
            Some(&lead),
            windowed,
            &SubscriberEvent::Join,
            at(200),
        ));
        let inside = apply(Some(&joined), windowed, &SubscriberEvent::Leave, at(260));
        assert_eq!(inside.postback, Some(LeadStatus::Cancel));
        let outside = apply(Some(&joined), windowed, &SubscriberEvent::Leave, at(261));
        assert_eq!(updated(&outside).status, LeadStatus::Cancel);
        assert_eq!(outside.postback, None);
    }

    #[test]
    fn an_older_event_is_journaled_and_changes_nothing() {
        let lead = updated(&apply(None, ACTIVE, &start(""), at(100)));
        let joined = updated(&apply(Some(&lead), ACTIVE, &SubscriberEvent::Join, at(200)));
        let late = apply(
            Some(&joined),
            ACTIVE,
            &SubscriberEvent::JoinRequest,
            at(150),
        );
        assert_eq!(late, Decision::journal_only(true));
        let same_date_older_id = EventOrder {
            date: 200,
            update_id: 199,
        };
        let late = apply(
            Some(&joined),
            ACTIVE,
            &SubscriberEvent::Leave,
            same_date_older_id,
        );
        assert_eq!(late.lead, LeadChange::Unchanged);
    }

    #[test]
    fn paused_makes_no_lead_and_no_postback_but_moves_existing_leads() {
        let paused = CampaignState {
            status: CampaignStatus::Paused,
            unsub_window: 0,
        };
        assert_eq!(
            apply(None, paused, &start("x"), at(100)),
            Decision::journal_only(false)
        );
        let lead = updated(&apply(None, ACTIVE, &start(""), at(100)));
        let d = apply(Some(&lead), paused, &SubscriberEvent::Join, at(110));
        assert_eq!(updated(&d).status, LeadStatus::Approve);
        assert_eq!(d.postback, None);
        let again = apply(Some(&updated(&d)), paused, &start(""), at(120));
        assert!(!again.welcome, "nothing is sent for a paused campaign");
    }

    #[test]
    fn deleted_changes_nothing_and_organic_events_are_unattributed() {
        let deleted = CampaignState {
            status: CampaignStatus::Deleted,
            unsub_window: 0,
        };
        let lead = updated(&apply(None, ACTIVE, &start(""), at(100)));
        assert_eq!(
            apply(Some(&lead), deleted, &SubscriberEvent::Join, at(110)),
            Decision::journal_only(true)
        );
        assert_eq!(
            apply(None, deleted, &start(""), at(110)),
            Decision::journal_only(false)
        );
        for event in [
            SubscriberEvent::Join,
            SubscriberEvent::Leave,
            SubscriberEvent::JoinRequest,
        ] {
            assert_eq!(
                apply(None, ACTIVE, &event, at(110)),
                Decision::journal_only(false)
            );
        }
    }

    #[test]
    fn a_join_or_request_through_a_campaign_link_makes_a_lead_without_a_click() {
        let joined = apply(None, ACTIVE, &SubscriberEvent::JoinThroughLink, at(100));
        assert_eq!(
            joined.lead,
            LeadChange::Created(Lead {
                status: LeadStatus::Approve,
                click: String::new(),
                start_time: 100,
                join_time: Some(100),
                last_event: at(100),
            })
        );
        assert!(
            joined.paid && !joined.welcome,
            "no private chat to greet in"
        );
        assert_eq!(joined.postback, Some(LeadStatus::Approve));

        let asked = apply(None, ACTIVE, &SubscriberEvent::RequestThroughLink, at(100));
        let held = updated(&asked);
        assert_eq!((held.status, held.join_time), (LeadStatus::Hold, None));
        assert_eq!(asked.postback, Some(LeadStatus::Hold));
        let admitted = apply(
            Some(&held),
            ACTIVE,
            &SubscriberEvent::JoinThroughLink,
            at(110),
        );
        assert_eq!(updated(&admitted).status, LeadStatus::Approve);
        assert_eq!(updated(&admitted).start_time, 100);
    }

    #[test]
    fn a_deep_link_lead_joining_through_a_link_keeps_its_click() {
        let lead = updated(&apply(None, ACTIVE, &start("click-7"), at(100)));
        let d = apply(
            Some(&lead),
            ACTIVE,
            &SubscriberEvent::JoinThroughLink,
            at(110),
        );
        let member = updated(&d);
        assert_eq!(member.click, "click-7");
        assert_eq!(member.status, LeadStatus::Approve);
        assert_eq!(d.postback, Some(LeadStatus::Approve));
        let again = apply(
            Some(&member),
            ACTIVE,
            &SubscriberEvent::RequestThroughLink,
            at(90),
        );
        assert_eq!(
            again.lead,
            LeadChange::Unchanged,
            "older than the lead's last"
        );
    }

    #[test]
    fn a_link_makes_no_lead_for_a_paused_or_deleted_campaign() {
        for status in [CampaignStatus::Paused, CampaignStatus::Deleted] {
            let campaign = CampaignState {
                status,
                unsub_window: 0,
            };
            for event in [
                SubscriberEvent::JoinThroughLink,
                SubscriberEvent::RequestThroughLink,
            ] {
                let d = apply(None, campaign, &event, at(100));
                assert_eq!(d, Decision::journal_only(false), "{status:?} {event:?}");
            }
        }
    }
}
