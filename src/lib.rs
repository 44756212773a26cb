//! Spendboard: every CSP customer's Azure spend of the billing period against its Partner
//! Center spending budget.

pub mod alerts;
pub mod auth;
pub mod budgets;
pub mod bulk;
pub mod check;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod identity;
pub mod metrics;
pub mod outage;
pub mod pages;
pub mod partner_center;
pub mod paths;
pub mod periodic;
pub mod portfolios;
pub mod prices;
pub mod refresh;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
