//! `GET /v1/ratecards/azure[?currency=..&region=..]` (docs/partner-center.md §13): the meter catalogue's
//! prices in the requested currency (default USD), with the offset-less offer-term date.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::Query;
use crate::auth::AnyCaller;
use crate::data::catalog::{METERS, currency_by_code};
use crate::data::usage::{decimal, unit_price};
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
    id: &'static str,
    name: &'static str,
    rates: std::collections::BTreeMap<&'static str, Num>,
    tags: Vec<String>,
    category: &'static str,
    subcategory: &'static str,
    region: &'static str,
    unit: &'static str,
    included_quantity: Num,
    effective_date: &'static str,
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
pub async fn azure(_caller: AnyCaller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = Query::of(&req)?;
    let code = query.get("currency").unwrap_or("USD");
    let currency = currency_by_code(code)
        .ok_or_else(|| ApiError::InvalidInput(format!("unsupported currency {code:?}")))?;
    let meters = METERS
        .iter()
        .enumerate()
        .map(|(index, meter)| AzureMeter {
            id: meter.guid,
            name: meter.name,
            rates: [("0", Num(decimal(unit_price(index, currency), 8)))]
                .into_iter()
                .collect(),
            tags: Vec::new(),
            category: meter.category,
            subcategory: meter.subcategory,
            region: meter.region,
            unit: meter.unit,
            included_quantity: Num(rust_decimal::Decimal::new(0, 1)),
            effective_date: "2016-09-01T00:00:00Z",
        })
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
