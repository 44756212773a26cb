//! Typed settings: defaults, then an optional TOML file, then `SPENDBOARD_*` environment
//! variables (nested keys joined with `__`, e.g. `SPENDBOARD_DATABASE__URL`).
//!
//! With no `[identity]` section Spendboard runs in demo mode: the Partner Center sandbox is
//! started in-process and stands in for Entra ID and Partner Center.

use std::net::IpAddr;
use std::path::Path;

use base64::Engine as _;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;
use uuid::Uuid;

/// Everything Spendboard can be configured with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    /// Entra ID sign-in. Absent: demo mode with the in-process sandbox.
    pub identity: Option<IdentitySettings>,
    pub partner_center: PartnerCenterSettings,
    pub roles: RoleSettings,
    pub budgets: BudgetSettings,
    pub refresh: RefreshSettings,
    pub alerts: AlertSettings,
    pub security: SecuritySettings,
    /// Demo mode only: the in-process sandbox's data.
    pub sandbox: SandboxSettings,
    pub log: LogSettings,
}

/// How logs are written (to stderr; the level is `RUST_LOG`, default `info`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` (default, for people) or `json` (one JSON object a line, for log shippers).
    pub format: LogFormat,
}

/// A log format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Where Spendboard listens and how it is reached.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// The address people use (behind a reverse proxy, its https URL). Default:
    /// `http://localhost:{port}`. The sign-in redirect URI is `{public_url}/auth/callback`.
    /// Requests for another address are redirected to it.
    pub public_url: Option<Url>,
    /// Reverse proxies whose `X-Forwarded-Host` and `X-Forwarded-Proto` are believed (by
    /// their address as seen by Spendboard); from anyone else these headers are ignored.
    pub trusted_proxies: Vec<IpAddr>,
}

/// The database: `sqlite://file.db?mode=rwc` (default) or `postgres://...`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    /// How long a request waits for a database connection before it is answered with the
    /// "database unreachable" page (503). Short, so that an outage fails fast.
    pub acquire_timeout_seconds: u64,
    /// Start with `[identity]` on a database a demo run created (its demo data is kept, and
    /// the database is marked as a real one from then on). Default false: refused.
    pub adopt_demo_database: bool,
}

/// The OpenID Connect application Spendboard signs people in with: Microsoft Entra ID, or
/// any standard OpenID provider (staging, proxies, tests).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySettings {
    /// The provider's issuer, where it is discovered (`{authority}/.well-known/openid-configuration`)
    /// and which ID tokens must name exactly. For Entra ID the tenant-specific
    /// `https://login.microsoftonline.com/{tenant-id}/v2.0`.
    pub authority: Url,
    /// The partner's tenant id: ID tokens whose `tid` claim names another tenant are refused.
    /// Required with Entra ID; leave it out for a provider without tenants.
    pub tenant_id: Option<Uuid>,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The Partner Center API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartnerCenterSettings {
    pub base_url: Url,
    pub timeout_seconds: u64,
    pub max_concurrent_calls: usize,
    pub max_retries: usize,
    /// Longest `Retry-After` we wait for inside one request before giving up.
    pub max_retry_after_seconds: u64,
}

/// Entra ID app role values (from the ID token's `roles` claim) granting each right.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoleSettings {
    pub reader: Vec<String>,
    pub budget_editor: Vec<String>,
    /// Assign customers to their owners (portfolios) without changing budgets.
    pub portfolio_admin: Vec<String>,
}

/// Budget rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetSettings {
    /// Percent of the budget from which a customer is "near budget" (Partner Center notifies at 80).
    pub near_threshold_percent: Decimal,
    /// Budgets must be below this amount, in the customer's currency.
    pub maximum: Decimal,
    /// How long an edit waits for another edit of the same customer to finish before it is
    /// turned away with "try again" (nothing changed).
    pub lock_wait_seconds: u64,
    /// After a PATCH whose request may still be under way at Partner Center (a timeout, a
    /// dropped connection, a gateway 502/503/504), how long a read-back showing the old
    /// budget is not yet taken as "not applied". Longer than Partner Center's own request
    /// time-out; the customer's budget stays locked meanwhile.
    pub settle_seconds: u64,
    /// How often `serve` looks for changes left without an outcome (a crash, a database
    /// outage) and establishes it by reading the budget back.
    pub reconcile_every_seconds: u64,
    /// How often `serve` looks for confirmed bulk budget changes with items still to send
    /// (left by a restart or a crash) and resumes them.
    pub bulk_resume_every_seconds: u64,
}

