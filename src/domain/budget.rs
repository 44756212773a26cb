//! A customer's monthly spending budget as a budget editor types it into the form.
//! "Parse, don't validate": a [`BudgetAmount`] is proof that the amount is acceptable.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::Currency;

/// A valid budget amount: not negative, no more decimal places than the currency has, and
/// below the configured maximum. In the customer's billing currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetAmount(Decimal);

/// What the form asks for: set a budget, or remove it (Partner Center `amount: null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetChange {
    /// Set the budget to this amount.
    Set(BudgetAmount),
    /// Remove the budget.
    Remove,
}

/// Why a typed amount is not a valid budget. Each message is written for the person who
/// typed it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BudgetAmountError {
    #[error("Enter an amount, or choose \"Remove budget\".")]
    Empty,
    #[error("Write the amount without thousands separators, for example 12500 or 12500.50.")]
    ThousandsSeparator,
    #[error("Use a point for decimals, for example 1500.50.")]
    DecimalComma,
    #[error("The budget cannot be negative.")]
    Negative,
    #[error(
        "\"{0}\" is not an amount. Write digits with an optional decimal point, for example 1500.50."
    )]
    NotANumber(String),
    #[error("{currency} amounts have no decimals.")]
    NoDecimalsAllowed { currency: String },
    #[error("{currency} amounts have at most {places} decimal places.")]
    TooManyDecimals { currency: String, places: u32 },
    #[error("The budget must be below {maximum} {currency}.")]
    AboveMaximum { maximum: Decimal, currency: String },
}

impl BudgetAmount {
    /// Parses what was typed for a customer billed in `currency`, refusing amounts of
    /// `maximum` or more (in that currency).
    ///
    /// Accepted: digits with an optional decimal point (`1500`, `1500.5`, `0`). Refused with a
    /// specific message: empty input, a minus sign, thousands separators (`12,500`, `12 500`,
    /// `12'500`, `12.500,00`), a decimal comma (`1500,50`), more decimals than the currency
    /// has, and anything else that is not a number.
    ///
    /// # Errors
    /// The [`BudgetAmountError`] that says what is wrong.
    pub fn parse(
        input: &str,
        currency: &Currency,
        maximum: Decimal,
    ) -> Result<Self, BudgetAmountError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(BudgetAmountError::Empty);
        }
        if text.starts_with('-') || text.starts_with('\u{2212}') {
            return Err(BudgetAmountError::Negative);
        }
        check_separators(text)?;
        if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            || text.bytes().filter(|b| *b == b'.').count() > 1
            || !text.bytes().any(|b| b.is_ascii_digit())
        {
            return Err(BudgetAmountError::NotANumber(text.to_owned()));
        }
        // Decimal places are counted on the text, before any conversion could round them.
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction = fraction.trim_end_matches('0');
        let places = currency.minor_units();
        if fraction.len() > places as usize {
            return Err(if places == 0 {
                BudgetAmountError::NoDecimalsAllowed {
                    currency: currency.code().to_owned(),
                }
            } else {
                BudgetAmountError::TooManyDecimals {
                    currency: currency.code().to_owned(),
                    places,
                }
            });
        }
        let exact = if fraction.is_empty() {
            whole.to_owned()
        } else {
            format!("{whole}.{fraction}")
        };
        let amount = Decimal::from_str(if exact.is_empty() { "0" } else { &exact })
            .map_err(|_| BudgetAmountError::AboveMaximum {
                maximum,
                currency: currency.code().to_owned(),
            })?
            .normalize();
        if amount >= maximum {
            return Err(BudgetAmountError::AboveMaximum {
                maximum,
                currency: currency.code().to_owned(),
            });
        }
        Ok(Self(amount))
    }

    /// The amount in the customer's currency.
    pub fn amount(&self) -> Decimal {
        self.0
    }
}

/// Whether two budgets are the same amount (`100` and `100.00` are), `None` being no budget.
pub fn same_budget(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.normalize() == b.normalize(),
        (None, None) => true,
        _ => false,
    }
}

