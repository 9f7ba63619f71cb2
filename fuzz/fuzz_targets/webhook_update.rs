//! Fuzz target: the webhook body parser must accept or refuse any bytes,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = usher_domain::intake::parse_update(data);
});
