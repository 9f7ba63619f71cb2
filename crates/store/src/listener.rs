//! The store's one `LISTEN` connection: outbox notifications wake idle
//! workers, account notifications evict cached API-key credentials. Kept
//! open by a heartbeat and reopened when lost; while it is down, the key
//! cache is bypassed and the workers fall back to polling.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tracing::warn;

use crate::intake::subscribers::OUTBOX_CHANNEL;
use crate::key_cache::{ACCOUNTS_CHANNEL, KeyCache};

/// What wakes idle outbox workers, one per kind of work.
#[derive(Default)]
pub(crate) struct OutboxWake {
    pub(crate) welcome: Notify,
    pub(crate) postback: Notify,
}

impl OutboxWake {
    /// Wakes a worker of each kind (or the next one to wait).
    fn notify_all(&self) {
        self.welcome.notify_one();
        self.postback.notify_one();
    }
}

/// How long the listener's connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the listener asks its connection for a sign of life.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// How long a sign of life may take before the connection counts as dead.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);

/// Returns when the listener's connection ends (`driver` finished) or stops
/// answering: a connection that dies silently (no reset, no error) would
/// otherwise look alive forever while notifications no longer arrive.
async fn heartbeat(client: &tokio_postgres::Client, mut driver: tokio::task::JoinHandle<()>) {
    loop {
        tokio::select! {
            _ = &mut driver => return,
            () = tokio::time::sleep(HEARTBEAT_EVERY) => {}
        }
        match tokio::time::timeout(HEARTBEAT_TIMEOUT, client.simple_query("SELECT 1")).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                warn!(error = %err, "outbox listener's heartbeat failed; reconnecting");
                break;
            }
            Err(_) => {
                warn!("outbox listener's connection stopped answering; reconnecting");
                break;
            }
        }
    }
    driver.abort();
}

/// Keeps a connection that `LISTEN`s on the outbox and accounts channels:
/// wakes `wake` on each outbox notification and evicts an account from
/// `keys` on each key change; reconnects when the connection is lost or
/// stops answering its heartbeat, and keeps `keys` bypassed while it is
/// not listening.
pub(crate) async fn listen(url: String, wake: Arc<OutboxWake>, keys: Arc<KeyCache>) {
    loop {
        let connecting = tokio_postgres::connect(&url, tokio_postgres::NoTls);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Err(_) => warn!("outbox listener cannot connect: no answer"),
            Ok(Err(err)) => warn!(error = %err, "outbox listener cannot connect"),
            Ok(Ok((client, mut connection))) => {
                let (notified, evicted) = (wake.clone(), keys.clone());
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(n))
                                if n.channel() == ACCOUNTS_CHANNEL =>
                            {
                                evicted.notified(n.payload());
                            }
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                notified.notify_all();
                            }
                            Ok(_) => {}
                            Err(err) => {
                                warn!(error = %err, "outbox listener lost its connection");
                                break;
                            }
                        }
                    }
                    // Key changes may be missed from here on.
                    evicted.set_listening(false);
                });
                let listen = format!("LISTEN {OUTBOX_CHANNEL}; LISTEN {ACCOUNTS_CHANNEL}");
                let subscribe = client.batch_execute(&listen);
                match tokio::time::timeout(HEARTBEAT_TIMEOUT, subscribe).await {
                    Ok(Ok(())) => {
                        keys.set_listening(true);
                        // Work queued while no one listened is found now.
                        wake.notify_all();
                        heartbeat(&client, driver).await;
                    }
                    Ok(Err(err)) => {
                        warn!(error = %err, "outbox LISTEN failed");
                        driver.abort();
                    }
                    Err(_) => {
                        warn!("outbox LISTEN got no answer");
                        driver.abort();
                    }
                }
                keys.set_listening(false);
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
