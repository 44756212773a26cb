//! What request handlers share: settings, the store, the Partner Center client, and the
//! services (sign-in and tokens, refresh, rate cards, budget changes, bulk changes). It sits
//! below `routes/` and imports none of it; the services it holds do not import it: each
//! holds only what it needs.

use url::Url;

use crate::auth::Auth;
use crate::budgets::Budgets;
use crate::bulk::BulkChanges;
use crate::config::Settings;
use crate::identity::CookieKey;
use crate::prices::RateCards;
use crate::refresh::Refresher;
use crate::store::{DashboardCache, OwnershipCache, Store};

/// What every request handler can reach.
pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    /// Signs and encrypts the session cookie and the sign-in cookie.
    pub cookie_key: CookieKey,
    /// Sign-in and each user's delegated Partner Center tokens.
    pub auth: Auth,
    /// Fetching Partner Center into the store (single-flight, "ensure fresh", the schedule).
    pub refresher: Refresher,
    /// Reading the Azure rate cards in the background.
    pub rate_cards: RateCards,
    /// The budget change service.
    pub budgets: Budgets,
    /// Bulk budget changes, with the batches this instance is applying now.
    pub bulk: BulkChanges,
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