/// Refuses grouping and decimal-comma notations instead of guessing what they meant.
fn check_separators(text: &str) -> Result<(), BudgetAmountError> {
    if text.contains([' ', '\'', '\u{a0}', '\u{202f}', '_']) {
        return Err(BudgetAmountError::ThousandsSeparator);
    }
    if !text.contains(',') {
        return Ok(());
    }
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (before_point, _) = text.split_once('.').unwrap_or((text, ""));
    let groups: Vec<&str> = before_point.split(',').collect();
    let grouped_thousands = groups.len() > 1
        && groups[0].len() <= 3
        && groups.iter().all(|g| all_digits(g))
        && groups[1..].iter().all(|g| g.len() == 3);
    let decimal_comma = matches!(text.split_once(','), Some((whole, frac))
        if all_digits(whole) && all_digits(frac) && frac.len() <= 2);
    if decimal_comma {
        Err(BudgetAmountError::DecimalComma)
    } else if grouped_thousands || text.contains('.') {
        Err(BudgetAmountError::ThousandsSeparator)
    } else {
        Err(BudgetAmountError::NotANumber(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }
    fn max() -> Decimal {
        Decimal::from(10_000_000)
    }
    fn parse(s: &str) -> Result<Decimal, BudgetAmountError> {
        BudgetAmount::parse(s, &eur(), max()).map(|b| b.amount())
    }

    #[test]
    fn plain_amounts_are_accepted() {
        assert_eq!(parse("1500").unwrap(), Decimal::from(1500));
        assert_eq!(parse(" 1500.50 ").unwrap(), Decimal::new(15005, 1));
        assert_eq!(parse("0").unwrap(), Decimal::ZERO);
        assert_eq!(parse("12.").unwrap(), Decimal::from(12));
        assert_eq!(parse(".5").unwrap(), Decimal::new(5, 1));
        assert_eq!(parse("100.000").unwrap(), Decimal::from(100));
    }

    #[test]
    fn separators_are_refused_not_guessed() {
        assert_eq!(parse("12,500"), Err(BudgetAmountError::ThousandsSeparator));
        assert_eq!(
            parse("1,234,567.89"),
            Err(BudgetAmountError::ThousandsSeparator)
        );
        assert_eq!(
            parse("12.500,00"),
            Err(BudgetAmountError::ThousandsSeparator)
        );
        assert_eq!(parse("12 500"), Err(BudgetAmountError::ThousandsSeparator));
        assert_eq!(parse("12'500"), Err(BudgetAmountError::ThousandsSeparator));
        assert_eq!(parse("1500,50"), Err(BudgetAmountError::DecimalComma));
        assert_eq!(parse("1500,5"), Err(BudgetAmountError::DecimalComma));
    }

    #[test]
    fn negative_empty_and_garbage_are_refused() {
        assert_eq!(parse("-5"), Err(BudgetAmountError::Negative));
        assert_eq!(parse("   "), Err(BudgetAmountError::Empty));
        assert_eq!(
            parse("ten"),
            Err(BudgetAmountError::NotANumber("ten".into()))
        );
        assert_eq!(
            parse("1e5"),
            Err(BudgetAmountError::NotANumber("1e5".into()))
        );
        assert_eq!(
            parse("1.2.3"),
            Err(BudgetAmountError::NotANumber("1.2.3".into()))
        );
        assert_eq!(parse("."), Err(BudgetAmountError::NotANumber(".".into())));
    }

    #[test]
    fn decimals_follow_the_currency() {
        assert_eq!(
            parse("10.505"),
            Err(BudgetAmountError::TooManyDecimals {
                currency: "EUR".into(),
                places: 2
            })
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            BudgetAmount::parse("1000.5", &jpy, max()),
            Err(BudgetAmountError::NoDecimalsAllowed {
                currency: "JPY".into()
            })
        );
        assert_eq!(
            BudgetAmount::parse("1000", &jpy, max()).unwrap().amount(),
            Decimal::from(1000)
        );
    }

    #[test]
    fn decimals_are_counted_on_the_text_before_any_rounding() {
        // 29 decimal places: beyond rust_decimal's 28, which would round it to 0.00.
        assert_eq!(
            parse("0.00000000000000000000000000004"),
            Err(BudgetAmountError::TooManyDecimals {
                currency: "EUR".into(),
                places: 2
            })
        );
        // Trailing zeros are not decimals that matter, however many.
        assert_eq!(
            parse("1.500000000000000000000000000000000").unwrap(),
            Decimal::new(15, 1)
        );
        assert_eq!(parse(".5").unwrap(), Decimal::new(5, 1));
        assert!(matches!(
            parse("99999999999999999999999999999999999"),
            Err(BudgetAmountError::AboveMaximum { .. })
        ));
    }

    #[test]
    fn the_maximum_is_exclusive() {
        assert!(matches!(
            parse("10000000"),
            Err(BudgetAmountError::AboveMaximum { .. })
        ));
        assert!(parse("9999999.99").is_ok());
        assert_eq!(
            parse("10000000").unwrap_err().to_string(),
            "The budget must be below 10000000 EUR."
        );
    }
}
