//! Evaluation: which thresholds a refresh's snapshots crossed that have not fired yet, and
//! the firing of each with its deliveries.

use std::collections::HashSet;

use url::Url;

use crate::config::AlertSettings;
use crate::domain::{Threshold, ThresholdBasis};
use crate::store::{
    AlertRuleSet, AlertTeam, Channel, CustomerSnapshot, FiringKey, NewDelivery, NewFiring, Store,
    StoreError,
};

use super::message::AlertMessage;
use super::teams::team_webhooks;

/// The recipient of a partner-wide webhook delivery (its URL is configuration, never
/// stored).
const WEBHOOK_RECIPIENT: &str = "webhook";

/// The thresholds of `thresholds` that `snapshot` has crossed: an actual-spend threshold by
/// the spend so far, a forecast threshold by the month-end projection (none without one).
/// A customer without a budget crosses nothing.
pub fn crossed_thresholds(snapshot: &CustomerSnapshot, thresholds: &[Threshold]) -> Vec<Threshold> {
    let Some(budget) = &snapshot.budget else {
        return Vec::new();
    };
    thresholds
        .iter()
        .copied()
        .filter(|t| {
            let value = match t.basis() {
                ThresholdBasis::Actual => Some(&snapshot.total_cost),
                ThresholdBasis::Forecast => snapshot.forecast.as_ref().map(|f| &f.projected_total),
            };
            value.is_some_and(|v| t.is_crossed(v.amount(), budget.amount()))
        })
        .collect()
}

/// Evaluating the alert thresholds after a refresh, with what it needs of the instance and
/// nothing else: the store, where alerts without an owner go, whether a partner-wide webhook
/// exists, and the public URL the messages link to. Cheap to clone.
#[derive(Clone)]
pub struct Evaluator {
    store: Store,
    /// Where alerts of a customer without owners go (`alerts.partner_address`).
    partner_address: Option<String>,
    /// Whether a partner-wide webhook is configured (`alerts.webhook_url`); its URL is
    /// configuration, never stored, and read by the sender.
    partner_webhook: bool,
    /// Where people reach Spendboard, for the links in the messages.
    public_url: Url,
}

impl Evaluator {
    /// The evaluator over `store`, with `alerts.partner_address` and whether
    /// `alerts.webhook_url` is set, of `settings`; messages link to pages under `public_url`.
    pub fn new(store: Store, settings: &AlertSettings, public_url: Url) -> Self {
        Self {
            store,
            partner_address: settings.partner_address.clone(),
            partner_webhook: settings.webhook_url.is_some(),
            public_url,
        }
    }

    /// Records every threshold the `snapshots` (just stored by a refresh) crossed and that has
    /// not fired yet for the customer's billing period and budget, each with its deliveries: an
    /// e-mail to each of the customer's owners (to `alerts.partner_address` when it has none),
    /// one to each webhook of a team an owner is a member of, and, when no such team webhook
    /// exists, the partner-wide webhook if one is configured. The database's unique key decides
    /// what is new, so two instances or a restart evaluating the same crossing record it once.
    /// Returns how many firings were new.
    ///
    /// # Errors
    /// [`StoreError`]; nothing is recorded then (the next refresh tries again).
    #[tracing::instrument(skip_all, fields(customers = snapshots.len()))]
    pub async fn evaluate(&self, snapshots: &[CustomerSnapshot]) -> Result<usize, StoreError> {
        let Some(since) = snapshots.iter().map(|s| s.billing_period_start).min() else {
            return Ok(0);
        };
        let rules: AlertRuleSet = self.store.alert_rule_set().await?;
        let fired: HashSet<FiringKey> = self.store.firing_keys_since(since).await?;
        let teams = self.store.alert_teams().await?;
        let mut firings = Vec::new();
        for snapshot in snapshots {
            let Some(budget) = &snapshot.budget else {
                continue;
            };
            for threshold in crossed_thresholds(snapshot, rules.for_customer(&snapshot.customer_id))
            {
                let key = FiringKey {
                    customer: snapshot.customer_id,
                    threshold,
                    billing_period_start: snapshot.billing_period_start,
                    budget: budget.clone(),
                };
                if fired.contains(&key) {
                    continue;
                }
                let deliveries = self.deliveries(&teams, snapshot, threshold).await?;
                firings.push(NewFiring {
                    key,
                    customer_name: snapshot.company_name.clone(),
                    spend: snapshot.total_cost.clone(),
                    projected: snapshot
                        .forecast
                        .as_ref()
                        .map(|f| f.projected_total.clone()),
                    forecast_method: snapshot.forecast.as_ref().map(|f| f.method.describe()),
                    deliveries,
                });
            }
        }
        if firings.is_empty() {
            return Ok(0);
        }
        let new = self.store.record_firings(&firings).await?;
        tracing::info!(new, "budget alert thresholds fired");
        Ok(new)
    }

