//! The one way this crate's failures reach the domain.

/// Turns any error into the domain's database failure.
pub(crate) fn db_err(err: impl Into<anyhow::Error>) -> usher_domain::ports::StoreError {
    usher_domain::ports::StoreError::new(err)
}
