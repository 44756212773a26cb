//! Delivery: a sender claims due rows of the outbox (a lease in the database, so no two
//! instances send the same message), sends each by e-mail (SMTP through `lettre`, or the
//! catcher that keeps it in Spendboard when no relay is configured) or to the incoming
//! webhook, and records every attempt; a failed delivery is due again after a backoff that
//! doubles with each failure. Nothing is dropped: a delivery stays in the outbox until it is
//! sent.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{TimeDelta, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::config::{AlertSettings, SmtpSecurity};
use crate::periodic::{FirstRound, spawn_every};
use crate::store::{Channel, ClaimedDelivery, Store, StoreError};

/// Deliveries claimed at once.
const BATCH: i64 = 10;

/// How e-mail leaves Spendboard.
enum MailTransport {
    /// The configured relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No relay configured (demo mode, or alerts not set up yet): the message counts as
    /// delivered and is kept in the outbox, where the Alerts page shows it.
    Catcher,
}

/// What sends deliveries: the mail transport, the sender address and the webhook.
pub struct Sender {
    mail: MailTransport,
    from: Mailbox,
    webhook: Option<SecretString>,
    http: reqwest::Client,
    /// How long a claim lasts: long enough for a batch of sends to time out one by one.
    lease: TimeDelta,
    retry_base: TimeDelta,
    retry_max: TimeDelta,
}

impl Sender {
    /// The sender `settings` describe.
    ///
    /// # Errors
    /// An invalid `alerts.from`, or a relay that cannot be set up (e.g. a host name TLS
    /// cannot check).
    pub fn from_settings(settings: &AlertSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().context("alerts.from")?;
        let mut timeout = Duration::from_secs(30);
        let mail = match &settings.smtp {
            None => MailTransport::Catcher,
            Some(smtp) => {
                timeout = Duration::from_secs(smtp.timeout_seconds);
                let builder = match smtp.security {
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                            .context("alerts.smtp.host")?
                    }
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                };
                let mut builder = builder.port(smtp.port).timeout(Some(timeout));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ));
                }
                MailTransport::Smtp(builder.build())
            }
        };
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("the webhook's HTTP client")?;
        let seconds = |s: u64| TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        Ok(Self {
            mail,
            from,
            webhook: settings.webhook_url.clone(),
            http,
            lease: seconds((timeout.as_secs() + 5) * BATCH.unsigned_abs()),
            retry_base: seconds(settings.retry_base_seconds),
            retry_max: seconds(settings.retry_max_seconds),
        })
    }

    /// Sends one delivery; on success the transport's name and its answer, on failure why.
    async fn send(&self, delivery: &ClaimedDelivery) -> Result<(&'static str, String), String> {
        match delivery.channel {
            Channel::Email => self.send_email(delivery).await,
            Channel::Webhook => self.post_webhook(delivery).await,
        }
    }

    async fn send_email(
        &self,
        delivery: &ClaimedDelivery,
    ) -> Result<(&'static str, String), String> {
        let to: Mailbox = delivery.recipient.parse().map_err(|e| {
            format!(
                "the recipient {:?} is no e-mail address: {e}",
                delivery.recipient
            )
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&delivery.subject)
            .multipart(MultiPart::alternative_plain_html(
                delivery.body_text.clone(),
                delivery.body_html.clone(),
            ))
            .map_err(|e| format!("the message could not be built: {e}"))?;
        match &self.mail {
            MailTransport::Catcher => Ok((
                "catcher",
                "kept in Spendboard: no mail relay is configured".into(),
            )),
            MailTransport::Smtp(transport) => {
                let response = transport
                    .send(message)
                    .await
                    .map_err(|e| format!("SMTP: {e}"))?;
                let answer: Vec<&str> = response.message().collect();
                Ok(("smtp", format!("{} {}", response.code(), answer.join(" "))))
            }
        }
    }

    /// POSTs a message card (`summary`, `title`, `text`) to the delivery's webhook (a team's
    /// URL, else the partner-wide `alerts.webhook_url`): the format of a Microsoft Teams
    /// incoming webhook, also read by most other chat tools' webhooks.
    async fn post_webhook(
        &self,
        delivery: &ClaimedDelivery,
    ) -> Result<(&'static str, String), String> {
        let url = match (&delivery.webhook_url, &self.webhook) {
            (Some(team), _) => team.as_str(),
            (None, Some(partner_wide)) => partner_wide.expose_secret(),
            (None, None) => return Err("no alerts.webhook_url is configured any more".into()),
        };
        let card = serde_json::json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": delivery.subject,
            "title": delivery.subject,
            "text": delivery.body_text,
        });
        let response = self
            .http
            .post(url)
            .json(&card)
            .send()
            .await
            // Without the URL (a secret) in the message.
            .map_err(|e| format!("webhook: {}", e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(("webhook", format!("HTTP {status}")))
        } else {
            Err(format!("webhook: HTTP {status}"))
        }
    }

    /// When a delivery that failed for the `attempts`-th time is tried again.
    fn retry_after(&self, attempts: i32) -> TimeDelta {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.retry_base
            .checked_mul(1 << doublings)
            .map_or(self.retry_max, |wait| wait.min(self.retry_max))
    }
}

