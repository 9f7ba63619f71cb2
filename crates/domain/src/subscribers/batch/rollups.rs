//! The counting rule of a batch: what it adds to `stats/days.json`, the
//! lists' totals and the campaigns' confirms.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::types::{LeadKey, LeadWrite, Rollups, StatusChange, StoredLead};
use crate::subscribers::LeadStatus;

/// The counting rule: a new lead counts one start on the UTC day it
/// started; each change to hold, approve, or cancel / trash counts one
/// hold, confirm or unsub on the day it happened; each written lead moves
/// from the count of its stored status to that of its new one; a first
/// join counts one confirm for the campaign's conversion.
pub(super) fn rollups(
    leads: &[LeadWrite],
    history: &[StatusChange],
    stored: &HashMap<LeadKey, StoredLead>,
) -> Rollups {
    let mut out = Rollups::default();
    let mut add_day = |campaign, at: DateTime<Utc>, account, column: usize| {
        out.days
            .entry((campaign, at.date_naive()))
            .or_insert((account, [0; 4]))
            .1[column] += 1;
    };
    for write in leads.iter().filter(|l| l.id.is_none()) {
        let start = DateTime::from_timestamp(write.lead.start_time, 0).unwrap_or_default();
        add_day(write.key.campaign, start, write.account, 0);
    }
    for change in history {
        let column = match change.status {
            LeadStatus::Wait => continue,
            LeadStatus::Hold => 1,
            LeadStatus::Approve => 2,
            LeadStatus::Cancel | LeadStatus::Trash => 3,
        };
        add_day(change.lead.campaign, change.at, change.account, column);
    }
    for write in leads {
        let before = stored.get(&write.key).map(|s| &s.lead);
        if before.is_none_or(|b| !b.confirmed()) && write.lead.confirmed() {
            *out.first_joins.entry(write.key.campaign).or_insert(0) += 1;
        }
        let before = before.map(|b| b.status);
        if before == Some(write.lead.status) {
            continue;
        }
        let campaign = write.key.campaign;
        out.counts
            .entry((campaign, write.lead.status))
            .or_insert((write.account, 0))
            .1 += 1;
        if let Some(before) = before {
            out.counts
                .entry((campaign, before))
                .or_insert((write.account, 0))
                .1 -= 1;
        }
    }
    out.counts.retain(|_, (_, n)| *n != 0);
    out
}
