//! Spendboard's domain: identifiers, money, budgets and usage status. Pure and unit-tested;
//! nothing here does I/O.

mod budget;
mod bulk;
mod currency;
mod forecast;
mod ids;
mod money;
mod people;
mod pricing;
mod quantity;
mod status;
mod threshold;
mod what_if;

pub use budget::{BudgetAmount, BudgetAmountError, BudgetChange, same_budget};
pub use bulk::{BulkAction, CustomerFigures, PercentError, Planned, parse_percent};
pub use currency::{Currency, CurrencyError};
pub use forecast::{BillingPeriod, Forecast, ForecastMethod, SpendPoint, forecast};
pub use ids::{CustomerId, IdError, SubscriptionId, UserId};
pub use money::Money;
pub use people::{SignInName, SignInNameError};
pub use pricing::{MeterPrice, PriceError};
pub use quantity::{MAX_QUANTITY, QuantityError, parse_quantity};
pub use status::{UsageStatus, format_percent, percent_used};
pub use threshold::{THRESHOLD_PERCENT_RANGE, Threshold, ThresholdBasis, ThresholdError};
pub use what_if::{Baseline, PlanLine, PlanQuantity, WhatIf, what_if};
