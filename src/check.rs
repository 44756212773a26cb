//! `spendboard check`: validates the configuration and tries what a start needs (the
//! database, the identity provider's discovery, Partner Center), printing what works and
//! what does not, without changing anything.

use std::time::Duration;

use secrecy::ExposeSecret as _;

use crate::config::Settings;
use crate::store::Store;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Whether it works.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "[{mark}] {}: {}", self.what, self.detail)
    }
}

fn check(what: &str, result: Result<String, String>) -> Check {
    let (ok, detail) = match result {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check {
        what: what.to_owned(),
        ok,
        detail,
    }
}

/// Checks `settings` (already loaded) and everything they point at.
pub async fn run(settings: &Settings) -> Vec<Check> {
    let mut report = vec![check(
        "configuration",
        settings
            .validate()
            .map(|()| {
                if settings.is_demo() {
                    "valid; demo mode (no [identity]): the in-process sandbox stands in for Microsoft".to_owned()
                } else {
                    "valid".to_owned()
                }
            })
            .map_err(|e| e.to_string()),
    )];
    let timeout = Duration::from_secs(settings.database.acquire_timeout_seconds.max(1));
    let database = async {
        let store = Store::connect_with(settings.database.url.expose_secret(), 1, timeout)
            .await
            .map_err(|e| format!("cannot connect: {e:#}"))?;
        let pinged = store.ping().await;
        let mode = store.recorded_mode().await;
        store.close().await;
        pinged.map_err(|e| format!("connected but a query failed: {e:#}"))?;
        Ok(format!(
            "{} reachable; {}",
            store.kind(),
            match mode {
                Ok(Some(mode)) => format!("recorded as a {mode:?} database"),
                Ok(None) => "not used yet (run `spendboard migrate`)".to_owned(),
                Err(_) => "schema not created yet (run `spendboard migrate`)".to_owned(),
            }
        ))
    };
    report.push(check("database (database.url)", database.await));
    let Some(identity) = &settings.identity else {
        return report;
    };
    let public_url = settings.server.public_url.clone().unwrap_or_else(|| {
        url::Url::parse(&format!("http://localhost:{}", settings.server.port)).expect("a valid URL")
    });
    let discovery = async {
        let redirect_uri = public_url
            .join(crate::paths::AUTH_CALLBACK)
            .map_err(|e| e.to_string())?;
        crate::auth::OidcClient::discover(
            &identity.authority,
            identity.tenant_id,
            &identity.client_id,
            &identity.client_secret,
            &redirect_uri,
        )
        .await
        .map_err(|e| format!("{e:#}"))?;
        Ok(format!(
            "discovered at {}; register the redirect URI {redirect_uri}",
            identity.authority
        ))
    };
    report.push(check(
        "identity provider (identity.authority)",
        discovery.await,
    ));
    let base = &settings.partner_center.base_url;
    let partner_center = async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        let url = base.join("v1/usagesummary").map_err(|e| e.to_string())?;
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("not reachable: {e}"))?;
        // Without a token any answer (401 expected) proves it is there.
        Ok(format!(
            "reachable at {base} (HTTP {} without a token)",
            response.status().as_u16()
        ))
    };
    report.push(check(
        "Partner Center (partner_center.base_url)",
        partner_center.await,
    ));
    report
}
