//! Partner Center's string enums. Values are matched case-insensitively; a value this
//! client does not know becomes `Other(text)` instead of failing the whole response.

use std::fmt;

use serde::{Deserialize, Deserializer};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this client does not know, as sent.
            Other(String),
        }

        impl $name {
            /// The wire value, e.g. `active`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(text) => text,
                }
            }

            /// Reads a wire value in any case; unknown values become `Other`.
            pub fn from_wire(text: &str) -> Self {
                $(if text.eq_ignore_ascii_case($wire) {
                    return Self::$variant;
                })+
                Self::Other(text.to_owned())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Option::<String>::deserialize(deserializer)
                    .map(|text| Self::from_wire(text.as_deref().unwrap_or_default()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// A subscription's `status` (also on SubscriptionMonthlyUsageRecord).
    SubscriptionStatus {
        /// `none`
        None => "none",
        /// `active`
        Active => "active",
        /// `suspended`
        Suspended => "suspended",
        /// `deleted`
        Deleted => "deleted",
        /// `expired`
        Expired => "expired",
        /// `pending`
        Pending => "pending",
        /// `disabled`
        Disabled => "disabled",
    }
);

wire_enum!(
    /// A customer's `relationshipToPartner`.
    RelationshipToPartner {
        /// `unknown`
        Unknown => "unknown",
        /// `none`
        None => "none",
        /// `reseller`
        Reseller => "reseller",
        /// `advisor`
        Advisor => "advisor",
        /// `syndication`
        Syndication => "syndication",
        /// `microsoft_support`
        MicrosoftSupport => "microsoft_support",
    }
);

wire_enum!(
    /// A subscription's `billingType`: usage-based Azure (legacy and Azure plan) is `usage`.
    BillingType {
        /// `none`
        None => "none",
        /// `usage`
        Usage => "usage",
        /// `license`
        License => "license",
    }
);

wire_enum!(
    /// A subscription's `contractType`.
    ContractType {
        /// `subscription`
        Subscription => "subscription",
        /// `productKey`
        ProductKey => "productKey",
        /// `redemptionCode`
        RedemptionCode => "redemptionCode",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_match_in_any_case_and_unknown_ones_are_kept() {
        let parse = |json: &str| serde_json::from_str::<SubscriptionStatus>(json).unwrap();
        assert_eq!(parse(r#""active""#), SubscriptionStatus::Active);
        assert_eq!(parse(r#""Suspended""#), SubscriptionStatus::Suspended);
        assert_eq!(
            parse(r#""migrating""#),
            SubscriptionStatus::Other("migrating".into())
        );
        assert_eq!(parse(r#""migrating""#).as_str(), "migrating");
        let relationship: RelationshipToPartner =
            serde_json::from_str(r#""microsoft_support""#).unwrap();
        assert_eq!(relationship, RelationshipToPartner::MicrosoftSupport);
        let contract: ContractType = serde_json::from_str(r#""productkey""#).unwrap();
        assert_eq!(contract.to_string(), "productKey");
    }
}
