//! The budget change service: the one write Spendboard makes to Partner Center, as a protocol
//! that never reports a guess.
//!
//! 1. Take the customer's writer lock (`lock.rs`): one change per customer at a time, across
//!    requests and instances.
//! 2. Record the intent (who, customer, amount seen, amount asked for, reason, the
//!    `MS-RequestId` it will carry) before anything is sent.
//! 3. Read Partner Center's budget; if it is not the amount the form was based on, stop
//!    with a conflict (nothing sent).
//! 4. PATCH once. It is sent again only when it provably did not reach Partner Center.
//! 5. Record the outcome as a fact: `applied` or `refused` when Partner Center's answer says
//!    so; otherwise read the budget back (`read_back.rs`) and record what it holds. While a
//!    request may still land, a read-back showing the old budget is not final: the change is
//!    reported as being checked, and the check goes on in the background with the lock held.
//! 6. Release the lock.
//!
//! Changes left without an outcome (a crash, a database outage) are completed by
//! [`Budgets::spawn_reconciler`].

mod lock;
mod read_back;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::Auth;
use crate::config::{BudgetSettings, PartnerCenterSettings};
use crate::domain::{
    BudgetChange, Currency, CustomerId, Money, UsageStatus, UserId, percent_used, same_budget,
};
use crate::metrics::Metrics;
use crate::partner_center::{AccessToken, PartnerCenterClient, PartnerCenterError, WriteFate};
use crate::store::{
    BudgetChangeDecision, BudgetChangeIntent, ChangeOutcome, CustomerSnapshot, DecidedBy, Store,
    StoreError,
};
use lock::WriterLock;
use read_back::{Check, Verdict};

/// Longest reason kept in the budget history, in characters.
const MAX_REASON: usize = 500;

/// A reason as typed, as the budget history keeps it: trimmed, at most 500 characters,
/// `None` when empty.
pub fn kept_reason(typed: &str) -> Option<String> {
    let reason: String = typed.trim().chars().take(MAX_REASON).collect();
    (!reason.is_empty()).then_some(reason)
}

/// A budget change as a budget editor asked for it.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The customer as Spendboard knows it (id, name, currency).
    pub customer: CustomerSnapshot,
    /// The editor's Entra object id.
    pub user_id: UserId,
    /// The editor's display name.
    pub user_name: String,
    /// Set an amount (in the customer's currency) or remove the budget.
    pub change: BudgetChange,
    /// The budget the form was based on (`None`: no budget).
    pub based_on: Option<Decimal>,
    /// Why, as typed (already trimmed and bounded).
    pub reason: Option<String>,
    /// The bulk change this is an item of; `None` for a single edit.
    pub batch_id: Option<i64>,
}

/// What is known about a change when the request ends. Amounts are in the customer's
/// currency; `None` means no budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeResult {
    /// Partner Center holds the new budget `held`.
    Applied {
        /// The budget Partner Center holds now.
        held: Option<Decimal>,
    },
    /// Partner Center held `current`, not the amount the form was based on; nothing sent.
    Conflict {
        /// The budget Partner Center holds.
        current: Option<Decimal>,
    },
    /// Partner Center refused the change; nothing changed.
    Refused {
        /// Partner Center's reason, for the person.
        message: String,
        /// A 403: the person or the partner lacks the right.
        forbidden: bool,
    },
    /// Certainly not applied, for the reason given; nothing changed.
    NotApplied {
        /// Why, for the person.
        message: String,
    },
    /// Reading back found another budget than the old or the new one.
    Superseded {
        /// The budget Partner Center holds.
        current: Option<Decimal>,
    },
    /// Partner Center's answer did not tell and a request may still land: the change is
    /// being checked in the background; the customer page shows the outcome when known.
    Checking,
    /// Another change of this customer's budget is under way; nothing was done.
    Busy,
    /// The outcome is known (`known`, for the person) but could not be recorded because
    /// the database failed; it is recorded as soon as the database is back.
    Unrecorded {
        /// What happened at Partner Center, for the person.
        known: String,
    },
}

