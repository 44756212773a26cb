//! The dashboard's query string: search, status filter, owner, sort and page, as the page,
//! its CSV export and the bulk budget form read it.

use serde::Deserialize;

use crate::domain::UsageStatus;
use crate::portfolios::Chosen;
use crate::store::{DashboardQuery, SortKey};

/// The dashboard's query string; unknown or malformed values fall back to the defaults.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardParams {
    pub q: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
    /// Whose customers: `all`, or an owner's sign-in name; absent: "My customers" for
    /// someone who owns any (see [`crate::portfolios::chosen`]).
    pub owner: Option<String>,
}

impl DashboardParams {
    /// The store query these parameters ask for, `page_size` rows per page, over `chosen`:
    /// the CSV export and the page filter and sort alike.
    pub fn query(&self, page_size: u32, chosen: &Chosen) -> DashboardQuery {
        let search = self.q.as_deref().map(str::trim).unwrap_or_default();
        DashboardQuery {
            search: (!search.is_empty()).then(|| search.to_owned()),
            status: self.status.as_deref().and_then(UsageStatus::from_key),
            portfolio: chosen.portfolio(),
            sort: self
                .sort
                .as_deref()
                .and_then(|name| name.parse::<SortKey>().ok())
                .unwrap_or_default(),
            descending: self.dir.as_deref() == Some("desc"),
            page: self
                .page
                .as_deref()
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            page_size,
        }
    }
}
