//! Bulk budget changes: a plan (the preview) stored as a batch, applied after confirmation
//! in the background, each item through the single-edit protocol ([`Budgets::change_budget`]:
//! writer lock, intent first, conflict check against the previewed amount, read-back when
//! the answer does not tell).
//!
//! A batch is applied by whichever instance holds its lease (`batch:{id}`), at most
//! [`CONCURRENCY`] items at a time (Partner Center's `Retry-After` is honoured by the client).
//! An item is done once it has a budget change (`budget_changes.batch_id`), so a batch left
//! by a crash or a restart resumes with the items that have none
//! ([`BulkChanges::spawn_resumer`]); an item whose change was under way is completed by the
//! reconciler, never sent twice.

pub mod upload;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::TimeDelta;
use rust_decimal::Decimal;
use tokio::task::JoinSet;

use crate::auth::{Auth, SessionUser};
use crate::budgets::{self, BudgetError, Budgets, ChangeRequest};
use crate::config::BudgetSettings;
use crate::domain::{BudgetAmount, BudgetChange, BulkAction, CustomerFigures, Money, Planned};
use crate::periodic::{FirstRound, spawn_every};
use crate::store::{
    Batch, BatchItem, ChangeOutcome, CustomerSnapshot, DashboardView, LeaseScope, PlannedItem,
    Store, StoreError,
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

/// Bulk budget changes, with what they need of the instance and nothing else: planning a
/// batch ([`BulkChanges::plan_batch`]), applying it ([`BulkChanges::spawn`],
/// [`BulkChanges::retry_failed`]) and resuming the unfinished ones
/// ([`BulkChanges::spawn_resumer`]).
#[derive(Clone)]
pub struct BulkChanges {
    store: Store,
    /// Each item is applied through the single-edit service.
    budgets: Budgets,
    /// The batch author's delegated token.
    auth: Auth,
    settings: BudgetSettings,
    /// This instance, as the holder of batch leases.
    instance_id: String,
    /// The batches this instance is applying now (by `budget_batches.id`): one task per
    /// batch here, as the batch's lease is one instance's across instances.
    running: Arc<Mutex<HashSet<i64>>>,
}

impl BulkChanges {
    /// The service over `store`, applying each item through `budgets` with the batch author's
    /// token from `auth`; amounts and statuses planned by `settings`' maximum and threshold.
    pub fn new(
        store: Store,
        budgets: Budgets,
        auth: Auth,
        settings: BudgetSettings,
        instance_id: String,
    ) -> Self {
        Self {
            store,
            budgets,
            auth,
            settings,
            instance_id,
            running: Arc::default(),
        }
    }

    /// Plans `action` for `customers` and saves the plan as a batch to preview and confirm,
    /// by `planner` with the reason as typed; the batch's id.
    ///
    /// # Errors
    /// The database's.
    pub async fn plan_batch(
        &self,
        planner: &SessionUser,
        customers: &[CustomerSnapshot],
        action: &BulkAction,
        reason: &str,
    ) -> Result<i64, StoreError> {
        let items = plan(
            customers,
            action,
            self.settings.maximum,
            self.settings.near_threshold_percent,
        );
        let reason = budgets::kept_reason(reason);
        let (id, name, action) = (planner.id, &planner.name, action.describe());
        self.store
            .create_batch(id, name, &action, reason.as_deref(), &items)
            .await
    }

    /// Plans the budgets of an uploaded CSV file `bytes` against the customers of `view`
    /// ([`upload::plan_budget_file`]), with the maximum and near threshold of a single edit.
    ///
    /// # Errors
    /// [`upload::UploadError`]: the file, or every bad line, for the person.
    pub fn plan_file(
        &self,
        bytes: &[u8],
        view: &DashboardView,
    ) -> Result<Vec<PlannedItem>, upload::UploadError> {
        let settings = &self.settings;
        upload::plan_budget_file(
            bytes,
            view,
            settings.maximum,
            settings.near_threshold_percent,
        )
    }

    /// Saves the plan of the uploaded file `file_name` as a batch to preview and confirm,
    /// by `planner`; the batch's id.
    ///
    /// # Errors
    /// The database's.
    pub async fn save_file_plan(
        &self,
        planner: &SessionUser,
        file_name: &str,
        items: &[PlannedItem],
    ) -> Result<i64, StoreError> {
        let action = format!("Budgets from the uploaded file {file_name}");
        self.store
            .create_batch(planner.id, &planner.name, &action, None, items)
            .await
    }

    /// Starts applying batch `id` in the background, unless another task or instance is.
    pub fn spawn(&self, id: i64) {
        let bulk = self.clone();
        tokio::spawn(async move {
            if let Err(e) = bulk.run(id).await {
                tracing::warn!(batch = id, error = %e, "applying a bulk budget change: will resume");
            }
        });
    }

    /// Resumes, every `every`, the confirmed batches with items still to send (left by a
    /// restart, a crash, or a sign-in that had expired).
    pub fn spawn_resumer(&self, every: Duration) {
        spawn_every(every, FirstRound::Now, self.clone(), |bulk| async move {
            match bulk.store.unfinished_batches().await {
                Ok(ids) => {
                    for id in ids {
                        bulk.spawn(id);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "looking for unfinished bulk changes"),
            }
        });
    }

    /// Plans the failed items of batch `id` again (refused or not applied; a conflict or a
    /// budget changed elsewhere is left, as sending it again would meet the same budget) and
    /// starts applying them. Returns how many.
    ///
    /// # Errors
    /// The database failed.
    pub async fn retry_failed(&self, id: i64) -> Result<u64, StoreError> {
        let failed: Vec<_> = self
            .store
            .batch_items(id)
            .await?
            .into_iter()
            .filter(is_retryable)
            .filter_map(|i| Some((i.plan.customer_id, i.change_id?)))
            .collect();
        let replanned = self.store.replan_batch_items(id, &failed).await?;
        self.spawn(id);
        Ok(replanned)
    }
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

/// This instance's one task applying a batch: registered in [`BulkChanges`]' running set
/// while it lives.
struct Running<'a> {
    running: &'a Mutex<HashSet<i64>>,
    id: i64,
}

impl<'a> Running<'a> {
    /// `None` when a task of this instance applies batch `id` already.
    fn start(running: &'a Mutex<HashSet<i64>>, id: i64) -> Option<Self> {
        let inserted = running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        // Built only when registered (a guard dropped otherwise would unregister the task
        // that is running).
        inserted.then(|| Self { running, id })
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// Whether [`BulkChanges::retry_failed`] sends `item` again: refused or not applied.
pub fn is_retryable(item: &BatchItem) -> bool {
    matches!(
        item.outcome,
        Some(ChangeOutcome::NotApplied | ChangeOutcome::Refused)
    )
}

impl BulkChanges {
    /// Applies the items of batch `id` that have no change yet, holding its lease; returns
    /// when none is left, the lease is held elsewhere or lost, or sending cannot go on (no
    /// token).
    async fn run(&self, id: i64) -> anyhow::Result<()> {
        let Some(_running) = Running::start(&self.running, id) else {
            return Ok(());
        };
        let scope = LeaseScope::Batch(id);
        let holder = self.instance_id.clone();
        if !self.store.try_acquire_lease(scope, &holder, LEASE).await? {
            return Ok(());
        }
        let result = self.apply(id, scope, &holder).await;
        self.store.release_lease(scope, &holder).await?;
        result
    }

    async fn apply(&self, id: i64, scope: LeaseScope, holder: &str) -> anyhow::Result<()> {
        let Some(batch) = self.store.batch(id).await? else {
            return Ok(());
        };
        if batch.confirmed_at.is_none() {
            return Ok(());
        }
        loop {
            let pending: Vec<BatchItem> = self
                .store
                .batch_items(id)
                .await?
                .into_iter()
                .filter(BatchItem::is_pending)
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            let Pass { sent, busy } = self.send_pending(&batch, pending, scope, holder).await?;
            if sent == 0 {
                // Only items that cannot be sent any more are left (see [`Self::request`]).
                return Ok(());
            }
            if busy {
                // Another edit held a customer's lock: those items are sent again shortly.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    /// Sends `pending` items of `batch`, [`CONCURRENCY`] at a time, renewing the lease on
    /// `scope` as they complete.
    async fn send_pending(
        &self,
        batch: &Batch,
        pending: Vec<BatchItem>,
        scope: LeaseScope,
        holder: &str,
    ) -> anyhow::Result<Pass> {
        let token = self
            .auth
            .delegated_token(batch.user_id)
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
                if !self.store.renew_lease(scope, holder, LEASE).await? {
                    anyhow::bail!("the lease on {scope} was lost");
                }
            }
            let Some(request) = self.request(batch, &item).await? else {
                continue;
            };
            pass.sent += 1;
            let budgets = self.budgets.clone();
            let token = token.clone();
            running.spawn(async move { budgets.change_budget(&token, request).await });
        }
        while let Some(done) = running.join_next().await {
            pass.busy |= joined(Some(done));
        }
        Ok(pass)
    }

    /// The single-edit request of `item`, or `None` when Spendboard no longer lists the
    /// customer (it stays remaining; the progress page says so).
    async fn request(
        &self,
        batch: &Batch,
        item: &BatchItem,
    ) -> Result<Option<ChangeRequest>, StoreError> {
        let Some(customer) = self.store.snapshot(&item.plan.customer_id).await? else {
            return Ok(None);
        };
        let change = match &item.plan.new_amount {
            Some(amount) => match BudgetAmount::parse(
                &amount.amount().normalize().to_string(),
                &item.plan.currency,
                self.settings.maximum,
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
}

/// What a pass over the pending items did.
struct Pass {
    /// How many items were sent.
    sent: usize,
    /// Some have to be sent again (busy, or not recorded).
    busy: bool,
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
