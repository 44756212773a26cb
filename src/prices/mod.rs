//! Rate card prices: reading the Azure rate card into the store ([`load`]), searching it
//! ([`explorer`]), comparing a meter's price across regions ([`regions`]) and what-if plans
//! of a customer ([`what_if`]). The arithmetic of a price is in
//! `domain::MeterPrice`; docs/rate-card.md describes the whole.

pub mod explorer;
pub mod load;
pub mod regions;
pub mod what_if;

pub use explorer::{Explorer, explore};
pub use load::{LoadOutcome, load_rate_cards, rate_cards_due};
pub use regions::{
    MeterRegions, RegionComparison, RegionPrice, compare_regions, region_comparison,
    subscription_regions,
};
pub use what_if::{CheckedLine, LineInput, PlanEvaluation, PlanInput, evaluate};

use crate::partner_center::{AccessToken, PartnerCenterClient};
use crate::periodic::{FirstRound, spawn_every};
use crate::refresh::Refresher;
use crate::store::{LeaseScope, Store};

/// Reading the rate cards in the background, with what that needs and nothing else.
#[derive(Clone)]
pub struct RateCards {
    store: Store,
    partner_center: PartnerCenterClient,
    /// Runs the read single-flight across instances (lease [`LeaseScope::RateCards`]) and
    /// gives the schedule its stored token.
    refresher: Refresher,
}

impl RateCards {
    /// The service over `store`, reading from `partner_center`.
    pub fn new(store: Store, partner_center: PartnerCenterClient, refresher: Refresher) -> Self {
        Self {
            store,
            partner_center,
            refresher,
        }
    }

    /// Reads the rate cards in the background with `token`, unless a read holds the lease
    /// (in this instance or another).
    pub fn spawn_load(&self, token: AccessToken) {
        let (store, partner_center) = (self.store.clone(), self.partner_center.clone());
        self.refresher
            .spawn_single_flight(LeaseScope::RateCards, move |_| async move {
                let outcomes = load_rate_cards(&store, &partner_center, &token).await?;
                tracing::info!(?outcomes, "rate cards read");
                Ok(())
            });
    }

    /// Checks every `every` whether the rate cards are due (see [`rate_cards_due`]) and then
    /// reads them with the stored token of the most recently signed-in user, so they stay
    /// within a day old even when nobody opens the price explorer. Single-flight across
    /// instances (the read's lease); a failed round is logged and the next one tries again.
    pub fn spawn_schedule(self, every: std::time::Duration) {
        spawn_every(
            every,
            FirstRound::AfterOnePeriod,
            self,
            |cards| async move {
                match rate_cards_due(&cards.store, chrono::Utc::now()).await {
                    Ok(true) => match cards.refresher.stored_token().await {
                        Ok(token) => cards.spawn_load(token),
                        Err(e) => tracing::warn!(error = format!("{e:#}"), "rate cards not read"),
                    },
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "rate card schedule: the database did not answer")
                    }
                }
            },
        );
    }
}
