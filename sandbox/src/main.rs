//! `partner-center-sandbox`: serves the sandbox standalone until Ctrl-C.
//!
//! `cargo run -p partner-center-sandbox -- --bind 127.0.0.1:8081 --customers 60`

use clap::Parser;
use partner_center_sandbox::SandboxArgs;

/// An emulator of Entra ID sign-in and the Partner Center usage and budget API.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    Cli::parse().sandbox.serve_until_ctrl_c().await
}
