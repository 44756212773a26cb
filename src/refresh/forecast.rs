//! Month-end forecasts from the daily history: the glue between the store's `daily_usage`
//! rows and [`crate::domain::forecast`], used by the partner refresh (every customer at once)
//! and after a budget change (one customer: the crossing date and status depend on it).

use rust_decimal::Decimal;

use crate::domain::{BillingPeriod, CustomerId, Money, SpendPoint, UsageStatus, forecast};
use crate::store::{CustomerSnapshot, SnapshotForecast, Store, StoreError};

/// The customer's forecast for the billing period of `snapshot`'s day (its
/// [`CustomerSnapshot::forecast_day`]) from its recorded days `series` (days of other
/// periods are ignored), and the status it gives with `near_threshold` (percent).
pub fn forecast_snapshot(
    snapshot: &CustomerSnapshot,
    series: &[SpendPoint],
    near_threshold: Decimal,
) -> (UsageStatus, SnapshotForecast) {
    let today = snapshot.forecast_day();
    let period = BillingPeriod::containing(today);
    let budget = snapshot.budget.as_ref().map(Money::amount);
    let forecast = forecast(&period, today, series, budget);
    let status = UsageStatus::classify_projected(
        snapshot.total_cost.amount(),
        Some(forecast.projected_total),
        budget,
        near_threshold,
    );
    (
        status,
        SnapshotForecast {
            // The series is the customer's spend: the projection is in its currency.
            projected_total: Money::new(forecast.projected_total, snapshot.currency().clone()),
            crosses_budget_on: forecast.crosses_budget_on,
            method: forecast.method,
        },
    )
}

/// Recomputes the stored forecast and status (`near_threshold` in percent) of one customer
/// from its snapshot (with the budget as now stored) and its history of the billing period.
/// For after a budget change.
///
/// # Errors
/// [`StoreError::Database`] or [`StoreError::InvalidValue`]; a customer without a snapshot
/// is left alone.
pub async fn reforecast_customer(
    store: &Store,
    customer: &CustomerId,
    near_threshold: Decimal,
) -> Result<(), StoreError> {
    let Some(snapshot) = store.snapshot(customer).await? else {
        return Ok(());
    };
    let day = snapshot.forecast_day();
    let period = BillingPeriod::containing(day);
    let series: Vec<SpendPoint> = store
        .daily_usage(customer, period.start, day)
        .await?
        .iter()
        .map(|row| SpendPoint {
            day: row.day,
            period_to_date: row.total_cost.amount(),
        })
        .collect();
    let (status, forecast) = forecast_snapshot(&snapshot, &series, near_threshold);
    store
        .update_snapshot_forecast(customer, day, status, Some(&forecast))
        .await?;
    Ok(())
}
