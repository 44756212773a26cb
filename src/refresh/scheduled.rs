//! Refreshes that no page request started: the `spendboard refresh` command and the
//! background schedule of `spendboard serve`. The usage routes accept only delegated
//! (App+User) tokens, so these use the stored token of the most recently signed-in user (or
//! of a service account signed in once, Partner Center's "secure application model"),
//! renewed with its refresh token.

use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;

use super::{Progress, RefreshOutcome, Refresher};
use crate::auth::TokenError;
use crate::domain::UserId;
use crate::partner_center::AccessToken;
use crate::periodic::{FirstRound, spawn_every};
use crate::store::LeaseScope;

impl Refresher {
    /// One partner-wide refresh with the newest stored token.
    ///
    /// # Errors
    /// No stored token (nobody signed in yet), a token that can no longer be renewed (that
    /// user must sign in again), or the refresh failed.
    pub async fn refresh_with_stored_token(
        &self,
        on_progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<RefreshOutcome> {
        let token = self.stored_token().await?;
        self.refresh_partner(&token, on_progress).await
    }

    /// The delegated token of the most recently signed-in user (or the service account),
    /// renewed when needed: for work no page request started.
    ///
    /// # Errors
    /// No stored token, or one that can no longer be renewed.
    pub async fn stored_token(&self) -> anyhow::Result<AccessToken> {
        let user_id = self.newest_token_owner().await?;
        self.auth.delegated_token(user_id).await.map_err(|e| match e {
            TokenError::SignInRequired | TokenError::AccessRevoked => anyhow::anyhow!(
                "the stored Partner Center token of user {user_id} can no longer be renewed: that user (or the service account) must sign in to Spendboard again"
            ),
            e => anyhow::Error::new(e).context(format!("the Partner Center token of user {user_id}")),
        })
    }

    async fn newest_token_owner(&self) -> anyhow::Result<UserId> {
        let (user_id, tokens) = self
            .store
            .latest_refreshable_tokens()
            .await?
            .context("no stored Partner Center token: a user (or the service account) must sign in to Spendboard once")?;
        if tokens.expires_at < Utc::now() && tokens.refresh_token.is_none() {
            anyhow::bail!("the stored token of user {user_id} has expired and cannot be renewed");
        }
        Ok(user_id)
    }

    /// Refreshes every `every` in the background, so that the history gets its rows and the
    /// morning's dashboard is fresh even when nobody looked for a while. A failed round is
    /// logged and the next one tries again; single-flight as every refresh. With several
    /// instances, one of them refreshes per period: each round first takes a lease of the
    /// schedule for 90 % of the period (never released, it expires), which the other
    /// instances' rounds of the same period find taken.
    pub fn spawn_schedule(&self, every: Duration) {
        let period =
            chrono::Duration::from_std(every.mul_f64(0.9)).unwrap_or(chrono::Duration::MAX);
        spawn_every(
            every,
            FirstRound::AfterOnePeriod,
            self.clone(),
            move |refresher| async move {
                refresher.scheduled_round(period).await;
            },
        );
    }

    /// One round of [`Refresher::spawn_schedule`]: the refresh, if this instance takes the
    /// schedule's lease for `period`.
    async fn scheduled_round(&self, period: chrono::Duration) {
        let holder = crate::store::unique_holder(&self.instance_id, "schedule");
        match self
            .store
            .try_acquire_lease(LeaseScope::Schedule, &holder, period)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("another instance runs this period's scheduled refresh");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduled refresh skipped: the database did not answer");
                return;
            }
        }
        match self.refresh_with_stored_token(&|_| {}).await {
            Ok(outcome) => tracing::info!(?outcome, "scheduled refresh finished"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "scheduled refresh did not run"),
        }
    }
}