    /// The messages of one firing: one e-mail per recipient, one per team webhook of the
    /// owners' `teams` (else the partner-wide webhook's).
    async fn deliveries(
        &self,
        teams: &[AlertTeam],
        snapshot: &CustomerSnapshot,
        threshold: Threshold,
    ) -> Result<Vec<NewDelivery>, StoreError> {
        let message = AlertMessage::new(snapshot, threshold, &self.public_url);
        let (subject, body_text, body_html) = message.render();
        let owners = self.store.owners_of(&snapshot.customer_id).await?;
        let mut webhooks: Vec<(Option<String>, String)> = team_webhooks(teams, &owners)
            .into_iter()
            .map(|(url, names)| (Some(url), names))
            .collect();
        if webhooks.is_empty() && self.partner_webhook {
            webhooks.push((None, WEBHOOK_RECIPIENT.to_owned()));
        }
        let mut recipients: Vec<String> = owners.into_iter().map(String::from).collect();
        if recipients.is_empty() {
            recipients.extend(self.partner_address.clone());
        }
        let mut deliveries: Vec<NewDelivery> = recipients
            .into_iter()
            .map(|recipient| NewDelivery {
                channel: Channel::Email,
                recipient,
                webhook_url: None,
                subject: subject.clone(),
                body_text: body_text.clone(),
                body_html: body_html.clone(),
            })
            .collect();
        deliveries.extend(
            webhooks
                .into_iter()
                .map(|(webhook_url, recipient)| NewDelivery {
                    channel: Channel::Webhook,
                    recipient,
                    webhook_url,
                    subject: subject.clone(),
                    body_text: body_text.clone(),
                    body_html: body_html.clone(),
                }),
        );
        Ok(deliveries)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::{Currency, CustomerId, ForecastMethod, Money, UsageStatus};
    use crate::store::SnapshotForecast;

    fn d(s: &str) -> Money {
        Money::new(
            s.parse::<Decimal>().unwrap(),
            Currency::parse("EUR").unwrap(),
        )
    }

    fn snapshot(spend: &str, budget: Option<&str>, projected: Option<&str>) -> CustomerSnapshot {
        CustomerSnapshot {
            customer_id: CustomerId::parse("5f0c6a55-1b2e-4c8e-9f53-3d6b6b8c9a01").unwrap(),
            company_name: "Contoso".into(),
            domain: None,
            is_azure_plan: true,
            total_cost: d(spend),
            usd_total_cost: None,
            budget: budget.map(d),
            percent_used: None,
            status: UsageStatus::WithinBudget,
            last_modified: Utc::now(),
            billing_period_start: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            fetched_at: Utc::now(),
            forecast: projected.map(|p| SnapshotForecast {
                projected_total: d(p),
                crosses_budget_on: None,
                method: ForecastMethod::RecentDailyAverage { days: 7 },
            }),
        }
    }

    fn rules() -> Vec<Threshold> {
        vec![
            Threshold::new(ThresholdBasis::Actual, 80).unwrap(),
            Threshold::new(ThresholdBasis::Actual, 100).unwrap(),
            Threshold::new(ThresholdBasis::Forecast, 100).unwrap(),
        ]
    }

    #[test]
    fn actual_thresholds_follow_the_spend_and_forecast_ones_the_projection() {
        // 850 of 1000 spent, 1200 projected: 80 % of actual and 100 % of forecast.
        let crossed = crossed_thresholds(&snapshot("850", Some("1000"), Some("1200")), &rules());
        assert_eq!(crossed, vec![rules()[0], rules()[2]]);
        // Without a projection a forecast threshold cannot be crossed.
        let crossed = crossed_thresholds(&snapshot("1000", Some("1000"), None), &rules());
        assert_eq!(crossed, vec![rules()[0], rules()[1]]);
    }

    #[test]
    fn a_customer_without_a_budget_crosses_nothing() {
        assert!(crossed_thresholds(&snapshot("5000", None, Some("9000")), &rules()).is_empty());
    }
}
