//! Establishing an unknown outcome by reading the budget back (`GET
//! /v1/customers/{customer-tenant-id}/usagebudget`), in the request, in the background, and
//! for changes left without an outcome by a crash or a database outage.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use rust_decimal::Decimal;
use tokio::time::Instant;

use super::lock::WriterLock;
use super::{Budgets, in_currency, is_refusal};
use crate::config::{BudgetSettings, PartnerCenterSettings};
use crate::domain::{Currency, CustomerId, Money, same_budget};
use crate::partner_center::AccessToken;
use crate::periodic::{FirstRound, spawn_every};
use crate::store::{
    BudgetChangeDecision, BudgetChangeIntent, BudgetChangeRecord, ChangeOutcome, DecidedBy,
};

/// How often a change being checked is read back.
const POLL: Duration = Duration::from_secs(1);

/// How long a background check goes on reading back when Partner Center cannot be read,
/// after the change could no longer land (the reconciler takes over after that).
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);

/// What a read-back can tell about a change from `before` to `after` (`None`: no budget; in
/// `currency`), given that its request may land until `settled`.
#[derive(Debug, Clone)]
pub(super) struct Check {
    before: Option<Decimal>,
    after: Option<Decimal>,
    currency: Currency,
    settled: Instant,
}

/// The verdict of one read-back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The outcome is a fact.
    Decided(BudgetChangeDecision),
    /// Not yet: read again later.
    NotYet,
}

impl Check {
    /// A check of the change of `intent` whose request may land until `settled`.
    pub(super) fn new(intent: &BudgetChangeIntent, settled: Instant) -> Self {
        Self {
            before: intent.seen_amount.as_ref().map(Money::amount),
            after: intent.new_amount.as_ref().map(Money::amount),
            currency: intent.currency.clone(),
            settled,
        }
    }

    /// The verdict on reading `read` (`None`: the read failed; `Some(None)`: no budget).
    ///
    /// The new budget means applied, at once. Anything else is final only once the request
    /// can no longer land: the old budget then means not applied, another one superseded.
    pub(super) fn verdict(&self, read: Option<Option<Decimal>>) -> Verdict {
        let Some(held) = read else {
            return Verdict::NotYet;
        };
        let decision = |outcome, detail: &str| {
            Verdict::Decided(BudgetChangeDecision {
                outcome,
                held: Some(in_currency(held, &self.currency)),
                decided_by: DecidedBy::ReadBack,
                error_code: None,
                detail: Some(detail.to_owned()),
            })
        };
        if same_budget(held, self.after) {
            decision(
                ChangeOutcome::Applied,
                "Partner Center's answer did not tell; reading the budget back showed the new amount",
            )
        } else if Instant::now() < self.settled {
            Verdict::NotYet
        } else if same_budget(held, self.before) {
            decision(
                ChangeOutcome::NotApplied,
                "Partner Center's answer did not tell; reading the budget back showed it unchanged",
            )
        } else {
            decision(
                ChangeOutcome::Superseded,
                "reading the budget back showed an amount set elsewhere meanwhile",
            )
        }
    }
}

/// How long after it was requested a change may still land at Partner Center: the lock
/// wait, the read before the PATCH and the PATCH with their retries at the configured
/// time-out each (`pc`), and the settling time (`budgets`).
pub(super) fn landing_window(pc: &PartnerCenterSettings, budgets: &BudgetSettings) -> TimeDelta {
    let calls = u64::try_from(pc.max_retries)
        .unwrap_or(u64::MAX)
        .saturating_add(2);
    let seconds = budgets
        .lock_wait_seconds
        .saturating_add(pc.timeout_seconds.saturating_mul(calls))
        .saturating_add(budgets.settle_seconds);
    // Absurd settings (beyond a century) are held to a century rather than overflowing.
    let century = TimeDelta::days(36_525);
    i64::try_from(seconds)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .map_or(century, |window| window.min(century))
}