/// Why a change could not be attempted or completed.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// Partner Center refused the access token (401): the person must sign in again. The
    /// change was not applied and is recorded so.
    #[error("the Partner Center sign-in has expired")]
    SignInRequired,
    /// The database failed before anything was sent to Partner Center.
    #[error("the budget change could not be recorded, so it was not sent")]
    Store(#[from] StoreError),
}

/// The budget change service, with what it needs of the instance and nothing else: making a
/// change ([`Budgets::change_budget`]) and completing the changes left without an outcome
/// ([`Budgets::spawn_reconciler`]).
#[derive(Clone)]
pub struct Budgets {
    store: Store,
    partner_center: PartnerCenterClient,
    /// The editors' delegated tokens, for the reconciler's read-backs.
    auth: Auth,
    settings: BudgetSettings,
    /// How long after it was requested a change may still land at Partner Center (see
    /// [`read_back::landing_window`]).
    landing_window: TimeDelta,
    /// This instance, as the holder of writer locks.
    instance_id: String,
    metrics: Arc<Metrics>,
}

impl Budgets {
    /// The service over `store`, writing through `partner_center`, by `settings`; the
    /// reconciler reads back with the editors' tokens from `auth`, and waits for a change's
    /// request to land as long as `partner_center_settings`' time-out and retries allow.
    /// Outcomes are counted in `metrics`.
    pub fn new(
        store: Store,
        partner_center: PartnerCenterClient,
        auth: Auth,
        settings: BudgetSettings,
        partner_center_settings: &PartnerCenterSettings,
        instance_id: String,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            landing_window: read_back::landing_window(partner_center_settings, &settings),
            store,
            partner_center,
            auth,
            settings,
            instance_id,
            metrics,
        }
    }

    /// Makes the change with the person's delegated `token`, following the protocol above.
    ///
    /// # Errors
    /// [`BudgetError::SignInRequired`] for a 401 (the change is recorded as not applied), and
    /// [`BudgetError::Store`] when the intent could not be recorded (nothing was sent).
    #[tracing::instrument(skip_all, fields(customer_id = %request.customer.customer_id, user = %request.user_id))]
    pub async fn change_budget(
        &self,
        token: &AccessToken,
        request: ChangeRequest,
    ) -> Result<ChangeResult, BudgetError> {
        let customer = request.customer.customer_id;
        let wait = Duration::from_secs(self.settings.lock_wait_seconds);
        let Some(lock) =
            WriterLock::acquire(&self.store, &customer, &self.instance_id, wait).await?
        else {
            return Ok(ChangeResult::Busy);
        };
        let intent = request.intent();
        let change_id = match self.store.record_budget_change(&intent).await {
            Ok(id) => id,
            Err(e) => {
                lock.release().await;
                return Err(e.into());
            }
        };
        let attempt = Attempt {
            budgets: self.clone(),
            change_id,
            intent,
            token: token.clone(),
        };
        attempt.run(lock).await
    }
}

impl ChangeRequest {
    /// The change as recorded before anything is sent, under a new request id.
    fn intent(self) -> BudgetChangeIntent {
        let currency = self.customer.currency().clone();
        let new_amount = match self.change {
            BudgetChange::Set(amount) => Some(amount.amount()),
            BudgetChange::Remove => None,
        };
        BudgetChangeIntent {
            requested_at: Utc::now(),
            user_id: self.user_id,
            user_name: self.user_name,
            customer_id: self.customer.customer_id,
            customer_name: self.customer.company_name,
            seen_amount: in_currency(self.based_on, &currency),
            new_amount: in_currency(new_amount, &currency),
            currency,
            reason: self.reason,
            request_id: Uuid::new_v4(),
            batch_id: self.batch_id,
        }
    }
}

