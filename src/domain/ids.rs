//! Identifiers that are GUIDs: Partner Center's customer tenant ids and subscription ids,
//! which Partner Center writes in either case, and Spendboard's user ids. We compare them
//! case-insensitively and display them lower-case.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string is not a valid identifier.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{kind} must be a GUID such as 6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7, not {input:?}")]
pub struct IdError {
    kind: &'static str,
    input: String,
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            /// Parses a GUID in any case, with or without braces.
            ///
            /// # Errors
            /// [`IdError`] when the input is not a GUID.
            pub fn parse(input: &str) -> Result<Self, IdError> {
                Uuid::parse_str(input.trim()).map(Self).map_err(|_| IdError {
                    kind: $kind,
                    input: input.to_owned(),
                })
            }

            /// The GUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }

        impl fmt::Display for $name {
            /// Lower-case hyphenated GUID.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

guid_id!(
    /// A customer's Microsoft Entra tenant id, which Partner Center uses as the customer id.
    CustomerId,
    "a customer id"
);
guid_id!(
    /// A Partner Center subscription id (for an Azure plan, the plan's id).
    SubscriptionId,
    "a subscription id"
);
guid_id!(
    /// A Spendboard user: their Microsoft Entra object id (`oid`), or, with an identity
    /// provider that has none, a name-based GUID of the provider and its `sub` claim.
    UserId,
    "a user id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_upper_and_lower_case_are_the_same_id() {
        let upper = CustomerId::parse("A356AC8C-E310-44F4-BF85-C7F29044AF99").unwrap();
        let lower = CustomerId::parse("a356ac8c-e310-44f4-bf85-c7f29044af99").unwrap();
        assert_eq!(upper, lower);
        assert_eq!(upper.to_string(), "a356ac8c-e310-44f4-bf85-c7f29044af99");
    }

    #[test]
    fn a_non_guid_is_refused_with_the_input_in_the_message() {
        let err = SubscriptionId::parse("not-a-guid").unwrap_err();
        assert!(err.to_string().contains("\"not-a-guid\""), "{err}");
        assert!(
            err.to_string()
                .starts_with("a subscription id must be a GUID")
        );
    }
}
