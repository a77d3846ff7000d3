//! Rebuilds the crate when a migration is added: `embed_migrations!` reads the directories at
//! compile time, and cargo would not notice a new one otherwise.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
