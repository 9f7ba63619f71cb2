//! The queue in front of a group-commit worker pool (intake, outbox
//! outcomes): each worker takes the next batch of what is waiting.

use std::time::Duration;

use tokio::sync::{Mutex, mpsc};

/// The next batch from a queue that several workers share: waits for at
/// least one item and takes what else is queued; with a non-zero `gather`,
/// lets more arrive for that long first. At most `max` items; `None` once
/// the queue is closed and empty. One worker gathers at a time, so batches
/// form while the others write theirs.
pub(crate) async fn next_batch<T>(
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
