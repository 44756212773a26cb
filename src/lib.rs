//! Spendboard: every CSP customer's Azure spend of the billing period against its Partner
//! Center spending budget.

pub mod domain;
