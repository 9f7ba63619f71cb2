//! Entry points for fuzzing the API's request parsing (see `fuzz/`). Not
//! part of the service's behaviour; kept here so that fuzz targets and the
//! corpus replay test drive exactly the code the API runs.

use usher_domain::{ApiKey, BotToken};

use crate::params::{Params, form_pairs};

/// Feeds `data` to every parser a request body or query string meets: as a
/// JSON body, as a form body, as a query string, then through every typed
/// getter and the key and token checks. Must never panic, whatever `data` is.
pub fn api_params(data: &[u8]) {
    let parsed = [Params::from_json(data).ok(), Params::from_form(data).ok()];
    for params in parsed.into_iter().flatten() {
        for name in ["id", "token", "bot", "chat", "welcome"] {
            let _ = params.positive_id(name);
            let _ = params.nonzero_integer(name);
            if let Some(text) = params.text(name) {
                let _ = ApiKey::looks_like_key(text);
                let _ = BotToken::parse(text);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(pairs) = form_pairs(text)
    {
        for (_, value) in pairs {
            let _ = ApiKey::parse(&value);
        }
    }
}
