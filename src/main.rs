//! `spendboard [serve|migrate|refresh|sandbox]`: thin; everything lives in the library.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    spendboard::cli::main(spendboard::cli::Cli::parse()).await
}