/// When cached data is refreshed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RefreshSettings {
    /// Data older than this is marked stale and refreshed in the background.
    pub stale_after_minutes: i64,
    /// `serve` refreshes every this many seconds on its own, with the stored token of the
    /// most recently signed-in user (so history gets a row every day even when nobody looks);
    /// 0 turns it off.
    pub background_every_seconds: u64,
}

/// Budget alerts: where their messages go and how deliveries are retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// The company's mail relay. Absent: messages are kept in Spendboard (the "catcher",
    /// listed on the Alerts page) instead of being sent, as in demo mode.
    pub smtp: Option<SmtpSettings>,
    /// The sender of alert e-mails, e.g. `Spendboard <spendboard@contoso.com>`.
    pub from: String,
    /// Where alerts of a customer without owners go; none: such alerts are only listed.
    pub partner_address: Option<String>,
    /// An incoming-webhook URL (e.g. a Microsoft Teams channel's) that receives every alert
    /// too; a secret (better: `SPENDBOARD_ALERTS__WEBHOOK_URL`).
    pub webhook_url: Option<SecretString>,
    /// How often `serve` sends what is due in the outbox.
    pub deliver_every_seconds: u64,
    /// The wait before the first retry of a failed delivery; it doubles with each further
    /// failure, up to `retry_max_seconds`. A delivery is retried until it succeeds.
    pub retry_base_seconds: u64,
    /// The longest wait between two attempts.
    pub retry_max_seconds: u64,
    /// The UTC hour (0 to 23) from which each account manager's daily digest is sent, unless
    /// they chose another on their preferences page.
    pub digest_hour_utc: u8,
}

/// The SMTP relay alert e-mails are sent through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    /// Default 587 (submission with STARTTLS).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default: the connection is upgraded to TLS, or nothing is sent) or `none`
    /// (plain text; for a relay on the same host or a test server only).
    #[serde(default)]
    pub security: SmtpSecurity,
    /// Credentials, if the relay wants them (better from the environment:
    /// `SPENDBOARD_ALERTS__SMTP__USERNAME`, `SPENDBOARD_ALERTS__SMTP__PASSWORD`).
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// Longest wait for the relay, per message.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_seconds: u64,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_timeout() -> u64 {
    30
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    #[default]
    Starttls,
    None,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            smtp: None,
            from: "Spendboard <spendboard@localhost>".into(),
            partner_address: None,
            webhook_url: None,
            deliver_every_seconds: 10,
            retry_base_seconds: 30,
            retry_max_seconds: 3600,
            digest_hour_utc: 7,
        }
    }
}

/// Keys and session lifetimes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Base64 of at least 32 random bytes; session cookies and the encryption of stored
    /// Partner Center tokens derive their keys from it. Required outside demo mode
    /// (`openssl rand -base64 48`). In demo mode a random key is made at each start.
    pub secret_key: Option<SecretString>,
    /// Mark cookies `Secure`. Default: true unless `public_url` is plain http.
    pub secure_cookies: Option<bool>,
    /// `Strict-Transport-Security: max-age` in seconds, sent when `public_url` is https
    /// (Spendboard behind TLS). Default one year; 0 turns it off.
    pub hsts_max_age_seconds: u64,
    /// A session ends after this many minutes without a request (default 600).
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, however active (default 12).
    pub session_absolute_hours: u32,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            secret_key: None,
            secure_cookies: None,
            hsts_max_age_seconds: 31_536_000,
            session_idle_minutes: 600,
            session_absolute_hours: 12,
        }
    }
}

