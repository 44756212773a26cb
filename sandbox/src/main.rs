//! `partner-center-sandbox`: serves the sandbox standalone until Ctrl-C.
//!
//! `cargo run -p partner-center-sandbox -- --bind 127.0.0.1:8081 --customers 60`

use std::net::TcpListener;

use anyhow::Context;
use clap::Parser;
use partner_center_sandbox::{SandboxOptions, Throttle, ThrottleScope};

/// An emulator of Entra ID sign-in and the Partner Center usage and budget API.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    bind: String,
    /// Number of customers to generate.
    #[arg(long, default_value_t = 60)]
    customers: usize,
    /// Number of meters on the Azure rate card.
    #[arg(long, default_value_t = 3000)]
    meters: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Throttle the Partner Center routes to this many requests per minute.
    #[arg(long)]
    throttle_per_minute: Option<u32>,
    /// What throttled requests are counted per.
    #[arg(long, value_enum, default_value_t = ThrottleScope::Partner)]
    throttle_scope: ThrottleScope,
    /// A redirect URI to register for the demo application (repeatable; replaces the defaults).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let mut options = SandboxOptions {
        seed: cli.seed,
        customers: cli.customers,
        rate_card_meters: cli.meters,
        throttle: cli
            .throttle_per_minute
            .map(|limit| Throttle::per_minute(limit, cli.throttle_scope)),
        ..SandboxOptions::default()
    };
    if !cli.redirect_uris.is_empty() {
        options.redirect_uris = cli.redirect_uris;
    }
    let listener = TcpListener::bind(&cli.bind).with_context(|| format!("binding {}", cli.bind))?;
    let sandbox = partner_center_sandbox::start(listener, options).await?;
    println!("{}", sandbox.describe());
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sandbox.stop().await;
    Ok(())
}
