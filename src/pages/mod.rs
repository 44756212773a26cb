//! askama view models: one struct per page, each embedding the shared [`Layout`].

mod alerts;
mod bulk;
pub mod charts;
mod customer;
mod dashboard;
mod history;
mod layout;
mod preferences;
mod prices;
mod refresh;
mod simple;
mod subscription;
mod teams;
mod what_if;

pub use crate::domain::format_percent;
pub use alerts::{
    AlertsPage, CustomerAlertsView, DeliveryView, FiringView, RuleForm, RuleSetView, RuleView,
};
pub use bulk::{
    BatchCounts, BatchPage, BatchRowView, BulkFormPage, BulkFormView, OutcomeCsvRow,
    OwnerAssignmentRow, OwnersPreviewPage, UploadErrorPage,
};
pub use customer::{
    BudgetChangeRow, BudgetFormView, BudgetReply, CustomerData, CustomerForms, CustomerPage,
    OwnerFormView, OwnersView, SubscriptionRow,
};
pub use dashboard::{
    CurrencyTotalView, CustomerRow, DashboardData, DashboardPage, OwnerChoice, SetsView, SortLink,
    usage_bar,
};
pub use history::{
    CrossingView, DailyRow, ForecastView, HistorySection, PastPeriodView, PeriodView, TopResources,
    crossing_view, history_section, top_resources,
};
pub use layout::{Layout, billing_period, format_age, format_utc, plan, usd_spend};
pub use preferences::{PreferencesForm, PreferencesPage};
pub use prices::{
    CardView, ExplorerParams, MeterRegionsPage, MeterRegionsView, MeterRowView, OptionView,
    PriceCsvRow, PricesPage, RegionRowView, SubscriptionRegionsPage, TierView, quantity,
    tiers_text, unit_price,
};
pub use refresh::RefreshPage;
pub use simple::{ErrorPage, NoAccessPage, SignInPage};
pub use subscription::{
    CategoryView, EntitlementView, MeterView, ResourceGroupView, ResourceView, SubscriptionData,
    SubscriptionPage, TopResourceView, UtilizationDay, UtilizationRow, UtilizationView,
};
pub use teams::{KeptTeamInput, TeamForm, TeamView, TeamsPage};
pub use what_if::{LineView, PlanRowView, ResultView, WhatIfPage};
