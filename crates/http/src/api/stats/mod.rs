//! `/api/stats/*.json`: the account's numbers.

pub mod days;
