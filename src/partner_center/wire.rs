//! Deserializers for Partner Center's wire formats: exact decimals and .NET timestamps.
//!
//! Partner Center serialises money and quantities as .NET `decimal`, which can carry more
//! digits than an `f64` holds (`120.5682999999995904716`). These helpers read the number's
//! text through [`RawValue`] and parse it with `rust_decimal`, so nothing passes through a
//! float. `RawValue` only works when the JSON is deserialised straight from bytes or a
//! string with `serde_json`; the models therefore use no `untagged` enums, no `flatten` and
//! no intermediate `serde_json::Value`.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Parses a decimal as Partner Center writes it: a JSON number (possibly with an exponent)
/// or a string holding one. More than 28 significant digits are rounded.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, rust_decimal::Error> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    }
}

/// A decimal read exactly from the JSON text of a number or a numeric string.
struct Exact(Decimal);

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        let number = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        parse_decimal(number)
            .map(Exact)
            .map_err(|e| D::Error::custom(format!("{text} is not a decimal: {e}")))
    }
}

/// `deserialize_with` for a required decimal.
pub(crate) fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    Exact::deserialize(deserializer).map(|e| e.0)
}

/// `deserialize_with` for an optional decimal: absent (with `#[serde(default)]`) or `null`
/// give `None`.
pub(crate) fn optional_decimal<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    Option::<Exact>::deserialize(deserializer).map(|e| e.map(|e| e.0))
}

/// `deserialize_with` for a map whose keys are decimals written as strings and whose values
/// are decimals, such as a rate card meter's `rates` (`{"0": 3.9729}`).
pub(crate) fn decimal_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<Decimal, Decimal>, D::Error> {
    let map = Option::<BTreeMap<String, Exact>>::deserialize(deserializer)?.unwrap_or_default();
    map.into_iter()
        .map(|(key, value)| {
            parse_decimal(&key)
                .map(|k| (k, value.0))
                .map_err(|e| D::Error::custom(format!("{key:?} is not a decimal: {e}")))
        })
        .collect()
}

/// Parses a Partner Center timestamp as UTC: ISO 8601 with an offset or `Z` and up to 7
/// fractional digits, or without an offset (taken as UTC).
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// `deserialize_with` for an optional timestamp (see [`parse_timestamp`]); absent, `null`
/// or an empty string give `None`.
pub(crate) fn optional_timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => parse_timestamp(&text)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{text:?} is not an ISO 8601 timestamp"))),
    }
}

/// `deserialize_with` for a string that may be `null`, read as empty.
pub(crate) fn null_as_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    Option::<String>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(Deserialize)]
    struct Amounts {
        #[serde(deserialize_with = "decimal")]
        exact: Decimal,
        #[serde(default, deserialize_with = "optional_decimal")]
        maybe: Option<Decimal>,
        #[serde(default, deserialize_with = "optional_timestamp")]
        at: Option<DateTime<Utc>>,
    }

    fn amounts(json: &str) -> Amounts {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_beyond_f64_precision_are_kept_exactly() {
        let a = amounts(r#"{"exact": 120.5682999999995904716, "maybe": 33.280000000000001044}"#);
        assert_eq!(a.exact.to_string(), "120.5682999999995904716");
        assert_eq!(a.maybe.unwrap().to_string(), "33.280000000000001044");
    }

    #[test]
    fn numbers_in_strings_exponents_and_null_are_accepted() {
        let a = amounts(r#"{"exact": "12.50", "maybe": null}"#);
        assert_eq!(a.exact, Decimal::new(1250, 2));
        assert_eq!(a.maybe, None);
        assert_eq!(amounts(r#"{"exact": 1.5E3}"#).exact, Decimal::from(1500));
        assert_eq!(amounts(r#"{"exact": 25e-2}"#).exact, Decimal::new(25, 2));
        assert_eq!(amounts(r#"{"exact": 1E+2}"#).exact, Decimal::from(100));
        assert_eq!(
            amounts(r#"{"exact": 1.205E+2}"#).exact,
            Decimal::new(1205, 1)
        );
        assert_eq!(amounts(r#"{"exact": "-5E-2"}"#).exact, Decimal::new(-5, 2));
        assert_eq!(amounts(r#"{"exact": 0E+0}"#).exact, Decimal::ZERO);
        assert_eq!(amounts(r#"{"exact": -0.0}"#).exact, Decimal::ZERO);
        assert_eq!(amounts(r#"{"exact": 1}"#).maybe, None);
    }

    #[test]
    fn more_than_28_significant_digits_are_rounded_not_refused() {
        let a = amounts(r#"{"exact": 1.23456789012345678901234567890123}"#);
        // rust_decimal's 96-bit mantissa keeps 28 or 29 significant digits.
        assert_eq!(a.exact.to_string(), "1.2345678901234567890123456789");
        let b = amounts(r#"{"exact": 98765.432109876543210987654321987}"#);
        assert_eq!(b.exact.to_string(), "98765.43210987654321098765432");
    }

    #[test]
    fn non_numbers_are_decode_errors() {
        for json in [
            r#"{"exact": "abc"}"#,
            r#"{"exact": true}"#,
            r#"{"exact": null}"#,
            r#"{"exact": 1e999}"#,
        ] {
            assert!(
                serde_json::from_str::<Amounts>(json).is_err(),
                "{json} was accepted"
            );
        }
    }

    #[test]
    fn timestamps_with_offsets_seven_digit_fractions_or_no_offset_are_utc() {
        let at = |json: &str| amounts(&format!(r#"{{"exact": 0, "at": {json}}}"#)).at;
        assert_eq!(
            at(r#""2019-08-28T00:00:00-07:00""#),
            Some(Utc.with_ymd_and_hms(2019, 8, 28, 7, 0, 0).unwrap())
        );
        let ticks = at(r#""2019-09-17T17:08:11.1433333+00:00""#).unwrap();
        assert_eq!(ticks.timestamp_subsec_nanos(), 143_333_300);
        assert_eq!(
            at(r#""2014-01-01T00:00:00""#),
            Some(Utc.with_ymd_and_hms(2014, 1, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            at(r#""2016-05-10T07:30:05.427Z""#),
            Some(
                Utc.with_ymd_and_hms(2016, 5, 10, 7, 30, 5).unwrap()
                    + chrono::Duration::milliseconds(427)
            )
        );
        assert_eq!(at("null"), None);
        assert!(
            serde_json::from_str::<Amounts>(r#"{"exact":0,"at":"2015-11-25T06: 41: 12Z"}"#)
                .is_err()
        );
    }
}
