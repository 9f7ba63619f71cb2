//! Accounts and API-key authentication.

use std::sync::Arc;

use crate::ports::{AccountStore, StoreError};
use crate::{AccountId, ApiKey};

/// Why a request could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No key, a malformed key, an unknown account or a rotated-out key.
    #[error("invalid API key")]
    Key,
    /// The key is right but the account is suspended.
    #[error("account suspended")]
    Banned,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates accounts, rotates keys, and authenticates requests.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn AccountStore>,
}

impl AccountService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn AccountStore>) -> Self {
        Self { store }
    }

    /// Creates an account and returns its key, which is shown only now.
    pub async fn create(&self, name: Option<&str>) -> Result<ApiKey, StoreError> {
        let id = self.store.create_account(name).await?;
        let key = ApiKey::generate(id);
        self.store.set_key_hash(id, &key.hash()).await?;
        Ok(key)
    }

    /// Gives account `id` a new key; the old one stops working at once.
    /// `None` when there is no such account.
    pub async fn rotate_key(&self, id: AccountId) -> Result<Option<ApiKey>, StoreError> {
        let key = ApiKey::generate(id);
        let found = self.store.set_key_hash(id, &key.hash()).await?;
        Ok(found.then_some(key))
    }

    /// Suspends (`true`) or reinstates (`false`) account `id`; `false` when
    /// there is no such account.
    pub async fn set_banned(&self, id: AccountId, banned: bool) -> Result<bool, StoreError> {
        self.store.set_banned(id, banned).await
    }

    /// The account a presented key belongs to. A key of the wrong shape, of
    /// an unknown account, or not the account's current key is
    /// [`AuthError::Key`]; a suspended account is [`AuthError::Banned`].
    pub async fn authenticate(&self, presented: Option<&ApiKey>) -> Result<AccountId, AuthError> {
        let key = presented.ok_or(AuthError::Key)?;
        let creds = self
            .store
            .credentials(key.account())
            .await?
            .ok_or(AuthError::Key)?;
        if !key.matches(&creds.key_hash) {
            return Err(AuthError::Key);
        }
        if creds.banned {
            return Err(AuthError::Banned);
        }
        Ok(key.account())
    }
}
