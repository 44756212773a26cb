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
/// What every static file's path starts with.
pub const STATIC_PREFIX: &str = "/static/";
pub const CUSTOMER: &str = "/customers/{customer_id}";
pub const CUSTOMER_BUDGET: &str = "/customers/{customer_id}/budget";
pub const CUSTOMER_OWNERS: &str = "/customers/{customer_id}/owners";
pub const CUSTOMER_OWNERS_REMOVE: &str = "/customers/{customer_id}/owners/remove";
pub const BULK_PREVIEW: &str = "/bulk/preview";
pub const BULK_UPLOAD: &str = "/bulk/upload";
pub const BULK_OWNERS_PREVIEW: &str = "/bulk/owners/preview";
pub const BULK_OWNERS_UPLOAD: &str = "/bulk/owners/upload";
pub const BULK_OWNERS_CONFIRM: &str = "/bulk/owners/confirm";
pub const BULK_BATCH: &str = "/bulk/batches/{batch_id}";
pub const BULK_CONFIRM: &str = "/bulk/batches/{batch_id}/confirm";
pub const BULK_RETRY: &str = "/bulk/batches/{batch_id}/retry";
pub const BULK_OUTCOMES_CSV: &str = "/bulk/batches/{batch_id}/outcomes.csv";
pub const SUBSCRIPTION: &str = "/customers/{customer_id}/subscriptions/{subscription_id}";
pub const CUSTOMERS_CSV: &str = "/customers.csv";
pub const SUBSCRIPTIONS_CSV: &str = "/customers/{customer_id}/subscriptions.csv";
pub const BUDGET_CHANGES_CSV: &str = "/customers/{customer_id}/budget-changes.csv";
pub const RESOURCES_CSV: &str =
    "/customers/{customer_id}/subscriptions/{subscription_id}/resources.csv";
pub const ALERTS: &str = "/alerts";
pub const PREFERENCES: &str = "/preferences";
pub const ALERT_RULES: &str = "/alerts/rules";
pub const ALERT_RULE_REMOVAL: &str = "/alerts/rules/{rule_id}/remove";
pub const CUSTOMER_ALERT_RULES: &str = "/customers/{customer_id}/alert-rules";
pub const CUSTOMER_ALERT_RULE_REMOVAL: &str =
    "/customers/{customer_id}/alert-rules/{rule_id}/remove";
pub const TEAMS: &str = "/teams";
pub const TEAM_NAME: &str = "/teams/{team_id}/name";
pub const TEAM_WEBHOOK: &str = "/teams/{team_id}/webhook";
pub const TEAM_MEMBERS: &str = "/teams/{team_id}/members";
pub const TEAM_MEMBER_REMOVAL: &str = "/teams/{team_id}/members/remove";
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

/// `/customers/{id}/owners`.
pub fn customer_owners(id: &CustomerId) -> String {
    format!("/customers/{id}/owners")
}

/// `/customers/{id}/owners/remove`.
pub fn customer_owners_remove(id: &CustomerId) -> String {
    format!("/customers/{id}/owners/remove")
}

/// `/bulk/batches/{id}`.
pub fn bulk_batch(id: i64) -> String {
    format!("/bulk/batches/{id}")
}

/// `/bulk/batches/{id}/confirm`.
pub fn bulk_confirm(id: i64) -> String {
    format!("/bulk/batches/{id}/confirm")
}

/// `/bulk/batches/{id}/retry`.
pub fn bulk_retry(id: i64) -> String {
    format!("/bulk/batches/{id}/retry")
}

/// `/bulk/batches/{id}/outcomes.csv`.
pub fn bulk_outcomes_csv(id: i64) -> String {
    format!("/bulk/batches/{id}/outcomes.csv")
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

/// `/teams/{id}/name`: renames the team.
pub fn team_name(team: i64) -> String {
    format!("{TEAMS}/{team}/name")
}

/// `/teams/{id}/webhook`: sets or clears the team's webhook.
pub fn team_webhook(team: i64) -> String {
    format!("{TEAMS}/{team}/webhook")
}

/// `/teams/{id}/members`: adds a member.
pub fn team_members(team: i64) -> String {
    format!("{TEAMS}/{team}/members")
}

/// `/teams/{id}/members/remove`: removes a member.
pub fn team_member_removal(team: i64) -> String {
    format!("{}/remove", team_members(team))
}

/// Where a threshold is added: the partner-wide set (`None`) or the customer's own.
pub fn alert_rules(customer: Option<&CustomerId>) -> String {
    match customer {
        None => ALERT_RULES.to_owned(),
        Some(id) => format!("/customers/{id}/alert-rules"),
    }
}

/// Where threshold `rule` of a set is removed.
pub fn alert_rule_removal(customer: Option<&CustomerId>, rule: i64) -> String {
    format!("{}/{rule}/remove", alert_rules(customer))
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
