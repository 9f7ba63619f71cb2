//! Faults the sandbox can be told to inject.

use serde::{Deserialize, Serialize};

/// A fault applied to matching Bot API calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// The method it applies to (case-insensitive); any method when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// The bot it applies to; any bot when absent.
    #[serde(default)]
    pub bot: Option<i64>,
    /// What happens.
    pub kind: FaultKind,
    /// How many calls it applies to; every call when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

/// What a fault does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer a Bot API error: `{"ok":false,"error_code":status,...}`, with
    /// `parameters.retry_after` when given (Telegram's 429 flood control).
    Error {
        /// HTTP status and `error_code`.
        status: u16,
        /// `description`.
        description: String,
        /// `parameters.retry_after`, in seconds.
        #[serde(default)]
        retry_after: Option<u32>,
    },
    /// Wait this long, then answer normally.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Send the response head, then drop the connection mid-body.
    Drop,
    /// Answer with a body that is not JSON (a proxy's HTML error page).
    Garbage {
        /// HTTP status.
        status: u16,
    },
}

impl Fault {
    /// A fault on `method` for every call.
    pub fn on(method: &str, kind: FaultKind) -> Self {
        Self {
            method: Some(method.to_owned()),
            bot: None,
            kind,
            times: None,
        }
    }

    /// The same fault, for `times` calls only.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    pub(crate) fn matches(&self, method: &str, bot: Option<i64>) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let bot_ok = self.bot.is_none() || self.bot == bot;
        method_ok && bot_ok && self.times != Some(0)
    }
}