/// One recorded change in progress.
struct Attempt {
    budgets: Budgets,
    change_id: i64,
    intent: BudgetChangeIntent,
    token: AccessToken,
}

impl Attempt {
    /// Reads the current budget, then sends the change if it is still the one the form was
    /// based on.
    async fn run(self, lock: WriterLock) -> Result<ChangeResult, BudgetError> {
        let pc = &self.budgets.partner_center;
        let customer = self.intent.customer_id;
        let current = match pc.usage_budget(&self.token, &customer).await {
            Ok(budget) => budget.amount,
            Err(e) => {
                let decision = not_sent(&e);
                return self.finish(lock, decision, not_sent_result(&e)).await;
            }
        };
        if !same_budget(current, self.intent.seen_amount.as_ref().map(Money::amount)) {
            let decision = BudgetChangeDecision {
                outcome: ChangeOutcome::Conflict,
                held: Some(in_currency(current, &self.intent.currency)),
                decided_by: DecidedBy::Reply,
                error_code: None,
                detail: Some(
                    "the budget had changed in Partner Center since the form was shown".into(),
                ),
            };
            return self
                .finish(lock, decision, Ok(ChangeResult::Conflict { current }))
                .await;
        }
        self.send(lock, current).await
    }

    /// Sends the change (the budget being `current`) and decides by the reply, or reads it
    /// back when the reply does not tell.
    async fn send(
        self,
        lock: WriterLock,
        current: Option<Decimal>,
    ) -> Result<ChangeResult, BudgetError> {
        let intent = &self.intent;
        let sent = self
            .budgets
            .partner_center
            .patch_usage_budget(
                &self.token,
                &intent.customer_id,
                intent.new_amount.as_ref().map(Money::amount),
                intent.request_id,
            )
            .await;
        let e = match sent {
            Ok(update) => {
                let held = update.budget.amount;
                let decision = applied(in_currency(held, &intent.currency));
                let result = Ok(ChangeResult::Applied { held });
                return self.finish(lock, decision, result).await;
            }
            Err(e) => e,
        };
        match e.write_fate() {
            WriteFate::NotApplied => {
                let decision = refused(&e, in_currency(current, &intent.currency));
                self.finish(lock, decision, refusal_result(&e)).await
            }
            WriteFate::Unknown { may_still_land } => {
                tracing::warn!(error = %e, may_still_land, "a budget PATCH's outcome is unknown; reading it back");
                let settle = Duration::from_secs(self.budgets.settings.settle_seconds);
                let now = tokio::time::Instant::now();
                let until = if may_still_land { now + settle } else { now };
                let check = Check::new(&self.intent, until);
                self.check(lock, check).await
            }
        }
    }

    /// Reads the budget back once; decides if that tells, else goes on in the background.
    async fn check(self, lock: WriterLock, check: Check) -> Result<ChangeResult, BudgetError> {
        let read = self
            .budgets
            .partner_center
            .usage_budget(&self.token, &self.intent.customer_id)
            .await
            .map(|b| b.amount);
        match check.verdict(read.as_ref().ok().copied()) {
            Verdict::Decided(decision) => {
                let result = result_of(&decision);
                self.finish(lock, decision, Ok(result)).await
            }
            Verdict::NotYet => {
                self.budgets.spawn_check(
                    self.token,
                    self.change_id,
                    self.intent.customer_id,
                    check,
                    lock,
                );
                Ok(ChangeResult::Checking)
            }
        }
    }

    /// Records `decision`, updates the stored budget, releases the lock and returns `result`.
    /// When the database fails, keeps trying in the background (lock held) and reports the
    /// outcome as known but unrecorded.
    async fn finish(
        self,
        lock: WriterLock,
        decision: BudgetChangeDecision,
        result: Result<ChangeResult, BudgetError>,
    ) -> Result<ChangeResult, BudgetError> {
        let customer = self.intent.customer_id;
        match self
            .budgets
            .record(self.change_id, &customer, &decision)
            .await
        {
            Ok(()) => {
                lock.release().await;
                result
            }
            Err(e) => {
                tracing::error!(error = %e, change_id = self.change_id, "could not record a budget change's outcome; retrying in the background");
                let known = describe_known(&decision);
                let budgets = self.budgets;
                let change_id = self.change_id;
                tokio::spawn(async move {
                    budgets.complete(change_id, &customer, &decision).await;
                    lock.release().await;
                });
                Ok(ChangeResult::Unrecorded { known })
            }
        }
    }
}

