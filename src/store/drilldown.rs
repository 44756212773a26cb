//! A subscription's drill-down: `subscription_usage_summary` (its SubscriptionUsageSummary),
//! `resource_usage` (its ResourceUsageRecords) and `meter_usage` (its MeterUsageRecords),
//! replaced together on every fetch.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::QueryBuilder;

use super::values::{
    DbDecimal, amount_sort_key, count, db_decimal, db_money, money, parse_currency,
    parse_customer_id, stored_time, usd,
};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, Money, SubscriptionId};

/// One subscription's (for an Azure plan: the plan's) usage summary for the billing period,
/// from Partner Center's SubscriptionUsageSummary
/// (`GET /v1/customers/{id}/subscriptions/{id}/usagesummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSummary {
    /// The customer owning the subscription.
    pub customer_id: CustomerId,
    /// The subscription (or Azure plan) id.
    pub subscription_id: SubscriptionId,
    /// Partner Center's `resourceName`, e.g. `Azure plan` or `Microsoft Azure`.
    pub name: String,
    /// A legacy MS-AZR-0145P subscription (it has daily utilization records), not an Azure
    /// plan.
    pub is_legacy: bool,
    /// Start of the billing period (UTC).
    pub billing_start: DateTime<Utc>,
    /// End of the billing period (UTC, exclusive).
    pub billing_end: DateTime<Utc>,
    /// Spend of the billing period so far, exact, in the currency of every amount of the
    /// subscription.
    pub total_cost: Money,
    /// The same spend in USD, when Partner Center gives it.
    pub usd_total_cost: Option<Money>,
    /// Partner Center's `lastModifiedDate` (UTC).
    pub last_modified: DateTime<Utc>,
    /// When Spendboard read the summary, resources and meters (UTC).
    pub fetched_at: DateTime<Utc>,
    /// When Spendboard last read the daily utilization in full (UTC); `None` if never. Set
    /// only by [`Store::replace_utilization`]; ignored when the summary is saved.
    pub utilization_fetched_at: Option<DateTime<Utc>>,
}

/// The spend of one Azure resource in the billing period, from a ResourceUsageRecord
/// (`GET /v1/customers/{id}/subscriptions/{id}/resourceusagerecords`). Fields Partner Center
/// leaves out are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUsage {
    /// The Azure subscription (entitlement) the resource belongs to.
    pub entitlement_id: Option<String>,
    /// The entitlement's name.
    pub entitlement_name: Option<String>,
    /// The resource group.
    pub resource_group: Option<String>,
    /// The resource provider, e.g. `Microsoft.Compute`.
    pub resource_type: Option<String>,
    /// The Azure resource URI.
    pub resource_uri: Option<String>,
    /// The resource's name.
    pub resource_name: Option<String>,
    /// Spend of the billing period so far, exact.
    pub total_cost: Money,
    /// The same in USD, when Partner Center gives it.
    pub usd_total_cost: Option<Money>,
    /// Partner Center's `lastModifiedDate` (UTC).
    pub last_modified: DateTime<Utc>,
}

/// The quantity and spend of one meter in the billing period, summed over the whole
/// subscription or plan, from a MeterUsageRecord
/// (`GET /v1/customers/{id}/subscriptions/{id}/meterusagerecords`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterUsage {
    /// Partner Center's meter id (a composite string for Azure plans, a GUID for legacy).
    pub meter_id: Option<String>,
    /// The meter's name, e.g. `Data Transfer In`.
    pub meter_name: Option<String>,
    /// Category, e.g. `Bandwidth`.
    pub category: Option<String>,
    /// Subcategory.
    pub subcategory: Option<String>,
    /// Quantity used, exact, in `unit`s.
    pub quantity: Option<Decimal>,
    /// Unit of `quantity`, e.g. `1 GB`.
    pub unit: Option<String>,
    /// Spend of the billing period so far, exact.
    pub total_cost: Money,
    /// The same in USD, when Partner Center gives it.
    pub usd_total_cost: Option<Money>,
    /// Partner Center's `lastModifiedDate` (UTC).
    pub last_modified: DateTime<Utc>,
}

