//! How a sandbox is set up: seed, size, registered redirect URIs, clock and throttling.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Options of a sandbox instance.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Seed of the generated data (same seed, same customers, ids and usage).
    pub seed: u64,
    /// Number of customers to generate.
    pub customers: usize,
    /// Number of meters on the Azure rate card (at least the usage catalogue's 12).
    pub rate_card_meters: usize,
    /// Redirect URIs registered for the demo application (exact match at authorize).
    pub redirect_uris: Vec<String>,
    /// The sandbox clock's starting time; `None` starts at the real current time.
    pub now: Option<DateTime<Utc>>,
    /// Throttling of the Partner Center routes; `None` = never throttle.
    pub throttle: Option<Throttle>,
    /// Lifetime of the access and ID tokens the identity provider issues.
    pub access_token_lifetime: Duration,
    /// When set, every control API request (`/_sandbox/...`) must carry it in the
    /// `X-Sandbox-Control-Token` header (403 otherwise). Spendboard's demo and tests set a
    /// random one at each start; the standalone sandbox has none.
    pub control_token: Option<String>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            customers: 60,
            rate_card_meters: 3000,
            redirect_uris: vec![
                "http://127.0.0.1:8080/auth/callback".to_string(),
                "http://localhost:8080/auth/callback".to_string(),
            ],
            now: None,
            throttle: None,
            access_token_lifetime: Duration::from_secs(3600),
            control_token: None,
        }
    }
}

/// A rate limit: `limit` requests per `window`, counted per partner or per partner+customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttle {
    /// Requests allowed per window (at least 1).
    pub limit: u32,
    /// What the requests are counted per.
    #[serde(default)]
    pub scope: ThrottleScope,
    /// The window, in seconds (default 60).
    #[serde(default = "default_window")]
    pub window_seconds: u64,
}

fn default_window() -> u64 {
    60
}

impl Throttle {
    /// `limit` requests per minute per partner.
    pub fn per_minute(limit: u32, scope: ThrottleScope) -> Self {
        Self {
            limit,
            scope,
            window_seconds: 60,
        }
    }
}

/// What throttled requests are counted per.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ThrottleScope {
    /// All requests of the partner tenant together.
    #[default]
    Partner,
    /// Each customer's requests separately (requests naming no customer share one count).
    Customer,
}
