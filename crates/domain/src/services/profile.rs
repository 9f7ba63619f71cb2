//! `profile/*`: the account's summary and its global postback templates.

use std::sync::Arc;

use crate::AccountId;
use crate::ports::{Profile, ProfileStore, StoreError};
use crate::services::Given;

/// Why the global templates could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A `pb_*` is not a valid template (`postback`).
    #[error("bad postback template")]
    Postback,
    /// The account is gone (it was authenticated a moment ago).
    #[error("no such account")]
    Unknown,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many times a change reads and tries again when a concurrent one
/// changed the templates first.
const SET_ATTEMPTS: usize = 16;

/// The profile of an account.
#[derive(Clone)]
pub struct ProfileService {
    store: Arc<dyn ProfileStore>,
    allow_private: bool,
}

impl ProfileService {
    /// A service over `store`; with `allow_private`, templates may name
    /// blocked addresses (`postbacks.allow_private`).
    pub fn new(store: Arc<dyn ProfileStore>, allow_private: bool) -> Self {
        Self {
            store,
            allow_private,
        }
    }

    /// `profile/info.json`.
    pub async fn info(&self, account: AccountId) -> Result<Profile, ProfileError> {
        self.store
            .profile(account)
            .await?
            .ok_or(ProfileError::Unknown)
    }

    /// `profile/postbacks.json`: the given templates replace the stored
    /// ones (`""` clears, omitted stay), all checked before any is saved.
    /// Answers the profile as it is now.
    pub async fn set_postbacks(
        &self,
        account: AccountId,
        given: [Given<&str>; 5],
    ) -> Result<Profile, ProfileError> {
        // Compare and set, so that two calls changing different templates
        // both take effect.
        for _ in 0..SET_ATTEMPTS {
            let mut profile = self.info(account).await?;
            let next = profile
                .postbacks
                .with(&given, self.allow_private)
                .map_err(|_| ProfileError::Postback)?;
            if self
                .store
                .set_global_postbacks(account, &profile.postbacks, &next)
                .await?
            {
                profile.postbacks = next;
                return Ok(profile);
            }
        }
        Err(StoreError::new(anyhow::anyhow!(
            "global templates kept changing under {SET_ATTEMPTS} calls"
        ))
        .into())
    }
}
