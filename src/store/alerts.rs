//! `alert_rules`, `alert_firings`, `alert_outbox`, `alert_attempts`: budget alert thresholds,
//! the thresholds that fired (once each, by a unique key), and the deliveries of each firing
//! with every attempt (see the migration `alerts`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::values::{
    DbDecimal, db_money, money, parse_currency, parse_customer_id, parse_key, stored_time,
};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, Money, Threshold, ThresholdBasis, UserId};

/// The `scope` of the partner-wide rules.
const PARTNER_WIDE: &str = "*";

/// A stored threshold rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// The rule's id (for removing it).
    pub id: i64,
    /// The customer whose own rule it is; `None` for a partner-wide rule.
    pub customer: Option<CustomerId>,
    pub threshold: Threshold,
}

/// Every rule, as evaluation needs them: the partner-wide set, and each customer's own set
/// (which replaces the partner-wide one for that customer).
#[derive(Debug, Clone, Default)]
pub struct AlertRuleSet {
    pub partner_wide: Vec<Threshold>,
    pub per_customer: HashMap<CustomerId, Vec<Threshold>>,
}

impl AlertRuleSet {
    /// The thresholds that apply to `customer`.
    pub fn for_customer(&self, customer: &CustomerId) -> &[Threshold] {
        self.per_customer
            .get(customer)
            .map_or(self.partner_wide.as_slice(), Vec::as_slice)
    }
}

/// What makes a firing unique: one per customer, threshold, billing period and budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FiringKey {
    pub customer: CustomerId,
    pub threshold: Threshold,
    pub billing_period_start: NaiveDate,
    /// The budget, compared by value (`1000.00` and `1000` are one budget, see
    /// `FiringKey::budget_key`); the currency of every amount of the firing.
    pub budget: Money,
}

impl FiringKey {
    /// The budget as the key stores it: without trailing zeros, so `1000.00` and `1000` are
    /// one budget.
    fn budget_key(&self) -> String {
        self.budget.amount().normalize().to_string()
    }
}

/// A threshold found crossed, with its deliveries, to be recorded unless already fired.
#[derive(Debug, Clone)]
pub struct NewFiring {
    pub key: FiringKey,
    pub customer_name: String,
    /// Spend of the period so far.
    pub spend: Money,
    /// The month-end projection, when known.
    pub projected: Option<Money>,
    /// How the projection was made, in words (see `ForecastMethod::describe`).
    pub forecast_method: Option<String>,
    pub deliveries: Vec<NewDelivery>,
}

/// Where a delivery goes; stored as `email` or `webhook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// An e-mail to one address.
    Email,
    /// An incoming webhook (e.g. a Microsoft Teams channel): a team's, or the partner-wide
    /// `alerts.webhook_url`.
    Webhook,
}

impl Channel {
    pub(super) fn key(self) -> &'static str {
        self.into()
    }
}

/// One message of a firing, rendered when the firing is recorded.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub channel: Channel,
    /// The e-mail address; for a webhook, the names of the teams whose webhook it is, or
    /// `webhook` for the partner-wide one.
    pub recipient: String,
    /// A team's webhook URL; `None` for e-mail and for the partner-wide webhook (whose URL
    /// is configuration, never stored).
    pub webhook_url: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// A delivery claimed by a sender: leased to it until the lease ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub recipient: String,
    /// A team's webhook URL (see [`NewDelivery::webhook_url`]).
    pub webhook_url: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Attempts before this one.
    pub attempts: i32,
}

impl TryFrom<String> for Channel {
    type Error = StoreError;
    fn try_from(key: String) -> Result<Self, StoreError> {
        parse_key(&key, "alert channel")
    }
}

/// A recorded firing, with the state of each delivery, for the Alerts page.
#[derive(Debug, Clone)]
pub struct FiringRecord {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_name: String,
    pub threshold: Threshold,
    pub billing_period_start: NaiveDate,
    /// The budget crossed; every amount of the firing is in its currency.
    pub budget: Money,
    pub spend: Money,
    pub projected: Option<Money>,
    pub forecast_method: Option<String>,
    pub fired_at: DateTime<Utc>,
    pub deliveries: Vec<DeliveryRecord>,
}

/// A delivery's state.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: i64,
    pub channel: Channel,
    pub recipient: String,
    /// A team's webhook URL (see [`NewDelivery::webhook_url`]).
    pub webhook_url: Option<String>,
    pub subject: String,
    pub body_text: String,
    /// Sent (or kept, by the catcher) at this time; `None` while pending.
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// `smtp`, `catcher` or `webhook`, once sent.
    pub transport: Option<String>,
}

