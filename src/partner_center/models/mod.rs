//! Typed Partner Center resources, one module per family. Tolerant by design: unknown
//! fields are ignored, unknown enum values kept as `Other`, optional fields optional.

mod budget;
mod customer;
mod enums;
mod rate_card;
mod subscription;
mod usage;
mod utilization;

pub use budget::SpendingBudget;
pub use customer::{Customer, CustomerCompanyProfile};
pub use enums::{BillingType, ContractType, RelationshipToPartner, SubscriptionStatus};
pub use rate_card::{AzureMeter, AzureOfferTerm, AzureRateCard};
pub use subscription::Subscription;
pub use usage::{
    CustomerMonthlyUsageRecord, CustomerUsageSummary, MeterUsageRecord, PartnerUsageSummary,
    ResourceUsageRecord, SubscriptionMonthlyUsageRecord, SubscriptionUsageSummary,
};
pub use utilization::{AzureInstanceData, AzureResource, AzureUtilizationRecord, Granularity};

use crate::domain::{Currency, CurrencyError};

/// A record's currency: its `currencyCode` when present, else its legacy `currencyLocale`.
fn currency_of(code: Option<&str>, locale: Option<&str>) -> Result<Currency, CurrencyError> {
    match (code.map(str::trim), locale) {
        (Some(code), _) if !code.is_empty() => Currency::parse(code),
        (_, Some(locale)) => Currency::from_locale(locale),
        (code, None) => Err(CurrencyError::InvalidCode(
            code.unwrap_or_default().to_owned(),
        )),
    }
}

#[cfg(test)]
mod examples;
