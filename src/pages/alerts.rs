//! The Alerts page: the partner-wide thresholds (with their form), and what fired, when, to
//! whom, and how each delivery stands.

use askama::Template;
use askama_web::WebTemplate;

use super::{Layout, format_utc};
use crate::alerts::{crossed_thresholds, webhook_host};
use crate::domain::Threshold;
use crate::paths;
use crate::store::{AlertRule, Channel, CustomerSnapshot, DeliveryRecord, FiringRecord};

/// `GET /alerts`.
#[derive(Template, WebTemplate)]
#[template(path = "pages/alerts.html")]
pub struct AlertsPage {
    pub layout: Layout,
    /// The partner-wide thresholds.
    pub rule_set: RuleSetView,
    pub firings: Vec<FiringView>,
    /// No mail relay is configured: e-mails are kept here instead of sent.
    pub catcher: bool,
}

/// A set of thresholds (partner-wide or a customer's own) and the form adding one.
#[derive(Debug, Clone)]
pub struct RuleSetView {
    pub rules: Vec<RuleView>,
    /// The form to add a threshold; budget editors only.
    pub form: Option<RuleForm>,
}

/// The Budget alerts section of the customer page: the thresholds that apply to the
/// customer with their state this billing period, and its own set's form.
#[derive(Debug, Clone)]
pub struct CustomerAlertsView {
    /// Whether the customer has thresholds of its own (else the partner-wide ones apply).
    pub own: bool,
    pub rule_set: RuleSetView,
}

impl CustomerAlertsView {
    /// The section for `snapshot`: its own rules when it has any (removable by budget
    /// editors), else the partner-wide ones, each with its state in the customer's billing
    /// period at its current budget, from `firings` (the customer's latest).
    pub fn new(
        snapshot: &CustomerSnapshot,
        own: &[AlertRule],
        partner_wide: &[AlertRule],
        firings: &[FiringRecord],
        form: Option<RuleForm>,
    ) -> Self {
        let can_edit = form.is_some();
        let (rules, removable) = if own.is_empty() {
            (partner_wide, false)
        } else {
            (own, can_edit)
        };
        Self {
            own: !own.is_empty(),
            rule_set: RuleSetView {
                rules: rules
                    .iter()
                    .map(|rule| RuleView {
                        state: Some(threshold_state(snapshot, firings, rule.threshold)),
                        ..RuleView::of(rule, removable)
                    })
                    .collect(),
                form,
            },
        }
    }
}

/// How `threshold` stands for the customer of `snapshot` this billing period at its current
/// budget, from `firings` (the customer's latest), in words.
fn threshold_state(
    snapshot: &CustomerSnapshot,
    firings: &[FiringRecord],
    threshold: Threshold,
) -> String {
    let Some(budget) = &snapshot.budget else {
        return "no budget, so it does not fire".to_owned();
    };
    let fired = firings.iter().find(|f| {
        f.threshold == threshold
            && f.billing_period_start == snapshot.billing_period_start
            && f.budget.amount() == budget.amount()
    });
    match fired {
        Some(f) => format!("fired {}", format_utc(f.fired_at)),
        None if !crossed_thresholds(snapshot, &[threshold]).is_empty() => {
            "crossed; fires at the next refresh".to_owned()
        }
        None => "not crossed this billing period".to_owned(),
    }
}

/// A threshold of a set, with what removes it.
#[derive(Debug, Clone)]
pub struct RuleView {
    /// `80 % of actual spend`.
    pub text: String,
    /// Its state for a customer: `fired 2026-11-05 08:00 UTC`, `not crossed`.
    pub state: Option<String>,
    /// Where the remove button posts; budget editors only.
    pub remove_action: Option<String>,
}

impl RuleView {
    /// The rule as listed; with `can_edit`, removable at `remove_action(id)`.
    pub fn of(rule: &AlertRule, can_edit: bool) -> Self {
        Self {
            text: rule.threshold.to_string(),
            state: None,
            remove_action: can_edit
                .then(|| paths::alert_rule_removal(rule.customer.as_ref(), rule.id)),
        }
    }
}

/// The add-a-threshold form, with the input kept and the error next to the field.
#[derive(Debug, Clone, Default)]
pub struct RuleForm {
    pub action: String,
    pub csrf_token: String,
    /// `actual` or `forecast`.
    pub basis: String,
    pub percent: String,
    pub error: Option<String>,
}

/// A fired threshold.
#[derive(Debug, Clone)]
pub struct FiringView {
    pub fired_at: String,
    pub customer_name: String,
    pub customer_link: String,
    pub threshold: String,
    pub period: String,
    pub spend: String,
    pub budget: String,
    /// The projection and how it was made.
    pub projected: Option<String>,
    pub deliveries: Vec<DeliveryView>,
}

impl FiringView {
    /// The firing as listed.
    pub fn of(firing: &FiringRecord) -> Self {
        Self {
            fired_at: format_utc(firing.fired_at),
            customer_name: firing.customer_name.clone(),
            customer_link: paths::customer(&firing.customer),
            threshold: firing.threshold.to_string(),
            period: firing.billing_period_start.format("%B %Y").to_string(),
            spend: firing.spend.to_string(),
            budget: firing.budget.to_string(),
            projected: (firing.projected.as_ref()).map(|p| match &firing.forecast_method {
                Some(method) => format!("{p} ({method})"),
                None => p.to_string(),
            }),
            deliveries: firing.deliveries.iter().map(DeliveryView::of).collect(),
        }
    }
}

/// A delivery's state, in words.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    /// `E-mail to adele@contoso.com`, `Webhook of West (contoso.webhook.office.com)` (a
    /// team's: the host only, the URL is a secret) or `Partner-wide webhook`.
    pub to: String,
    /// `Sent 2026-11-21 08:15 UTC`, `Kept in Spendboard ...`, `Pending: ...`.
    pub state: String,
    pub sent: bool,
    pub last_error: Option<String>,
    /// The message as sent (shown for messages the catcher kept).
    pub subject: String,
    pub body_text: Option<String>,
}

impl DeliveryView {
    /// The delivery as listed.
    pub fn of(delivery: &DeliveryRecord) -> Self {
        let to = match delivery.channel {
            Channel::Email => format!("E-mail to {}", delivery.recipient),
            Channel::Webhook => match &delivery.webhook_url {
                Some(url) => format!("Webhook of {} ({})", delivery.recipient, webhook_host(url)),
                None => "Partner-wide webhook".to_owned(),
            },
        };
        let caught = delivery.transport.as_deref() == Some("catcher");
        let state = match delivery.sent_at {
            Some(at) if caught => format!(
                "Kept in Spendboard {} (no mail relay configured)",
                format_utc(at)
            ),
            Some(at) => format!("Sent {}", format_utc(at)),
            None if delivery.attempts == 0 => "Pending".to_owned(),
            None => format!(
                "Pending: {} failed {}, next try {}",
                delivery.attempts,
                if delivery.attempts == 1 {
                    "attempt"
                } else {
                    "attempts"
                },
                format_utc(delivery.next_attempt_at)
            ),
        };
        Self {
            to,
            state,
            sent: delivery.sent_at.is_some(),
            last_error: delivery.last_error.clone(),
            subject: delivery.subject.clone(),
            body_text: caught.then(|| delivery.body_text.clone()),
        }
    }
}
