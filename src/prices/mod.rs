//! Rate card prices: reading the Azure rate card into the store ([`load`]), searching it
//! ([`explorer`]), comparing a meter's price across regions ([`regions`]) and what-if plans
//! of a customer ([`what_if`]). The arithmetic of a price is in
//! `domain::MeterPrice`; docs/rate-card.md describes the whole.

pub mod explorer;
pub mod load;
pub mod regions;
pub mod what_if;

use std::sync::Arc;

pub use explorer::{Explorer, explore};
pub use load::{LoadOutcome, load_rate_cards, rate_cards_due};
pub use regions::{
    MeterRegions, RegionComparison, RegionPrice, compare_regions, region_comparison,
    subscription_regions,
};
pub use what_if::{CheckedLine, LineInput, PlanEvaluation, PlanInput, evaluate};

use crate::partner_center::AccessToken;
use crate::state::AppState;
use crate::store::LeaseScope;

/// Reads the rate cards in the background with `token`, unless a read holds the lease (in
/// this instance or another).
pub fn spawn_rate_card_load(state: Arc<AppState>, token: AccessToken) {
    let refresher = state.refresher.clone();
    refresher.spawn_single_flight(LeaseScope::RateCards, move |_| async move {
        let outcomes = load_rate_cards(&state.store, &state.partner_center, &token).await?;
        tracing::info!(?outcomes, "rate cards read");
        Ok(())
    });
}

/// Checks every `every` whether the rate cards are due (see [`rate_cards_due`]) and then reads
/// them with the stored token of the most recently signed-in user, so they stay within a day
/// old even when nobody opens the price explorer. Single-flight across instances (the
/// read's lease); a failed round is logged and the next one tries again.
pub fn spawn_schedule(state: Arc<AppState>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match rate_cards_due(&state.store, chrono::Utc::now()).await {
                Ok(true) => match state.refresher.stored_token().await {
                    Ok(token) => spawn_rate_card_load(state.clone(), token),
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "rate cards not read"),
                },
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "rate card schedule: the database did not answer")
                }
            }
        }
    });
}
