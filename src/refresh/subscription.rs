//! One subscription's drill-down: its usage summary, resource and meter usage records, and
//! for a legacy (MS-AZR-0145P) subscription the daily utilization of the billing period,
//! fetched when the subscription page is first opened and again when stale.

use anyhow::Context as _;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;

use super::Refresher;
use crate::domain::{BillingPeriod, Currency, CurrencyError, CustomerId, Money, SubscriptionId};
use crate::partner_center::{
    AccessToken, AzureUtilizationRecord, Granularity, MeterUsageRecord, PartnerCenterError,
    ResourceUsageRecord, SubscriptionUsageSummary,
};
use crate::store::{
    MeterUsage, ResourceUsage, SubscriptionDrilldown, SubscriptionSummary, UtilizationRecord,
};

/// The offer id of legacy (pay-as-you-go) Azure subscriptions.
const LEGACY_OFFER_ID: &str = "MS-AZR-0145P";

impl Refresher {
    /// Fetches and stores the subscription's usage summary (`GET
    /// /v1/customers/{id}/subscriptions/{id}/usagesummary`), resource usage records
    /// (`.../resourceusagerecords`) and meter usage records (`.../meterusagerecords`), and for
    /// a legacy subscription its daily utilization over the billing period, every page
    /// (`.../utilizations/azure?granularity=daily`). The subscription is legacy when the
    /// customer's stored subscription usage gives it the offer `MS-AZR-0145P`, or, if that is
    /// not stored, when the customer is not on an Azure plan.
    ///
    /// A failed utilization read (e.g. still "not ready" after the client's retries) is logged
    /// and leaves the previously stored days; the rest is saved anyway. So does a 400 to a
    /// legacy subscription's resource usage records, which are then stored as none.
    ///
    /// # Errors
    /// Partner Center failures of the summary, resources or meters (a `PartnerCenterError` can
    /// be downcast), and database failures.
    #[tracing::instrument(skip(self, token))]
    pub async fn refresh_subscription(
        &self,
        token: &AccessToken,
        customer: &CustomerId,
        subscription: &SubscriptionId,
    ) -> anyhow::Result<()> {
        let client = &self.partner_center;
        let is_legacy = self.is_legacy(customer, subscription).await?;
        let (summary, resources, meters) = tokio::try_join!(
            client.subscription_usage_summary(token, customer, subscription),
            self.resource_records(token, customer, subscription, is_legacy),
            client.meter_usage_records(token, customer, subscription),
        )?;
        let summary = summary_of(&summary, *customer, *subscription, is_legacy)?;
        let drilldown = SubscriptionDrilldown {
            resources: (resources.iter())
                .map(|r| resource_usage(r, &summary))
                .collect(),
            meters: meters.iter().map(|m| meter_usage(m, &summary)).collect(),
            summary,
        };
        (self.store.replace_subscription_drilldown(&drilldown)).await?;
        if drilldown.summary.is_legacy {
            self.refresh_utilization(token, &drilldown.summary).await?;
        }
        Ok(())
    }

