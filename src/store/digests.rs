//! `digest_preferences` and `digests`: what each account manager wants in the daily digest,
//! and the digest of each owner and day, built once (see the migration `digests`).

use chrono::{NaiveDate, Utc};

use super::values::{parse_key, stored_time};
use super::{NewDelivery, Store, StoreError, on_pool};
use crate::domain::{SignInName, UsageStatus};

/// An account manager's digest settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPreferences {
    /// Whether the digest is sent at all.
    pub enabled: bool,
    /// The UTC hour (0 to 23) from which the day's digest is sent.
    pub hour_utc: u8,
    /// The statuses whose customers are listed (over, near, on pace to exceed).
    pub statuses: Vec<UsageStatus>,
}

impl DigestPreferences {
    /// The statuses a digest can list, most urgent first.
    pub const STATUSES: [UsageStatus; 3] = [
        UsageStatus::OverBudget,
        UsageStatus::NearBudget,
        UsageStatus::OnPace,
    ];

    /// On, at `hour_utc`, every status.
    pub fn defaults(hour_utc: u8) -> Self {
        Self {
            enabled: true,
            hour_utc,
            statuses: Self::STATUSES.to_vec(),
        }
    }
}

impl Store {
    /// `owner`'s digest preferences; `None` when they never saved any.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn digest_preferences(
        &self,
        owner: &SignInName,
    ) -> Result<Option<DigestPreferences>, StoreError> {
        let row: Option<(bool, i32, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select enabled, hour_utc, statuses from digest_preferences where owner = $1",
            )
            .bind(owner.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(enabled, hour, statuses)| {
            Ok(DigestPreferences {
                enabled,
                hour_utc: u8::try_from(hour)
                    .map_err(|_| StoreError::InvalidValue(format!("digest hour {hour}")))?,
                statuses: statuses
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|key| parse_key(key, "usage status"))
                    .collect::<Result<_, _>>()?,
            })
        })
        .transpose()
    }

    /// Saves `owner`'s digest preferences (replacing earlier ones).
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::InvalidArgument`] for an hour above 23.
    #[tracing::instrument(skip(self))]
    pub async fn save_digest_preferences(
        &self,
        owner: &SignInName,
        preferences: &DigestPreferences,
    ) -> Result<(), StoreError> {
        if preferences.hour_utc > 23 {
            return Err(StoreError::InvalidArgument("digest hour above 23".into()));
        }
        let statuses: Vec<&str> = preferences.statuses.iter().map(|s| s.key()).collect();
        on_pool!(self, pool => {
            sqlx::query(
                "insert into digest_preferences (owner, enabled, hour_utc, statuses, updated_at) \
                 values ($1, $2, $3, $4, $5) on conflict (owner) do update set \
                 enabled = excluded.enabled, hour_utc = excluded.hour_utc, \
                 statuses = excluded.statuses, updated_at = excluded.updated_at",
            )
            .bind(owner.as_str())
            .bind(preferences.enabled)
            .bind(i32::from(preferences.hour_utc))
            .bind(statuses.join(","))
            .bind(stored_time(Utc::now()))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Whether `owner`'s digest of `day` was built (sent or found empty).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn digest_built(
        &self,
        owner: &SignInName,
        day: NaiveDate,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("select id from digests where owner = $1 and day = $2")
                .bind(owner.as_str())
                .bind(day)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// Records `owner`'s digest of `day` with its e-mail (`None`: nothing to say, nothing
    /// sent), in one transaction, unless it was recorded before (by another instance or
    /// before a restart): then nothing is written and `false` returned.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip(self, delivery))]
    pub async fn record_digest(
        &self,
        owner: &SignInName,
        day: NaiveDate,
        delivery: Option<&NewDelivery>,
    ) -> Result<bool, StoreError> {
        let now = stored_time(Utc::now());
        let recorded = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "insert into digests (owner, day, created_at, empty) values ($1, $2, $3, $4) \
                 on conflict (owner, day) do nothing returning id",
            )
            .bind(owner.as_str())
            .bind(day)
            .bind(now)
            .bind(delivery.is_none())
            .fetch_optional(&mut *tx)
            .await?;
            if let (Some(id), Some(d)) = (id, delivery) {
                sqlx::query(
                    "insert into alert_outbox (digest_id, channel, recipient, subject, \
                     body_text, body_html, state, attempts, next_attempt_at, created_at) \
                     values ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
                )
                .bind(id)
                .bind(d.channel.key())
                .bind(&d.recipient)
                .bind(&d.subject)
                .bind(&d.body_text)
                .bind(&d.body_html)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            id.is_some()
        });
        Ok(recorded)
    }
}
