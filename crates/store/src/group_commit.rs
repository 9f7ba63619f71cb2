//! Group commit, once for every writer that uses it (intake, outbox
//! outcomes): callers submit one item each and wait; a pool of workers
//! takes the next batch of what is waiting, commits it in one go, and
//! answers every caller with its own item's result.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc, oneshot};
use usher_domain::ports::StoreError;

use crate::error::db_err;

/// How a [`GroupCommit`] forms its batches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grouping {
    /// Workers, each committing one batch at a time.
    pub(crate) workers: usize,
    /// Most items in one batch.
    pub(crate) max_batch: usize,
    /// How long a batch waits for more once its first item is in (zero:
    /// it takes what is queued and goes).
    pub(crate) gather: Duration,
    /// Most items queued and not yet taken.
    pub(crate) capacity: usize,
}

struct Job<I, R> {
    item: I,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

/// A queue in front of workers that commit items in batches.
pub(crate) struct GroupCommit<I, R> {
    tx: mpsc::Sender<Job<I, R>>,
    /// Names the writer in its errors.
    name: &'static str,
}

impl<I: Send + 'static, R: Send + 'static> GroupCommit<I, R> {
    /// Starts the workers on the current tokio runtime. `commit` writes one
    /// batch and returns one result per item, in order (an item missing
    /// from the answer is answered as dropped).
    pub(crate) fn start<F, Fut>(name: &'static str, grouping: Grouping, commit: F) -> Self
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<R, StoreError>>> + Send,
    {
        let (tx, rx) = mpsc::channel::<Job<I, R>>(grouping.capacity.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let commit = Arc::new(commit);
        for _ in 0..grouping.workers.max(1) {
            let (rx, commit) = (rx.clone(), commit.clone());
            let max = grouping.max_batch.max(1);
            tokio::spawn(async move {
                while let Some(jobs) = next_batch(&rx, max, grouping.gather).await {
                    let (items, replies): (Vec<I>, Vec<_>) =
                        jobs.into_iter().map(|j| (j.item, j.reply)).unzip();
                    for (reply, result) in replies.into_iter().zip(commit(items).await) {
                        let _ = reply.send(result);
                    }
                }
            });
        }
        Self { tx, name }
    }

    /// Submits `item` and waits until its batch is committed.
    pub(crate) async fn submit(&self, item: I) -> Result<R, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { item, reply })
            .await
            .map_err(|_| db_err(anyhow::anyhow!("{} stopped", self.name)))?;
        answer
            .await
            .map_err(|_| db_err(anyhow::anyhow!("{} dropped an item", self.name)))?
    }
}

/// The next batch from a queue that several workers share: waits for at
/// least one item and takes what else is queued; with a non-zero `gather`,
/// lets more arrive for that long first. At most `max` items; `None` once
/// the queue is closed and empty. One worker gathers at a time, so batches
/// form while the others write theirs.
async fn next_batch<T>(
    rx: &Mutex<mpsc::Receiver<T>>,
    max: usize,
    gather: Duration,
) -> Option<Vec<T>> {
    let mut rx = rx.lock().await;
    let mut items = Vec::with_capacity(max);
    if rx.recv_many(&mut items, max).await == 0 {
        return None;
    }
    if !gather.is_zero() && items.len() < max {
        tokio::time::sleep(gather).await;
        while items.len() < max {
            match rx.try_recv() {
                Ok(item) => items.push(item),
                Err(_) => break,
            }
        }
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_caller_gets_its_own_result_from_batches_of_at_most_max() {
        let grouping = Grouping {
            workers: 2,
            max_batch: 3,
            gather: Duration::from_millis(5),
            capacity: 64,
        };
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let group = Arc::new(GroupCommit::start(
            "doubler",
            grouping,
            move |items: Vec<i64>| {
                seen.lock().unwrap().push(items.len());
                async move { items.into_iter().map(|n| Ok(n * 2)).collect() }
            },
        ));
        let calls: Vec<_> = (0..20)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move { group.submit(n).await.unwrap() })
            })
            .collect();
        for (n, call) in (0..20).zip(calls) {
            assert_eq!(call.await.unwrap(), n * 2);
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.iter().all(|&s| (1..=3).contains(&s)), "{sizes:?}");
    }

    #[tokio::test]
    async fn an_item_the_commit_leaves_out_is_answered_as_dropped() {
        let grouping = Grouping {
            workers: 1,
            max_batch: 8,
            gather: Duration::ZERO,
            capacity: 8,
        };
        let group = GroupCommit::start("forgetful", grouping, |_items: Vec<u8>| async {
            Vec::<Result<u8, StoreError>>::new()
        });
        let err = group.submit(1).await.unwrap_err();
        assert!(format!("{:#}", err.0).contains("forgetful dropped an item"));
    }

    #[tokio::test]
    async fn a_batch_takes_what_is_queued_up_to_max_and_none_once_closed() {
        let (tx, rx) = mpsc::channel(16);
        let rx = Mutex::new(rx);
        for n in 0..5 {
            tx.send(n).await.unwrap();
        }
        assert_eq!(
            next_batch(&rx, 3, Duration::ZERO).await,
            Some(vec![0, 1, 2])
        );
        assert_eq!(next_batch(&rx, 3, Duration::ZERO).await, Some(vec![3, 4]));
        drop(tx);
        assert_eq!(next_batch(&rx, 3, Duration::ZERO).await, None);
    }

    #[tokio::test]
    async fn gathering_waits_for_what_arrives_meanwhile() {
        let (tx, rx) = mpsc::channel(16);
        let rx = Mutex::new(rx);
        tx.send(1).await.unwrap();
        let late = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            late.send(2).await.unwrap();
        });
        // Far longer than the late item takes, so that a loaded machine
        // cannot make it miss the batch.
        let batch = next_batch(&rx, 10, Duration::from_millis(300)).await;
        assert_eq!(batch, Some(vec![1, 2]));
    }
}
