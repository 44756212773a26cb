//! Usage summaries and usage records (docs/partner-center.md §2-§8). All amounts are in the
//! record's own currency ([`currency`](CustomerMonthlyUsageRecord::currency)) unless named
//! `usd_*`; all timestamps are UTC.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::enums::SubscriptionStatus;
use super::{SpendingBudget, currency_of};
use crate::domain::{Currency, CurrencyError, CustomerId, IdError};
use crate::partner_center::links::{Attributes, Links};
use crate::partner_center::wire::{decimal, optional_decimal, optional_timestamp};

macro_rules! record_currency {
    ($($name:ident),+) => {$(
        impl $name {
            /// The currency of this record's amounts: `currencyCode` (Azure plan) or, for
            /// legacy customers, the currency of `currencyLocale`.
            ///
            /// # Errors
            /// [`CurrencyError`] when neither is present or usable.
            pub fn currency(&self) -> Result<Currency, CurrencyError> {
                currency_of(self.currency_code.as_deref(), self.currency_locale.as_deref())
            }
        }
    )+};
}

record_currency!(
    PartnerUsageSummary,
    CustomerMonthlyUsageRecord,
    CustomerUsageSummary,
    SubscriptionMonthlyUsageRecord,
    SubscriptionUsageSummary,
    ResourceUsageRecord,
    MeterUsageRecord
);

/// The partner's usage summary for the billing period (`GET /v1/usagesummary`). Its total
/// excludes Azure plan customers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerUsageSummary {
    /// The partner tenant id.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The partner's name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// Number of customers over their budget.
    #[serde(default)]
    pub customers_over_budget: Option<u64>,
    /// Number of customers trending over their budget.
    #[serde(default)]
    pub customers_trending_over: Option<u64>,
    /// Number of customers with a usage-based subscription.
    #[serde(default)]
    pub customers_with_usage_based_subscription: Option<u64>,
    /// Addresses notified about budgets.
    #[serde(default)]
    pub emails_to_notify: Vec<String>,
    /// Start of the billing period (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub billing_start_date: Option<DateTime<Utc>>,
    /// End of the billing period (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub billing_end_date: Option<DateTime<Utc>>,
    /// Total cost in the partner's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name such as `fr-FR` (legacy).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Total cost in USD, when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated these numbers (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `self`.
    #[serde(default)]
    pub links: Links,
    /// `{"objectType": "PartnerUsageSummary"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One customer's spend and budget for the billing period, an item of
