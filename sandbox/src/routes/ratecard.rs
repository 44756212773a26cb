//! `GET /v1/ratecards/azure[?currency=..&region=..]` (docs/partner-center.md §13): the rate
//! card (`data::rate_card`) priced in the requested currency (default USD) on the sandbox
//! clock's today, with the offset-less offer-term date.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::Query;
use crate::auth::AnyCaller;
use crate::data::catalog::{METERS, currency_by_code};
use crate::data::rate_card::{PricedMeter, priced_meters};
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Attributes, Num};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AzureRateCard {
    locale: &'static str,
    currency: &'static str,
    is_tax_included: bool,
    meters: Vec<AzureMeter>,
    offer_terms: Vec<AzureOfferTerm>,
    attributes: Attributes,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AzureMeter {
    id: uuid::Uuid,
    name: String,
    rates: std::collections::BTreeMap<String, Num>,
    tags: Vec<String>,
    category: &'static str,
    subcategory: String,
    region: &'static str,
    unit: &'static str,
    included_quantity: Num,
    effective_date: String,
}

impl From<PricedMeter> for AzureMeter {
    fn from(meter: PricedMeter) -> Self {
        let mut included = meter.included_quantity;
        included.rescale(1);
        Self {
            id: meter.id,
            name: meter.name,
            rates: meter
                .rates
                .into_iter()
                .map(|(threshold, price)| (threshold.to_string(), Num(price)))
                .collect(),
            tags: Vec::new(),
            category: meter.category,
            subcategory: meter.subcategory,
            region: meter.region,
            unit: meter.unit,
            included_quantity: Num(included),
            effective_date: meter.effective_date,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AzureOfferTerm {
    name: &'static str,
    discount: Num,
    excluded_meter_ids: Vec<&'static str>,
    effective_date: &'static str,
}

/// `GET /v1/ratecards/azure` (any token). 400 for an unknown currency.
pub async fn azure(
    _caller: AnyCaller,
    req: HttpRequest,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let query = Query::of(&req)?;
    let code = query.get("currency").unwrap_or("USD");
    let currency = currency_by_code(code)
        .ok_or_else(|| ApiError::InvalidInput(format!("unsupported currency {code:?}")))?;
    let meters = priced_meters(
        state.data.seed,
        state.rate_card_meters,
        currency,
        state.clock.today(),
    )
    .into_iter()
    .map(AzureMeter::from)
    .collect();
    Ok(HttpResponse::Ok().json(AzureRateCard {
        locale: "en",
        currency: currency.code,
        is_tax_included: false,
        meters,
        offer_terms: vec![AzureOfferTerm {
            name: "Overage discount",
            discount: Num(rust_decimal::Decimal::new(15, 2)),
            excluded_meter_ids: vec![METERS[5].guid, METERS[6].guid],
            effective_date: "2014-01-01T00:00:00",
        }],
        attributes: Attributes::of("AzureRateCard"),
    }))
}
