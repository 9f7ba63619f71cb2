//! The storage port of `profile/*`.

use async_trait::async_trait;

use super::StoreError;
use crate::AccountId;
use crate::postbacks::Templates;

/// An account as `profile/info.json` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The account id.
    pub id: AccountId,
    /// Its name, `""` if none.
    pub name: String,
    /// Its connected bots.
    pub bots: i64,
    /// Its campaigns that are not deleted.
    pub campaigns: i64,
    /// Its global postback templates.
    pub postbacks: Templates,
}

/// Profiles.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The profile of `account`; `None` if there is no such account.
    async fn profile(&self, account: AccountId) -> Result<Option<Profile>, StoreError>;

    /// Replaces the account's five global templates with `templates` if
    /// they are still `expected`; `false` when someone changed them first.
    async fn set_global_postbacks(
        &self,
        account: AccountId,
        expected: &Templates,
        templates: &Templates,
    ) -> Result<bool, StoreError>;
}
