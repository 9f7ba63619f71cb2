//! Postbacks (`subscribers.md`, "Postbacks"): telling the customer's
//! tracker that a lead reached a status. Pure rules: which template
//! applies, what a valid template is, how macros are filled, which
//! addresses may never be reached, and what becomes of a postback after a
//! try. The store queues them; a worker in the app sends them.

pub mod address;
pub mod delivery;
pub mod templates;

pub use address::is_blocked;
pub use delivery::{Attempt, Judged, PostbackError, PostbackRetry, Verdict, parse_retry_after};
pub use templates::{
    BadTemplate, PostbackMacros, TEMPLATE_MAX, Templates, literal_ip, target_of, template_ok,
};
