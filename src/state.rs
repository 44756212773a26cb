//! What request handlers and background work share: settings, the store, the Partner Center
//! client and sign-in. It sits below `routes/` and `refresh/` and imports neither.

use url::Url;

use crate::auth::Auth;
use crate::config::Settings;
use crate::identity::{Keys, OidcClient};
use crate::partner_center::PartnerCenterClient;
use crate::store::{DashboardCache, OwnershipCache, Store};

/// What every request handler can reach.
pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub partner_center: PartnerCenterClient,
    pub oidc: OidcClient,
    pub keys: Keys,
    /// Sign-in and each user's delegated Partner Center tokens.
    pub auth: Auth,
    /// Where people reach Spendboard, e.g. `http://localhost:8080`.
    pub public_url: Url,
    /// Identifies this instance as the holder of refresh leases.
    pub instance_id: String,
    /// Prometheus metrics of this instance.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Database outages, logged once each.
    pub outage: std::sync::Arc<crate::outage::DatabaseOutage>,
    /// The dashboard's data of the latest snapshot version this instance read.
    pub dashboard: DashboardCache,
    /// The portfolios of the latest ownership version this instance read.
    pub ownership: OwnershipCache,
    /// The budget change service.
    pub budgets: crate::budgets::Budgets,
    /// Bulk budget changes, with the batches this instance is applying now.
    pub bulk: crate::bulk::BulkChanges,
}

impl AppState {
    /// Whether cookies are marked `Secure`: `security.secure_cookies`, by default true unless
    /// `public_url` is plain http.
    pub fn secure_cookies(&self) -> bool {
        self.settings
            .security
            .secure_cookies
            .unwrap_or(self.public_url.scheme() == "https")
    }
}