/// The demo's in-process sandbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSettings {
    pub customers: usize,
    pub seed: u64,
    /// 0 picks a free port.
    pub port: u16,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            public_url: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://spendboard.db?mode=rwc"),
            max_connections: 10,
            acquire_timeout_seconds: 2,
            adopt_demo_database: false,
        }
    }
}

impl Default for PartnerCenterSettings {
    fn default() -> Self {
        Self {
            base_url: Url::parse("https://api.partnercenter.microsoft.com").expect("a valid URL"),
            timeout_seconds: 180,
            max_concurrent_calls: 8,
            max_retries: 3,
            max_retry_after_seconds: 60,
        }
    }
}

impl Default for RoleSettings {
    fn default() -> Self {
        Self {
            reader: vec!["Spendboard.Reader".into()],
            budget_editor: vec!["Spendboard.BudgetEditor".into()],
            portfolio_admin: vec!["Spendboard.PortfolioAdmin".into()],
        }
    }
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            near_threshold_percent: Decimal::from(80),
            maximum: Decimal::from(100_000_000),
            lock_wait_seconds: 10,
            settle_seconds: 120,
            reconcile_every_seconds: 30,
            bulk_resume_every_seconds: 5,
        }
    }
}

impl Default for RefreshSettings {
    fn default() -> Self {
        Self {
            stale_after_minutes: 15,
            background_every_seconds: 3600,
        }
    }
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            customers: 60,
            seed: 42,
            port: 0,
        }
    }
}

/// A setting that is missing or wrong: names the setting and says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the configuration: {0}")]
    Load(String),
    #[error("setting `{key}` (environment variable {}): {problem}", env_var(key))]
    Invalid { key: &'static str, problem: String },
}

/// The environment variable that sets `key` (`budgets.maximum`: `SPENDBOARD_BUDGETS__MAXIMUM`),
/// or for a whole section those of its settings (`identity`: `SPENDBOARD_IDENTITY__*`).
fn env_var(key: &str) -> String {
    let name = format!("SPENDBOARD_{}", key.to_uppercase().replace('.', "__"));
    if key.contains('.') {
        name
    } else {
        name + "__*"
    }
}

fn invalid(key: &'static str, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        problem: problem.into(),
    }
}

/// A count or period that must be at least 1; `why` ends the message when given.
fn at_least_one(key: &'static str, value: u64, why: &str) -> Result<(), SettingsError> {
    if value >= 1 {
        return Ok(());
    }
    Err(invalid(key, format!("must be at least 1{why}")))
}

/// Entra ID's hosts: there the authority must be tenant-specific. Elsewhere, any issuer.
const ENTRA_HOSTS: [&str; 2] = ["login.microsoftonline.com", "login.microsoft.com"];

/// Entra ID's multi-tenant authorities: their ID tokens name each user's own tenant as
/// issuer, so issuer validation fails for everyone.
const MULTI_TENANT_AUTHORITIES: [&str; 3] = ["common", "organizations", "consumers"];

