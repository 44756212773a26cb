//! Azure utilization records: unrated quantities per meter and time slice
//! (docs/partner-center.md §12).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::partner_center::links::Attributes;
use crate::partner_center::wire::{decimal, optional_timestamp};

/// How utilization records are aggregated (`granularity` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    /// One record per meter and day (the default).
    #[default]
    Daily,
    /// One record per meter and hour.
    Hourly,
}

impl Granularity {
    /// The query value: `daily` or `hourly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Hourly => "hourly",
        }
    }
}

/// Quantity of one meter used in one time slice, an item of
/// `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/utilizations/azure`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureUtilizationRecord {
    /// Start of the slice (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub usage_start_time: Option<DateTime<Utc>>,
    /// End of the slice (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub usage_end_time: Option<DateTime<Utc>>,
    /// The meter.
    pub resource: AzureResource,
    /// Quantity used, in `unit`s (not a cost).
    #[serde(deserialize_with = "decimal")]
    pub quantity: Decimal,
    /// Unit of `quantity`, e.g. `Hours`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Free-form details such as `meteredRegion` (may be empty).
    #[serde(default)]
    pub info_fields: BTreeMap<String, String>,
    /// The resource instance, when details were requested.
    #[serde(default)]
    pub instance_data: Option<AzureInstanceData>,
    /// `{"objectType": "AzureUtilizationRecord"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// The meter of a utilization record.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureResource {
    /// Meter id (GUID).
    pub id: String,
    /// Meter name, e.g. `Standard Small App Service Hours`.
    #[serde(default)]
    pub name: Option<String>,
    /// Category, e.g. `Azure App Service`.
    #[serde(default)]
    pub category: Option<String>,
    /// Subcategory (may be empty).
    #[serde(default)]
    pub subcategory: Option<String>,
    /// Region.
    #[serde(default)]
    pub region: Option<String>,
}

/// The Azure resource instance behind a utilization record.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureInstanceData {
    /// Azure resource URI.
    #[serde(default)]
    pub resource_uri: Option<String>,
    /// Location, e.g. `azurestack`.
    #[serde(default)]
    pub location: Option<String>,
    /// Part number (may be empty).
    #[serde(default)]
    pub part_number: Option<String>,
    /// Order number (may be empty).
    #[serde(default)]
    pub order_number: Option<String>,
    /// Resource tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// Additional details.
    #[serde(default)]
    pub additional_info: Option<BTreeMap<String, String>>,
}