impl Budgets {
    /// Reads the budget back every [`POLL`] until the verdict is in. When Partner Center
    /// cannot be read for [`GIVE_UP_AFTER`] past `check`'s settling time, returns `None` and
    /// leaves the change to the reconciler.
    async fn until_decided(
        &self,
        token: &AccessToken,
        customer: &CustomerId,
        check: Check,
    ) -> Option<BudgetChangeDecision> {
        let give_up = check.settled.max(Instant::now()) + GIVE_UP_AFTER;
        loop {
            tokio::time::sleep(POLL).await;
            let read = self.partner_center.usage_budget(token, customer).await;
            if let Err(e) = &read {
                tracing::warn!(error = %e, %customer, "reading back a budget being checked");
                if e.is_unauthorized() || is_refusal(e) || Instant::now() > give_up {
                    return None;
                }
            }
            if let Verdict::Decided(decision) = check.verdict(read.ok().map(|b| b.amount)) {
                return Some(decision);
            }
        }
    }

    /// Checks a change in the background (its lock held) and records the verdict.
    pub(super) fn spawn_check(
        self,
        token: AccessToken,
        change_id: i64,
        customer: CustomerId,
        check: Check,
        lock: WriterLock,
    ) {
        tokio::spawn(async move {
            if let Some(decision) = self.until_decided(&token, &customer, check).await {
                self.complete(change_id, &customer, &decision).await;
            }
            lock.release().await;
        });
    }

    /// Every `every`, completes the changes left without an outcome whose customer lock is
    /// free (their process died, or could not record the outcome): reads the budget back with
    /// the editor's stored token and records what Partner Center holds.
    pub fn spawn_reconciler(&self, every: Duration) {
        spawn_every(every, FirstRound::Now, self.clone(), |budgets| async move {
            if let Err(e) = budgets.reconcile().await {
                tracing::warn!(error = %e, "reconciling budget changes: will try again");
            }
        });
    }

    /// One round of [`Budgets::spawn_reconciler`]; returns how many changes it decided.
    ///
    /// # Errors
    /// The database failed.
    async fn reconcile(&self) -> Result<usize, crate::store::StoreError> {
        let mut decided = 0;
        for change in self.store.undecided_budget_changes(Utc::now()).await? {
            let customer = change.intent.customer_id;
            let Some(lock) =
                WriterLock::try_acquire(&self.store, &customer, &self.instance_id).await?
            else {
                continue;
            };
            if self.reconcile_one(&change).await {
                decided += 1;
            }
            lock.release().await;
        }
        Ok(decided)
    }

    async fn reconcile_one(&self, change: &BudgetChangeRecord) -> bool {
        let intent = &change.intent;
        let token = match self.auth.delegated_token(intent.user_id).await {
            Ok(token) => token,
            Err(e) => {
                tracing::warn!(change_id = change.id, user = %intent.user_id, error = %e, "no usable token to check a budget change (its editor may have to sign in again)");
                return false;
            }
        };
        let read = match self
            .partner_center
            .usage_budget(&token, &intent.customer_id)
            .await
        {
            Ok(budget) => budget.amount,
            Err(e) => {
                tracing::warn!(change_id = change.id, error = %e, "reading back a budget change left without an outcome");
                return false;
            }
        };
        let latest_landing = intent.requested_at + self.landing_window;
        let left = (latest_landing - Utc::now()).to_std().unwrap_or_default();
        let check = Check::new(intent, Instant::now() + left);
        let Verdict::Decided(decision) = check.verdict(Some(read)) else {
            return false;
        };
        tracing::info!(change_id = change.id, outcome = ?decision.outcome, "a budget change left without an outcome was established by reading back");
        self.complete(change.id, &intent.customer_id, &decision)
            .await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_may_land_until_the_lock_wait_every_call_with_its_retries_and_the_settling_time() {
        let pc = PartnerCenterSettings::default();
        let budgets = BudgetSettings::default();
        // 10 s lock wait + (3 retries + 2 calls) x 180 s + 120 s settling.
        assert_eq!(landing_window(&pc, &budgets), TimeDelta::seconds(1030));
    }

    #[test]
    fn absurd_time_outs_give_a_century_not_an_overflow() {
        let pc = PartnerCenterSettings {
            timeout_seconds: u64::MAX / 2,
            ..PartnerCenterSettings::default()
        };
        assert_eq!(
            landing_window(&pc, &BudgetSettings::default()),
            TimeDelta::days(36_525)
        );
    }
}
