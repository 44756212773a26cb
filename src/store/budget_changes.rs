//! `budget_changes` and `budget_change_outcomes`: every budget change attempt, recorded as an
//! intent before Partner Center is called and completed by exactly one outcome once that
//! outcome is a fact. Both tables are append-only (the database refuses UPDATE and DELETE,
//! see the migration); an outcome is written with `ON CONFLICT DO NOTHING`, so of two
//! deciders (the request and a later reconciliation) the first one's word stands.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::values::{
    DbDecimal, db_money, money, parse_currency, parse_customer_id, parse_key, stored_time,
};
use super::{Store, StoreError, on_pool};
use crate::domain::{Currency, CustomerId, Money, UserId};

/// How a budget change attempt ended; stored (and exported) as its snake_case key:
/// `applied`, `refused`, `conflict`, `not_applied`, `superseded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ChangeOutcome {
    /// Partner Center holds the new budget: it said so, or reading it back showed it.
    Applied,
    /// Partner Center refused the change with a definite answer (a 4xx); nothing changed.
    Refused,
    /// Partner Center held another budget than the form was based on; nothing was sent.
    Conflict,
    /// Certainly not applied for another reason: Partner Center could not be read before the
    /// change was sent, or reading the budget back showed it unchanged once the request
    /// could no longer land.
    NotApplied,
    /// Reading back found neither the old nor the new budget: it was changed elsewhere
    /// meanwhile, so whether this change was applied first cannot be told.
    Superseded,
}

impl ChangeOutcome {
    /// The stored key.
    pub fn key(self) -> &'static str {
        self.into()
    }
}

/// How an outcome was established; stored (and exported) as `reply` or `read_back`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum DecidedBy {
    /// Partner Center's own answer to the call (or no call was needed).
    Reply,
    /// Reading the budget back after an answer that did not tell.
    ReadBack,
}

impl DecidedBy {
    /// The stored key.
    pub fn key(self) -> &'static str {
        self.into()
    }
}

/// A budget change about to be attempted. Amounts are in `currency`; `None` means no budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetChangeIntent {
    /// When the attempt started (UTC).
    pub requested_at: DateTime<Utc>,
    /// The user's Entra object id (oid).
    pub user_id: UserId,
    /// The user's display name at the time.
    pub user_name: String,
    /// The customer whose budget it is.
    pub customer_id: CustomerId,
    /// The customer's name at the time.
    pub customer_name: String,
    /// The customer's billing currency: that of both amounts and of what Partner Center
    /// held, recorded even when no amount is set.
    pub currency: Currency,
    /// The budget the person's form was based on.
    pub seen_amount: Option<Money>,
    /// The budget asked for; `None` = remove the budget.
    pub new_amount: Option<Money>,
    /// The reason the user gave.
    pub reason: Option<String>,
    /// The `MS-RequestId` the PATCH is (or would be) sent with.
    pub request_id: Uuid,
    /// The bulk change (`budget_batches.id`) this change is an item of; `None` for a
    /// single edit.
    pub batch_id: Option<i64>,
}

/// The outcome of a change, as a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetChangeDecision {
    /// How it ended.
    pub outcome: ChangeOutcome,
    /// The budget Partner Center held when this was decided (`Some(None)`: no budget);
    /// `None` when it could not be read.
    pub held: Option<Option<Money>>,
    /// Whether Partner Center's answer or a read-back established it.
    pub decided_by: DecidedBy,
    /// Partner Center's error code (ApiFault code, else the HTTP status) of a refusal.
    pub error_code: Option<String>,
    /// What was found, for the person.
    pub detail: Option<String>,
}

/// A recorded change: its intent, and its outcome once decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetChangeRecord {
    /// Increasing id, in order of recording.
    pub id: i64,
    /// What was attempted. `request_id` is nil for entries carried over from before intents
    /// were recorded that sent no request.
    pub intent: BudgetChangeIntent,
    /// When and how it ended; `None` while the outcome is being established.
    pub decision: Option<(DateTime<Utc>, BudgetChangeDecision)>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    requested_at: DateTime<Utc>,
    user_id: String,
    user_name: String,
    customer_id: String,
    customer_name: String,
    currency: String,
    seen_amount: Option<DbDecimal>,
    new_amount: Option<DbDecimal>,
    reason: Option<String>,
    request_id: Option<String>,
    batch_id: Option<i64>,
    decided_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    held_known: Option<bool>,
    held_amount: Option<DbDecimal>,
    decided_by: Option<String>,
    error_code: Option<String>,
    detail: Option<String>,
}

