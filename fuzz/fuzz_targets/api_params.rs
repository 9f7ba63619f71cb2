//! Fuzz target: the API's parameter parsing (JSON and form bodies, query
//! strings, keys, tokens) must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    usher_http::fuzzing::api_params(data);
});
