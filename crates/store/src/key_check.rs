//! Every instance sharing a database seals bot tokens under one key: the
//! database keeps a value sealed by the first instance's key
//! (`token_key_check`), and an instance whose key cannot open it refuses to
//! start, with an error that names the setting and never the key.

use anyhow::Context;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bytea};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use usher_domain::{BotToken, TgBotId};

use crate::cached_sql::sql_query;
use crate::cipher::TokenCipher;

/// The value sealed as the proof: a well-formed token of no real bot.
const PROOF: &str = "1:usher-token-key-check-not-a-real-bot";

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = BigInt)]
    tg: i64,
    #[diesel(sql_type = Bytea)]
    sealed: Vec<u8>,
}

/// Why an instance may not start with its key.
#[derive(Debug, thiserror::Error)]
#[error(
    "secrets.token_key is not the key this database's bot tokens are sealed with ({0}): \
     every instance sharing a database must be given the same secrets.token_key"
)]
pub struct KeyMismatch(&'static str);

/// Checks that `cipher` is the key of the database at `url`: it opens the
/// stored proof, or (no proof yet) a stored bot token if there is one, and
/// then stores its own proof. Fails with [`KeyMismatch`] otherwise.
pub async fn verify_token_key(url: &str, cipher: &TokenCipher) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("connecting to the database to check secrets.token_key")?;
    let proof: Option<Sealed> =
        sql_query("SELECT 1::bigint AS tg, sealed FROM token_key_check WHERE id = 1")
            .get_result(&mut conn)
            .await
            .map(Some)
            .or_else(|e| match e {
                diesel::result::Error::NotFound => Ok(None),
                e => Err(e),
            })
            .context("reading token_key_check")?;
    if let Some(proof) = proof {
        return opens(cipher, &proof, "it does not open the stored key check");
    }
    let bot: Option<Sealed> =
        sql_query("SELECT tg, token_enc AS sealed FROM bots ORDER BY id LIMIT 1")
            .get_result(&mut conn)
            .await
            .map(Some)
            .or_else(|e| match e {
                diesel::result::Error::NotFound => Ok(None),
                e => Err(e),
            })
            .context("reading a stored token")?;
    if let Some(bot) = bot {
        opens(cipher, &bot, "it does not open the stored bot tokens")?;
    }
    let token = BotToken::parse(PROOF).map_err(|_| anyhow::anyhow!("the key check's value"))?;
    let sealed = cipher.encrypt(&token)?;
    sql_query("INSERT INTO token_key_check (sealed) VALUES ($1) ON CONFLICT (id) DO NOTHING")
        .bind::<Bytea, _>(sealed)
        .execute(&mut conn)
        .await
        .context("storing token_key_check")?;
    // Another instance may have stored its own proof first: it must be ours.
    let stored: Sealed =
        sql_query("SELECT 1::bigint AS tg, sealed FROM token_key_check WHERE id = 1")
            .get_result(&mut conn)
            .await
            .context("reading token_key_check")?;
    opens(
        cipher,
        &stored,
        "another instance stored a key check under its own key",
    )
}

fn opens(cipher: &TokenCipher, sealed: &Sealed, why: &'static str) -> anyhow::Result<()> {
    cipher
        .decrypt(TgBotId(sealed.tg), &sealed.sealed)
        .map(drop)
        .map_err(|_| KeyMismatch(why).into())
}