/// How long [`complete`] keeps trying to record an outcome while the database is down
/// (after that, the reconciler takes over).
const RECORD_RETRY_FOR: Duration = Duration::from_secs(600);

impl Budgets {
    /// Records `decision` of change `change_id`, retrying every second while the database
    /// fails.
    async fn complete(
        &self,
        change_id: i64,
        customer: &CustomerId,
        decision: &BudgetChangeDecision,
    ) {
        let deadline = tokio::time::Instant::now() + RECORD_RETRY_FOR;
        loop {
            match self.record(change_id, customer, decision).await {
                Ok(()) => return,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(error = %e, change_id, "recording a budget change outcome: retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, change_id, "gave up recording a budget change outcome; the reconciler will establish it");
                    return;
                }
            }
        }
    }

    /// Stores the budget Partner Center holds (with the status, percentage and forecast that
    /// depend on it) when it is known, then records the decision. In this order, a decided
    /// change is always shown with the budget it found (a failure in between leaves the
    /// change undecided, to be recorded again).
    async fn record(
        &self,
        change_id: i64,
        customer: &CustomerId,
        decision: &BudgetChangeDecision,
    ) -> Result<(), StoreError> {
        if let Some(held) = &decision.held {
            self.store_held_budget(customer, held.as_ref().map(Money::amount))
                .await?;
        }
        if self.store.decide_budget_change(change_id, decision).await? {
            self.metrics.budget_edit(decision.outcome.key());
        }
        Ok(())
    }

    /// Stores `held` as the customer's budget, with the status, percentage used and forecast
    /// that depend on it.
    async fn store_held_budget(
        &self,
        customer: &CustomerId,
        held: Option<Decimal>,
    ) -> Result<(), StoreError> {
        let Some(snapshot) = self.store.snapshot(customer).await? else {
            return Ok(());
        };
        let threshold = self.settings.near_threshold_percent;
        self.store
            .update_snapshot_budget(
                customer,
                held,
                UsageStatus::classify(snapshot.total_cost.amount(), held, threshold),
                percent_used(snapshot.total_cost.amount(), held),
            )
            .await?;
        crate::refresh::reforecast_customer(&self.store, customer, threshold).await
    }
}

/// The decision when the budget could not be read before sending: nothing was sent.
fn not_sent(error: &PartnerCenterError) -> BudgetChangeDecision {
    BudgetChangeDecision {
        outcome: ChangeOutcome::NotApplied,
        held: None,
        decided_by: DecidedBy::Reply,
        error_code: error_code(error),
        detail: Some(not_sent_message(error)),
    }
}

fn not_sent_message(error: &PartnerCenterError) -> String {
    format!(
        "The current budget could not be read, so nothing was sent. {}",
        error.user_message()
    )
}

/// What the person is told when the budget could not be read before sending.
fn not_sent_result(error: &PartnerCenterError) -> Result<ChangeResult, BudgetError> {
    if error.is_unauthorized() {
        return Err(BudgetError::SignInRequired);
    }
    Ok(ChangeResult::NotApplied {
        message: not_sent_message(error),
    })
}

/// Whether Partner Center refused the request itself (400, 403, 404 and other 4xx but 401
/// and 429), as opposed to not being reached or throttling.
fn is_refusal(error: &PartnerCenterError) -> bool {
    matches!(
        error,
        PartnerCenterError::BadRequest { .. }
            | PartnerCenterError::Forbidden { .. }
            | PartnerCenterError::NotFound { .. }
            | PartnerCenterError::Rejected { .. }
    )
}

