//! What every page shares: the signed-in user, the flash message, the CSRF token for the
//! sign-out form; times, plans, billing periods and USD equivalents in words.

use chrono::{DateTime, Utc};

use crate::auth::SessionUser;
use crate::domain::{Currency, Money};

/// The layout context embedded in every page.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// `None` on pages shown before sign-in.
    pub user_name: Option<String>,
    pub role: Option<&'static str>,
    pub csrf_token: String,
    pub flash: Option<String>,
    /// Demo mode: the sandbox stands in for Microsoft.
    pub demo: bool,
}

impl Layout {
    /// For a signed-in user.
    pub fn for_user(user: &SessionUser, flash: Option<String>, demo: bool) -> Self {
        Self {
            user_name: Some(user.name.clone()),
            role: Some(user.access.label()),
            csrf_token: user.csrf.as_str().to_owned(),
            flash,
            demo,
        }
    }

    /// For pages without a user (sign-in, errors).
    pub fn anonymous(demo: bool) -> Self {
        Self {
            demo,
            ..Self::default()
        }
    }
}

/// `2026-11-21 08:15 UTC`.
pub fn format_utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long ago, for people: `just now`, `12 min ago`, `3 h ago`, `2 days ago`.
pub fn format_age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - at).num_minutes();
    match minutes {
        m if m < 1 => "just now".into(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 48 * 60 => format!("{} h ago", m / 60),
        m => format!("{} days ago", m / (24 * 60)),
    }
}

/// A plan in words: `Azure plan`, or `Legacy (MS-AZR-0145P)` for a legacy subscription or
/// customer.
pub fn plan(azure_plan: bool) -> &'static str {
    if azure_plan {
        "Azure plan"
    } else {
        "Legacy (MS-AZR-0145P)"
    }
}

/// A billing period from `start` to `end` (exclusive) in days: `2026-11-01 to 2026-11-30`.
pub fn billing_period(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "{} to {}",
        start.format("%Y-%m-%d"),
        (end - chrono::Duration::days(1)).format("%Y-%m-%d")
    )
}

/// The USD equivalent of spend in `currency`, shown for an Azure plan billed in another
/// currency when Partner Center gives it.
pub fn usd_spend(usd: Option<&Money>, azure_plan: bool, currency: &Currency) -> Option<String> {
    usd.filter(|_| azure_plan && *currency != Currency::usd())
        .map(ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::Duration;

    #[test]
    fn ages_read_naturally() {
        let now = Utc::now();
        assert_eq!(format_age(now, now), "just now");
        assert_eq!(format_age(now - Duration::minutes(12), now), "12 min ago");
        assert_eq!(format_age(now - Duration::hours(3), now), "3 h ago");
        assert_eq!(format_age(now - Duration::days(3), now), "3 days ago");
    }
}
