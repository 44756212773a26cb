//! `budget_batches` and `budget_batch_items`: bulk budget changes, planned (previewed) first
//! and applied once confirmed. An item's outcome is not stored here: it is the latest budget
//! change of the item (`budget_changes.batch_id`, after `after_change`) with its outcome, so
//! the batch can never say something the budget history does not.

use chrono::{DateTime, Utc};

use super::values::{
    DbDecimal, db_money, money, parse_currency, parse_customer_id, parse_key, stored_time,
};
use super::{ChangeOutcome, Store, StoreError, on_pool};
use crate::domain::{Currency, CustomerId, Money, UsageStatus, UserId};

/// A bulk change as planned. Amounts are in the customer's currency; `None` is no budget.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Batch {
    /// `budget_batches.id`.
    pub id: i64,
    /// When it was planned (UTC).
    pub created_at: DateTime<Utc>,
    /// Who planned it (Entra object id); their delegated tokens apply it.
    pub user_id: UserId,
    /// Their display name.
    pub user_name: String,
    /// The action in words, as previewed.
    pub action: String,
    /// The reason given, kept in every change's history.
    pub reason: Option<String>,
    /// When it was confirmed; `None` for a preview (never applied).
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// One customer's line of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    /// The customer.
    pub customer_id: CustomerId,
    /// Its name when planned.
    pub customer_name: String,
    /// Its billing currency: that of both amounts, kept even when neither is set.
    pub currency: Currency,
    /// The budget the preview showed: the base of the conflict check.
    pub seen_amount: Option<Money>,
    /// The budget asked for; `None` removes it.
    pub new_amount: Option<Money>,
    /// The status the new budget gives (with today's spend and projection).
    pub new_status: UsageStatus,
    /// Why it cannot be applied (never sent then).
    pub skip_reason: Option<String>,
    /// This customer's reason (a line of an uploaded file); `None`: the batch's.
    pub reason: Option<String>,
}

/// An item with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// The plan.
    pub plan: PlannedItem,
    /// Its latest budget change (`budget_changes.id`), if one was made since it was
    /// (re)planned.
    pub change_id: Option<i64>,
    /// That change's outcome; `None` while it is being checked.
    pub outcome: Option<ChangeOutcome>,
    /// What was found, in words.
    pub detail: Option<String>,
}

impl BatchItem {
    /// Neither skipped nor attempted yet: the batch's worker has still to send it.
    pub fn is_pending(&self) -> bool {
        self.plan.skip_reason.is_none() && self.change_id.is_none()
    }
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    customer_id: String,
    customer_name: String,
    currency: String,
    seen_amount: Option<DbDecimal>,
    new_amount: Option<DbDecimal>,
    new_status: String,
    skip_reason: Option<String>,
    reason: Option<String>,
    change_id: Option<i64>,
    outcome: Option<String>,
    detail: Option<String>,
}

impl TryFrom<ItemRow> for BatchItem {
    type Error = StoreError;
    fn try_from(row: ItemRow) -> Result<Self, StoreError> {
        let currency = parse_currency(&row.currency)?;
        Ok(Self {
            plan: PlannedItem {
                customer_id: parse_customer_id(&row.customer_id)?,
                customer_name: row.customer_name,
                seen_amount: row.seen_amount.map(|d| money(d, &currency)),
                new_amount: row.new_amount.map(|d| money(d, &currency)),
                currency,
                new_status: parse_key(&row.new_status, "usage status")?,
                skip_reason: row.skip_reason,
                reason: row.reason,
            },
            change_id: row.change_id,
            outcome: row
                .outcome
                .as_deref()
                .map(|key| parse_key(key, "budget change outcome"))
                .transpose()?,
            detail: row.detail,
        })
    }
}

