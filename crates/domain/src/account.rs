//! Customer accounts.

use crate::{AccountId, ApiKeyHash};

/// An account as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Our id of the account.
    pub id: AccountId,
    /// A free-form label given at creation.
    pub name: Option<String>,
    /// Whether the account is suspended (`ban`).
    pub banned: bool,
}

/// What authentication needs to know of an account.
#[derive(Debug, Clone)]
pub struct AccountCredentials {
    /// The hash of the account's current API key.
    pub key_hash: ApiKeyHash,
    /// Whether the account is suspended.
    pub banned: bool,
}
