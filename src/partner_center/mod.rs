//! The Partner Center API client: typed models of the usage, budget, customer, subscription,
//! utilization and rate-card routes (docs/partner-center.md §2-§13), and [`PartnerCenterClient`]
//! with paging, retries, throttling, a bound on concurrent calls and timeouts.

mod client;
mod error;
mod links;
mod models;
mod wire;

pub use client::{
    AccessToken, BudgetUpdate, ClientBuildError, ClientSettings, Collected, PartnerCenterClient,
    UnreadableItem, with_correlation_id,
};
pub use error::{ApiFault, ErrorBody, PartnerCenterError, WriteFate};
pub use links::{Attributes, Link, LinkHeader, Links, ResourceCollection};
pub use models::*;