/// With Entra ID, the authority must be tenant-specific and name the configured tenant (which
/// is then required); `common` and `organizations` are refused with any provider's host.
fn check_entra_authority(authority: &Url, tenant_id: Option<Uuid>) -> Result<(), SettingsError> {
    let first_segment = authority
        .path_segments()
        .and_then(|mut segments| segments.next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_entra = authority
        .host_str()
        .is_some_and(|host| ENTRA_HOSTS.contains(&host.to_ascii_lowercase().as_str()));
    let named = tenant_id.filter(|tenant| first_segment == tenant.to_string());
    if MULTI_TENANT_AUTHORITIES.contains(&first_segment.as_str()) || (is_entra && named.is_none()) {
        let tenant = tenant_id.map_or_else(|| "<tenant-id>".to_owned(), |t| t.to_string());
        return Err(invalid(
            "identity.authority",
            format!(
                "must be tenant-specific and name the tenant id, https://login.microsoftonline.com/{tenant}/v2.0, with identity.tenant_id = \"{tenant}\" (the common and organizations authorities fail issuer validation)"
            ),
        ));
    }
    Ok(())
}

impl Settings {
    /// Loads defaults, then `file` (TOML) if given, then `SPENDBOARD_*` variables, and checks
    /// the result.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first setting that is missing or invalid.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.exists() {
                return Err(SettingsError::Load(format!(
                    "the configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        let figment = figment.merge(
            Env::prefixed("SPENDBOARD_")
                .ignore(&["CONFIG", "LOG"])
                .split("__"),
        );
        let settings: Settings = figment
            .extract()
            .map_err(|e| SettingsError::Load(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// True without an `[identity]` section: the in-process sandbox stands in for Microsoft.
    pub fn is_demo(&self) -> bool {
        self.identity.is_none()
    }

    /// Why these settings look like a deployment rather than a demo on a laptop, if they do:
    /// a PostgreSQL database, a non-loopback bind address, an https public URL, or a
    /// configured secret key.
    pub fn looks_like_a_deployment(&self) -> Option<String> {
        let db = self.database.url.expose_secret();
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Some("database.url (a PostgreSQL database)".into());
        }
        if !self.server.host.is_loopback() {
            return Some(format!(
                "server.host = {} (not a loopback address)",
                self.server.host
            ));
        }
        if let Some(url) = &self.server.public_url
            && url.scheme() == "https"
        {
            return Some(format!("server.public_url = {url} (https)"));
        }
        if self.security.secret_key.is_some() {
            return Some("security.secret_key (configured)".into());
        }
        None
    }

    /// Checks what types alone cannot.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the setting.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.validate_database()?;
        if let Some(identity) = &self.identity {
            identity.validate()?;
            if self.security.secret_key.is_none() {
                return Err(invalid(
                    "security.secret_key",
                    "is required outside demo mode: base64 of at least 32 random bytes (openssl rand -base64 48)",
                ));
            }
        }
        self.security.validate()?;
        if self.identity.is_none()
            && let Some(reason) = self.looks_like_a_deployment()
        {
            return Err(invalid(
                "identity",
                format!(
                    "is missing, so Spendboard would start in demo mode (the sandbox standing in for Microsoft), but {reason} looks like a deployment. Configure [identity] (authority, tenant_id for Entra ID, client_id, client_secret), or remove that setting to run the demo"
                ),
            ));
        }
        self.budgets.validate()?;
        at_least_one(
            "partner_center.max_concurrent_calls",
            u64::try_from(self.partner_center.max_concurrent_calls).unwrap_or(u64::MAX),
            "",
        )?;
        self.alerts.validate()?;
        at_least_one(
            "refresh.stale_after_minutes",
            u64::try_from(self.refresh.stale_after_minutes).unwrap_or(0),
            "",
        )
    }

    fn validate_database(&self) -> Result<(), SettingsError> {
        let db = self.database.url.expose_secret();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database.url",
                "must start with sqlite: or postgres://",
            ));
        }
        at_least_one(
            "database.max_connections",
            self.database.max_connections.into(),
            "",
        )?;
        at_least_one(
            "database.acquire_timeout_seconds",
            self.database.acquire_timeout_seconds,
            "",
        )
    }
}

impl IdentitySettings {
    fn validate(&self) -> Result<(), SettingsError> {
        let host_is_loopback = match self.authority.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if self.authority.scheme() != "https" && !host_is_loopback {
            return Err(invalid(
                "identity.authority",
                "must be an https URL such as https://login.microsoftonline.com/<tenant-id>/v2.0",
            ));
        }
        check_entra_authority(&self.authority, self.tenant_id)?;
        if self.client_id.trim().is_empty() {
            return Err(invalid("identity.client_id", "is empty"));
        }
        if self.client_secret.expose_secret().is_empty() {
            return Err(invalid("identity.client_secret", "is empty"));
        }
        Ok(())
    }
}

impl SecuritySettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if let Some(key) = &self.secret_key {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key.expose_secret().trim())
                .map_err(|_| invalid("security.secret_key", "is not base64"))?;
            if bytes.len() < 32 {
                return Err(invalid(
                    "security.secret_key",
                    format!("has {} bytes; at least 32 are needed", bytes.len()),
                ));
            }
        }
        at_least_one(
            "security.session_idle_minutes",
            self.session_idle_minutes.into(),
            "",
        )?;
        at_least_one(
            "security.session_absolute_hours",
            self.session_absolute_hours.into(),
            "",
        )
    }
}

