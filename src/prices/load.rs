//! Reading the Azure rate card of every currency the partner's customers use into the store
//! (`GET /v1/ratecards/azure?currency=..`), daily and single-flight. A read that fails keeps
//! the last good version in use and is recorded, so the price explorer can say so.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Currency, MeterPrice};
use crate::partner_center::{AccessToken, AzureMeter, AzureRateCard, PartnerCenterClient};
use crate::store::{NewRateCard, RateCardMeter, SavedRateCard, Store, StoreError};

/// A rate card older than this is read again when the price explorer is opened.
pub const RATE_CARD_MAX_AGE: Duration = Duration::hours(24);

/// After a failed read, the next is not tried before this.
pub const RETRY_AFTER_FAILURE: Duration = Duration::minutes(15);

/// What reading one currency's rate card did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadOutcome {
    /// Stored: a new version, or the current one confirmed.
    Stored {
        /// New version or unchanged.
        saved: SavedRateCard,
        /// Meters stored.
        meters: usize,
        /// Meters left out because their rates cannot price anything (none, negative).
        skipped: usize,
    },
    /// Partner Center's answer could not be had or used; the last good version stays.
    Failed(String),
}

/// Why the loading could not go on at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The database failed.
    #[error("the database failed while storing the rate card")]
    Store(#[from] StoreError),
}

/// Reads and stores the rate card of every currency of the stored customers, one after the
/// other; returns what happened per currency. Partner Center failures are recorded per
/// currency and do not stop the others.
///
/// # Errors
/// [`LoadError::Store`] when the database fails.
#[tracing::instrument(skip_all)]
pub async fn load_rate_cards(
    store: &Store,
    client: &PartnerCenterClient,
    token: &AccessToken,
) -> Result<Vec<(Currency, LoadOutcome)>, LoadError> {
    let mut outcomes = Vec::new();
    for currency in store.customer_currencies().await? {
        let now = Utc::now();
        let outcome = match client
            .azure_rate_card(token, Some(currency.code()), None)
            .await
        {
            Ok(card) => match to_new_card(&currency, card, now) {
                Ok((card, skipped)) => LoadOutcome::Stored {
                    saved: store.save_rate_card(&card).await?,
                    meters: card.meters.len(),
                    skipped,
                },
                Err(reason) => LoadOutcome::Failed(reason),
            },
            Err(e) => LoadOutcome::Failed(format!(
                "Partner Center did not give the rate card: {}",
                e.user_message()
            )),
        };
        if let LoadOutcome::Failed(reason) = &outcome {
            tracing::warn!(%currency, %reason, "rate card not read");
            store
                .record_rate_card_failure(&currency, now, reason)
                .await?;
        }
        outcomes.push((currency, outcome));
    }
    Ok(outcomes)
}

/// The rate card as it is stored: one meter per id (the first), meters whose rates cannot
/// price anything left out and counted. A card in another currency than asked, or without
/// any usable meter, is refused with the reason.
fn to_new_card(
    currency: &Currency,
    card: AzureRateCard,
    read_at: DateTime<Utc>,
) -> Result<(NewRateCard, usize), String> {
    if let Some(code) = card.currency.as_deref()
        && !code.eq_ignore_ascii_case(currency.code())
    {
        return Err(format!(
            "Partner Center gave a rate card in {code} when {currency} was asked for"
        ));
    }
    let total = card.meters.len();
    let mut seen = std::collections::HashSet::with_capacity(total);
    let meters: Vec<RateCardMeter> = card
        .meters
        .into_iter()
        .filter_map(stored_meter)
        .filter(|m| seen.insert(m.meter_id.clone()))
        .collect();
    if meters.is_empty() {
        return Err("Partner Center gave a rate card without any usable price".into());
    }
    let skipped = total - meters.len();
    Ok((
        NewRateCard {
            currency: currency.clone(),
            locale: card.locale.unwrap_or_else(|| "en".into()),
            meters,
            read_at,
        },
        skipped,
    ))
}

fn stored_meter(meter: AzureMeter) -> Option<RateCardMeter> {
    let price = MeterPrice::new(meter.rates, meter.included_quantity.unwrap_or_default()).ok()?;
    Some(RateCardMeter {
        meter_id: meter.id.to_lowercase(),
        name: meter.name.unwrap_or_default(),
        category: meter.category.unwrap_or_default(),
        subcategory: meter.subcategory.unwrap_or_default(),
        region: meter.region.unwrap_or_default(),
        unit: meter.unit.unwrap_or_default(),
        price,
        effective_date: meter.effective_date,
    })
}

/// Whether the rate cards should be read now: a customer currency has none, or one older
/// than [`RATE_CARD_MAX_AGE`], unless its last read failed less than
/// [`RETRY_AFTER_FAILURE`] ago.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn rate_cards_due(store: &Store, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let versions = store.rate_card_versions().await?;
    for currency in store.customer_currencies().await? {
        let checked = versions
            .iter()
            .find(|v| v.currency == currency)
            .map(|v| v.checked_at);
        if checked.is_some_and(|at| now - at < RATE_CARD_MAX_AGE) {
            continue;
        }
        let attempt = store.rate_card_attempt(&currency).await?;
        let failed_recently = attempt
            .is_some_and(|a| a.error.is_some() && now - a.attempted_at < RETRY_AFTER_FAILURE);
        if !failed_recently {
            return Ok(true);
        }
    }
    Ok(false)
}
