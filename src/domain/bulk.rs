//! Bulk budget actions: one action applied to many customers, each in its own currency, and
//! what it gives for one customer (the new budget and status, or why it cannot be applied).

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use super::{BudgetAmount, Currency, Money, UsageStatus, same_budget};

/// What to do with every selected customer's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// Set this amount (all selected customers share its currency).
    Set(BudgetAmount, Currency),
    /// Raise (positive) or lower (negative) the current budget by this percentage.
    ChangeByPercent(Decimal),
    /// The spend projected at the end of the billing period plus this percentage.
    ProjectedPlusMargin(Decimal),
    /// Remove the budget.
    Remove,
}

/// Why a percentage is refused, for the person who typed it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PercentError {
    #[error("Enter a percentage, for example 10 or 12.5.")]
    Empty,
    #[error("\"{0}\" is not a percentage. Write a number such as 10 or 12.5 (no % sign needed).")]
    NotANumber(String),
    #[error("The percentage must be between {min} and {max}.")]
    OutOfRange { min: Decimal, max: Decimal },
}

/// Parses a percentage as typed (`10`, `-5`, `12.5`, a trailing `%` allowed), between `min`
/// (exclusive when negative: a budget cannot go down by 100 % or more) and `max`, and not 0
/// when `min` is negative (raising or lowering by nothing changes nothing).
///
/// # Errors
/// [`PercentError`] saying what is wrong.
pub fn parse_percent(input: &str, min: Decimal, max: Decimal) -> Result<Decimal, PercentError> {
    let text = input.trim().trim_end_matches('%').trim();
    if text.is_empty() {
        return Err(PercentError::Empty);
    }
    let valid = text
        .strip_prefix(['-', '+'])
        .unwrap_or(text)
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    let value = Decimal::from_str(text)
        .ok()
        .filter(|_| valid)
        .ok_or_else(|| PercentError::NotANumber(input.trim().to_owned()))?;
    let below = if min.is_sign_negative() {
        value <= min
    } else {
        value < min
    };
    if below || value > max || (min.is_sign_negative() && value.is_zero()) {
        return Err(PercentError::OutOfRange { min, max });
    }
    Ok(value)
}

/// One customer's figures, each in its billing currency (that of the spend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFigures {
    /// Spend of the billing period.
    pub spend: Money,
    /// Current budget; `None` for none.
    pub budget: Option<Money>,
    /// Spend projected at the end of the billing period, when there is a projection.
    pub projected: Option<Money>,
}

/// What an action gives for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// The new budget (`None`: removed) and the status it gives.
    Change {
        /// The new budget, in the customer's currency.
        new: Option<Money>,
        /// The status with it, today's spend and projection.
        status: UsageStatus,
    },
    /// Cannot be applied, for this reason (in words).
    Skip(String),
}

impl BulkAction {
    /// The action in words, e.g. "Raise by 10 %".
    pub fn describe(&self) -> String {
        match self {
            Self::Set(amount, currency) => {
                format!("Set to {}", Money::new(amount.amount(), currency.clone()))
            }
            Self::ChangeByPercent(p) if p.is_sign_negative() => {
                format!("Lower by {} %", p.abs().normalize())
            }
            Self::ChangeByPercent(p) => format!("Raise by {} %", p.normalize()),
            Self::ProjectedPlusMargin(m) => {
                format!("Set to the projected month-end spend + {} %", m.normalize())
            }
            Self::Remove => "Remove the budget".into(),
        }
    }

