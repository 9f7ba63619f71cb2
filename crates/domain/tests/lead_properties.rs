//! Properties of the subscriber rules over random histories: whatever the
//! order in which Telegram delivers events, and whatever the customer does
//! to the campaign meanwhile, the invariants of `subscribers.md` hold.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use proptest::prelude::*;
use usher_domain::CampaignStatus;
use usher_domain::subscribers::{
    CampaignState, EventOrder, Lead, LeadChange, LeadStatus, SubscriberEvent, apply,
};

fn event() -> impl Strategy<Value = SubscriberEvent> {
    prop_oneof![
        "[a-z0-9]{0,3}".prop_map(|click| SubscriberEvent::Start { click }),
        Just(SubscriberEvent::JoinRequest),
        Just(SubscriberEvent::Join),
        Just(SubscriberEvent::Leave),
        Just(SubscriberEvent::Kick),
        Just(SubscriberEvent::RequestThroughLink),
        Just(SubscriberEvent::JoinThroughLink),
    ]
}

fn status() -> impl Strategy<Value = CampaignStatus> {
    prop_oneof![
        4 => Just(CampaignStatus::Active),
        1 => Just(CampaignStatus::Paused),
        1 => Just(CampaignStatus::Deleted),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_rules_keep_their_promises(
        history in prop::collection::vec((event(), status(), 0i64..50, 0i64..3), 1..40),
        unsub_window in prop_oneof![Just(0i64), 1i64..30],
    ) {
        let mut lead: Option<Lead> = None;
        for (update_id, (event, status, date, jitter)) in (1..).zip(history) {
            // Dates wander, so deliveries come out of order.
            let at = EventOrder { date: date + jitter, update_id };
            let campaign = CampaignState { status, unsub_window };
            let decision = apply(lead.as_ref(), campaign, &event, at);
            let stale = lead.as_ref().is_some_and(|l| at <= l.last_event);
            if stale || status == CampaignStatus::Deleted {
                prop_assert_eq!(&decision.lead, &LeadChange::Unchanged);
                prop_assert!(decision.postback.is_none() && !decision.welcome);
            }
            if status == CampaignStatus::Paused {
                prop_assert!(decision.postback.is_none(), "no postback from a paused campaign");
                prop_assert!(!decision.welcome);
                prop_assert!(!matches!(decision.lead, LeadChange::Created(_)), "no new lead");
            }
            if let Some(posted) = decision.postback
                && matches!(posted, LeadStatus::Cancel | LeadStatus::Trash)
            {
                let joined = lead.as_ref().and_then(|l| l.join_time);
                prop_assert!(joined.is_some(), "cancel or trash only after a join");
                let inside = unsub_window == 0 || at.date - joined.unwrap() <= unsub_window;
                prop_assert!(inside, "cancel or trash only inside the window");
            }
            prop_assert_eq!(decision.paid, lead.is_some() || matches!(decision.lead, LeadChange::Created(_)));
            match decision.lead {
                LeadChange::Created(new) => {
                    prop_assert!(lead.is_none(), "one lead per campaign and subscriber");
                    // Only a start (waiting, greeted) or a campaign's invite
                    // link (no click, no greeting: no private chat yet).
                    let expected = match &event {
                        SubscriberEvent::Start { .. } => LeadStatus::Wait,
                        SubscriberEvent::RequestThroughLink => LeadStatus::Hold,
                        SubscriberEvent::JoinThroughLink => LeadStatus::Approve,
                        other => return Err(TestCaseError::fail(format!("{other:?} made a lead"))),
                    };
                    prop_assert_eq!(new.status, expected);
                    prop_assert_eq!(decision.welcome, expected == LeadStatus::Wait);
                    prop_assert_eq!(decision.postback, Some(expected));
                    if expected != LeadStatus::Wait {
                        prop_assert_eq!(new.click.as_str(), "");
                    }
                    lead = Some(new);
                }
                LeadChange::Updated(new) => {
                    let old = lead.as_ref().unwrap();
                    prop_assert!(new.last_event > old.last_event, "a lead never changes on an older event");
                    prop_assert_eq!(new.start_time, old.start_time);
                    if let Some(posted) = decision.postback {
                        prop_assert_eq!(posted, new.status, "a postback reports the new status");
                    }
                    lead = Some(new);
                }
                LeadChange::Unchanged => {}
            }
        }
    }
}
