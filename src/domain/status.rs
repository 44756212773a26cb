//! Usage against budget: the status rules stated in the UI.

use rust_decimal::Decimal;

/// A percentage rounded half away from zero to one decimal place: `123.5 %` for 123.4568.
/// The one format of "% used" on every page and in every message.
pub fn format_percent(percent: rust_decimal::Decimal) -> String {
    let rounded =
        percent.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{rounded:.1} %")
}

/// Where a customer's spend of the billing period stands against its budget.
///
/// Rules: over budget when spend >= budget; near budget when spend >= the near threshold
/// (percent of budget, 80 by default, Partner Center's own notification level); on pace to
/// exceed when the projected spend at the end of the billing period >= budget; no budget
/// when the amount is absent.
///
/// A customer has exactly one status; when several rules hold, the most urgent wins, in
/// the order of the variants: over > near > on pace > within > no budget. So a customer
/// near its budget and on pace to exceed it shows "Near budget".
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
pub enum UsageStatus {
    #[strum(serialize = "over")]
    OverBudget,
    #[strum(serialize = "near")]
    NearBudget,
    #[strum(serialize = "onpace")]
    OnPace,
    #[strum(serialize = "within")]
    WithinBudget,
    #[strum(serialize = "none")]
    NoBudget,
}

impl UsageStatus {
    /// Classifies `spend` against `budget` (same currency), with `near_threshold` in percent,
    /// without a projection: never [`UsageStatus::OnPace`]. See
    /// [`UsageStatus::classify_projected`].
    pub fn classify(spend: Decimal, budget: Option<Decimal>, near_threshold: Decimal) -> Self {
        Self::classify_projected(spend, None, budget, near_threshold)
    }

    /// Classifies `spend` against `budget` (same currency), with `near_threshold` in percent
    /// and `projected`, the spend projected at the end of the billing period (`None` when
    /// there is no projection). The most urgent rule that holds wins.
    pub fn classify_projected(
        spend: Decimal,
        projected: Option<Decimal>,
        budget: Option<Decimal>,
        near_threshold: Decimal,
    ) -> Self {
        match budget {
            None => Self::NoBudget,
            Some(budget) if spend >= budget => Self::OverBudget,
            Some(budget) if spend * Decimal::ONE_HUNDRED >= budget * near_threshold => {
                Self::NearBudget
            }
            Some(budget) if projected.is_some_and(|p| p >= budget) => Self::OnPace,
            Some(_) => Self::WithinBudget,
        }
    }

    /// A stable key for storage and query strings: `over`, `near`, `onpace`, `within`,
    /// `none`.
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// Every status, most urgent first.
    pub const ALL: [Self; 5] = [
        Self::OverBudget,
        Self::NearBudget,
        Self::OnPace,
        Self::WithinBudget,
        Self::NoBudget,
    ];

    /// The inverse of [`UsageStatus::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    /// The text shown to people (never colour alone).
    pub fn label(self) -> &'static str {
        match self {
            Self::OverBudget => "Over budget",
            Self::NearBudget => "Near budget",
            Self::OnPace => "On pace to exceed",
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
    #[test]
    fn percentages_are_rounded_not_truncated() {
        let p = |s: &str| format_percent(s.parse().unwrap());
        assert_eq!(p("123.4568"), "123.5 %");
        assert_eq!(p("123.45"), "123.5 %");
        assert_eq!(p("123.44"), "123.4 %");
        assert_eq!(p("80"), "80.0 %");
        assert_eq!(p("0.04"), "0.0 %");
    }

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
    fn a_projection_at_or_above_the_budget_is_on_pace_below_the_near_threshold_only() {
        let eighty = d("80");
        let budget = Some(d("100"));
        // 50 spent, 100 projected: on pace (projected >= budget, spend < 80).
        assert_eq!(
            UsageStatus::classify_projected(d("50"), Some(d("100")), budget, eighty),
            UsageStatus::OnPace
        );
        // 99.99 projected stays within.
        assert_eq!(
            UsageStatus::classify_projected(d("50"), Some(d("99.99")), budget, eighty),
            UsageStatus::WithinBudget
        );
        // Near wins over on pace, over wins over both.
        assert_eq!(
            UsageStatus::classify_projected(d("85"), Some(d("150")), budget, eighty),
            UsageStatus::NearBudget
        );
        assert_eq!(
            UsageStatus::classify_projected(d("100"), Some(d("150")), budget, eighty),
            UsageStatus::OverBudget
        );
        // No budget, no pace; no projection, no pace.
        assert_eq!(
            UsageStatus::classify_projected(d("50"), Some(d("1000")), None, eighty),
            UsageStatus::NoBudget
        );
        assert_eq!(
            UsageStatus::classify_projected(d("50"), None, budget, eighty),
            UsageStatus::WithinBudget
        );
    }

    #[test]
    fn keys_round_trip_and_all_lists_statuses_most_urgent_first() {
        for s in UsageStatus::ALL {
            assert_eq!(UsageStatus::from_key(s.key()), Some(s));
        }
        assert!(UsageStatus::ALL.is_sorted());
        assert_eq!(UsageStatus::from_key("onpace"), Some(UsageStatus::OnPace));
    }
}
