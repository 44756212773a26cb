//! Rebuilds when a migration is added: `sqlx::migrate!` embeds `migrations/` at compile time
//! but, on stable Rust, only notices edits to files it already knew.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