#[derive(sqlx::FromRow)]
struct FiringRow {
    id: i64,
    customer_id: String,
    customer_name: String,
    basis: String,
    percent: i32,
    billing_period_start: NaiveDate,
    budget: DbDecimal,
    currency: String,
    spend: DbDecimal,
    projected: Option<DbDecimal>,
    forecast_method: Option<String>,
    fired_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    firing_id: i64,
    channel: String,
    recipient: String,
    webhook_url: Option<String>,
    subject: String,
    body_text: String,
    sent_at: Option<DateTime<Utc>>,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    transport: Option<String>,
}

fn threshold_of(basis: &str, percent: i32) -> Result<Threshold, StoreError> {
    let basis =
        ThresholdBasis::parse(basis).map_err(|e| StoreError::InvalidValue(e.to_string()))?;
    let percent = u16::try_from(percent)
        .map_err(|_| StoreError::InvalidValue(format!("alert percent {percent}")))?;
    Threshold::new(basis, percent).map_err(|e| StoreError::InvalidValue(e.to_string()))
}

fn scope_of(customer: Option<&CustomerId>) -> String {
    customer.map_or_else(|| PARTNER_WIDE.to_owned(), ToString::to_string)
}

impl Store {
    /// The rules of one scope (`None`: the partner-wide set), by basis and percentage.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn alert_rules(
        &self,
        customer: Option<&CustomerId>,
    ) -> Result<Vec<AlertRule>, StoreError> {
        let rows: Vec<(i64, String, i32)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, basis, percent from alert_rules where scope = $1 \
                 order by basis, percent",
            )
            .bind(scope_of(customer))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, basis, percent)| {
                Ok(AlertRule {
                    id,
                    customer: customer.copied(),
                    threshold: threshold_of(&basis, percent)?,
                })
            })
            .collect()
    }

    /// Every rule, partner-wide and per customer, read at once.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn alert_rule_set(&self) -> Result<AlertRuleSet, StoreError> {
        let rows: Vec<(String, String, i32)> = on_pool!(self, pool => {
            sqlx::query_as("select scope, basis, percent from alert_rules order by basis, percent")
                .fetch_all(pool)
                .await?
        });
        let mut set = AlertRuleSet::default();
        for (scope, basis, percent) in rows {
            let threshold = threshold_of(&basis, percent)?;
            if scope == PARTNER_WIDE {
                set.partner_wide.push(threshold);
            } else {
                set.per_customer
                    .entry(parse_customer_id(&scope)?)
                    .or_default()
                    .push(threshold);
            }
        }
        Ok(set)
    }

    /// Adds a rule to a scope (`None`: partner-wide), recorded as made by `user_id` now;
    /// `false` when the scope already has this threshold (nothing is written).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn add_alert_rule(
        &self,
        customer: Option<&CustomerId>,
        threshold: Threshold,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        let added = on_pool!(self, pool => {
            sqlx::query(
                "insert into alert_rules (scope, basis, percent, created_by, created_at) \
                 values ($1, $2, $3, $4, $5) on conflict (scope, basis, percent) do nothing",
            )
            .bind(scope_of(customer))
            .bind(threshold.basis().key())
            .bind(i32::from(threshold.percent()))
            .bind(user_id)
            .bind(stored_time(Utc::now()))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }

    /// Removes rule `id` of a scope (`None`: partner-wide); `false` when it was not there.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn remove_alert_rule(
        &self,
        customer: Option<&CustomerId>,
        id: i64,
    ) -> Result<bool, StoreError> {
        let removed = on_pool!(self, pool => {
            sqlx::query("delete from alert_rules where id = $1 and scope = $2")
                .bind(id)
                .bind(scope_of(customer))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(removed == 1)
    }

    /// The keys of the firings of billing periods starting on or after `since`.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn firing_keys_since(
        &self,
        since: NaiveDate,
    ) -> Result<HashSet<FiringKey>, StoreError> {
        let rows: Vec<(String, String, i32, NaiveDate, DbDecimal, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, basis, percent, billing_period_start, budget, currency \
                 from alert_firings where billing_period_start >= $1",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(customer, basis, percent, period, budget, currency)| {
                Ok(FiringKey {
                    customer: parse_customer_id(&customer)?,
                    threshold: threshold_of(&basis, percent)?,
                    billing_period_start: period,
                    budget: money(budget, &parse_currency(&currency)?),
                })
            })
            .collect()
    }

    /// Records each firing with its deliveries (due at once), in one transaction, unless its
    /// key was recorded before (by this instance, another one, or before a restart): then
    /// nothing of it is written. Returns how many firings were new.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip_all, fields(firings = firings.len()))]
    pub async fn record_firings(&self, firings: &[NewFiring]) -> Result<usize, StoreError> {
        let now = stored_time(Utc::now());
        let mut new = 0;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for firing in firings {
                let id: Option<i64> = sqlx::query_scalar(
                    "insert into alert_firings (customer_id, customer_name, basis, percent, \
                     billing_period_start, budget_key, budget, currency, spend, projected, \
                     forecast_method, fired_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     on conflict (customer_id, basis, percent, billing_period_start, budget_key) \
                     do nothing returning id",
                )
                .bind(firing.key.customer.to_string())
                .bind(&firing.customer_name)
                .bind(firing.key.threshold.basis().key())
                .bind(i32::from(firing.key.threshold.percent()))
                .bind(firing.key.billing_period_start)
                .bind(firing.key.budget_key())
                .bind(DbDecimal(firing.key.budget.amount()))
                .bind(firing.key.budget.currency().code())
                .bind(DbDecimal(firing.spend.amount()))
                .bind(db_money(firing.projected.as_ref()))
                .bind(firing.forecast_method.as_deref())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else { continue };
                new += 1;
                for delivery in &firing.deliveries {
                    sqlx::query(
                        "insert into alert_outbox (firing_id, channel, recipient, webhook_url, \
                         subject, body_text, body_html, state, attempts, next_attempt_at, \
                         created_at) \
                         values ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) \
                         on conflict (firing_id, channel, recipient) do nothing",
                    )
                    .bind(id)
                    .bind(delivery.channel.key())
                    .bind(&delivery.recipient)
                    .bind(delivery.webhook_url.as_deref())
                    .bind(&delivery.subject)
                    .bind(&delivery.body_text)
                    .bind(&delivery.body_html)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(new)
    }

    /// Claims up to `limit` due deliveries for `holder` until `lease` from now: pending, due,
    /// and not leased to anyone (or leased, but the lease ended: its sender died). One
    /// UPDATE; on PostgreSQL the rows another instance is claiming at the same moment are
    /// skipped (`for update skip locked`), on SQLite writers take turns. A claimed row is
    /// claimed by no one else until its lease ends.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn claim_deliveries(
        &self,
        holder: &str,
        lease: TimeDelta,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let now = stored_time(Utc::now());
        let until = now + lease;
        const RETURNING: &str = " returning id, channel, recipient, webhook_url, subject, body_text, body_html, \
             attempts";
        let claimed = match self {
            Store::Sqlite(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "update alert_outbox set lease_holder = $1, lease_until = $2 \
                     where id in (select id from alert_outbox where state = 'pending' \
                       and next_attempt_at <= $3 and (lease_until is null or lease_until <= $3) \
                       order by id limit $4){RETURNING}"
                )))
                .bind(holder)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
            Store::Postgres(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "update alert_outbox set lease_holder = $1, lease_until = $2 \
                     where id in (select id from alert_outbox where state = 'pending' \
                       and next_attempt_at <= $3 and (lease_until is null or lease_until <= $3) \
                       order by id limit $4 for update skip locked) \
                     and state = 'pending' and (lease_until is null or lease_until <= $3){RETURNING}"
                )))
                .bind(holder)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(claimed)
    }

    /// Records a successful attempt of delivery `id` by `transport` (its answer in `detail`)
    /// and marks it sent, if `holder` still holds its lease; `false` otherwise (nothing
    /// written: the lease ended and the row may be someone else's).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, detail))]
    pub async fn delivery_sent(
        &self,
        id: i64,
        holder: &str,
        transport: &str,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let now = stored_time(Utc::now());
        self.finish_attempt(
            id,
            holder,
            "update alert_outbox set state = 'sent', sent_at = $3, transport = $4, \
             attempts = attempts + 1, lease_holder = null, lease_until = null, \
             last_error = null where id = $1 and lease_holder = $2",
            (now, transport),
            true,
            detail,
        )
        .await
    }

    /// Records a failed attempt of delivery `id` (the error in `detail`) and makes it due
    /// again at `retry_at`, if `holder` still holds its lease; `false` otherwise.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, detail))]
    pub async fn delivery_failed(
        &self,
        id: i64,
        holder: &str,
        retry_at: DateTime<Utc>,
        detail: &str,
    ) -> Result<bool, StoreError> {
        self.finish_attempt(
            id,
            holder,
            "update alert_outbox set next_attempt_at = $3, last_error = $4, \
             attempts = attempts + 1, lease_holder = null, lease_until = null \
             where id = $1 and lease_holder = $2",
            (stored_time(retry_at), detail),
            false,
            detail,
        )
        .await
    }

    /// Runs `update` (parameters: id, holder, then `values`) and records the attempt, in one
    /// transaction, only while `holder` holds the lease; `false` when it no longer does.
    async fn finish_attempt(
        &self,
        id: i64,
        holder: &str,
        update: &'static str,
        values: (DateTime<Utc>, &str),
        succeeded: bool,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let now = stored_time(Utc::now());
        let updated = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(update)
                .bind(id)
                .bind(holder)
                .bind(values.0)
                .bind(values.1)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 1 {
                sqlx::query(
                    "insert into alert_attempts (outbox_id, attempted_at, succeeded, detail) \
                     values ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(now)
                .bind(succeeded)
                .bind(detail)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            updated
        });
        Ok(updated == 1)
    }

    /// The latest `limit` firings, newest first, with their deliveries; only `customer`'s
    /// when given.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn recent_firings(
        &self,
        customer: Option<&CustomerId>,
        limit: i64,
    ) -> Result<Vec<FiringRecord>, StoreError> {
        let customer = customer.map(ToString::to_string);
        // The latest `limit` firings (of one customer, or of all), and their deliveries: each
        // statement by index (alert_firings_by_customer or _by_time, alert_outbox_by_firing).
        let (firings, deliveries): (Vec<FiringRow>, Vec<DeliveryRow>) = on_pool!(self, pool => {
            let latest = match customer {
                Some(_) => "select id from alert_firings where customer_id = $1 \
                            order by fired_at desc, id desc limit $2",
                None => "select id from alert_firings where $1 is null \
                         order by fired_at desc, id desc limit $2",
            };
            let firings: Vec<FiringRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select id, customer_id, customer_name, basis, percent, billing_period_start, \
                 budget, currency, spend, projected, forecast_method, fired_at \
                 from alert_firings where id in ({latest}) order by fired_at desc, id desc"
            )))
            .bind(customer.as_deref())
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let deliveries = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select o.id, o.firing_id, o.channel, o.recipient, o.webhook_url, o.subject, \
                 o.body_text, o.sent_at, o.attempts, o.next_attempt_at, o.last_error, \
                 o.transport from alert_outbox o where o.firing_id in ({latest}) order by o.id"
            )))
            .bind(customer.as_deref())
            .bind(limit)
            .fetch_all(pool)
            .await?;
            (firings, deliveries)
        });
        let mut by_firing: HashMap<i64, Vec<DeliveryRecord>> = HashMap::new();
        for row in deliveries {
            by_firing
                .entry(row.firing_id)
                .or_default()
                .push(DeliveryRecord {
                    id: row.id,
                    channel: parse_key(&row.channel, "alert channel")?,
                    recipient: row.recipient,
                    webhook_url: row.webhook_url,
                    subject: row.subject,
                    body_text: row.body_text,
                    sent_at: row.sent_at,
                    attempts: row.attempts,
                    next_attempt_at: row.next_attempt_at,
                    last_error: row.last_error,
                    transport: row.transport,
                });
        }
        firings
            .into_iter()
            .map(|row| {
                let deliveries = by_firing.remove(&row.id).unwrap_or_default();
                firing_record(row, deliveries)
            })
            .collect()
    }

    /// The firings recorded at or after `since`, oldest first, without their deliveries.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn firings_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<FiringRecord>, StoreError> {
        let rows: Vec<FiringRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, customer_id, customer_name, basis, percent, billing_period_start, \
                 budget, currency, spend, projected, forecast_method, fired_at \
                 from alert_firings where fired_at >= $1 order by fired_at, id",
            )
            .bind(stored_time(since))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| firing_record(row, Vec::new()))
            .collect()
    }
}

fn firing_record(
    row: FiringRow,
    deliveries: Vec<DeliveryRecord>,
) -> Result<FiringRecord, StoreError> {
    let currency = parse_currency(&row.currency)?;
    Ok(FiringRecord {
        id: row.id,
        customer: parse_customer_id(&row.customer_id)?,
        customer_name: row.customer_name,
        threshold: threshold_of(&row.basis, row.percent)?,
        billing_period_start: row.billing_period_start,
        budget: money(row.budget, &currency),
        spend: money(row.spend, &currency),
        projected: row.projected.map(|p| money(p, &currency)),
        forecast_method: row.forecast_method,
        fired_at: row.fired_at,
        deliveries,
    })
}