/// Everything one fetch reads about a subscription, saved as a whole by
/// [`Store::replace_subscription_drilldown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDrilldown {
    /// The summary; its `fetched_at` dates the records too.
    pub summary: SubscriptionSummary,
    /// The resources, in Partner Center's order.
    pub resources: Vec<ResourceUsage>,
    /// The meters, in Partner Center's order.
    pub meters: Vec<MeterUsage>,
}

/// A subscription id read back from a column.
pub(super) fn parse_subscription_id(text: &str) -> Result<SubscriptionId, StoreError> {
    SubscriptionId::parse(text).map_err(|e| StoreError::InvalidValue(e.to_string()))
}

#[derive(sqlx::FromRow)]
struct SubscriptionSummaryRecord {
    customer_id: String,
    subscription_id: String,
    name: String,
    is_legacy: bool,
    billing_start: DateTime<Utc>,
    billing_end: DateTime<Utc>,
    total_cost: DbDecimal,
    currency: String,
    usd_total_cost: Option<DbDecimal>,
    last_modified: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
    utilization_fetched_at: Option<DateTime<Utc>>,
}

impl TryFrom<SubscriptionSummaryRecord> for SubscriptionSummary {
    type Error = StoreError;
    fn try_from(row: SubscriptionSummaryRecord) -> Result<Self, StoreError> {
        Ok(Self {
            customer_id: parse_customer_id(&row.customer_id)?,
            subscription_id: parse_subscription_id(&row.subscription_id)?,
            name: row.name,
            is_legacy: row.is_legacy,
            billing_start: row.billing_start,
            billing_end: row.billing_end,
            total_cost: money(row.total_cost, &parse_currency(&row.currency)?),
            usd_total_cost: usd(row.usd_total_cost),
            last_modified: row.last_modified,
            fetched_at: row.fetched_at,
            utilization_fetched_at: row.utilization_fetched_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ResourceRow {
    entitlement_id: Option<String>,
    entitlement_name: Option<String>,
    resource_group: Option<String>,
    resource_type: Option<String>,
    resource_uri: Option<String>,
    resource_name: Option<String>,
    total_cost: DbDecimal,
    usd_total_cost: Option<DbDecimal>,
    currency: String,
    last_modified: DateTime<Utc>,
}

impl TryFrom<ResourceRow> for ResourceUsage {
    type Error = StoreError;
    fn try_from(row: ResourceRow) -> Result<Self, StoreError> {
        Ok(Self {
            entitlement_id: row.entitlement_id,
            entitlement_name: row.entitlement_name,
            resource_group: row.resource_group,
            resource_type: row.resource_type,
            resource_uri: row.resource_uri,
            resource_name: row.resource_name,
            total_cost: money(row.total_cost, &parse_currency(&row.currency)?),
            usd_total_cost: usd(row.usd_total_cost),
            last_modified: row.last_modified,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MeterRow {
    meter_id: Option<String>,
    meter_name: Option<String>,
    category: Option<String>,
    subcategory: Option<String>,
    quantity: Option<DbDecimal>,
    unit: Option<String>,
    total_cost: DbDecimal,
    usd_total_cost: Option<DbDecimal>,
    currency: String,
    last_modified: DateTime<Utc>,
}

impl TryFrom<MeterRow> for MeterUsage {
    type Error = StoreError;
    fn try_from(row: MeterRow) -> Result<Self, StoreError> {
        Ok(Self {
            meter_id: row.meter_id,
            meter_name: row.meter_name,
            category: row.category,
            subcategory: row.subcategory,
            quantity: row.quantity.map(|d| d.0),
            unit: row.unit,
            total_cost: money(row.total_cost, &parse_currency(&row.currency)?),
            usd_total_cost: usd(row.usd_total_cost),
            last_modified: row.last_modified,
        })
    }
}

/// Rows per INSERT (at most 14 parameters each).
const INSERT_BATCH: usize = 500;

/// A row's position as stored (the order Partner Center gave).
pub(super) fn position(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

impl Store {
    /// Saves a fetch of a subscription in one transaction: upserts the summary (keeping its
    /// `utilization_fetched_at`) and replaces the resources and meters.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip_all, fields(
        customer_id = %drilldown.summary.customer_id,
        subscription_id = %drilldown.summary.subscription_id,
        resources = drilldown.resources.len(),
        meters = drilldown.meters.len(),
    ))]
    pub async fn replace_subscription_drilldown(
        &self,
        drilldown: &SubscriptionDrilldown,
    ) -> Result<(), StoreError> {
        let summary = &drilldown.summary;
        let customer = summary.customer_id.to_string();
        let subscription = summary.subscription_id.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "insert into subscription_usage_summary (customer_id, subscription_id, name, \
                 is_legacy, billing_start, billing_end, total_cost, currency, usd_total_cost, \
                 last_modified, fetched_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 on conflict (customer_id, subscription_id) do update set name = excluded.name, \
                 is_legacy = excluded.is_legacy, billing_start = excluded.billing_start, \
                 billing_end = excluded.billing_end, total_cost = excluded.total_cost, \
                 currency = excluded.currency, usd_total_cost = excluded.usd_total_cost, \
                 last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
            )
            .bind(&customer)
            .bind(&subscription)
            .bind(&summary.name)
            .bind(summary.is_legacy)
            .bind(stored_time(summary.billing_start))
            .bind(stored_time(summary.billing_end))
            .bind(DbDecimal(summary.total_cost.amount()))
            .bind(summary.total_cost.currency().code())
            .bind(db_money(summary.usd_total_cost.as_ref()))
            .bind(stored_time(summary.last_modified))
            .bind(stored_time(summary.fetched_at))
            .execute(&mut *tx)
            .await?;
            for table in ["resource_usage", "meter_usage"] {
                let mut delete = QueryBuilder::new(format!("delete from {table} where customer_id = "));
                delete
                    .push_bind(&customer)
                    .push(" and subscription_id = ")
                    .push_bind(&subscription);
                delete.build().execute(&mut *tx).await?;
            }
            let resources: Vec<(usize, &ResourceUsage)> =
                drilldown.resources.iter().enumerate().collect();
            for batch in resources.chunks(INSERT_BATCH) {
                let mut insert = QueryBuilder::new(
                    "insert into resource_usage (customer_id, subscription_id, position, \
                     entitlement_id, entitlement_name, resource_group, resource_type, \
                     resource_uri, resource_name, total_cost, usd_total_cost, currency, \
                     last_modified, total_cost_key) ",
                );
                insert.push_values(batch, |mut row, (i, r)| {
                    row.push_bind(customer.clone())
                        .push_bind(subscription.clone())
                        .push_bind(position(*i))
                        .push_bind(r.entitlement_id.clone())
                        .push_bind(r.entitlement_name.clone())
                        .push_bind(r.resource_group.clone())
                        .push_bind(r.resource_type.clone())
                        .push_bind(r.resource_uri.clone())
                        .push_bind(r.resource_name.clone())
                        .push_bind(DbDecimal(r.total_cost.amount()))
                        .push_bind(db_money(r.usd_total_cost.as_ref()))
                        .push_bind(r.total_cost.currency().code().to_owned())
                        .push_bind(stored_time(r.last_modified))
                        .push_bind(amount_sort_key(r.total_cost.amount()));
                });
                insert.build().execute(&mut *tx).await?;
            }
            let meters: Vec<(usize, &MeterUsage)> = drilldown.meters.iter().enumerate().collect();
            for batch in meters.chunks(INSERT_BATCH) {
                let mut insert = QueryBuilder::new(
                    "insert into meter_usage (customer_id, subscription_id, position, meter_id, \
                     meter_name, category, subcategory, quantity, unit, total_cost, \
                     usd_total_cost, currency, last_modified, total_cost_key) ",
                );
                insert.push_values(batch, |mut row, (i, m)| {
                    row.push_bind(customer.clone())
                        .push_bind(subscription.clone())
                        .push_bind(position(*i))
                        .push_bind(m.meter_id.clone())
                        .push_bind(m.meter_name.clone())
                        .push_bind(m.category.clone())
                        .push_bind(m.subcategory.clone())
                        .push_bind(db_decimal(m.quantity))
                        .push_bind(m.unit.clone())
                        .push_bind(DbDecimal(m.total_cost.amount()))
                        .push_bind(db_money(m.usd_total_cost.as_ref()))
                        .push_bind(m.total_cost.currency().code().to_owned())
                        .push_bind(stored_time(m.last_modified))
                        .push_bind(amount_sort_key(m.total_cost.amount()));
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The subscription's stored summary, if it was ever fetched.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn subscription_summary(
        &self,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<Option<SubscriptionSummary>, StoreError> {
        let row: Option<SubscriptionSummaryRecord> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, subscription_id, name, is_legacy, billing_start, \
                 billing_end, total_cost, currency, usd_total_cost, last_modified, fetched_at, \
                 utilization_fetched_at from subscription_usage_summary \
                 where customer_id = $1 and subscription_id = $2",
            )
            .bind(customer_id.to_string())
            .bind(subscription_id.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(SubscriptionSummary::try_from).transpose()
    }

    /// The subscription's resources, most expensive first (ties in Partner Center's order).
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn resource_usage(
        &self,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<Vec<ResourceUsage>, StoreError> {
        let rows: Vec<ResourceRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select entitlement_id, entitlement_name, resource_group, resource_type, \
                 resource_uri, resource_name, total_cost, usd_total_cost, currency, \
                 last_modified from resource_usage \
                 where customer_id = $1 and subscription_id = $2 \
                 order by total_cost_key desc, position",
            )
            .bind(customer_id.to_string())
            .bind(subscription_id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ResourceUsage::try_from).collect()
    }

    /// The resources of all of the customer's subscriptions whose drill-down Spendboard has
    /// read, most expensive first (numerically, across subscriptions; one currency per
    /// customer), and how many subscriptions that is. For the customer page's top resources.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn customer_resource_usage(
        &self,
        customer_id: &CustomerId,
    ) -> Result<(u64, Vec<ResourceUsage>), StoreError> {
        let (read, rows): (i64, Vec<ResourceRow>) = on_pool!(self, pool => {
            let read = sqlx::query_scalar(
                "select count(*) from subscription_usage_summary where customer_id = $1",
            )
            .bind(customer_id.to_string())
            .fetch_one(pool)
            .await?;
            let rows = sqlx::query_as(
                "select entitlement_id, entitlement_name, resource_group, resource_type, \
                 resource_uri, resource_name, total_cost, usd_total_cost, currency, \
                 last_modified from resource_usage where customer_id = $1 \
                 order by total_cost_key desc, subscription_id, position",
            )
            .bind(customer_id.to_string())
            .fetch_all(pool)
            .await?;
            (read, rows)
        });
        Ok((
            count(read),
            rows.into_iter()
                .map(ResourceUsage::try_from)
                .collect::<Result<_, _>>()?,
        ))
    }

    /// The subscription's meters by category, subcategory and meter name (code point order,
    /// missing values last).
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn meter_usage(
        &self,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<Vec<MeterUsage>, StoreError> {
        let rows: Vec<MeterRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select meter_id, meter_name, category, subcategory, quantity, unit, \
                 total_cost, usd_total_cost, currency, last_modified from meter_usage \
                 where customer_id = $1 and subscription_id = $2 \
                 order by category nulls last, subcategory nulls last, meter_name nulls last, \
                 position",
            )
            .bind(customer_id.to_string())
            .bind(subscription_id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(MeterUsage::try_from).collect()
    }
}