impl BudgetSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        let threshold = self.near_threshold_percent;
        if threshold <= Decimal::ZERO || threshold > Decimal::ONE_HUNDRED {
            return Err(invalid(
                "budgets.near_threshold_percent",
                "must be above 0 and at most 100",
            ));
        }
        if self.maximum <= Decimal::ZERO {
            return Err(invalid("budgets.maximum", "must be positive"));
        }
        at_least_one(
            "budgets.reconcile_every_seconds",
            self.reconcile_every_seconds,
            ": changes without an outcome must be checked",
        )?;
        at_least_one(
            "budgets.bulk_resume_every_seconds",
            self.bulk_resume_every_seconds,
            ": confirmed bulk changes must be resumed",
        )
    }
}

impl AlertSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "alerts.from",
                "must be an e-mail address, e.g. Spendboard <spendboard@contoso.com>",
            ));
        }
        if let Some(address) = &self.partner_address
            && address.parse::<lettre::Address>().is_err()
        {
            return Err(invalid(
                "alerts.partner_address",
                "must be an e-mail address",
            ));
        }
        if let Some(url) = &self.webhook_url
            && Url::parse(url.expose_secret())
                .map_or(true, |u| !matches!(u.scheme(), "https" | "http"))
        {
            return Err(invalid("alerts.webhook_url", "must be an http(s) URL"));
        }
        if self.deliver_every_seconds == 0
            || self.retry_base_seconds == 0
            || self.retry_max_seconds < self.retry_base_seconds
        {
            return Err(invalid(
                "alerts.retry_base_seconds",
                "deliver_every_seconds and retry_base_seconds must be at least 1, and retry_max_seconds at least retry_base_seconds",
            ));
        }
        if self.digest_hour_utc > 23 {
            return Err(invalid(
                "alerts.digest_hour_utc",
                "must be an hour from 0 to 23 (UTC)",
            ));
        }
        if let Some(smtp) = &self.smtp
            && smtp.host.trim().is_empty()
        {
            return Err(invalid("alerts.smtp.host", "is empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<Settings, SettingsError> {
        let settings: Settings = Figment::from(Toml::string(toml))
            .extract()
            .map_err(|e| SettingsError::Load(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    const IDENTITY: &str = r#"
        [identity]
        authority = "https://login.microsoftonline.com/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7/v2.0"
        tenant_id = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
        client_id = "app"
        client_secret = "s"
    "#;

    #[test]
    fn no_configuration_means_demo_mode_with_sqlite() {
        let settings = parse("").unwrap();
        assert!(settings.is_demo());
        assert!(settings.database.url.expose_secret().starts_with("sqlite:"));
    }

    #[test]
    fn the_deployment_example_is_valid_once_its_secrets_are_given() {
        let example = include_str!("../deploy/spendboard.toml");
        let settings: Settings = Figment::from(Toml::string(example))
            .merge(Toml::string(
                r#"
                database.url = "postgres://spendboard@db/spendboard"
                identity.client_secret = "s"
                security.secret_key = "c3BlbmRib2FyZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=="
                "#,
            ))
            .extract()
            .unwrap();
        settings.validate().unwrap();
        assert!(!settings.is_demo());
        assert_eq!(settings.log.format, LogFormat::Json);
    }

    #[test]
    fn logs_are_text_unless_json_is_asked_for_and_the_database_fails_fast() {
        let settings = parse("").unwrap();
        assert_eq!(settings.log.format, LogFormat::Text);
        assert_eq!(settings.database.acquire_timeout_seconds, 2);
        let settings = parse("[log]\nformat = \"json\"").unwrap();
        assert_eq!(settings.log.format, LogFormat::Json);
        assert!(parse("[log]\nformat = \"xml\"").is_err());
        assert!(parse("[database]\nacquire_timeout_seconds = 0").is_err());
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name() {
        let err = parse("[server]\nprot = 1").unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn production_needs_a_secret_key() {
        let err = parse(IDENTITY).unwrap_err().to_string();
        assert!(err.contains("security.secret_key"), "{err}");
        let with_key = format!(
            "{IDENTITY}\n[security]\nsecret_key = \"{}\"",
            base64::engine::general_purpose::STANDARD.encode([7u8; 48])
        );
        assert!(!parse(&with_key).unwrap().is_demo());
    }

    #[test]
    fn a_deployment_without_identity_does_not_start_in_demo_mode() {
        for (toml, named) in [
            (
                "[database]\nurl = \"postgres://db/spendboard\"",
                "database.url",
            ),
            ("[server]\nhost = \"0.0.0.0\"", "server.host"),
            (
                "[server]\npublic_url = \"https://spendboard.example.com\"",
                "server.public_url",
            ),
            (
                "[security]\nsecret_key = \"c3BlbmRib2FyZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==\"",
                "security.secret_key",
            ),
        ] {
            let err = parse(toml).unwrap_err().to_string();
            assert!(
                err.contains("`identity`") && err.contains("is missing") && err.contains(named),
                "{err}"
            );
        }
        assert!(parse("[server]\nport = 9000").unwrap().is_demo());
    }

    #[test]
    fn the_common_authority_is_refused() {
        let toml = IDENTITY.replace("6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7/v2.0", "common/v2.0");
        let err = parse(&toml).unwrap_err().to_string();
        assert!(
            err.contains("identity.authority") && err.contains("tenant-specific"),
            "{err}"
        );
    }

    #[test]
    fn the_organizations_authority_is_refused_whatever_the_host() {
        for authority in [
            "https://login.microsoftonline.com/organizations/v2.0",
            "https://login.microsoft.com/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f8/v2.0",
            "https://sts.example.com/organizations",
        ] {
            let toml = IDENTITY.replace(
                "https://login.microsoftonline.com/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7/v2.0",
                authority,
            );
            let err = parse(&toml).unwrap_err().to_string();
            assert!(err.contains("tenant-specific"), "{authority}: {err}");
        }
    }

    #[test]
    fn entra_needs_the_tenant_id_but_another_provider_does_not() {
        let without_tenant =
            IDENTITY.replace("tenant_id = \"6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7\"\n", "");
        let err = parse(&without_tenant).unwrap_err().to_string();
        assert!(
            err.contains("identity.tenant_id = \"<tenant-id>\""),
            "{err}"
        );
        let other = without_tenant.replace(
            "https://login.microsoftonline.com/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7/v2.0",
            "https://id.example.com",
        ) + "[security]\nsecret_key = \"c3BlbmRib2FyZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==\"\n";
        let settings = parse(&other).expect("a standard issuer without a tenant");
        let identity = settings.identity.expect("identity");
        assert_eq!(identity.authority.as_str(), "https://id.example.com/");
        assert_eq!(identity.tenant_id, None);
    }

    #[test]
    fn a_short_secret_key_says_how_many_bytes_it_has() {
        let err = parse("[security]\nsecret_key = \"c2hvcnQ=\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("has 5 bytes"), "{err}");
    }

    #[test]
    fn alert_mail_settings_are_checked_and_default_to_starttls_on_587() {
        let settings = parse("[alerts.smtp]\nhost = \"relay.contoso.com\"").unwrap();
        let smtp = settings.alerts.smtp.unwrap();
        assert_eq!((smtp.port, smtp.security), (587, SmtpSecurity::Starttls));
        let err = parse("[alerts]\npartner_address = \"not an address\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("alerts.partner_address"), "{err}");
        let err = parse("[alerts]\nwebhook_url = \"ftp://x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("alerts.webhook_url"), "{err}");
        assert!(parse("[alerts.smtp]\nhost = \"h\"\nsecurity = \"ssl\"").is_err());
    }

    #[test]
    fn a_bad_threshold_names_the_setting() {
        let err = parse("[budgets]\nnear_threshold_percent = 120")
            .unwrap_err()
            .to_string();
        assert!(err.contains("budgets.near_threshold_percent"), "{err}");
    }
}
