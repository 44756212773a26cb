//! `budget_audit`: every budget change attempt, append-only (the database refuses UPDATE and
//! DELETE on it, see the migration).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::values::{DbDecimal, db_decimal, parse_currency, parse_customer_id, stored_time};
use super::{Store, StoreError, on_pool};
use crate::domain::{Currency, CustomerId};

/// How a budget change attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    /// Partner Center accepted the change.
    Applied,
    /// Partner Center (or our validation of its answer) refused it; nothing changed.
    Refused,
    /// The budget had changed since the form was shown; nothing was written.
    Conflict,
}

impl AuditOutcome {
    /// The stored key.
    fn key(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Refused => "refused",
            Self::Conflict => "conflict",
        }
    }

    fn from_key(key: &str) -> Result<Self, StoreError> {
        match key {
            "applied" => Ok(Self::Applied),
            "refused" => Ok(Self::Refused),
            "conflict" => Ok(Self::Conflict),
            other => Err(StoreError::InvalidValue(format!(
                "unknown audit outcome {other:?}"
            ))),
        }
    }
}

/// A budget change attempt to record. Amounts are in `currency`; `None` means no budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// When the attempt was made (UTC).
    pub at: DateTime<Utc>,
    /// The user's Entra object id (oid).
    pub user_id: String,
    /// The user's display name at the time.
    pub user_name: String,
    /// The customer whose budget it was.
    pub customer_id: CustomerId,
    /// The customer's name at the time.
    pub customer_name: String,
    /// The customer's billing currency.
    pub currency: Currency,
    /// The budget before; `None` when there was none.
    pub old_amount: Option<Decimal>,
    /// The budget asked for; `None` = remove the budget.
    pub new_amount: Option<Decimal>,
    /// The reason the user gave.
    pub reason: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// What went wrong or was found, for `Refused` and `Conflict`.
    pub detail: Option<String>,
    /// Partner Center's `MS-RequestId` of the PATCH, when one was sent.
    pub partner_center_request_id: Option<String>,
}

/// A recorded budget change attempt: the fields of [`NewAuditEntry`] and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Increasing id, in order of recording.
    pub id: i64,
    /// When the attempt was made (UTC).
    pub at: DateTime<Utc>,
    /// The user's Entra object id (oid).
    pub user_id: String,
    /// The user's display name at the time.
    pub user_name: String,
    /// The customer whose budget it was.
    pub customer_id: CustomerId,
    /// The customer's name at the time.
    pub customer_name: String,
    /// The customer's billing currency.
    pub currency: Currency,
    /// The budget before; `None` when there was none.
    pub old_amount: Option<Decimal>,
    /// The budget asked for; `None` = remove the budget.
    pub new_amount: Option<Decimal>,
    /// The reason the user gave.
    pub reason: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// What went wrong or was found, for `Refused` and `Conflict`.
    pub detail: Option<String>,
    /// Partner Center's `MS-RequestId` of the PATCH, when one was sent.
    pub partner_center_request_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    user_id: String,
    user_name: String,
    customer_id: String,
    customer_name: String,
    currency: String,
    old_amount: Option<DbDecimal>,
    new_amount: Option<DbDecimal>,
    reason: Option<String>,
    outcome: String,
    detail: Option<String>,
    partner_center_request_id: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            at: row.at,
            user_id: row.user_id,
            user_name: row.user_name,
            customer_id: parse_customer_id(&row.customer_id)?,
            customer_name: row.customer_name,
            currency: parse_currency(&row.currency)?,
            old_amount: row.old_amount.map(|d| d.0),
            new_amount: row.new_amount.map(|d| d.0),
            reason: row.reason,
            outcome: AuditOutcome::from_key(&row.outcome)?,
            detail: row.detail,
            partner_center_request_id: row.partner_center_request_id,
        })
    }
}

impl Store {
    /// Appends an entry to the audit log and returns its id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip_all, fields(customer_id = %entry.customer_id, outcome = ?entry.outcome))]
    pub async fn append_audit(&self, entry: NewAuditEntry) -> Result<i64, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "insert into budget_audit (at, user_id, user_name, customer_id, customer_name, \
                 currency, old_amount, new_amount, reason, outcome, detail, \
                 partner_center_request_id) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id",
            )
            .bind(stored_time(entry.at))
            .bind(&entry.user_id)
            .bind(&entry.user_name)
            .bind(entry.customer_id.to_string())
            .bind(&entry.customer_name)
            .bind(entry.currency.code())
            .bind(db_decimal(entry.old_amount))
            .bind(db_decimal(entry.new_amount))
            .bind(entry.reason.as_deref())
            .bind(entry.outcome.key())
            .bind(entry.detail.as_deref())
            .bind(entry.partner_center_request_id.as_deref())
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// The customer's latest `limit` audit entries, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn audit_for_customer(
        &self,
        customer_id: &CustomerId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, at, user_id, user_name, customer_id, customer_name, currency, \
                 old_amount, new_amount, reason, outcome, detail, partner_center_request_id \
                 from budget_audit where customer_id = $1 order by at desc, id desc limit $2",
            )
            .bind(customer_id.to_string())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
