//! How a request gave a parameter: absent, a value, or of the wrong type.

/// A parameter as a request gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given<T> {
    /// Not in the request.
    Absent,
    /// Present and of the right type.
    Value(T),
    /// Present but not of the right type.
    Invalid,
}
