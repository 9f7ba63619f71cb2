//! Flood control: at most `limit` messages in any one second per bot.
//! Past that Telegram answers 429 with `retry_after`, and keeps answering
//! it to every call of that bot until the wait is over.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One bot's recent sends and its current penalty.
#[derive(Debug, Default)]
pub(crate) struct Flood {
    sent: VecDeque<Instant>,
    until: Option<Instant>,
}

/// Whole seconds from `now` to `until`, at least one.
fn seconds_until(until: Instant, now: Instant) -> u32 {
    let left = until.saturating_duration_since(now);
    (left.as_millis().div_ceil(1000) as u32).max(1)
}

impl Flood {
    /// `Err(retry_after)` while the bot is waiting out a flood.
    pub(crate) fn check(&self, now: Instant) -> Result<(), u32> {
        match self.until {
            Some(until) if until > now => Err(seconds_until(until, now)),
            _ => Ok(()),
        }
    }

    /// Counts one message; `Err(retry_after)` if it is one too many, which
    /// also starts the wait.
    pub(crate) fn send(&mut self, now: Instant, limit: u32) -> Result<(), u32> {
        self.check(now)?;
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= limit as usize {
            let retry_after = self.sent.front().map_or(1, |first| {
                seconds_until(*first + Duration::from_secs(1), now)
            });
            self.until = Some(now + Duration::from_secs(u64::from(retry_after)));
            return Err(retry_after);
        }
        self.sent.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_past_the_limit_starts_a_wait_for_every_call() {
        let mut flood = Flood::default();
        let now = Instant::now();
        for _ in 0..3 {
            flood.send(now, 3).unwrap();
        }
        assert_eq!(flood.send(now, 3), Err(1));
        assert_eq!(flood.check(now + Duration::from_millis(500)), Err(1));
        assert!(flood.check(now + Duration::from_millis(1001)).is_ok());
        assert!(flood.send(now + Duration::from_millis(1001), 3).is_ok());
    }
}
