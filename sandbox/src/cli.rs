//! The sandbox's command-line arguments, shared by its own binary and `spendboard sandbox`.

use std::net::TcpListener;

use anyhow::Context;

use crate::{SandboxOptions, Throttle, ThrottleScope};

/// How to run the sandbox standalone.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub bind: String,
    /// Number of customers to generate.
    #[arg(long, default_value_t = 60)]
    pub customers: usize,
    /// Number of meters on the Azure rate card.
    #[arg(long, default_value_t = 3000)]
    pub meters: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Throttle the Partner Center routes to this many requests per minute.
    #[arg(long)]
    pub throttle_per_minute: Option<u32>,
    /// What throttled requests are counted per.
    #[arg(long, value_enum, default_value_t = ThrottleScope::Partner)]
    pub throttle_scope: ThrottleScope,
    /// A redirect URI to register for the demo application (repeatable; replaces the defaults).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
}

impl SandboxArgs {
    /// The sandbox these arguments describe.
    pub fn options(&self) -> SandboxOptions {
        let mut options = SandboxOptions {
            seed: self.seed,
            customers: self.customers,
            rate_card_meters: self.meters,
            throttle: self
                .throttle_per_minute
                .map(|limit| Throttle::per_minute(limit, self.throttle_scope)),
            ..SandboxOptions::default()
        };
        if !self.redirect_uris.is_empty() {
            options.redirect_uris.clone_from(&self.redirect_uris);
        }
        options
    }

    /// Serves the sandbox on `bind`, printing what it is, until Ctrl-C.
    ///
    /// # Errors
    /// When the address cannot be bound or the sandbox does not start.
    pub async fn serve_until_ctrl_c(&self) -> anyhow::Result<()> {
        let listener =
            TcpListener::bind(&self.bind).with_context(|| format!("binding {}", self.bind))?;
        let sandbox = crate::start(listener, self.options()).await?;
        println!("{}", sandbox.describe());
        println!("Ctrl-C to stop.");
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        sandbox.stop().await;
        Ok(())
    }
}
