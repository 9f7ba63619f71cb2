//! The subscriber flow inside the intake transaction. The decisions are the
//! domain's ([`usher_domain::subscribers::batch`]): `reads` fetches what
//! they need (the campaigns, then under their keys' locks the leads) and
//! `writes` stores the plan they return (leads, history, journal, outbox,
//! rollups) with a few multi-row statements, in the transaction that
//! records the updates.

mod reads;
mod writes;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use usher_domain::subscribers::LeadStatus;
use usher_domain::subscribers::batch::{BatchPlan, CampaignFacts, FreshUpdate, Happenings};

pub(crate) use reads::load_campaigns;
use reads::lock_and_read_leads;
pub(crate) use writes::OUTBOX_CHANNEL;
use writes::{
    drop_welcomes_of_blockers, write_answers, write_history, write_journal, write_leads,
    write_postbacks, write_rollups, write_welcomes,
};

/// The lead status changes a batch made, counted for the metrics once the
/// batch commits.
#[derive(Debug, Default)]
pub(crate) struct StatusChanges([u64; 5]);

impl StatusChanges {
    /// Adds them to `leads_status_changes_total{status}`.
    pub(crate) fn record(&self) {
        for (status, n) in LeadStatus::ALL.iter().zip(self.0) {
            if n > 0 {
                metrics::counter!("leads_status_changes_total", "status" => status.name())
                    .increment(n);
            }
        }
    }
}

/// Applies the subscriber flow to the new updates of a batch.
/// `campaigns`: what [`load_campaigns`] read for the batch.
pub(crate) async fn apply_batch(
    conn: &AsyncPgConnection,
    fresh: &[FreshUpdate<'_>],
    campaigns: &[CampaignFacts],
) -> QueryResult<StatusChanges> {
    let happenings = Happenings::of(fresh, campaigns);
    if happenings.is_empty() {
        return Ok(StatusChanges::default());
    }
    let stored = lock_and_read_leads(conn, &happenings.lead_keys()).await?;
    let plan = happenings.plan(&stored);
    write_plan(conn, plan).await
}

/// Writes a batch's plan: the leads first (their ids), then the rest.
async fn write_plan(conn: &AsyncPgConnection, plan: BatchPlan) -> QueryResult<StatusChanges> {
    let BatchPlan {
        leads,
        history,
        journal,
        welcomes,
        postbacks,
        answers,
        blocks,
        rollups,
        changes,
    } = plan;
    let ids = write_leads(conn, &leads).await?;
    // Independent writes, pipelined on the connection (one round trip);
    // dropping a blocker's welcomes must follow the batch's own welcomes.
    let (history_written, journal, postbacks, welcomes) = futures_util::future::join4(
        write_history(conn, &history, &ids),
        write_journal(conn, &journal, &ids),
        write_postbacks(conn, postbacks, &ids),
        async {
            write_welcomes(conn, &welcomes, &ids).await?;
            write_answers(conn, &answers, &ids).await?;
            drop_welcomes_of_blockers(conn, &blocks).await
        },
    )
    .await;
    history_written?;
    journal?;
    postbacks?;
    welcomes?;
    // Last, so that the rollups' rows (shared by every batch of a campaign)
    // stay locked for little more than the commit.
    write_rollups(conn, &rollups).await?;
    Ok(StatusChanges(changes))
}
