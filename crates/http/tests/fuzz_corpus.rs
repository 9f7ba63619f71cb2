//! Replays the fuzz corpus of `api_params` (seeds and past findings) on
//! every test run, so a fixed crash stays fixed without running a fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;

#[test]
fn the_api_params_corpus_never_panics() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/api_params");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        usher_http::fuzzing::api_params(&data);
        replayed += 1;
    }
    assert!(replayed >= 10, "the corpus is there ({replayed} inputs)");
    // A few shapes no seed has: huge, deep, binary.
    usher_http::fuzzing::api_params(&vec![b'['; 100_000]);
    usher_http::fuzzing::api_params(format!("token={}", "%".repeat(10_000)).as_bytes());
    usher_http::fuzzing::api_params(&(0..=255u8).collect::<Vec<_>>());
}
