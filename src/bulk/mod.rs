//! Bulk budget changes: a plan (the preview) stored as a batch, applied after confirmation
//! in the background, each item through the single-edit protocol
//! ([`budgets::Budgets::change_budget`]: writer lock, intent first, conflict check against
//! the previewed amount, read-back when the answer does not tell).
//!
//! A batch is applied by whichever instance holds its lease (`batch:{id}`), at most
//! [`CONCURRENCY`] items at a time (Partner Center's `Retry-After` is honoured by the client).
//! An item is done once it has a budget change (`budget_changes.batch_id`), so a batch left
//! by a crash or a restart resumes with the items that have none ([`spawn_resumer`]); an item
//! whose change was under way is completed by the reconciler, never sent twice.

pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use rust_decimal::Decimal;
use tokio::task::JoinSet;

use crate::auth::SessionUser;
use crate::budgets::{self, BudgetError, ChangeRequest};
use crate::domain::{BudgetAmount, BudgetChange, BulkAction, CustomerFigures, Money, Planned};
use crate::state::AppState;
use crate::store::{
    Batch, BatchItem, ChangeOutcome, CustomerSnapshot, LeaseScope, PlannedItem, StoreError,
};

/// How many items of a batch are applied at the same time.
pub const CONCURRENCY: usize = 4;

/// How long a batch's lease lasts without renewal; it is renewed as items complete.
const LEASE: TimeDelta = TimeDelta::seconds(60);

/// The plan of `action` for each of `customers`: new budget and status, or why not.
pub fn plan(
    customers: &[CustomerSnapshot],
    action: &BulkAction,
    maximum: Decimal,
    near_threshold: Decimal,
) -> Vec<PlannedItem> {
    customers
        .iter()
        .map(|s| {
            let figures = CustomerFigures {
                spend: s.total_cost.clone(),
                budget: s.budget.clone(),
                projected: s.forecast.as_ref().map(|f| f.projected_total.clone()),
            };
            let (new_amount, new_status, skip_reason) =
                match action.plan(&figures, maximum, near_threshold) {
                    Planned::Change { new, status } => (new, status, None),
                    Planned::Skip(reason) => (s.budget.clone(), s.status, Some(reason)),
                };
            PlannedItem {
                customer_id: s.customer_id,
                customer_name: s.company_name.clone(),
                currency: s.currency().clone(),
                seen_amount: s.budget.clone(),
                new_amount,
                new_status,
                skip_reason,
                reason: None,
            }
        })
        .collect()
}

/// Plans `action` for `customers` and saves the plan as a batch to preview and confirm, by
/// `planner` with the reason as typed; the batch's id.
///
/// # Errors
/// The database's.
pub async fn plan_batch(
    state: &AppState,
    planner: &SessionUser,
    customers: &[CustomerSnapshot],
    action: &BulkAction,
    reason: &str,
) -> Result<i64, StoreError> {
    let settings = &state.settings.budgets;
    let items = plan(
        customers,
        action,
        settings.maximum,
        settings.near_threshold_percent,
    );
    let reason = budgets::kept_reason(reason);
    let (id, name, action) = (planner.id, &planner.name, action.describe());
    state
        .store
        .create_batch(id, name, &action, reason.as_deref(), &items)
        .await
}

/// An item's result: its key (as in the CSV of outcomes) and what was found, in words.
pub fn result_of(item: &BatchItem) -> (&'static str, String) {
    match ItemState::of(item) {
        ItemState::Skipped => (
            "left_out",
            item.plan.skip_reason.clone().unwrap_or_default(),
        ),
        ItemState::Remaining => ("remaining", String::new()),
        ItemState::Checking => ("being_checked", String::new()),
        ItemState::Applied | ItemState::Failed => (
            item.outcome.map_or("being_checked", |o| o.key()),
            item.detail.clone().unwrap_or_default(),
        ),
    }
}

/// How an item stands, as the progress page counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Cannot be applied (shown in the preview with the reason); never sent.
    Skipped,
    /// Not sent yet.
    Remaining,
    /// Sent; the outcome is being checked.
    Checking,
    /// Partner Center holds the new budget.
    Applied,
    /// Not applied: refused, not applied, a conflict, or changed elsewhere.
    Failed,
}

impl ItemState {
    /// The state of `item`.
    pub fn of(item: &BatchItem) -> Self {
        if item.plan.skip_reason.is_some() {
            Self::Skipped
        } else if item.change_id.is_none() {
            Self::Remaining
        } else {
            match item.outcome {
                None => Self::Checking,
                Some(ChangeOutcome::Applied) => Self::Applied,
                Some(_) => Self::Failed,
            }
        }
    }
}

/// Starts applying batch `id` in the background, unless another task or instance is.
pub fn spawn(state: Arc<AppState>, id: i64) {
    tokio::spawn(async move {
        if let Err(e) = run(&state, id).await {
            tracing::warn!(batch = id, error = %e, "applying a bulk budget change: will resume");
        }
    });
}

/// Resumes, every `every`, the confirmed batches with items still to send (left by a
/// restart, a crash, or a sign-in that had expired).
pub fn spawn_resumer(state: Arc<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match state.store.unfinished_batches().await {
                Ok(ids) => {
                    for id in ids {
                        spawn(Arc::clone(&state), id);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "looking for unfinished bulk changes"),
            }
        }
    });
}

/// Plans the failed items of batch `id` again (refused or not applied; a conflict or a
/// budget changed elsewhere is left, as sending it again would meet the same budget) and
/// starts applying them. Returns how many.
///
/// # Errors
/// The database failed.
pub async fn retry_failed(state: Arc<AppState>, id: i64) -> Result<u64, StoreError> {
    let failed: Vec<_> = state
        .store
        .batch_items(id)
        .await?
        .into_iter()
        .filter(is_retryable)
        .filter_map(|i| Some((i.plan.customer_id, i.change_id?)))
        .collect();
    let replanned = state.store.replan_batch_items(id, &failed).await?;
    spawn(state, id);
    Ok(replanned)
}