/// What one round of [`Delivery::deliver_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub sent: usize,
    pub failed: usize,
}

/// The alert sender of this instance, with what it needs of the instance: the store (the
/// outbox), the [`Sender`] and its holder name in the outbox's claims (unique per instance).
pub struct Delivery {
    store: Store,
    sender: Sender,
    /// `{instance id} alerts`.
    holder: String,
}

impl Delivery {
    /// The alert sender of the instance `instance_id` (unique per instance), sending the
    /// outbox of `store` through `sender`.
    pub fn new(store: Store, sender: Sender, instance_id: &str) -> Self {
        Self {
            store,
            sender,
            holder: format!("{instance_id} alerts"),
        }
    }

    /// Sends every delivery due now: claims them in batches, sends each and records the
    /// attempt. A delivery whose lease this sender lost meanwhile is not recorded by it (its
    /// new holder decides).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails; what was sent before is recorded.
    pub async fn deliver_due(&self) -> Result<DeliveryRound, StoreError> {
        let holder = self.holder.as_str();
        let mut round = DeliveryRound::default();
        loop {
            let batch = self
                .store
                .claim_deliveries(holder, self.sender.lease, BATCH)
                .await?;
            if batch.is_empty() {
                return Ok(round);
            }
            for delivery in &batch {
                match self.sender.send(delivery).await {
                    Ok((transport, answer)) => {
                        self.store
                            .delivery_sent(delivery.id, holder, transport, &answer)
                            .await?;
                        round.sent += 1;
                    }
                    Err(error) => {
                        tracing::warn!(delivery = delivery.id, %error, "alert delivery failed; retried later");
                        let retry_at = Utc::now() + self.sender.retry_after(delivery.attempts + 1);
                        self.store
                            .delivery_failed(delivery.id, holder, retry_at, &error)
                            .await?;
                        round.failed += 1;
                    }
                }
            }
        }
    }

    /// Every `every`, sends what is due in the outbox (see [`Delivery::deliver_due`]), in a
    /// task of its own; a failed round is logged and the next one tries again.
    pub fn spawn(self, every: Duration) {
        spawn_every(every, FirstRound::Now, self, |delivery| async move {
            if let Err(e) = delivery.deliver_due().await {
                tracing::warn!(error = %e, "delivering alerts: will try again");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_the_base_up_to_the_maximum() {
        let settings = AlertSettings {
            retry_base_seconds: 30,
            retry_max_seconds: 3600,
            ..AlertSettings::default()
        };
        let sender = Sender::from_settings(&settings).unwrap();
        let waits: Vec<i64> = (1..=9)
            .map(|n| sender.retry_after(n).num_seconds())
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(sender.retry_after(i32::MAX).num_seconds(), 3600);
    }
}
