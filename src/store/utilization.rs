//! `azure_utilization`: the daily quantities of a legacy (MS-AZR-0145P) subscription in the
//! current billing period, from Partner Center's AzureUtilizationRecords.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::QueryBuilder;

use super::drilldown::position;
use super::values::{DbDecimal, stored_time};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, SubscriptionId};

/// The quantity of one meter used by one resource on one day
/// (`GET /v1/customers/{id}/subscriptions/{id}/utilizations/azure`, daily granularity).
/// Quantities are unrated: no cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtilizationRecord {
    /// The UTC day of `usage_start`.
    pub day: NaiveDate,
    /// Start of the slice (UTC).
    pub usage_start: DateTime<Utc>,
    /// End of the slice (UTC).
    pub usage_end: DateTime<Utc>,
    /// The meter's id (a GUID for legacy meters).
    pub meter_id: String,
    /// The meter's name, e.g. `D2s v3`.
    pub meter_name: Option<String>,
    /// The meter's category, e.g. `Virtual Machines`.
    pub category: Option<String>,
    /// The meter's subcategory.
    pub subcategory: Option<String>,
    /// The meter's region.
    pub region: Option<String>,
    /// Quantity used, exact, in `unit`s.
    pub quantity: Decimal,
    /// Unit of `quantity`, e.g. `Hours`.
    pub unit: Option<String>,
    /// The Azure resource URI from the instance data.
    pub resource_uri: Option<String>,
    /// The resource group named in `resource_uri`.
    pub resource_group: Option<String>,
    /// The resource's name: the last segment of `resource_uri`.
    pub resource_name: Option<String>,
    /// The resource's tags (empty when none).
    pub tags: BTreeMap<String, String>,
}

#[derive(sqlx::FromRow)]
struct UtilizationRow {
    day: NaiveDate,
    usage_start: DateTime<Utc>,
    usage_end: DateTime<Utc>,
    meter_id: String,
    meter_name: Option<String>,
    category: Option<String>,
    subcategory: Option<String>,
    region: Option<String>,
    quantity: DbDecimal,
    unit: Option<String>,
    resource_uri: Option<String>,
    resource_group: Option<String>,
    resource_name: Option<String>,
    tags: String,
}

impl TryFrom<UtilizationRow> for UtilizationRecord {
    type Error = StoreError;
    fn try_from(row: UtilizationRow) -> Result<Self, StoreError> {
        let tags = serde_json::from_str(&row.tags)
            .map_err(|e| StoreError::InvalidValue(format!("tags {:?}: {e}", row.tags)))?;
        Ok(Self {
            day: row.day,
            usage_start: row.usage_start,
            usage_end: row.usage_end,
            meter_id: row.meter_id,
            meter_name: row.meter_name,
            category: row.category,
            subcategory: row.subcategory,
            region: row.region,
            quantity: row.quantity.0,
            unit: row.unit,
            resource_uri: row.resource_uri,
            resource_group: row.resource_group,
            resource_name: row.resource_name,
            tags,
        })
    }
}

/// Rows per INSERT (17 parameters each).
const INSERT_BATCH: usize = 500;

impl Store {
    /// Replaces the subscription's daily utilization with `records` (every page of one read)
    /// and sets its `utilization_fetched_at` to `fetched_at`, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::InvalidArgument`] when the subscription's summary was never saved
    /// (nothing is written), [`StoreError::Database`].
    #[tracing::instrument(skip(self, records), fields(rows = records.len()))]
    pub async fn replace_utilization(
        &self,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
        records: &[UtilizationRecord],
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let customer = customer_id.to_string();
        let subscription = subscription_id.to_string();
        let tags: Vec<String> = records
            .iter()
            .map(|r| serde_json::to_string(&r.tags))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::InvalidArgument(format!("tags: {e}")))?;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "update subscription_usage_summary set utilization_fetched_at = $3 \
                 where customer_id = $1 and subscription_id = $2",
            )
            .bind(&customer)
            .bind(&subscription)
            .bind(stored_time(fetched_at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::InvalidArgument(format!(
                    "no summary of subscription {subscription} of customer {customer} is stored"
                )));
            }
            sqlx::query(
                "delete from azure_utilization where customer_id = $1 and subscription_id = $2",
            )
            .bind(&customer)
            .bind(&subscription)
            .execute(&mut *tx)
            .await?;
            let rows: Vec<(usize, (&UtilizationRecord, &String))> =
                records.iter().zip(&tags).enumerate().collect();
            for batch in rows.chunks(INSERT_BATCH) {
                let mut insert = QueryBuilder::new(
                    "insert into azure_utilization (customer_id, subscription_id, position, day, \
                     usage_start, usage_end, meter_id, meter_name, category, subcategory, region, \
                     quantity, unit, resource_uri, resource_group, resource_name, tags) ",
                );
                insert.push_values(batch, |mut row, (i, (r, tags))| {
                    row.push_bind(customer.clone())
                        .push_bind(subscription.clone())
                        .push_bind(position(*i))
                        .push_bind(r.day)
                        .push_bind(stored_time(r.usage_start))
                        .push_bind(stored_time(r.usage_end))
                        .push_bind(r.meter_id.clone())
                        .push_bind(r.meter_name.clone())
                        .push_bind(r.category.clone())
                        .push_bind(r.subcategory.clone())
                        .push_bind(r.region.clone())
                        .push_bind(DbDecimal(r.quantity))
                        .push_bind(r.unit.clone())
                        .push_bind(r.resource_uri.clone())
                        .push_bind(r.resource_group.clone())
                        .push_bind(r.resource_name.clone())
                        .push_bind((*tags).clone());
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The subscription's daily utilization: newest day first, then by resource and meter
    /// name (code point order, missing names last).
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn utilization(
        &self,
        customer_id: &CustomerId,
        subscription_id: &SubscriptionId,
    ) -> Result<Vec<UtilizationRecord>, StoreError> {
        let rows: Vec<UtilizationRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select day, usage_start, usage_end, meter_id, meter_name, category, \
                 subcategory, region, quantity, unit, resource_uri, resource_group, \
                 resource_name, tags from azure_utilization \
                 where customer_id = $1 and subscription_id = $2 \
                 order by day desc, resource_name nulls last, meter_name nulls last, position",
            )
            .bind(customer_id.to_string())
            .bind(subscription_id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(UtilizationRecord::try_from).collect()
    }
}
