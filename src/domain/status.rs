//! Usage against budget: the status rules stated in the UI.

use rust_decimal::Decimal;

/// Where a customer's spend of the billing period stands against its budget.
///
/// Rules: over budget when spend >= budget; near budget when spend >= the near threshold
/// (percent of budget, 80 by default, Partner Center's own notification level); no budget
/// when the amount is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageStatus {
    OverBudget,
    NearBudget,
    WithinBudget,
    NoBudget,
}

impl UsageStatus {
    /// Classifies `spend` against `budget` (same currency), with `near_threshold` in percent.
    pub fn classify(spend: Decimal, budget: Option<Decimal>, near_threshold: Decimal) -> Self {
        match budget {
            None => Self::NoBudget,
            Some(budget) if spend >= budget => Self::OverBudget,
            Some(budget) if spend * Decimal::ONE_HUNDRED >= budget * near_threshold => {
                Self::NearBudget
            }
            Some(_) => Self::WithinBudget,
        }
    }

    /// A stable key for storage and sorting (most urgent first).
    pub fn key(self) -> &'static str {
        match self {
            Self::OverBudget => "over",
            Self::NearBudget => "near",
            Self::WithinBudget => "within",
            Self::NoBudget => "none",
        }
    }

    /// The inverse of [`UsageStatus::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        [
            Self::OverBudget,
            Self::NearBudget,
            Self::WithinBudget,
            Self::NoBudget,
        ]
        .into_iter()
        .find(|s| s.key() == key)
    }

    /// The text shown to people (never colour alone).
    pub fn label(self) -> &'static str {
        match self {
            Self::OverBudget => "Over budget",
            Self::NearBudget => "Near budget",
            Self::WithinBudget => "Within budget",
            Self::NoBudget => "No budget",
        }
    }
}

/// Spend as a percentage of the budget, rounded to 2 decimal places as Partner Center's
/// `percentUsed` is; `None` without a budget or with a budget of zero.
pub fn percent_used(spend: Decimal, budget: Option<Decimal>) -> Option<Decimal> {
    let budget = budget.filter(|b| !b.is_zero())?;
    Some((spend * Decimal::ONE_HUNDRED / budget).round_dp(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn statuses_follow_the_stated_rules() {
        let eighty = d("80");
        assert_eq!(
            UsageStatus::classify(d("100"), Some(d("100")), eighty),
            UsageStatus::OverBudget
        );
        assert_eq!(
            UsageStatus::classify(d("80"), Some(d("100")), eighty),
            UsageStatus::NearBudget
        );
        assert_eq!(
            UsageStatus::classify(d("79.99"), Some(d("100")), eighty),
            UsageStatus::WithinBudget
        );
        assert_eq!(
            UsageStatus::classify(d("5"), None, eighty),
            UsageStatus::NoBudget
        );
        assert_eq!(
            UsageStatus::classify(d("0"), Some(d("0")), eighty),
            UsageStatus::OverBudget
        );
    }

    #[test]
    fn percent_used_matches_partner_centers_worked_example() {
        assert_eq!(
            percent_used(d("120.5682999999995904716"), Some(d("20"))),
            Some(d("602.84"))
        );
        assert_eq!(percent_used(d("1"), Some(d("0"))), None);
        assert_eq!(percent_used(d("1"), None), None);
    }

    #[test]
    fn keys_round_trip() {
        for s in [
            UsageStatus::OverBudget,
            UsageStatus::NearBudget,
            UsageStatus::WithinBudget,
            UsageStatus::NoBudget,
        ] {
            assert_eq!(UsageStatus::from_key(s.key()), Some(s));
        }
    }
}
