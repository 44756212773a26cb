//! Spendboard's integration tests: one test binary, one module per feature. Each test starts
//! the real app and a real sandbox on port 0 with a fresh database.

mod alerts;
mod budget;
mod budget_integrity;
mod budget_soak;
mod bulk;
mod dashboard;
mod databases;
mod drilldown;
mod export;
mod helpers;
mod history;
mod instances;
mod operations;
mod partner_center;
mod portfolios;
mod prices;
mod refresh;
mod security;
mod sign_in;
mod store;
mod truth;
mod what_if;
