//! Budget alerts: thresholds on actual and forecast spend, evaluated after every refresh
//! that stores customers' numbers, recorded once per customer, threshold, billing period and
//! budget, and delivered through an outbox (e-mail over SMTP; incoming webhooks: those of
//! the teams of the customer's owners, else the partner-wide one) with retries. See docs/alerts.md.

mod deliver;
mod digest;
mod evaluate;
mod message;
mod rules;
mod teams;

pub use deliver::{Delivery, DeliveryRound, Sender};
pub use digest::{DigestContent, DigestLine, DigestSection, Digests, digest_content};
pub use evaluate::{Evaluator, crossed_thresholds};
pub use rules::{RuleError, add_rule};
pub use teams::{
    TeamError, TeamField, change_member, create_team, rename_team, set_webhook, webhook_host,
};
