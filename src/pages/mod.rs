//! askama view models: one struct per page, each embedding the shared [`Layout`].

mod customer;
mod dashboard;
mod layout;
mod refresh;
mod simple;

pub use customer::{AuditRow, BudgetFormView, CustomerPage, SubscriptionRow};
pub use dashboard::{CurrencyTotalView, CustomerRow, DashboardPage, SortLink};
pub use layout::{Layout, format_age, format_utc};
pub use refresh::RefreshPage;
pub use simple::{ErrorPage, NoAccessPage, SignInPage};
