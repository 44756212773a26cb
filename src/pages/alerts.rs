//! The Alerts page: the partner-wide thresholds (with their form), and what fired, when, to
//! whom, and how each delivery stands.

use askama::Template;
use askama_web::WebTemplate;

use super::{Layout, format_utc};
use crate::domain::Money;
use crate::paths;
use crate::store::{AlertRule, Channel, DeliveryRecord, FiringRecord};

/// `GET /alerts`.
#[derive(Template, WebTemplate)]
#[template(path = "pages/alerts.html")]
pub struct AlertsPage {
    pub layout: Layout,
    pub rules: Vec<RuleView>,
    /// The form to add a threshold; budget editors only.
    pub form: Option<RuleForm>,
    pub firings: Vec<FiringView>,
    /// No mail relay is configured: e-mails are kept here instead of sent.
    pub catcher: bool,
}

/// A threshold of a set, with what removes it.
#[derive(Debug, Clone)]
pub struct RuleView {
    /// `80 % of actual spend`.
    pub text: String,
    /// Where the remove button posts; budget editors only.
    pub remove_action: Option<String>,
}

impl RuleView {
    /// The rule as listed; with `can_edit`, removable at `remove_action(id)`.
    pub fn of(rule: &AlertRule, can_edit: bool) -> Self {
        Self {
            text: rule.threshold.to_string(),
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
        let money = |amount| Money::new(amount, firing.currency.clone()).to_string();
        Self {
            fired_at: format_utc(firing.fired_at),
            customer_name: firing.customer_name.clone(),
            customer_link: paths::customer(&firing.customer),
            threshold: firing.threshold.to_string(),
            period: firing.billing_period_start.format("%B %Y").to_string(),
            spend: money(firing.spend),
            budget: money(firing.budget),
            projected: firing.projected.map(|p| match &firing.forecast_method {
                Some(method) => format!("{} ({method})", money(p)),
                None => money(p),
            }),
            deliveries: firing.deliveries.iter().map(DeliveryView::of).collect(),
        }
    }
}

/// A delivery's state, in words.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    /// `E-mail to adele@contoso.com` or `Webhook`.
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
            Channel::Webhook => "Webhook".to_owned(),
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
