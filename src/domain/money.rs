//! An amount of money in one currency.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use super::Currency;

/// An exact amount in a currency. Amounts of different currencies are never added together.
/// Equal (and hashed alike) when the currencies are and the amounts are of the same value:
/// `1000.00 EUR` is `1000 EUR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount as Partner Center reports it (full precision kept).
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// An amount in US dollars, such as Partner Center's `usdTotalCost`.
    pub fn usd(amount: Decimal) -> Self {
        Self::new(amount, Currency::usd())
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// The exact difference `self - other` of two amounts in the same currency; `None` when
    /// the currencies differ (amounts of different currencies are never subtracted either)
    /// or the difference overflows.
    pub fn checked_sub(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        let amount = self.amount.checked_sub(other.amount)?;
        Some(Self::new(amount, self.currency.clone()))
    }

    /// The exact amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The amount rounded half away from zero to the currency's minor units (JPY 0, EUR 2).
    pub fn rounded(&self) -> Decimal {
        self.amount.round_dp_with_strategy(
            self.currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        )
    }

    /// The rounded amount as a plain decimal with no grouping, e.g. `1234.50` (for CSV and
    /// form fields).
    pub fn plain(&self) -> String {
        let mut rounded = self.rounded();
        rounded.rescale(self.currency.minor_units());
        rounded.to_string()
    }

    /// The rounded amount with thousands separators, without the currency, e.g. `1,234.50`.
    pub fn grouped(&self) -> String {
        let plain = self.plain();
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let mut grouped = String::with_capacity(plain.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        match fraction {
            Some(f) => format!("{sign}{grouped}.{f}"),
            None => format!("{sign}{grouped}"),
        }
    }
}

impl fmt::Display for Money {
    /// `1,234.50 EUR`, `98,765 JPY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.grouped(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn money(amount: &str, currency: &str) -> Money {
        Money::new(
            Decimal::from_str(amount).unwrap(),
            Currency::parse(currency).unwrap(),
        )
    }

    #[test]
    fn amounts_are_rounded_to_the_currency_and_grouped() {
        assert_eq!(
            money("120.5682999999995904716", "SEK").to_string(),
            "120.57 SEK"
        );
        assert_eq!(money("1234567.5", "EUR").to_string(), "1,234,567.50 EUR");
        assert_eq!(money("98765.5", "JPY").to_string(), "98,766 JPY");
        assert_eq!(money("0", "GBP").to_string(), "0.00 GBP");
        assert_eq!(money("-1234.005", "USD").to_string(), "-1,234.01 USD");
    }

    #[test]
    fn differences_are_exact_and_never_across_currencies() {
        assert_eq!(
            money("1.25", "JPY").checked_sub(&money("2", "JPY")),
            Some(money("-0.75", "JPY"))
        );
        assert_eq!(
            money("0.3", "EUR").checked_sub(&money("0.1", "EUR")),
            Some(money("0.2", "EUR"))
        );
        assert_eq!(money("1", "EUR").checked_sub(&money("1", "USD")), None);
        assert_eq!(
            money("-79228162514264337593543950335", "EUR").checked_sub(&money("1", "EUR")),
            None
        );
    }

    #[test]
    fn equal_amounts_of_another_scale_are_one_value() {
        use std::collections::HashSet;
        assert_eq!(money("1000.00", "EUR"), money("1000", "EUR"));
        assert_ne!(money("1000", "EUR"), money("1000", "SEK"));
        let set: HashSet<Money> = [money("1000.00", "EUR"), money("1000", "EUR")].into();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn plain_form_has_no_grouping() {
        assert_eq!(money("1234567.5", "EUR").plain(), "1234567.50");
        assert_eq!(money("100", "JPY").plain(), "100");
    }
}
