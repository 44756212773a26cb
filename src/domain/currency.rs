//! ISO 4217 currencies as Partner Center reports them: `currencyCode` for Azure plan
//! customers, `currencyLocale` (a culture name such as `fr-FR`) for legacy ones.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a currency could not be determined.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CurrencyError {
    /// Not three ASCII letters.
    #[error("{0:?} is not an ISO 4217 currency code")]
    InvalidCode(String),
    /// A legacy `currencyLocale` whose currency we do not know.
    #[error("the currency of locale {0:?} is not known")]
    UnknownLocale(String),
}

/// An ISO 4217 currency code, upper-case, e.g. `EUR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

/// The billing currency of each locale that legacy (MS-AZR-0145P) customers are reported in.
const LOCALE_CURRENCIES: &[(&str, &str)] = &[
    ("en-US", "USD"),
    ("es-US", "USD"),
    ("en-GB", "GBP"),
    ("en-AU", "AUD"),
    ("en-CA", "CAD"),
    ("fr-CA", "CAD"),
    ("en-NZ", "NZD"),
    ("en-IN", "INR"),
    ("en-ZA", "ZAR"),
    ("en-SG", "SGD"),
    ("en-IE", "EUR"),
    ("fr-FR", "EUR"),
    ("fr-BE", "EUR"),
    ("nl-BE", "EUR"),
    ("de-DE", "EUR"),
    ("de-AT", "EUR"),
    ("es-ES", "EUR"),
    ("it-IT", "EUR"),
    ("nl-NL", "EUR"),
    ("fi-FI", "EUR"),
    ("pt-PT", "EUR"),
    ("de-CH", "CHF"),
    ("fr-CH", "CHF"),
    ("sv-SE", "SEK"),
    ("da-DK", "DKK"),
    ("nb-NO", "NOK"),
    ("pl-PL", "PLN"),
    ("cs-CZ", "CZK"),
    ("hu-HU", "HUF"),
    ("ja-JP", "JPY"),
    ("ko-KR", "KRW"),
    ("zh-CN", "CNY"),
    ("zh-TW", "TWD"),
    ("pt-BR", "BRL"),
    ("es-MX", "MXN"),
    ("tr-TR", "TRY"),
];

impl Currency {
    /// Parses an ISO 4217 code in any case (`eur` becomes `EUR`).
    ///
    /// # Errors
    /// [`CurrencyError::InvalidCode`] unless the input is three ASCII letters.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let code = code.trim();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(code.to_ascii_uppercase()))
        } else {
            Err(CurrencyError::InvalidCode(code.to_owned()))
        }
    }

    /// US dollars, the currency of Partner Center's `usdTotalCost`.
    pub fn usd() -> Self {
        Self("USD".to_owned())
    }

    /// The currency of a legacy customer's `currencyLocale` (e.g. `fr-FR` is EUR), matched
    /// case-insensitively.
    ///
    /// # Errors
    /// [`CurrencyError::UnknownLocale`] for a locale not in our table.
    pub fn from_locale(locale: &str) -> Result<Self, CurrencyError> {
        let locale = locale.trim().trim_matches('"');
        LOCALE_CURRENCIES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(locale))
            .map(|(_, code)| Self((*code).to_owned()))
            .ok_or_else(|| CurrencyError::UnknownLocale(locale.to_owned()))
    }

    /// The ISO 4217 code, e.g. `EUR`.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// How many decimal places amounts in this currency have, from ISO 4217's table (JPY 0,
    /// EUR 2, KWD 3, CLF 4); 2 for a code the table does not know or gives none for.
    pub fn minor_units(&self) -> u32 {
        iso_currency::Currency::from_code(&self.0)
            .and_then(iso_currency::Currency::exponent)
            .map_or(2, u32::from)
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased_and_must_be_three_letters() {
        assert_eq!(Currency::parse("sek").unwrap().code(), "SEK");
        assert_eq!(
            Currency::parse("EURO"),
            Err(CurrencyError::InvalidCode("EURO".into()))
        );
        assert!(Currency::parse("E1R").is_err());
    }

    #[test]
    fn yen_has_no_decimals_and_dinar_three() {
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("GBP").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::parse("ISK").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("CLF").unwrap().minor_units(), 4);
        assert_eq!(
            Currency::parse("XXZ").unwrap().minor_units(),
            2,
            "unknown: 2"
        );
    }

    #[test]
    fn legacy_locales_map_to_their_billing_currency() {
        assert_eq!(Currency::from_locale("fr-FR").unwrap().code(), "EUR");
        assert_eq!(Currency::from_locale("\"en-us\"").unwrap().code(), "USD");
        assert_eq!(Currency::from_locale("ja-JP").unwrap().code(), "JPY");
        assert_eq!(
            Currency::from_locale("xx-XX"),
            Err(CurrencyError::UnknownLocale("xx-XX".into()))
        );
    }
}
