//! A cache of API-key credentials, invalidated and aged: every change of a
//! key or a ban sends `NOTIFY usher_accounts, '<id>'` in the statement that
//! makes it, and each instance's listener evicts that account. The cache
//! only works while the listener is connected and listening; when its
//! connection is lost it is emptied and bypassed until the listener is
//! back, so a change made meanwhile cannot be missed. A connection can also
//! die silently, or a pooler drop the `LISTEN` while the connection lives:
//! so an entry is also trusted for [`TTL`] only, which bounds how long a
//! revoked key can work on any instance whatever becomes of the listener.
//!
//! A read that raced an eviction (it fetched the row before the change and
//! would store it after the eviction) is not stored: every eviction moves a
//! generation counter, and a fetched row is kept only if the generation did
//! not move since the fetch began.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use usher_domain::AccountCredentials;

/// The channel key changes are announced on.
pub(crate) const ACCOUNTS_CHANNEL: &str = "usher_accounts";

/// How long a cached entry is trusted: the most a revoked key can work if
/// its notification never arrives.
pub(crate) const TTL: Duration = Duration::from_secs(10);

/// The most accounts kept; past it the cache starts over.
const CAPACITY: usize = 100_000;

/// Credentials by account id.
#[derive(Default)]
pub(crate) struct KeyCache {
    listening: AtomicBool,
    generation: AtomicU64,
    entries: Mutex<HashMap<i64, (AccountCredentials, Instant)>>,
}

/// Where a fetch began, to store its result only if nothing was evicted
/// meanwhile.
pub(crate) struct Ticket(Option<u64>);

impl KeyCache {
    /// The cached credentials of `account`, if any, younger than [`TTL`]
    /// (and the cache is live).
    pub(crate) fn get(&self, account: i64) -> Option<AccountCredentials> {
        self.get_at(account, Instant::now())
    }

    fn get_at(&self, account: i64, now: Instant) -> Option<AccountCredentials> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let mut entries = self.lock();
        match entries.get(&account) {
            Some((credentials, stored)) if now.duration_since(*stored) < TTL => {
                Some(credentials.clone())
            }
            Some(_) => {
                entries.remove(&account);
                None
            }
            None => None,
        }
    }

    /// Call before fetching from the database.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(
            self.listening
                .load(Ordering::Acquire)
                .then(|| self.generation.load(Ordering::Acquire)),
        )
    }

    /// Keeps what a fetch that began at `ticket` read, unless an eviction
    /// happened since (or the cache is not live).
    pub(crate) fn put(&self, ticket: Ticket, account: i64, credentials: &AccountCredentials) {
        let Some(began) = ticket.0 else { return };
        let mut entries = self.lock();
        // Checked under the lock evictions also take.
        if self.generation.load(Ordering::Acquire) != began
            || !self.listening.load(Ordering::Acquire)
        {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(account, (credentials.clone(), Instant::now()));
    }

    /// Forgets `account` (its key or ban changed).
    pub(crate) fn evict(&self, account: i64) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&account);
    }

    /// The listener is connected and listening (`true`), or lost (`false`):
    /// either way everything cached so far is dropped.
    pub(crate) fn set_listening(&self, listening: bool) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
        self.listening.store(listening, Ordering::Release);
    }

    /// Reads a notification's payload: the account id.
    pub(crate) fn notified(&self, payload: &str) {
        match payload.parse::<i64>() {
            Ok(account) => self.evict(account),
            // Not ours to read: drop everything rather than guess.
            Err(_) => self.set_listening(self.listening.load(Ordering::Acquire)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (AccountCredentials, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usher_domain::ApiKeyHash;

    /// The cached hash bytes (credentials are not comparable, on purpose).
    fn hash(found: Option<AccountCredentials>) -> Option<Vec<u8>> {
        found.map(|c| c.key_hash.0)
    }

    fn creds(byte: u8) -> AccountCredentials {
        AccountCredentials {
            key_hash: ApiKeyHash(vec![byte]),
            banned: false,
        }
    }

    #[test]
    fn nothing_is_cached_until_the_listener_listens() {
        let cache = KeyCache::default();
        cache.put(cache.ticket(), 1, &creds(1));
        assert_eq!(hash(cache.get(1)), None);
        cache.set_listening(true);
        cache.put(cache.ticket(), 1, &creds(1));
        assert_eq!(hash(cache.get(1)), Some(vec![1]));
    }

    #[test]
    fn a_notification_evicts_and_a_lost_listener_empties_and_bypasses() {
        let cache = KeyCache::default();
        cache.set_listening(true);
        cache.put(cache.ticket(), 1, &creds(1));
        cache.put(cache.ticket(), 2, &creds(2));
        cache.notified("1");
        assert_eq!(hash(cache.get(1)), None);
        assert_eq!(hash(cache.get(2)), Some(vec![2]));
        cache.set_listening(false);
        assert_eq!(hash(cache.get(2)), None);
        cache.put(cache.ticket(), 2, &creds(2));
        assert_eq!(hash(cache.get(2)), None, "bypassed while not listening");
    }

    #[test]
    fn an_entry_is_trusted_for_the_ttl_only() {
        let cache = KeyCache::default();
        cache.set_listening(true);
        cache.put(cache.ticket(), 1, &creds(1));
        let now = Instant::now();
        assert_eq!(hash(cache.get_at(1, now + TTL / 2)), Some(vec![1]));
        assert_eq!(hash(cache.get_at(1, now + TTL)), None);
        assert_eq!(hash(cache.get(1)), None, "an aged entry is dropped");
    }

    #[test]
    fn a_fetch_that_raced_an_eviction_is_not_stored() {
        let cache = KeyCache::default();
        cache.set_listening(true);
        let ticket = cache.ticket(); // the fetch reads the old row...
        cache.evict(1); // ...the key rotates and the notification arrives...
        cache.put(ticket, 1, &creds(0)); // ...and the old row must not be kept.
        assert_eq!(hash(cache.get(1)), None);
    }
}
