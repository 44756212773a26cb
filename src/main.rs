//! `spendboard [serve|migrate|refresh|sandbox]`: thin; everything lives in the library.

use clap::Parser as _;

/// mimalloc instead of the system allocator: fewer cycles per page view and a heap that does
/// not grow per worker thread (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    spendboard::cli::main(spendboard::cli::Cli::parse()).await
}
