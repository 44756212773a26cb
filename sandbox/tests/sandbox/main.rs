//! The sandbox test binary: one module per feature.

mod access;
mod budgets;
mod clock;
mod customers;
mod faults;
mod helpers;
mod identity;
mod rate_card;
mod shapes;
mod throttling;
mod totals;
mod utilization;