impl Store {
    /// Stores a planned batch (a preview: not confirmed) with its items, in one transaction;
    /// returns its id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip_all, fields(items = items.len()))]
    pub async fn create_batch(
        &self,
        user_id: UserId,
        user_name: &str,
        action: &str,
        reason: Option<&str>,
        items: &[PlannedItem],
    ) -> Result<i64, StoreError> {
        let now = stored_time(Utc::now());
        let id = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "insert into budget_batches (created_at, user_id, user_name, action, reason) \
                 values ($1, $2, $3, $4, $5) returning id",
            )
            .bind(now)
            .bind(user_id)
            .bind(user_name)
            .bind(action)
            .bind(reason)
            .fetch_one(&mut *tx)
            .await?;
            for item in items {
                sqlx::query(
                    "insert into budget_batch_items (batch_id, customer_id, customer_name, \
                     currency, seen_amount, new_amount, new_status, skip_reason, reason) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(item.customer_id.to_string())
                .bind(&item.customer_name)
                .bind(item.currency.code())
                .bind(db_money(item.seen_amount.as_ref()))
                .bind(db_money(item.new_amount.as_ref()))
                .bind(item.new_status.key())
                .bind(item.skip_reason.as_deref())
                .bind(item.reason.as_deref())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The batch `id`, if there is one.
    ///
    /// # Errors
    /// [`StoreError::Database`], also for a corrupt row.
    pub async fn batch(&self, id: i64) -> Result<Option<Batch>, StoreError> {
        let batch: Option<Batch> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, created_at, user_id, user_name, action, reason, confirmed_at \
                 from budget_batches where id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(batch)
    }

    /// Confirms a previewed batch; `false` when it was confirmed already (or is unknown).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn confirm_batch(&self, id: i64) -> Result<bool, StoreError> {
        let now = stored_time(Utc::now());
        let confirmed = on_pool!(self, pool => {
            sqlx::query(
                "update budget_batches set confirmed_at = $2 where id = $1 and confirmed_at is null",
            )
            .bind(id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(confirmed == 1)
    }

    /// The batch's items by customer name, each with its latest change since it was
    /// (re)planned and that change's outcome.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn batch_items(&self, id: i64) -> Result<Vec<BatchItem>, StoreError> {
        let rows: Vec<ItemRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select i.customer_id, i.customer_name, i.currency, i.seen_amount, \
                 i.new_amount, i.new_status, i.skip_reason, i.reason, c.id as change_id, \
                 o.outcome, \
                 o.detail \
                 from budget_batch_items i \
                 left join budget_changes c on c.id = (select max(l.id) from budget_changes l \
                     where l.batch_id = i.batch_id and l.customer_id = i.customer_id \
                     and l.id > i.after_change) \
                 left join budget_change_outcomes o on o.change_id = c.id \
                 where i.batch_id = $1 order by i.customer_name, i.customer_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(BatchItem::try_from).collect()
    }

    /// The confirmed batches with an item still to send, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn unfinished_batches(&self) -> Result<Vec<i64>, StoreError> {
        let ids = on_pool!(self, pool => {
            sqlx::query_scalar(
                "select b.id from budget_batches b where b.confirmed_at is not null \
                 and exists (select 1 from budget_batch_items i where i.batch_id = b.id \
                     and i.skip_reason is null and not exists (select 1 from budget_changes c \
                         where c.batch_id = i.batch_id and c.customer_id = i.customer_id \
                         and c.id > i.after_change)) \
                 order by b.id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(ids)
    }

    /// Plans `customers` of batch `id` again, after their latest change (`change_id` each):
    /// the worker sends them anew. An item changed since (another retry) is left alone.
    /// Returns how many were planned again.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, items), fields(items = items.len()))]
    pub async fn replan_batch_items(
        &self,
        id: i64,
        items: &[(CustomerId, i64)],
    ) -> Result<u64, StoreError> {
        let mut replanned = 0;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (customer, change_id) in items {
                replanned += sqlx::query(
                    "update budget_batch_items set after_change = $3 \
                     where batch_id = $1 and customer_id = $2 and after_change < $3",
                )
                .bind(id)
                .bind(customer.to_string())
                .bind(change_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
        });
        Ok(replanned)
    }
}
