//! The command line: `serve` (default), `migrate`, `check`, `refresh`, `sandbox`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::refresh::{Progress, RefreshOutcome};
use crate::startup::{Application, state_for};
use crate::store::Store;

/// Spendboard: every CSP customer's Azure spend against its Partner Center budget.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// A TOML configuration file (also `SPENDBOARD_CONFIG`). Without one and without
    /// `SPENDBOARD_IDENTITY__*` variables, Spendboard runs in demo mode with the sandbox.
    #[arg(long, env = "SPENDBOARD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web portal (the default).
    Serve,
    /// Create or update the database schema, then exit. Safe to run from several instances
    /// at once on PostgreSQL (the migrations take an advisory lock).
    Migrate,
    /// Check the configuration and try the database, the identity provider's discovery and
    /// Partner Center, printing what works and what does not; changes nothing.
    Check,
    /// Fill the cache once from Partner Center with the stored token of the most recently
    /// signed-in user (or service account), then exit.
    Refresh,
    /// Run the Partner Center sandbox alone.
    Sandbox(partner_center_sandbox::SandboxArgs),
}

/// Runs the command; errors are printed with their causes.
pub async fn main(cli: Cli) -> ExitCode {
    let json_logs = Settings::load(cli.config.as_deref())
        .is_ok_and(|s| s.log.format == crate::config::LogFormat::Json);
    crate::telemetry::init_with(json_logs);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spendboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = || Settings::load(cli.config.as_deref()).map_err(anyhow::Error::new);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings()?).await,
        Command::Migrate => {
            let settings = settings()?;
            let store = Store::connect(settings.database.url.expose_secret(), 1).await?;
            store.migrate().await?;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::Check => {
            let settings = settings()?;
            let report = crate::check::run(&settings).await;
            for line in &report {
                println!("{line}");
            }
            let failed = report.iter().filter(|c| !c.ok).count();
            anyhow::ensure!(failed == 0, "{failed} of {} checks failed", report.len());
            Ok(())
        }
        Command::Refresh => refresh_once(settings()?)
            .await
            .map(|outcome| match outcome {
                RefreshOutcome::Refreshed { customers } => {
                    println!("{customers} customers refreshed.")
                }
                RefreshOutcome::AlreadyRunning => {
                    println!("Another refresh is running; nothing done.")
                }
            }),
        Command::Sandbox(sandbox) => sandbox.serve_until_ctrl_c().await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let url = app.state().public_url.clone();
    println!("Spendboard is running at {url}");
    if let Some(sandbox) = app.sandbox() {
        println!(
            "Demo mode: the Partner Center sandbox at {} stands in for Microsoft.",
            sandbox.base_url
        );
        if let Some(token) = &sandbox.control_token {
            println!(
                "Its control API (/_sandbox/, see sandbox/README.md) takes the header X-Sandbox-Control-Token: {token}"
            );
        }
        println!("Open {url} and sign in as one of the demo users:");
        for user in sandbox.demo_users() {
            println!(
                "  {} <{}>: {}",
                user.name, user.preferred_username, user.description
            );
        }
    }
    println!("Press Ctrl-C to stop.");
    app.run_until_stopped().await.context("serving")
}

/// One partner-wide refresh with the stored token of the most recently signed-in user,
/// renewed with its refresh token if needed; shows a progress bar on a terminal.
///
/// # Errors
/// No stored token (nobody signed in yet, or in demo mode, where the sandbox lives inside
/// `serve`), or the refresh failed.
pub async fn refresh_once(settings: Settings) -> anyhow::Result<RefreshOutcome> {
    anyhow::ensure!(
        !settings.is_demo(),
        "in demo mode the sandbox lives inside `spendboard serve`: use the dashboard's Refresh button there"
    );
    let port = settings.server.port;
    let (state, _) = state_for(settings, port).await?;
    let bar = ProgressBar::new(3);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcome = (state.refresher)
        .refresh_with_stored_token(&|p: &Progress| {
            bar.set_length(p.total);
            bar.set_position(p.done);
            bar.set_message(p.message.clone());
        })
        .await;
    bar.finish();
    outcome
}