    /// What this action gives for a customer with `figures`: the new budget, rounded half
    /// away from zero to the currency's decimals and below `maximum`, or why it cannot be
    /// applied (another currency, no budget to change, no projection, above the maximum,
    /// unchanged). `near_threshold` in percent, as for [`UsageStatus::classify_projected`].
    pub fn plan(
        &self,
        figures: &CustomerFigures,
        maximum: Decimal,
        near_threshold: Decimal,
    ) -> Planned {
        let currency = figures.spend.currency();
        let scaled = |base: &Money, percent: Decimal| {
            let scaled = base.amount() * (Decimal::ONE_HUNDRED + percent) / Decimal::ONE_HUNDRED;
            scaled.round_dp_with_strategy(
                currency.minor_units(),
                RoundingStrategy::MidpointAwayFromZero,
            )
        };
        let new = match self {
            Self::Set(amount, set_currency) => {
                if set_currency != currency {
                    return Planned::Skip(format!(
                        "billed in {currency}, not {set_currency}: set its amount in a separate change"
                    ));
                }
                Some(amount.amount())
            }
            Self::ChangeByPercent(percent) => match &figures.budget {
                Some(budget) => Some(scaled(budget, *percent)),
                None => return Planned::Skip("no budget to raise or lower".into()),
            },
            Self::ProjectedPlusMargin(margin) => match &figures.projected {
                Some(projected) => Some(scaled(projected, *margin)),
                None => return Planned::Skip("no projection yet".into()),
            },
            Self::Remove => None,
        };
        if let Some(amount) = new
            && amount >= maximum
        {
            return Planned::Skip(format!(
                "{} is not below the maximum budget of {}",
                Money::new(amount, currency.clone()),
                Money::new(maximum, currency.clone())
            ));
        }
        if same_budget(new, figures.budget.as_ref().map(Money::amount)) {
            return Planned::Skip("unchanged: the budget is already that".into());
        }
        Planned::Change {
            new: new.map(|amount| Money::new(amount, currency.clone())),
            status: UsageStatus::classify_projected(
                figures.spend.amount(),
                figures.projected.as_ref().map(Money::amount),
                new,
                near_threshold,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn money(amount: &str, currency: &str) -> Money {
        Money::new(d(amount), Currency::parse(currency).unwrap())
    }

    fn figures(
        currency: &str,
        spend: &str,
        budget: Option<&str>,
        projected: Option<&str>,
    ) -> CustomerFigures {
        let money = |amount| money(amount, currency);
        CustomerFigures {
            spend: money(spend),
            budget: budget.map(money),
            projected: projected.map(money),
        }
    }

    fn plan(action: &BulkAction, f: &CustomerFigures) -> Planned {
        action.plan(f, d("100000"), d("80"))
    }

    #[test]
    fn percentages_round_to_the_currencys_decimals_and_give_the_new_status() {
        let raise = BulkAction::ChangeByPercent(d("10"));
        assert_eq!(
            plan(&raise, &figures("EUR", "95", Some("100.05"), Some("120"))),
            Planned::Change {
                new: Some(money("110.06", "EUR")),
                status: UsageStatus::NearBudget
            }
        );
        assert_eq!(
            plan(&raise, &figures("JPY", "100", Some("1005"), None)),
            Planned::Change {
                new: Some(money("1106", "JPY")),
                status: UsageStatus::WithinBudget
            }
        );
        let lower = BulkAction::ChangeByPercent(d("-50"));
        assert_eq!(
            plan(&lower, &figures("USD", "60", Some("100"), Some("70"))),
            Planned::Change {
                new: Some(money("50", "USD")),
                status: UsageStatus::OverBudget
            }
        );
        assert!(matches!(
            plan(&raise, &figures("EUR", "1", None, None)),
            Planned::Skip(reason) if reason.contains("no budget")
        ));
    }

    #[test]
    fn the_projection_plus_margin_needs_a_projection_and_gives_on_pace_or_within() {
        let action = BulkAction::ProjectedPlusMargin(d("5"));
        assert_eq!(
            plan(&action, &figures("GBP", "10", Some("20"), Some("200"))),
            Planned::Change {
                new: Some(money("210", "GBP")),
                status: UsageStatus::WithinBudget
            }
        );
        assert!(matches!(
            plan(&action, &figures("GBP", "10", Some("20"), None)),
            Planned::Skip(reason) if reason.contains("projection")
        ));
    }

    #[test]
    fn another_currency_the_maximum_and_no_change_are_skipped_with_the_reason() {
        let eur = Currency::parse("EUR").unwrap();
        let set = BulkAction::Set(BudgetAmount::parse("500", &eur, d("100000")).unwrap(), eur);
        assert!(matches!(
            plan(&set, &figures("USD", "1", Some("2"), None)),
            Planned::Skip(reason) if reason.contains("billed in USD, not EUR")
        ));
        assert!(matches!(
            plan(&set, &figures("EUR", "1", Some("500.00"), None)),
            Planned::Skip(reason) if reason.starts_with("unchanged")
        ));
        assert!(matches!(
            plan(&BulkAction::ChangeByPercent(d("100")), &figures("EUR", "1", Some("60000"), None)),
            Planned::Skip(reason) if reason.contains("maximum")
        ));
        assert!(matches!(
            plan(&BulkAction::Remove, &figures("EUR", "1", None, None)),
            Planned::Skip(reason) if reason.starts_with("unchanged")
        ));
        assert_eq!(
            plan(&BulkAction::Remove, &figures("EUR", "1", Some("5"), None)),
            Planned::Change {
                new: None,
                status: UsageStatus::NoBudget
            }
        );
    }

    #[test]
    fn percentages_are_parsed_strictly() {
        let (min, max) = (d("-100"), d("1000"));
        assert_eq!(parse_percent(" 12.5 % ", min, max), Ok(d("12.5")));
        assert_eq!(parse_percent("-5", min, max), Ok(d("-5")));
        assert_eq!(parse_percent("", min, max), Err(PercentError::Empty));
        for bad in ["1,5", "ten", "1e3", "--5", "5-"] {
            assert!(
                matches!(
                    parse_percent(bad, min, max),
                    Err(PercentError::NotANumber(_))
                ),
                "{bad}"
            );
        }
        for out in ["-100", "1000.1", "0"] {
            assert!(
                matches!(
                    parse_percent(out, min, max),
                    Err(PercentError::OutOfRange { .. })
                ),
                "{out}"
            );
        }
        assert_eq!(parse_percent("0", Decimal::ZERO, max), Ok(Decimal::ZERO));
    }
}
