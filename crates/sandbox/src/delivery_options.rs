//! How webhook deliveries are timed: the retry delays and the timeout.

use std::time::Duration;

/// Delivery timing.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// The delay the doubling starts from (Telegram: 1 s). The first retry
    /// is immediate; later ones wait 2, 4, 8... times this.
    pub retry_initial: Duration,
    /// The lower end of the random cap on the delay (Telegram: 60 s; the
    /// cap is drawn between this and twice this).
    pub retry_max: Duration,
    /// How long one delivery may take before it counts as failed
    /// (Telegram: 60 s).
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}
