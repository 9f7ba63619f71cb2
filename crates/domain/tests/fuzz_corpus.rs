//! Replays the fuzz corpus of `webhook_update` (the fixture Updates and past
//! findings) on every test run, so a fixed crash stays fixed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;

use usher_domain::intake::parse_update;

#[test]
fn the_webhook_update_corpus_never_panics() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/webhook_update");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let _ = parse_update(&data);
        // Truncations of every input are inputs too.
        for cut in (0..data.len()).step_by(97) {
            let _ = parse_update(&data[..cut]);
        }
        replayed += 1;
    }
    assert!(replayed >= 30, "the corpus is there ({replayed} inputs)");
    let deep = format!(
        "{{\"update_id\":1,\"message\":{}{}}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(
        parse_update(deep.as_bytes()).is_err(),
        "nesting past serde_json's limit is refused, not a stack overflow"
    );
}
