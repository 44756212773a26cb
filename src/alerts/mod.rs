//! Budget alerts: thresholds on actual and forecast spend, evaluated after every refresh
//! that stores customers' numbers, recorded once per customer, threshold, billing period and
//! budget, and delivered through an outbox (e-mail over SMTP, an incoming webhook) with
//! retries. See docs/alerts.md.

mod deliver;
mod digest;
mod evaluate;
mod message;
mod rules;

pub use deliver::{DeliveryRound, Sender, deliver_due, spawn_delivery};
pub use digest::{
    DigestContent, DigestLine, DigestSection, digest_content, send_due_digests, spawn_digests,
};
pub use evaluate::{crossed_thresholds, evaluate};
pub use rules::{RuleError, add_rule};
