//! The Azure rate card: list prices per meter (docs/partner-center.md §13).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::partner_center::links::Attributes;
use crate::partner_center::wire::{decimal_map, optional_decimal, optional_timestamp};

/// Azure list prices in one currency (`GET /v1/ratecards/azure`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureRateCard {
    /// Language of names, e.g. `en`.
    #[serde(default)]
    pub locale: Option<String>,
    /// ISO 4217 code of every rate.
    #[serde(default)]
    pub currency: Option<String>,
    /// Always false.
    #[serde(default)]
    pub is_tax_included: bool,
    /// The meters and their rates.
    #[serde(default)]
    pub meters: Vec<AzureMeter>,
    /// Discounts.
    #[serde(default)]
    pub offer_terms: Vec<AzureOfferTerm>,
    /// `{"objectType": "AzureRateCard"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One meter's rates.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureMeter {
    /// Meter id (GUID).
    pub id: String,
    /// Meter name.
    #[serde(default)]
    pub name: Option<String>,
    /// Price per `unit` by tier: tier threshold (in units) to price (in the card's currency).
    #[serde(default, deserialize_with = "decimal_map")]
    pub rates: BTreeMap<Decimal, Decimal>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// Subcategory.
    #[serde(default)]
    pub subcategory: Option<String>,
    /// Region, e.g. `AU East`.
    #[serde(default)]
    pub region: Option<String>,
    /// Unit, e.g. `1 Hour`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Quantity included free each month, in units.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub included_quantity: Option<Decimal>,
    /// When these rates took effect (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub effective_date: Option<DateTime<Utc>>,
}

/// A discount on the rate card.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureOfferTerm {
    /// Name, e.g. `Overage discount`.
    #[serde(default)]
    pub name: Option<String>,
    /// Discount as a fraction (0.15 is 15 %).
    #[serde(default, deserialize_with = "optional_decimal")]
    pub discount: Option<Decimal>,
    /// Meters the discount does not apply to.
    #[serde(default)]
    pub excluded_meter_ids: Vec<String>,
    /// When the term took effect (UTC; sent without an offset).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub effective_date: Option<DateTime<Utc>>,
}
