//! Every route path of Spendboard, in one place.

use crate::domain::{CustomerId, SubscriptionId};

pub const DASHBOARD: &str = "/";
pub const SIGN_IN: &str = "/sign-in";
pub const AUTH_START: &str = "/auth/start";
pub const AUTH_CALLBACK: &str = "/auth/callback";
pub const SIGN_OUT: &str = "/sign-out";
pub const REFRESH: &str = "/refresh";
pub const HEALTH: &str = "/health";
pub const HEALTH_LIVE: &str = "/health/live";
pub const HEALTH_READY: &str = "/health/ready";
pub const METRICS: &str = "/metrics";
pub const STATIC_FILE: &str = "/static/{name}";
pub const CUSTOMER: &str = "/customers/{customer_id}";
pub const CUSTOMER_BUDGET: &str = "/customers/{customer_id}/budget";
pub const SUBSCRIPTION: &str = "/customers/{customer_id}/subscriptions/{subscription_id}";
pub const CUSTOMERS_CSV: &str = "/customers.csv";
pub const SUBSCRIPTIONS_CSV: &str = "/customers/{customer_id}/subscriptions.csv";
pub const BUDGET_CHANGES_CSV: &str = "/customers/{customer_id}/budget-changes.csv";
pub const RESOURCES_CSV: &str =
    "/customers/{customer_id}/subscriptions/{subscription_id}/resources.csv";
pub const PRICES: &str = "/prices";
pub const PRICES_CSV: &str = "/prices.csv";
pub const PRICES_REFRESH: &str = "/prices/refresh";
pub const METER_REGIONS: &str = "/prices/{currency}/meters/{meter_id}";
pub const WHAT_IF: &str = "/customers/{customer_id}/what-if";
pub const WHAT_IF_DELETE: &str = "/customers/{customer_id}/what-if/plans/{plan_id}/delete";
pub const SUBSCRIPTION_REGIONS: &str =
    "/customers/{customer_id}/subscriptions/{subscription_id}/regions";
pub const METERS_CSV: &str = "/customers/{customer_id}/subscriptions/{subscription_id}/meters.csv";

/// `/customers/{id}`.
pub fn customer(id: &CustomerId) -> String {
    format!("/customers/{id}")
}

/// `/customers/{id}/budget`.
pub fn customer_budget(id: &CustomerId) -> String {
    format!("/customers/{id}/budget")
}

/// `/customers/{id}/subscriptions/{subscription_id}`.
pub fn subscription(id: &CustomerId, subscription: &SubscriptionId) -> String {
    format!("/customers/{id}/subscriptions/{subscription}")
}

/// `/customers/{id}/subscriptions.csv`.
pub fn subscriptions_csv(id: &CustomerId) -> String {
    format!("/customers/{id}/subscriptions.csv")
}

/// `/customers/{id}/budget-changes.csv`.
pub fn budget_changes_csv(id: &CustomerId) -> String {
    format!("/customers/{id}/budget-changes.csv")
}

/// `/customers/{id}/subscriptions/{subscription_id}/resources.csv`.
pub fn resources_csv(id: &CustomerId, subscription: &SubscriptionId) -> String {
    format!("{}/resources.csv", self::subscription(id, subscription))
}

/// `/customers/{id}/subscriptions/{subscription_id}/meters.csv`.
pub fn meters_csv(id: &CustomerId, subscription: &SubscriptionId) -> String {
    format!("{}/meters.csv", self::subscription(id, subscription))
}

/// `/customers/{id}/subscriptions/{subscription_id}/regions`.
pub fn subscription_regions(id: &CustomerId, subscription: &SubscriptionId) -> String {
    format!("{}/regions", self::subscription(id, subscription))
}

/// `/customers/{id}/what-if`.
pub fn what_if(id: &CustomerId) -> String {
    format!("/customers/{id}/what-if")
}

/// `/customers/{id}/what-if/plans/{plan_id}/delete`.
pub fn what_if_delete(id: &CustomerId, plan_id: &str) -> String {
    format!(
        "/customers/{id}/what-if/plans/{}/delete",
        urlencode(plan_id)
    )
}

/// `/prices/{currency}/meters/{meter_id}`: a meter's price in every region.
pub fn meter_regions(currency: &crate::domain::Currency, meter_id: &str) -> String {
    format!("/prices/{currency}/meters/{}", urlencode(meter_id))
}

/// The sign-in page, coming back to `return_to` afterwards.
pub fn sign_in_returning_to(return_to: &str) -> String {
    if return_to == DASHBOARD || !is_local_path(return_to) {
        SIGN_IN.to_owned()
    } else {
        format!("{SIGN_IN}?return_to={}", urlencode(return_to))
    }
}

/// Only paths on our own origin are accepted as post-sign-in targets (no `//host`, no scheme,
/// no backslash tricks).
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.contains("://")
        && !target.chars().any(char::is_control)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_return_targets() {
        assert!(is_local_path("/customers/x?sort=name"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("evil"));
        assert_eq!(sign_in_returning_to("https://evil.example/"), "/sign-in");
        assert_eq!(
            sign_in_returning_to("/customers/a?b=c"),
            "/sign-in?return_to=%2Fcustomers%2Fa%3Fb%3Dc"
        );
    }
}