/// `GET /v1/customers/usagerecords` (legacy and Azure plan customers alike).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerMonthlyUsageRecord {
    /// The customer's tenant id.
    pub resource_id: String,
    /// The customer's company name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// The customer's spending budget; `amount` absent or null means no budget.
    #[serde(default)]
    pub budget: SpendingBudget,
    /// Spend as a percentage of the budget (can exceed 100), when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub percent_used: Option<Decimal>,
    /// `true` for an Azure plan customer, `false` for a legacy (MS-AZR-0145P) one.
    #[serde(default)]
    pub is_upgraded: bool,
    /// Spend of the billing period in the customer's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan customers).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name such as `fr-FR` (legacy customers).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Currency symbol, when given.
    #[serde(default)]
    pub currency_symbol: Option<String>,
    /// Spend in USD (Azure plan customers; legacy ones show 0).
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated this record (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `{"objectType": "CustomerMonthlyUsageRecord"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

impl CustomerMonthlyUsageRecord {
    /// The customer's id, parsed from `resourceId`.
    ///
    /// # Errors
    /// [`IdError`] when `resourceId` is not a GUID.
    pub fn customer_id(&self) -> Result<CustomerId, IdError> {
        CustomerId::parse(&self.resource_id)
    }
}

/// One customer's usage summary for the billing period
/// (`GET /v1/customers/{customer-tenant-id}/usagesummary`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUsageSummary {
    /// The customer's tenant id.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The customer's name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// The customer's spending budget.
    #[serde(default)]
    pub budget: SpendingBudget,
    /// Start of the billing period (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub billing_start_date: Option<DateTime<Utc>>,
    /// End of the billing period (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub billing_end_date: Option<DateTime<Utc>>,
    /// Spend of the billing period in the customer's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan customers).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name (legacy customers).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Spend in USD, when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated these numbers (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `self`.
    #[serde(default)]
    pub links: Links,
    /// `{"objectType": "CustomerUsageSummary"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One subscription's (for an Azure plan: the plan's) spend for the billing period, an item
/// of `GET /v1/customers/{customer-tenant-id}/subscriptions/usagerecords`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionMonthlyUsageRecord {
    /// The subscription id, or the Azure plan id.
    pub resource_id: String,
    /// The subscription's name, e.g. `Azure plan`.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// The subscription's status.
    #[serde(default)]
    pub status: Option<SubscriptionStatus>,
    /// MPN id of the partner of record.
    #[serde(default)]
    pub partner_on_record: Option<String>,
    /// `MS-AZR-0145P` (legacy) or an Azure plan id such as `DZH318Z0BPS6:0001:DZH318Z0BML6`.
    #[serde(default)]
    pub offer_id: Option<String>,
    /// Spend of the billing period in the customer's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name (legacy).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Spend in USD, when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated this record (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `{"objectType": "SubscriptionMonthlyUsageRecord"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One subscription's (or Azure plan's) usage summary for the billing period
/// (`GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/usagesummary`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionUsageSummary {
    /// The subscription or plan id.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The subscription's name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// Start of the billing period (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub billing_start_date: Option<DateTime<Utc>>,
    /// End of the billing period (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub billing_end_date: Option<DateTime<Utc>>,
    /// Spend of the billing period in the customer's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name (legacy).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Spend in USD, when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated these numbers (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `self`.
    #[serde(default)]
    pub links: Links,
    /// `{"objectType": "SubscriptionUsageSummary"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// Spend of one Azure resource in the billing period, an item of
/// `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/resourceusagerecords`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceUsageRecord {
    /// The plan id (or legacy subscription id).
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The Azure resource URI.
    #[serde(default)]
    pub resource_uri: Option<String>,
    /// E.g. `Microsoft.Compute`.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The Azure subscription (entitlement) the resource belongs to.
    #[serde(default)]
    pub entitlement_id: Option<String>,
    /// The entitlement's name.
    #[serde(default)]
    pub entitlement_name: Option<String>,
    /// The resource group.
    #[serde(default)]
    pub resource_group_name: Option<String>,
    /// The resource's id, when given.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The resource's name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// Spend of the billing period in the customer's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name (legacy).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Spend in USD, when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated this record (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `{"objectType": "ResourceUsageRecord"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

/// Quantity and spend of one meter in the billing period, summed over the whole plan, an item
/// of `GET /v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}/meterusagerecords`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterUsageRecord {
    /// The plan id (or legacy subscription id).
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Meter id (a composite string, not a GUID).
    #[serde(default)]
    pub meter_id: Option<String>,
    /// Meter name, e.g. `Data Transfer In`.
    #[serde(default)]
    pub meter_name: Option<String>,
    /// Category, e.g. `Bandwidth`.
    #[serde(default)]
    pub category: Option<String>,
    /// Subcategory.
    #[serde(default)]
    pub subcategory: Option<String>,
    /// Quantity used, in `unit`s.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub quantity_used: Option<Decimal>,
    /// Unit of `quantity_used`, e.g. `1 GB`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Spend of the billing period in the customer's currency.
    #[serde(deserialize_with = "decimal")]
    pub total_cost: Decimal,
    /// ISO 4217 code (Azure plan).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Culture name (legacy).
    #[serde(default)]
    pub currency_locale: Option<String>,
    /// Spend in USD, when given.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub usd_total_cost: Option<Decimal>,
    /// When Partner Center last updated this record (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// `{"objectType": "MeterUsageRecord"}`.
    #[serde(default)]
    pub attributes: Attributes,
}