/// The decision for a PATCH Partner Center certainly did not apply.
/// A budget as Partner Center's `usagebudget` gives it (an amount only; `None`: no budget),
/// in the change's `currency`.
fn in_currency(amount: Option<Decimal>, currency: &Currency) -> Option<Money> {
    amount.map(|amount| Money::new(amount, currency.clone()))
}

/// The decision of a change Partner Center applied, now holding `held`.
fn applied(held: Option<Money>) -> BudgetChangeDecision {
    BudgetChangeDecision {
        outcome: ChangeOutcome::Applied,
        held: Some(held),
        decided_by: DecidedBy::Reply,
        error_code: None,
        detail: None,
    }
}

fn refused(error: &PartnerCenterError, current: Option<Money>) -> BudgetChangeDecision {
    BudgetChangeDecision {
        outcome: if is_refusal(error) {
            ChangeOutcome::Refused
        } else {
            ChangeOutcome::NotApplied
        },
        held: Some(current),
        decided_by: DecidedBy::Reply,
        error_code: error_code(error),
        detail: Some(error.user_message()),
    }
}

/// What the person is told for a PATCH that certainly changed nothing.
fn refusal_result(error: &PartnerCenterError) -> Result<ChangeResult, BudgetError> {
    if error.is_unauthorized() {
        return Err(BudgetError::SignInRequired);
    }
    let message = error.user_message();
    Ok(if is_refusal(error) {
        ChangeResult::Refused {
            message,
            forbidden: error.is_forbidden(),
        }
    } else {
        ChangeResult::NotApplied { message }
    })
}

/// Partner Center's ApiFault code, else the HTTP status of an error answer.
fn error_code(error: &PartnerCenterError) -> Option<String> {
    let fault = error.fault()?;
    fault.code().map(str::to_owned).or_else(|| match error {
        PartnerCenterError::Rejected { status, .. }
        | PartnerCenterError::Service { status, .. } => Some(status.as_u16().to_string()),
        PartnerCenterError::Unauthorized { .. } => Some("401".into()),
        PartnerCenterError::Forbidden { .. } => Some("403".into()),
        PartnerCenterError::NotFound { .. } => Some("404".into()),
        PartnerCenterError::BadRequest { .. } => Some("400".into()),
        PartnerCenterError::Throttled { .. } => Some("429".into()),
        _ => None,
    })
}

/// The person's view of a decided change.
fn result_of(decision: &BudgetChangeDecision) -> ChangeResult {
    let held = (decision.held.as_ref())
        .and_then(Option::as_ref)
        .map(Money::amount);
    match decision.outcome {
        ChangeOutcome::Applied => ChangeResult::Applied { held },
        ChangeOutcome::Conflict => ChangeResult::Conflict { current: held },
        ChangeOutcome::Superseded => ChangeResult::Superseded { current: held },
        ChangeOutcome::Refused => ChangeResult::Refused {
            message: decision.detail.clone().unwrap_or_default(),
            forbidden: decision.error_code.as_deref() == Some("403"),
        },
        ChangeOutcome::NotApplied => ChangeResult::NotApplied {
            message: decision.detail.clone().unwrap_or_default(),
        },
    }
}

/// One sentence on a decided change that could not be recorded yet.
fn describe_known(decision: &BudgetChangeDecision) -> String {
    match decision.outcome {
        ChangeOutcome::Applied => "Partner Center applied the change.".into(),
        ChangeOutcome::Conflict => {
            "The budget had changed in Partner Center meanwhile, so nothing was sent.".into()
        }
        ChangeOutcome::Refused | ChangeOutcome::NotApplied => {
            "Partner Center did not apply the change.".into()
        }
        ChangeOutcome::Superseded => {
            "Partner Center now holds a budget set elsewhere meanwhile.".into()
        }
    }
}
