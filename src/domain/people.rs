//! People: an account manager is named by the sign-in name they use with Microsoft Entra ID
//! (their UPN, usually their e-mail address). Portfolios name owners this way so a customer
//! can be given to someone before their first sign-in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a sign-in name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "a sign-in name looks like adele@contoso.com (one @, no spaces, at most 256 characters), not {0:?}"
)]
pub struct SignInNameError(String);

/// A sign-in name (UPN), compared case-insensitively and kept lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SignInName(String);

impl SignInName {
    /// Parses a sign-in name: trimmed, lower-cased, `local@domain` with both parts present,
    /// no whitespace, at most 256 characters.
    ///
    /// # Errors
    /// [`SignInNameError`] otherwise.
    pub fn parse(input: &str) -> Result<Self, SignInNameError> {
        let name = input.trim().to_lowercase();
        let valid = name.len() <= 256
            && !name.chars().any(char::is_whitespace)
            && matches!(name.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if valid {
            Ok(Self(name))
        } else {
            Err(SignInNameError(input.to_owned()))
        }
    }

    /// The lower-case sign-in name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SignInName {
    type Err = SignInNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SignInName {
    type Error = SignInNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SignInName> for String {
    fn from(name: SignInName) -> String {
        name.0
    }
}

impl fmt::Display for SignInName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_names_are_trimmed_and_lower_cased() {
        let name = SignInName::parse("  Adele.Vance@Contoso.COM ").unwrap();
        assert_eq!(name.as_str(), "adele.vance@contoso.com");
        assert_eq!(name, SignInName::parse("adele.vance@contoso.com").unwrap());
    }

    #[test]
    fn what_is_not_a_sign_in_name_is_refused_with_the_input() {
        for bad in [
            "",
            "adele",
            "@contoso.com",
            "adele@",
            "a b@contoso.com",
            "a@b@c",
        ] {
            let err = SignInName::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains(&format!("{bad:?}")),
                "{bad}: {err}"
            );
        }
        assert!(SignInName::parse(&format!("{}@contoso.com", "a".repeat(250))).is_err());
    }
}
