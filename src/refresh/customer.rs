//! One customer's details: its usage summary for the billing period and its subscriptions'
//! monthly usage records, fetched when the customer page is first opened and when stale.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::Refresher;
use crate::domain::{BillingPeriod, Currency, CustomerId, Money};
use crate::partner_center::{AccessToken, SubscriptionMonthlyUsageRecord};
use crate::store::{CustomerUsageSummaryRow, SubscriptionUsage};

impl Refresher {
    /// Fetches and stores the customer's usage summary
    /// (`GET /v1/customers/{id}/usagesummary`) and subscriptions' usage records
    /// (`GET /v1/customers/{id}/subscriptions/usagerecords`).
    ///
    /// # Errors
    /// Partner Center or database failures (a `PartnerCenterError` can be downcast).
    pub async fn refresh_customer(
        &self,
        token: &AccessToken,
        customer: &CustomerId,
    ) -> anyhow::Result<()> {
        let client = &self.partner_center;
        let (summary, subscriptions) = tokio::try_join!(
            client.customer_usage_summary(token, customer),
            client.subscription_usage_records(token, customer),
        )?;
        let now = Utc::now();
        let (period_start, period_end) = BillingPeriod::containing(now.date_naive()).utc_bounds();
        let currency = summary.currency().context("the usage summary's currency")?;
        self.store
            .save_customer_usage_summary(&CustomerUsageSummaryRow {
                customer_id: *customer,
                billing_start: summary.billing_start_date.unwrap_or(period_start),
                billing_end: summary.billing_end_date.unwrap_or(period_end),
                total_cost: Money::new(summary.total_cost, currency.clone()),
                usd_total_cost: summary.usd_total_cost.map(Money::usd),
                budget: (summary.budget.amount).map(|b| Money::new(b, currency.clone())),
                last_modified: summary.last_modified_date.unwrap_or(now),
                fetched_at: now,
            })
            .await?;
        let rows: Vec<SubscriptionUsage> = (subscriptions.iter())
            .map(|record| subscription_usage(record, *customer, &currency, now))
            .collect();
        self.store
            .replace_subscription_usage(customer, &rows)
            .await?;
        Ok(())
    }
}

/// A subscription's usage record of `customer` as stored, read at `now`; in the customer's
/// `currency` when the record names none Spendboard knows.
fn subscription_usage(
    record: &SubscriptionMonthlyUsageRecord,
    customer: CustomerId,
    currency: &Currency,
    now: DateTime<Utc>,
) -> SubscriptionUsage {
    SubscriptionUsage {
        customer_id: customer,
        subscription_id: record.resource_id.clone(),
        name: record.resource_name.clone().unwrap_or_default(),
        offer_id: record.offer_id.clone().unwrap_or_default(),
        status: record
            .status
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        total_cost: Money::new(
            record.total_cost,
            record.currency().unwrap_or_else(|_| currency.clone()),
        ),
        usd_total_cost: record.usd_total_cost.map(Money::usd),
        last_modified: record.last_modified_date.unwrap_or(now),
        fetched_at: now,
    }
}
