//! A quantity a person types (of a meter's unit), parsed the way budget amounts are: no
//! guessing at thousands separators, no negative or absurd values.

use std::fmt;

use rust_decimal::Decimal;

/// The largest quantity accepted: a billion units (far beyond any month of one meter).
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// Why a typed quantity was refused; `Display` is the sentence shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// Nothing typed.
    Empty,
    /// Not a plain decimal number.
    NotANumber,
    /// Below zero.
    Negative,
    /// Above [`MAX_QUANTITY`].
    TooLarge,
    /// More than 8 decimal places.
    TooPrecise,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Enter a quantity."),
            Self::NotANumber => f.write_str(
                "Enter the quantity as a plain number, such as 730 or 12.5 (no thousands separators or units).",
            ),
            Self::Negative => f.write_str("The quantity cannot be negative."),
            Self::TooLarge => f.write_str("The quantity is too large: at most 1,000,000,000."),
            Self::TooPrecise => f.write_str("The quantity can have at most 8 decimal places."),
        }
    }
}

impl std::error::Error for QuantityError {}

/// Parses a typed quantity: digits with an optional `.` and up to 8 decimals; surrounding
/// spaces ignored.
///
/// # Errors
/// [`QuantityError`] with the reason.
pub fn parse_quantity(input: &str) -> Result<Decimal, QuantityError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(QuantityError::Empty);
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit());
    if !plain {
        return Err(QuantityError::NotANumber);
    }
    if text.starts_with('-') {
        return Err(QuantityError::Negative);
    }
    if whole.trim_start_matches('0').len() > 10 {
        return Err(QuantityError::TooLarge);
    }
    if fraction.len() > 8 {
        return Err(QuantityError::TooPrecise);
    }
    let value: Decimal = digits.parse().map_err(|_| QuantityError::NotANumber)?;
    if value > Decimal::from(MAX_QUANTITY) {
        return Err(QuantityError::TooLarge);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_quantities() {
        assert_eq!(parse_quantity(" 730 "), Ok(Decimal::from(730)));
        assert_eq!(parse_quantity("12.5"), Ok("12.5".parse().unwrap()));
        assert_eq!(parse_quantity("0"), Ok(Decimal::ZERO));
        assert_eq!(
            parse_quantity("1000000000"),
            Ok(Decimal::from(MAX_QUANTITY))
        );
        assert_eq!(
            parse_quantity("0.00000001"),
            Ok("0.00000001".parse().unwrap())
        );
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        assert_eq!(parse_quantity(""), Err(QuantityError::Empty));
        assert_eq!(parse_quantity("1,000"), Err(QuantityError::NotANumber));
        assert_eq!(parse_quantity("ten"), Err(QuantityError::NotANumber));
        assert_eq!(parse_quantity("1e3"), Err(QuantityError::NotANumber));
        assert_eq!(parse_quantity("12 GB"), Err(QuantityError::NotANumber));
        assert_eq!(parse_quantity(".5"), Err(QuantityError::NotANumber));
        assert_eq!(parse_quantity("-3"), Err(QuantityError::Negative));
        assert_eq!(parse_quantity("1000000000.5"), Err(QuantityError::TooLarge));
        assert_eq!(
            parse_quantity("99999999999999999999999999999999"),
            Err(QuantityError::TooLarge)
        );
        assert_eq!(
            parse_quantity("1.000000001"),
            Err(QuantityError::TooPrecise)
        );
    }
}
