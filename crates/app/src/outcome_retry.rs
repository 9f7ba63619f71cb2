//! Recording an outbox item's outcome once the message or GET is out. A
//! failed record (the pool exhausted for a moment, the database restarting)
//! is tried again while the item's lease still holds: when the lease runs
//! out first, the item is claimed and sent again, so every retry that lands
//! is a duplicate avoided.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Runs `attempt` until it succeeds or `within` has passed, pausing 50 ms,
/// then twice as long each time (at most a second) between tries; the last
/// error when none succeeded.
pub async fn with_retries<T, E, F, Fut>(within: Duration, mut attempt: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(50);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(err) if Instant::now() + pause >= deadline => return Err(err),
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test(start_paused = true)]
    async fn a_record_that_fails_twice_lands_on_the_third_try() {
        let tries = Cell::new(0);
        let result: Result<u32, &str> = with_retries(Duration::from_secs(10), || {
            tries.set(tries.get() + 1);
            let n = tries.get();
            async move { if n < 3 { Err("pool timeout") } else { Ok(n) } }
        })
        .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn it_gives_up_with_the_last_error_once_the_time_is_spent() {
        let started = Instant::now();
        let tries = Cell::new(0);
        let result: Result<(), String> = with_retries(Duration::from_secs(2), || {
            tries.set(tries.get() + 1);
            let n = tries.get();
            async move { Err(format!("failure {n}")) }
        })
        .await;
        assert_eq!(result, Err(format!("failure {}", tries.get())));
        assert!(tries.get() > 2, "{} tries", tries.get());
        assert!(started.elapsed() <= Duration::from_secs(2));
    }
}