impl TryFrom<ChangeRow> for BudgetChangeRecord {
    type Error = StoreError;
    fn try_from(row: ChangeRow) -> Result<Self, StoreError> {
        let invalid = |what: &str| StoreError::InvalidValue(format!("budget change {what}"));
        let currency = parse_currency(&row.currency)?;
        let decision = match (row.decided_at, row.outcome, row.decided_by) {
            (Some(at), Some(outcome), Some(decided_by)) => Some((
                at,
                BudgetChangeDecision {
                    outcome: parse_key(&outcome, "budget change outcome")?,
                    held: row
                        .held_known
                        .unwrap_or(false)
                        .then(|| row.held_amount.map(|d| money(d, &currency))),
                    decided_by: parse_key(&decided_by, "budget decision source")?,
                    error_code: row.error_code,
                    detail: row.detail,
                },
            )),
            _ => None,
        };
        Ok(Self {
            id: row.id,
            intent: BudgetChangeIntent {
                requested_at: row.requested_at,
                user_id: UserId::parse(&row.user_id).unwrap_or(Uuid::nil().into()),
                user_name: row.user_name,
                customer_id: parse_customer_id(&row.customer_id)?,
                customer_name: row.customer_name,
                seen_amount: row.seen_amount.map(|d| money(d, &currency)),
                new_amount: row.new_amount.map(|d| money(d, &currency)),
                currency,
                reason: row.reason,
                request_id: match row.request_id {
                    Some(text) => Uuid::parse_str(&text).map_err(|_| invalid("request id"))?,
                    None => Uuid::nil(),
                },
                batch_id: row.batch_id,
            },
            decision,
        })
    }
}

/// Selects the columns of [`ChangeRow`] from `budget_changes c` left-joined with its outcome
/// `o`, followed by `$rest` (a literal).
macro_rules! select_changes {
    ($rest:literal) => {
        concat!(
            "select c.id, c.requested_at, c.user_id, c.user_name, c.customer_id, \
             c.customer_name, c.currency, c.seen_amount, c.new_amount, c.reason, \
             c.request_id, c.batch_id, o.decided_at, o.outcome, o.held_known, o.held_amount, \
             o.decided_by, o.error_code, o.detail \
             from budget_changes c left join budget_change_outcomes o on o.change_id = c.id ",
            $rest
        )
    };
}

impl Store {
    /// Records a change attempt before anything is sent, and returns its id.
    ///
    /// # Errors
    /// [`StoreError::Database`] (nothing may be sent then).
    #[tracing::instrument(skip_all, fields(customer_id = %intent.customer_id, request_id = %intent.request_id))]
    pub async fn record_budget_change(
        &self,
        intent: &BudgetChangeIntent,
    ) -> Result<i64, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "insert into budget_changes (requested_at, user_id, user_name, customer_id, \
                 customer_name, currency, seen_amount, new_amount, reason, request_id, batch_id) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
            )
            .bind(stored_time(intent.requested_at))
            .bind(intent.user_id)
            .bind(&intent.user_name)
            .bind(intent.customer_id.to_string())
            .bind(&intent.customer_name)
            .bind(intent.currency.code())
            .bind(db_money(intent.seen_amount.as_ref()))
            .bind(db_money(intent.new_amount.as_ref()))
            .bind(intent.reason.as_deref())
            .bind(intent.request_id.to_string())
            .bind(intent.batch_id)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Records the outcome of change `id`, unless one is recorded already. Returns whether
    /// this decision was the one recorded.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, decision), fields(outcome = ?decision.outcome))]
    pub async fn decide_budget_change(
        &self,
        id: i64,
        decision: &BudgetChangeDecision,
    ) -> Result<bool, StoreError> {
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "insert into budget_change_outcomes (change_id, decided_at, outcome, \
                 held_known, held_amount, decided_by, error_code, detail) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (change_id) do nothing",
            )
            .bind(id)
            .bind(stored_time(Utc::now()))
            .bind(decision.outcome.key())
            .bind(decision.held.is_some())
            .bind(db_money(decision.held.as_ref().and_then(Option::as_ref)))
            .bind(decision.decided_by.key())
            .bind(decision.error_code.as_deref())
            .bind(decision.detail.as_deref())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// The customer's latest `limit` changes, newest first (`limit` 0: all of them).
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn budget_changes_for_customer(
        &self,
        customer_id: &CustomerId,
        limit: u32,
    ) -> Result<Vec<BudgetChangeRecord>, StoreError> {
        let limit = if limit == 0 {
            i64::MAX
        } else {
            i64::from(limit)
        };
        let rows: Vec<ChangeRow> = on_pool!(self, pool => {
            sqlx::query_as(select_changes!(
                "where c.customer_id = $1 order by c.requested_at desc, c.id desc limit $2"
            ))
                .bind(customer_id.to_string())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(BudgetChangeRecord::try_from).collect()
    }

    /// Changes without an outcome that were requested before `before`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn undecided_budget_changes(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<BudgetChangeRecord>, StoreError> {
        let rows: Vec<ChangeRow> = on_pool!(self, pool => {
            sqlx::query_as(select_changes!(
                "where o.change_id is null and c.requested_at < $1 order by c.id"
            ))
                .bind(stored_time(before))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(BudgetChangeRecord::try_from).collect()
    }
}
