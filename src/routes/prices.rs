//! The price explorer: `GET /prices` (search), `GET /prices.csv` (the search as CSV),
//! `POST /prices/refresh` (read the rate card again), and
//! `GET /prices/{currency}/meters/{meter_id}` (the meter in every region), and
//! `GET /customers/{id}/subscriptions/{sid}/regions` (a subscription's meters in every region).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::csv_download::csv_rows;
use super::delegated::delegated_token;
use super::extract::{NoFields, SubscriptionPath, VerifiedForm, known_subscription};
use super::respond::{html, see_other};
use super::session::{CurrentUser, TypedSession};
use crate::auth::SessionUser;
use crate::error::AppError;
use crate::pages::{
    ExplorerParams, Layout, MeterRegionsPage, PriceCsvRow, PricesPage, SubscriptionRegionsPage,
};
use crate::paths;
use crate::prices;
use crate::state::AppState;
use crate::store::{MAX_METERS_RETURNED, MeterSearch};

/// Meters per page of the explorer.
const PAGE_SIZE: u32 = 50;

/// The explorer's query string; every field optional.
#[derive(Debug, Deserialize)]
pub struct PricesQuery {
    currency: Option<String>,
    q: Option<String>,
    category: Option<String>,
    region: Option<String>,
    changed: Option<String>,
    page: Option<String>,
}

impl PricesQuery {
    /// The search and the page number (1 when absent or not a number).
    fn params(&self) -> (ExplorerParams, u32) {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
        let page = self
            .page
            .as_deref()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_METERS_RETURNED / PAGE_SIZE);
        let params = ExplorerParams {
            currency: text(&self.currency).to_uppercase(),
            search: MeterSearch {
                text: text(&self.q),
                category: text(&self.category),
                region: text(&self.region),
                changed_only: self.changed.is_some(),
                offset: (page - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
            },
        };
        (params, page)
    }
}

/// Starts reading the rate cards in the background when they are due; `true` if started.
async fn load_if_due(state: &web::Data<AppState>, user: &SessionUser) -> Result<bool, AppError> {
    if !prices::rate_cards_due(&state.store, Utc::now()).await? {
        return Ok(false);
    }
    let token = delegated_token(state, user.id, paths::PRICES).await?;
    state.rate_cards.spawn_load(token);
    Ok(true)
}

/// The price explorer.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    query: web::Query<PricesQuery>,
) -> Result<HttpResponse, AppError> {
    let (params, page) = query.params();
    let loading = load_if_due(&state, &user).await?;
    let explorer = prices::explore(&state.store, Some(&params.currency), &params.search).await?;
    let status = match explorer.unknown_currency {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    let page = PricesPage::new(layout, &explorer, &params, page, PAGE_SIZE, loading);
    html(status, &page)
}

/// `GET /prices.csv`: every meter of the search (no paging), one row per meter with its
/// tiers, included quantity, effective date and previous tiers when the price changed.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn csv(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    query: web::Query<PricesQuery>,
) -> Result<HttpResponse, AppError> {
    let (mut params, _) = query.params();
    params.search.offset = 0;
    params.search.limit = MAX_METERS_RETURNED;
    let explorer = prices::explore(&state.store, Some(&params.currency), &params.search).await?;
    let Some(version) = explorer.selected else {
        return Err(AppError::NotFound(format!(
            "There is no rate card in {}.",
            params.currency
        )));
    };
    csv_rows(
        &format!(
            "prices-{}-{}.csv",
            version.currency,
            version.checked_at.format("%Y-%m-%d")
        ),
        &explorer
            .page
            .meters
            .iter()
            .map(|found| PriceCsvRow::of(found, &version.currency))
            .collect::<Vec<_>>(),
    )
}

/// `POST /prices/refresh`: reads the rate cards again now (unless a read runs).
#[tracing::instrument(skip_all, fields(user = %form.user.id))]
pub async fn refresh(
    state: web::Data<AppState>,
    session: TypedSession,
    form: VerifiedForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let token = delegated_token(&state, form.user.id, paths::PRICES).await?;
    state.rate_cards.spawn_load(token);
    session.flash("The rate card is being read again from Partner Center; reload the page in a moment to see it.");
    Ok(see_other(paths::PRICES))
}

/// The region comparison's query string.
#[derive(Debug, Deserialize)]
pub struct RegionsQuery {
    quantity: Option<String>,
}

/// `GET /prices/{currency}/meters/{meter_id}?quantity=..`: the meter in every region,
/// cheapest first at a month of `quantity`; a quantity that cannot be priced gets 400 with
/// the reason next to the field.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn regions(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: web::Path<(String, String)>,
    query: web::Query<RegionsQuery>,
) -> Result<HttpResponse, AppError> {
    let (currency, meter_id) = path.into_inner();
    let comparison =
        prices::region_comparison(&state.store, &currency, &meter_id, query.quantity.clone())
            .await?
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no meter {meter_id} on a {currency} rate card."
                ))
            })?;
    let status = match comparison.error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    html(status, &MeterRegionsPage::new(layout, comparison))
}

/// `GET /customers/{id}/subscriptions/{sid}/regions`: the subscription's most expensive
/// meters, each in every region at this period's quantity.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn subscription_regions(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    path: SubscriptionPath,
) -> Result<HttpResponse, AppError> {
    let (snapshot, subscription) = known_subscription(&state, path).await?;
    let versions = state.store.rate_card_versions().await?;
    let version = versions.iter().find(|v| v.currency == *snapshot.currency());
    let meters = match version {
        Some(version) => {
            let usage = state
                .store
                .meter_usage(&snapshot.customer_id, &subscription)
                .await?;
            prices::subscription_regions(&state.store, version, usage).await?
        }
        None => Vec::new(),
    };
    let layout = Layout::for_user(&user, session.take_flash(), state.settings.is_demo());
    let page = SubscriptionRegionsPage::new(layout, &snapshot, &subscription, version, &meters);
    html(StatusCode::OK, &page)
}
