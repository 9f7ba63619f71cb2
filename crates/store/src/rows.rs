//! Rows as diesel reads them, and their conversion to domain types.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use usher_domain::{AccountId, AdminChat, BotId, BotRecord, ChatId, TgBotId};

use crate::cipher::TokenCipher;
use crate::schema::{bot_chats, bots};

/// A `bots` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = bots)]
pub(crate) struct BotRow {
    pub id: i64,
    pub account_id: i64,
    pub tg: i64,
    pub username: String,
    pub name: String,
    pub token_enc: Vec<u8>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl BotRow {
    pub(crate) fn into_record(self, cipher: &TokenCipher) -> anyhow::Result<BotRecord> {
        let tg = TgBotId(self.tg);
        Ok(BotRecord {
            id: BotId(self.id),
            account: AccountId(self.account_id),
            tg,
            token: cipher.decrypt(tg, &self.token_enc)?,
            username: self.username,
            name: self.name,
            deleted: self.deleted_at.is_some(),
            created: self.created_at,
        })
    }
}

/// A `bot_chats` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = bot_chats)]
pub(crate) struct ChatRow {
    pub chat_id: i64,
    pub title: String,
    pub chat_type: String,
}

impl From<ChatRow> for AdminChat {
    fn from(row: ChatRow) -> Self {
        AdminChat {
            id: ChatId(row.chat_id),
            title: row.title,
            kind: row.chat_type,
        }
    }
}
