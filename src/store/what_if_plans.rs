//! `what_if_plans`, `what_if_lines`: what-if plans saved per customer, by name.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::values::{DbDecimal, count, stored_time};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, PlanQuantity, UserId};

/// One line of a saved plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlanLine {
    /// The meter's rate card id.
    pub meter_id: String,
    /// The meter as named when saved, e.g. `D4s v3 (EU West)`.
    pub meter_label: String,
    /// How much it uses.
    pub quantity: PlanQuantity,
    /// The first day it runs.
    pub start: NaiveDate,
}

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlan {
    /// Plan id (GUID).
    pub id: String,
    /// Its name, unique per customer.
    pub name: String,
    /// Who saved it last.
    pub saved_by: UserId,
    /// When it was saved last.
    pub saved_at: DateTime<Utc>,
    /// Its lines, in order.
    pub lines: Vec<SavedPlanLine>,
}

/// A saved plan in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    /// Plan id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was saved last.
    pub saved_at: DateTime<Utc>,
    /// How many lines it has.
    pub lines: u64,
}

type LineRow = (String, String, String, String, Option<String>, NaiveDate);
/// A plan's name, who saved it and when.
type PlanRow = (String, UserId, DateTime<Utc>);

fn stored_line(row: LineRow) -> Result<SavedPlanLine, StoreError> {
    let (meter_id, meter_label, kind, quantity, hours, start) = row;
    let number = |text: &str| {
        text.parse::<Decimal>()
            .map_err(|e| StoreError::InvalidValue(format!("what_if_lines: {e}")))
    };
    let quantity = match (kind.as_str(), hours) {
        ("day", _) => PlanQuantity::PerDay(number(&quantity)?),
        ("month", _) => PlanQuantity::PerMonth(number(&quantity)?),
        ("instances", Some(hours)) => PlanQuantity::Instances {
            count: number(&quantity)?,
            hours_per_day: number(&hours)?,
        },
        (other, _) => {
            return Err(StoreError::InvalidValue(format!(
                "what_if_lines: kind {other:?}"
            )));
        }
    };
    Ok(SavedPlanLine {
        meter_id,
        meter_label,
        quantity,
        start,
    })
}

/// A line's kind, quantity and hours as stored.
fn line_columns(quantity: &PlanQuantity) -> (&'static str, String, Option<String>) {
    match quantity {
        PlanQuantity::PerDay(q) => ("day", q.to_string(), None),
        PlanQuantity::PerMonth(q) => ("month", q.to_string(), None),
        PlanQuantity::Instances {
            count,
            hours_per_day,
        } => (
            "instances",
            count.to_string(),
            Some(hours_per_day.to_string()),
        ),
    }
}

impl Store {
    /// Saves a plan of `customer` under `name`, replacing a plan of that name; returns its
    /// id. One transaction.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip(self, lines), fields(lines = lines.len()))]
    pub async fn save_plan(
        &self,
        customer: &CustomerId,
        name: &str,
        saved_by: UserId,
        lines: &[SavedPlanLine],
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = stored_time(Utc::now());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("delete from what_if_plans where customer_id = $1 and name = $2")
                .bind(customer.to_string())
                .bind(name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "insert into what_if_plans (id, customer_id, name, saved_by, saved_at) \
                 values ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(customer.to_string())
            .bind(name)
            .bind(saved_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (position, line) in lines.iter().enumerate() {
                let (kind, quantity, hours) = line_columns(&line.quantity);
                sqlx::query(
                    "insert into what_if_lines (plan_id, position, meter_id, meter_label, kind, \
                     quantity, hours_per_day, start_date) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&line.meter_id)
                .bind(&line.meter_label)
                .bind(kind)
                .bind(quantity)
                .bind(hours)
                .bind(line.start)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(id)
    }

    /// The customer's saved plans, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn plans_of(&self, customer: &CustomerId) -> Result<Vec<PlanSummary>, StoreError> {
        let rows: Vec<(String, String, DateTime<Utc>, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select p.id, p.name, p.saved_at, \
                 (select count(*) from what_if_lines l where l.plan_id = p.id) \
                 from what_if_plans p where p.customer_id = $1 order by p.name",
            )
            .bind(customer.to_string())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, saved_at, lines)| PlanSummary {
                id,
                name,
                saved_at,
                lines: count(lines),
            })
            .collect())
    }

    /// One saved plan of the customer, with its lines.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn plan(
        &self,
        customer: &CustomerId,
        id: &str,
    ) -> Result<Option<SavedPlan>, StoreError> {
        let (plan, lines): (Option<PlanRow>, Vec<LineRow>) = on_pool!(self, pool => {
            let plan = sqlx::query_as(
                "select name, saved_by, saved_at from what_if_plans where id = $1 and customer_id = $2",
            )
            .bind(id)
            .bind(customer.to_string())
            .fetch_optional(pool)
            .await?;
            let lines = sqlx::query_as(
                "select meter_id, meter_label, kind, quantity, hours_per_day, start_date \
                 from what_if_lines where plan_id = $1 order by position",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (plan, lines)
        });
        let Some((name, saved_by, saved_at)) = plan else {
            return Ok(None);
        };
        Ok(Some(SavedPlan {
            id: id.to_owned(),
            name,
            saved_by,
            saved_at,
            lines: lines
                .into_iter()
                .map(stored_line)
                .collect::<Result<_, _>>()?,
        }))
    }

    /// Deletes a saved plan of the customer; `false` when there was none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn delete_plan(&self, customer: &CustomerId, id: &str) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query("delete from what_if_plans where id = $1 and customer_id = $2")
                .bind(id)
                .bind(customer.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted == 1)
    }
}

impl Store {
    /// How much of a meter the customer used this period, as the stored meter usage records
    /// of its subscriptions tell (only subscriptions whose details were read): records with
    /// the meter's id (legacy subscriptions use the rate card's GUID), or, for records whose
    /// id is not a GUID (Azure plan), the same name, category and subcategory. Zero when none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn customer_meter_quantity(
        &self,
        customer: &CustomerId,
        meter_id: &str,
        name: &str,
        category: &str,
        subcategory: &str,
    ) -> Result<Decimal, StoreError> {
        let rows: Vec<(Option<String>, Option<DbDecimal>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select meter_id, quantity from meter_usage where customer_id = $1 \
                 and (lower(meter_id) = $2 or (meter_name = $3 and category = $4 and subcategory = $5))",
            )
            .bind(customer.to_string())
            .bind(meter_id.to_lowercase())
            .bind(name)
            .bind(category)
            .bind(subcategory)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter(|(id, _)| {
                id.as_deref().is_none_or(|id| {
                    id.eq_ignore_ascii_case(meter_id) || uuid::Uuid::parse_str(id).is_err()
                })
            })
            .filter_map(|(_, quantity)| quantity.map(|q| q.0))
            .sum())
    }
}