    /// The subscription's resource usage records; none for a legacy subscription when Partner
    /// Center refuses the request.
    async fn resource_records(
        &self,
        token: &AccessToken,
        customer: &CustomerId,
        subscription: &SubscriptionId,
        is_legacy: bool,
    ) -> Result<Vec<ResourceUsageRecord>, PartnerCenterError> {
        let client = &self.partner_center;
        match (client.resource_usage_records(token, customer, subscription)).await {
            // The documentation disagrees with itself on whether this route serves
            // MS-AZR-0145P (docs/partner-center.md §7b): a refusal leaves a legacy subscription
            // without per-resource spend, not without a page.
            Err(PartnerCenterError::BadRequest { fault, .. }) if is_legacy => {
                tracing::warn!(%customer, %subscription, %fault, "no resource usage records for a legacy subscription");
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// Reads and stores a legacy subscription's daily utilization over its billing period; a
    /// failed read is logged and leaves the days stored before.
    ///
    /// # Errors
    /// Database failures.
    async fn refresh_utilization(
        &self,
        token: &AccessToken,
        summary: &SubscriptionSummary,
    ) -> anyhow::Result<()> {
        let (customer, subscription) = (&summary.customer_id, &summary.subscription_id);
        let records = self
            .partner_center
            .azure_utilization_records(
                token,
                customer,
                subscription,
                summary.billing_start,
                summary.billing_end,
                Granularity::Daily,
            )
            .await;
        match records {
            Ok(records) => {
                let rows: Vec<UtilizationRecord> =
                    records.iter().filter_map(utilization_record).collect();
                self.store
                    .replace_utilization(customer, subscription, &rows, Utc::now())
                    .await?;
            }
            Err(e) => {
                tracing::warn!(%customer, %subscription, error = %e, "daily utilization not read");
            }
        }
        Ok(())
    }

    /// Whether the subscription is legacy (see [`Refresher::refresh_subscription`]).
    async fn is_legacy(
        &self,
        customer: &CustomerId,
        subscription: &SubscriptionId,
    ) -> anyhow::Result<bool> {
        let known = self.store.subscription_usage(customer).await?;
        if let Some(row) = known
            .iter()
            .find(|s| SubscriptionId::parse(&s.subscription_id).is_ok_and(|id| id == *subscription))
        {
            return Ok(row.offer_id.eq_ignore_ascii_case(LEGACY_OFFER_ID));
        }
        Ok(self
            .store
            .snapshot(customer)
            .await?
            .is_some_and(|s| !s.is_azure_plan))
    }
}

/// Partner Center's usage summary of the subscription as stored, read now.
///
/// # Errors
/// The summary's currency is not one Spendboard knows.
fn summary_of(
    summary: &SubscriptionUsageSummary,
    customer: CustomerId,
    subscription: SubscriptionId,
    is_legacy: bool,
) -> anyhow::Result<SubscriptionSummary> {
    let now = Utc::now();
    let currency = summary
        .currency()
        .context("the subscription usage summary's currency")?;
    let (period_start, period_end) = BillingPeriod::containing(now.date_naive()).utc_bounds();
    Ok(SubscriptionSummary {
        customer_id: customer,
        subscription_id: subscription,
        name: summary.resource_name.clone().unwrap_or_default(),
        is_legacy,
        billing_start: summary.billing_start_date.unwrap_or(period_start),
        billing_end: summary.billing_end_date.unwrap_or(period_end),
        total_cost: Money::new(summary.total_cost, currency),
        usd_total_cost: summary.usd_total_cost.map(Money::usd),
        last_modified: summary.last_modified_date.unwrap_or(now),
        fetched_at: now,
        utilization_fetched_at: None,
    })
}

/// A record's `amount` in its `currency`, or in the summary's when the record names none it
/// knows.
fn money_or(
    amount: Decimal,
    currency: Result<Currency, CurrencyError>,
    summary: &SubscriptionSummary,
) -> Money {
    let currency = currency.unwrap_or_else(|_| summary.total_cost.currency().clone());
    Money::new(amount, currency)
}

fn resource_usage(record: &ResourceUsageRecord, summary: &SubscriptionSummary) -> ResourceUsage {
    ResourceUsage {
        entitlement_id: record.entitlement_id.clone(),
        entitlement_name: record.entitlement_name.clone(),
        resource_group: record.resource_group_name.clone(),
        resource_type: record.resource_type.clone(),
        resource_uri: record.resource_uri.clone(),
        resource_name: record.resource_name.clone(),
        total_cost: money_or(record.total_cost, record.currency(), summary),
        usd_total_cost: record.usd_total_cost.map(Money::usd),
        last_modified: record.last_modified_date.unwrap_or(summary.last_modified),
    }
}

fn meter_usage(record: &MeterUsageRecord, summary: &SubscriptionSummary) -> MeterUsage {
    MeterUsage {
        meter_id: record.meter_id.clone(),
        meter_name: record.meter_name.clone(),
        category: record.category.clone(),
        subcategory: record.subcategory.clone(),
        quantity: record.quantity_used,
        unit: record.unit.clone(),
        total_cost: money_or(record.total_cost, record.currency(), summary),
        usd_total_cost: record.usd_total_cost.map(Money::usd),
        last_modified: record.last_modified_date.unwrap_or(summary.last_modified),
    }
}

/// A utilization record as stored; `None` (logged) for one without a start time, which
/// cannot be placed on a day.
fn utilization_record(record: &AzureUtilizationRecord) -> Option<UtilizationRecord> {
    let Some(start) = record.usage_start_time else {
        tracing::warn!(meter = %record.resource.id, "utilization record without a start time skipped");
        return None;
    };
    let instance = record.instance_data.as_ref();
    let resource_uri = instance.and_then(|i| i.resource_uri.clone());
    let (resource_group, resource_name) =
        resource_uri.as_deref().map(uri_parts).unwrap_or_default();
    Some(UtilizationRecord {
        day: start.date_naive(),
        usage_start: start,
        usage_end: record.usage_end_time.unwrap_or(start + Duration::days(1)),
        meter_id: record.resource.id.clone(),
        meter_name: record.resource.name.clone(),
        category: record.resource.category.clone(),
        subcategory: record.resource.subcategory.clone(),
        region: record.resource.region.clone(),
        quantity: record.quantity,
        unit: record.unit.clone(),
        resource_uri,
        resource_group,
        resource_name,
        tags: instance.and_then(|i| i.tags.clone()).unwrap_or_default(),
    })
}

/// The resource group (the segment after `resourceGroups`, in any case) and the resource
/// name (the last segment) of an Azure resource URI.
fn uri_parts(uri: &str) -> (Option<String>, Option<String>) {
    let segments: Vec<&str> = uri.split('/').filter(|s| !s.is_empty()).collect();
    let group = segments
        .windows(2)
        .find(|pair| pair[0].eq_ignore_ascii_case("resourceGroups"))
        .map(|pair| pair[1].to_owned());
    let name = segments
        .last()
        .filter(|_| segments.len() > 2)
        .map(|s| (*s).to_owned());
    (group, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_group_and_name_come_from_the_resource_uri_in_any_case() {
        assert_eq!(
            uri_parts(
                "/subscriptions/ab7e2384-eeee-489a-a14f-1eb41ddd261d/resourcegroups/system.local/providers/Microsoft.Storage/storageaccounts/srphealthaccount"
            ),
            (
                Some("system.local".to_owned()),
                Some("srphealthaccount".to_owned())
            )
        );
        assert_eq!(
            uri_parts(
                "/subscriptions/x/resourceGroups/TESTRG1/providers/Microsoft.Compute/virtualMachines/testVM1"
            ),
            (Some("TESTRG1".to_owned()), Some("testVM1".to_owned()))
        );
        assert_eq!(
            uri_parts("/subscriptions/x"),
            (None, None),
            "a subscription URI names no resource"
        );
        assert_eq!(uri_parts(""), (None, None));
    }
}
