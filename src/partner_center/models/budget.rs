//! A customer's spending budget (docs/partner-center.md §9).

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::partner_center::links::{Attributes, Links};
use crate::partner_center::wire::optional_decimal;

/// A customer's monthly usage spending budget, in the customer's billing currency
/// (`GET`/`PATCH /v1/customers/{customer-tenant-id}/usagebudget`, and `budget` inside usage
/// records and summaries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendingBudget {
    /// The budget; `None` (absent or `null`) means no budget is set.
    #[serde(default, deserialize_with = "optional_decimal")]
    pub amount: Option<Decimal>,
    /// `{"objectType": "SpendingBudget"}`.
    #[serde(default)]
    pub attributes: Attributes,
    /// `self`, when the server sends it.
    #[serde(default)]
    pub links: Links,
}
