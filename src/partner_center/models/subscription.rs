//! A customer's subscriptions (docs/partner-center.md §11).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::enums::{BillingType, ContractType, SubscriptionStatus};
use crate::partner_center::links::{Attributes, Links};
use crate::partner_center::wire::{optional_decimal, optional_timestamp};

/// A subscription of a customer (`GET /v1/customers/{customer-tenant-id}/subscriptions`
/// items). Usage-based Azure (legacy MS-AZR-0145P and the Azure plan) has
/// `billing_type == Some(BillingType::Usage)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The subscription id (GUID, either case).
    pub id: String,
    /// The Azure subscription id (legacy subscriptions).
    #[serde(default)]
    pub entitlement_id: Option<String>,
    /// `MS-AZR-0145P`, an Azure plan id, or another offer.
    #[serde(default)]
    pub offer_id: Option<String>,
    /// The offer's name.
    #[serde(default)]
    pub offer_name: Option<String>,
    /// The name the customer gave it.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Number of units (licences); 1 for usage-based.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub quantity: Option<Decimal>,
    /// E.g. `Usage-based`, `Licenses`.
    #[serde(default)]
    pub unit_type: Option<String>,
    /// The parent subscription of an add-on.
    #[serde(default)]
    pub parent_subscription_id: Option<String>,
    /// When it was created (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub creation_date: Option<DateTime<Utc>>,
    /// When it took effect (UTC).
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub effective_start_date: Option<DateTime<Utc>>,
    /// End of the commitment (UTC); `9999-12-10` for usage-based.
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub commitment_end_date: Option<DateTime<Utc>>,
    /// Its status.
    #[serde(default)]
    pub status: Option<SubscriptionStatus>,
    /// Whether it renews automatically.
    #[serde(default)]
    pub auto_renew_enabled: Option<bool>,
    /// `usage` or `license`.
    #[serde(default)]
    pub billing_type: Option<BillingType>,
    /// Billing cycle, e.g. `monthly`.
    #[serde(default)]
    pub billing_cycle: Option<String>,
    /// `subscription`, `productKey` or `redemptionCode`.
    #[serde(default)]
    pub contract_type: Option<ContractType>,
    /// Whether it is a trial.
    #[serde(default)]
    pub is_trial: Option<bool>,
    /// Term, e.g. `P1M`.
    #[serde(default)]
    pub term_duration: Option<String>,
    /// The order that created it.
    #[serde(default)]
    pub order_id: Option<String>,
    /// `self` and `offer`.
    #[serde(default)]
    pub links: Links,
    /// `{"etag", "objectType": "Subscription"}`.
    #[serde(default)]
    pub attributes: Attributes,
}
