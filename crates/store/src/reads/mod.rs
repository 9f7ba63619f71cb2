//! The API's reads on Postgres: [`usher_domain::ports::SubscriberReads`]
//! (leads, the journal, stats, postbacks), paged with bounded counts.

mod paging;
mod postbacks;
mod subscribers;
