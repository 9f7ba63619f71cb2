//! Rebuilds the store when a migration is added or changed: the migrations
//! are embedded in the binary (`usher_store::migrate::MIGRATIONS`), and a
//! new directory would otherwise go unnoticed by cargo.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