/// This instance's one task applying a batch: registered in [`AppState::bulk_running`]
/// while it lives.
struct Running<'a> {
    state: &'a AppState,
    id: i64,
}

impl<'a> Running<'a> {
    /// `None` when a task of this instance applies batch `id` already.
    fn start(state: &'a AppState, id: i64) -> Option<Self> {
        let inserted = state
            .bulk_running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id);
        // Built only when registered (a guard dropped otherwise would unregister the task
        // that is running).
        inserted.then(|| Self { state, id })
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.state
            .bulk_running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// Whether [`retry_failed`] sends `item` again: refused or not applied.
pub fn is_retryable(item: &BatchItem) -> bool {
    matches!(
        item.outcome,
        Some(ChangeOutcome::NotApplied | ChangeOutcome::Refused)
    )
}

/// Applies the items of batch `id` that have no change yet, holding its lease; returns when
/// none is left, the lease is held elsewhere or lost, or sending cannot go on (no token).
async fn run(state: &Arc<AppState>, id: i64) -> anyhow::Result<()> {
    let Some(_running) = Running::start(state, id) else {
        return Ok(());
    };
    let scope = LeaseScope::Batch(id);
    let holder = state.instance_id.clone();
    if !state.store.try_acquire_lease(scope, &holder, LEASE).await? {
        return Ok(());
    }
    let result = apply(state, id, scope, &holder).await;
    state.store.release_lease(scope, &holder).await?;
    result
}

async fn apply(
    state: &Arc<AppState>,
    id: i64,
    scope: LeaseScope,
    holder: &str,
) -> anyhow::Result<()> {
    let Some(batch) = state.store.batch(id).await? else {
        return Ok(());
    };
    if batch.confirmed_at.is_none() {
        return Ok(());
    }
    loop {
        let pending: Vec<BatchItem> = state
            .store
            .batch_items(id)
            .await?
            .into_iter()
            .filter(BatchItem::is_pending)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let Pass { sent, busy } = send_pending(state, &batch, pending, scope, holder).await?;
        if sent == 0 {
            // Only items that cannot be sent any more are left (see [`request`]).
            return Ok(());
        }
        if busy {
            // Another edit held a customer's lock: those items are sent again shortly.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// What a pass over the pending items did.
struct Pass {
    /// How many items were sent.
    sent: usize,
    /// Some have to be sent again (busy, or not recorded).
    busy: bool,
}

/// Sends `pending` items of `batch`, [`CONCURRENCY`] at a time, renewing the lease on
/// `scope` as they complete.
async fn send_pending(
    state: &Arc<AppState>,
    batch: &Batch,
    pending: Vec<BatchItem>,
    scope: LeaseScope,
    holder: &str,
) -> anyhow::Result<Pass> {
    let token = (state.auth.delegated_token(batch.user_id))
        .await
        .map_err(|e| anyhow::anyhow!("no Partner Center token of the batch's author: {e}"))?;
    let mut running = JoinSet::new();
    let mut pass = Pass {
        sent: 0,
        busy: false,
    };
    for item in pending {
        while running.len() >= CONCURRENCY {
            pass.busy |= joined(running.join_next().await);
            if !state.store.renew_lease(scope, holder, LEASE).await? {
                anyhow::bail!("the lease on {scope} was lost");
            }
        }
        let Some(request) = request(state, batch, &item).await? else {
            continue;
        };
        pass.sent += 1;
        let state = Arc::clone(state);
        let token = token.clone();
        running.spawn(async move { state.budgets.change_budget(&token, request).await });
    }
    while let Some(done) = running.join_next().await {
        pass.busy |= joined(Some(done));
    }
    Ok(pass)
}

/// Logs a finished item; `true` when it has to be sent again (busy, or not recorded).
fn joined(
    done: Option<Result<Result<budgets::ChangeResult, BudgetError>, tokio::task::JoinError>>,
) -> bool {
    match done {
        Some(Ok(Ok(budgets::ChangeResult::Busy))) => true,
        Some(Ok(Ok(_))) | None => false,
        Some(Ok(Err(e))) => {
            tracing::warn!(error = %e, "a bulk budget change item was not sent");
            !matches!(e, BudgetError::SignInRequired)
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "a bulk budget change item's task failed");
            true
        }
    }
}

/// The single-edit request of `item`, or `None` when Spendboard no longer lists the customer
/// (it stays remaining; the progress page says so).
async fn request(
    state: &AppState,
    batch: &Batch,
    item: &BatchItem,
) -> Result<Option<ChangeRequest>, StoreError> {
    let Some(customer) = state.store.snapshot(&item.plan.customer_id).await? else {
        return Ok(None);
    };
    let change = match &item.plan.new_amount {
        Some(amount) => match BudgetAmount::parse(
            &amount.amount().normalize().to_string(),
            &item.plan.currency,
            state.settings.budgets.maximum,
        ) {
            Ok(amount) => BudgetChange::Set(amount),
            Err(e) => {
                tracing::warn!(error = %e, "a planned amount is no longer valid; not sent");
                return Ok(None);
            }
        },
        None => BudgetChange::Remove,
    };
    Ok(Some(ChangeRequest {
        customer,
        user_id: batch.user_id,
        user_name: batch.user_name.clone(),
        change,
        based_on: item.plan.seen_amount.as_ref().map(Money::amount),
        reason: item.plan.reason.clone().or_else(|| batch.reason.clone()),
        batch_id: Some(batch.id),
    }))
}
