//! What the price explorer shows: the rate card of one currency, a search of its meters, the
//! filters' choices, the last read attempt, and which customers the prices describe.

use crate::domain::Currency;
use crate::store::{MeterPage, MeterSearch, RateCardAttempt, RateCardVersion, Store, StoreError};

/// The explorer's data for one request.
#[derive(Debug, Clone)]
pub struct Explorer {
    /// Every stored currency's current rate card, in currency order.
    pub versions: Vec<RateCardVersion>,
    /// The rate card searched; `None` when none is stored (yet) for the currency.
    pub selected: Option<RateCardVersion>,
    /// The currency asked for has no rate card and none of the customers is billed in it:
    /// the code as typed.
    pub unknown_currency: Option<String>,
    /// The last attempt to read the selected currency's rate card.
    pub attempt: Option<RateCardAttempt>,
    /// The meters found.
    pub page: MeterPage,
    /// Every category and region of the selected rate card, sorted.
    pub categories: Vec<String>,
    /// See `categories`.
    pub regions: Vec<String>,
    /// Stored customers of the selected currency: (legacy, Azure plan).
    pub customers: (u64, u64),
}

/// Searches the rate card of `currency` (an ISO code as typed; `None`: the first stored).
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn explore(
    store: &Store,
    currency: Option<&str>,
    search: &MeterSearch,
) -> Result<Explorer, StoreError> {
    let versions = store.rate_card_versions().await?;
    let wanted = currency.map(str::trim).filter(|c| !c.is_empty());
    let selected = match wanted {
        Some(code) => versions
            .iter()
            .find(|v| v.currency.code().eq_ignore_ascii_case(code))
            .cloned(),
        None => versions.first().cloned(),
    };
    let billed = store.customer_currencies().await?;
    let unknown_currency = wanted
        .filter(|code| {
            selected.is_none() && !billed.iter().any(|c| c.code().eq_ignore_ascii_case(code))
        })
        .map(str::to_owned);
    let mut explorer = Explorer {
        versions,
        selected: None,
        unknown_currency,
        attempt: None,
        page: MeterPage {
            meters: Vec::new(),
            total: 0,
        },
        categories: Vec::new(),
        regions: Vec::new(),
        customers: (0, 0),
    };
    if let Some(version) = selected {
        explorer.attempt = store.rate_card_attempt(&version.currency).await?;
        explorer.page = store.search_meters(&version, search).await?;
        (explorer.categories, explorer.regions) = store.rate_card_facets(&version).await?;
        explorer.customers = store.customer_plans_in(&version.currency).await?;
        explorer.selected = Some(version);
    } else if let Some(code) = wanted.and_then(|c| Currency::parse(c).ok()) {
        explorer.attempt = store.rate_card_attempt(&code).await?;
    }
    Ok(explorer)
}
