//! Budget alert thresholds: a percentage of a customer's budget, on the spend so far or on
//! the month-end projection. Pure rules; when a threshold counts as crossed is stated once,
//! here.

use std::fmt;

use rust_decimal::Decimal;

/// What a threshold compares with the budget; stored and submitted as `actual` or
/// `forecast`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum ThresholdBasis {
    /// The spend of the billing period so far.
    Actual,
    /// The spend projected at the end of the billing period (see [`super::forecast`]).
    Forecast,
}

impl ThresholdBasis {
    /// The stored and submitted form: `actual` or `forecast`.
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// The basis of a stored or submitted key.
    ///
    /// # Errors
    /// [`ThresholdError::Basis`] for anything else.
    pub fn parse(key: &str) -> Result<Self, ThresholdError> {
        key.parse().map_err(|_| ThresholdError::Basis)
    }

    /// In words, for pages and messages: `actual spend`, `forecast spend`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Actual => "actual spend",
            Self::Forecast => "forecast spend",
        }
    }
}

/// Why a threshold was refused; the message is for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// Not a whole number from 1 to 1000.
    #[error("Enter a whole percentage from 1 to 1000, such as 80 (you entered {0:?}).")]
    Percent(String),
    /// Neither actual nor forecast.
    #[error("Choose actual spend or forecast spend.")]
    Basis,
}

/// A threshold: `percent` % of the budget on `basis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Threshold {
    basis: ThresholdBasis,
    percent: u16,
}

/// The lowest and highest percentages a threshold may have.
pub const THRESHOLD_PERCENT_RANGE: std::ops::RangeInclusive<u16> = 1..=1000;

impl Threshold {
    /// A threshold of `percent` (1 to 1000) on `basis`.
    ///
    /// # Errors
    /// [`ThresholdError::Percent`] outside 1 to 1000.
    pub fn new(basis: ThresholdBasis, percent: u16) -> Result<Self, ThresholdError> {
        if THRESHOLD_PERCENT_RANGE.contains(&percent) {
            Ok(Self { basis, percent })
        } else {
            Err(ThresholdError::Percent(percent.to_string()))
        }
    }

    /// Parses what a person typed: a whole number from 1 to 1000, optionally followed by
    /// `%`, surrounding spaces ignored. `80.5`, `0`, `1001`, `eighty` are refused, never
    /// rounded or guessed.
    ///
    /// # Errors
    /// [`ThresholdError`] with a sentence for the person.
    pub fn parse(basis: &str, percent: &str) -> Result<Self, ThresholdError> {
        let basis = ThresholdBasis::parse(basis)?;
        let digits = percent.trim().trim_end_matches('%').trim_end();
        let refused = || ThresholdError::Percent(percent.to_owned());
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refused());
        }
        let value: u16 = digits.parse().map_err(|_| refused())?;
        Self::new(basis, value).map_err(|_| refused())
    }

    /// What the threshold compares.
    pub fn basis(&self) -> ThresholdBasis {
        self.basis
    }

    /// The percentage of the budget, 1 to 1000.
    pub fn percent(&self) -> u16 {
        self.percent
    }

    /// Whether `value` (spend so far or projected, in the budget's currency) crossed this
    /// threshold of `budget`: `value ≥ budget × percent / 100`, compared exactly, and only
    /// when something was spent (a budget of zero is crossed by the first spend, not by
    /// nothing).
    pub fn is_crossed(&self, value: Decimal, budget: Decimal) -> bool {
        value > Decimal::ZERO
            && value * Decimal::ONE_HUNDRED >= budget * Decimal::from(self.percent)
    }
}

impl fmt::Display for Threshold {
    /// `80 % of actual spend`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} % of {}", self.percent, self.basis.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn percentages_are_whole_numbers_from_1_to_1000() {
        let t = Threshold::parse("actual", " 80 % ").unwrap();
        assert_eq!((t.basis(), t.percent()), (ThresholdBasis::Actual, 80));
        assert_eq!(
            Threshold::parse("forecast", "1000").unwrap().percent(),
            1000
        );
        for bad in [
            "0",
            "1001",
            "80.5",
            "-5",
            "",
            "eighty",
            "1e2",
            "99999999999",
        ] {
            assert_eq!(
                Threshold::parse("actual", bad),
                Err(ThresholdError::Percent(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            Threshold::parse("monthly", "80"),
            Err(ThresholdError::Basis)
        );
    }

    #[test]
    fn a_threshold_is_crossed_at_exactly_its_share_of_the_budget() {
        let eighty = Threshold::new(ThresholdBasis::Actual, 80).unwrap();
        // 80 % of 1,234.56 is 987.648.
        assert!(!eighty.is_crossed(d("987.64"), d("1234.56")));
        assert!(eighty.is_crossed(d("987.648"), d("1234.56")));
        let thrice = Threshold::new(ThresholdBasis::Forecast, 300).unwrap();
        assert!(thrice.is_crossed(d("300"), d("100")));
        assert!(!thrice.is_crossed(d("299.99"), d("100")));
        // A zero budget: the first spend crosses it, no spend does not.
        assert!(!eighty.is_crossed(Decimal::ZERO, Decimal::ZERO));
        assert!(eighty.is_crossed(d("0.01"), Decimal::ZERO));
        assert_eq!(eighty.to_string(), "80 % of actual spend");
    }
}
