//! Portfolios on the dashboard: whose customers a page shows ("My customers", "All
//! customers", or one owner's), chosen from the request and the signed-in person's sign-in
//! name.

use std::sync::Arc;

use crate::domain::SignInName;
use crate::store::{Ownership, Portfolio};

/// The `owner` query value that asks for every customer.
pub const ALL: &str = "all";

/// The set of customers a dashboard page (and its CSV export) covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// Every customer.
    All,
    /// The customers of one owner; `mine` when the owner is the signed-in person.
    Owner {
        /// The owner's customers, as read for this request.
        portfolio: Arc<Portfolio>,
        /// The owner is the signed-in person.
        mine: bool,
    },
}

impl Chosen {
    /// The portfolio to filter by; `None` for every customer.
    pub fn portfolio(&self) -> Option<Arc<Portfolio>> {
        match self {
            Self::All => None,
            Self::Owner { portfolio, .. } => Some(Arc::clone(portfolio)),
        }
    }

    /// The `owner` query value naming this set: [`ALL`] or the owner's sign-in name. Links
    /// always carry it, so "All customers" stays chosen for someone who owns customers.
    pub fn param(&self) -> &str {
        match self {
            Self::All => ALL,
            Self::Owner { portfolio, .. } => portfolio.owner.as_str(),
        }
    }
}

/// The set asked for by the `owner` query value `requested`, among the portfolios of
/// `ownership`: [`ALL`] for every customer, a sign-in name for that owner's customers (none
/// is an empty set, not every customer). Without a value (or with one that is neither), "My
/// customers" when `me` owns any, else every customer.
pub fn chosen(ownership: &Ownership, me: Option<&SignInName>, requested: Option<&str>) -> Chosen {
    let requested = requested.map(str::trim);
    if requested == Some(ALL) {
        return Chosen::All;
    }
    if let Some(owner) = requested.and_then(|r| SignInName::parse(r).ok()) {
        return Chosen::Owner {
            mine: me == Some(&owner),
            portfolio: ownership.portfolio(&owner),
        };
    }
    match me.and_then(|me| ownership.portfolios.get(me)) {
        Some(portfolio) if !portfolio.customers.is_empty() => Chosen::Owner {
            portfolio: Arc::clone(portfolio),
            mine: true,
        },
        _ => Chosen::All,
    }
}
