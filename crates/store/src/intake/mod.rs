//! [`IntakeStore`] on Postgres: each delivered update applied exactly once,
//! alone or in a group commit ([`batch`]).

pub(crate) mod batch;
pub(crate) mod locks;
pub(crate) mod membership;
pub(crate) mod subscribers;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use usher_domain::BotId;
use usher_domain::intake::IncomingUpdate;
use usher_domain::ports::{Applied, IntakeStore, StoreError, WebhookTarget};

use crate::error::db_err;
use crate::pg_store::PgStore;
use crate::schema::bots;
use batch::{Item, apply_one};

#[async_trait]
impl IntakeStore for PgStore {
    async fn webhook_target(&self, bot: BotId) -> Result<Option<WebhookTarget>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<(Vec<u8>, bool, Option<Vec<u8>>)> = bots::table
            .find(bot.0)
            .select((
                bots::secret_digest,
                bots::deleted_at.is_not_null(),
                bots::pending_secret_digest,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(
            row.map(|(secret_digest, deleted, pending_digest)| WebhookTarget {
                secret_digest,
                deleted,
                pending_digest,
            }),
        )
    }

    async fn apply_update(
        &self,
        bot: BotId,
        secret_digest: &[u8; 32],
        update: &IncomingUpdate,
        raw: &str,
    ) -> Result<Applied, StoreError> {
        if let Some(batcher) = &self.batcher {
            return batcher.submit(bot, secret_digest, update, raw).await;
        }
        let item = Item {
            bot,
            secret_digest: *secret_digest,
            update: update.clone(),
            raw: raw.to_owned(),
        };
        apply_one(&self.pool, &item).await
    }
}
