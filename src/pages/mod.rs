//! askama view models: one struct per page, each embedding the shared [`Layout`].

pub mod charts;
mod customer;
mod dashboard;
mod history;
mod layout;
mod prices;
mod refresh;
mod simple;
mod subscription;
mod what_if;

pub use customer::{BudgetChangeRow, BudgetFormView, BudgetReply, CustomerPage, SubscriptionRow};
pub use dashboard::{CurrencyTotalView, CustomerRow, DashboardPage, SortLink};
pub use history::{
    CrossingView, DailyRow, ForecastView, HistorySection, PastPeriodView, PeriodView, TopResources,
    crossing_view, history_section, top_resources,
};
pub use layout::{Layout, format_age, format_percent, format_utc};
pub use prices::{
    CardView, ExplorerParams, MeterRegionsPage, MeterRegionsView, MeterRowView, OptionView,
    PRICE_CSV_HEADER, PricesPage, RegionRowView, SubscriptionRegionsPage, TierView, price_csv_row,
    quantity, tiers_text, unit_price,
};
pub use refresh::RefreshPage;
pub use simple::{ErrorPage, NoAccessPage, SignInPage};
pub use subscription::{
    CategoryView, EntitlementView, MeterView, ResourceGroupView, ResourceView, SubscriptionPage,
    TopResourceView, UtilizationDay, UtilizationRow, UtilizationView,
};
pub use what_if::{LineView, PlanRowView, ResultView, WhatIfPage};
