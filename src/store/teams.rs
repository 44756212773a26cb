//! `alert_teams`, `alert_team_members`: named groups of account managers (by sign-in name,
//! as in `customer_owners`), each with an optional incoming webhook that gets the alerts of
//! its members' customers (see the migration `alert_teams`).

use std::collections::HashMap;

use chrono::Utc;

use super::values::stored_time;
use super::{Store, StoreError, on_pool};
use crate::domain::{SignInName, UserId};

/// A team with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertTeam {
    pub id: i64,
    pub name: String,
    /// The team's incoming webhook (checked when it was set: https, or http to localhost).
    pub webhook_url: Option<String>,
    /// The members, in alphabetical order.
    pub members: Vec<SignInName>,
}

/// `id`, `name`, `webhook_url` of a team.
type TeamRow = (i64, String, Option<String>);

/// Whether `error` is the refusal of a unique key (a team name taken).
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    /// Every team, by name, with its members.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt member.
    #[tracing::instrument(skip(self))]
    pub async fn alert_teams(&self) -> Result<Vec<AlertTeam>, StoreError> {
        let (teams, members): (Vec<TeamRow>, Vec<(i64, String)>) = on_pool!(self, pool => {
            let teams = sqlx::query_as(
                "select id, name, webhook_url from alert_teams order by name, id",
            )
            .fetch_all(pool)
            .await?;
            let members = sqlx::query_as(
                "select team_id, member from alert_team_members order by member",
            )
            .fetch_all(pool)
            .await?;
            (teams, members)
        });
        let mut by_team: HashMap<i64, Vec<SignInName>> = HashMap::new();
        for (team, member) in members {
            let member = SignInName::parse(&member)
                .map_err(|e| StoreError::InvalidValue(format!("alert_team_members: {e}")))?;
            by_team.entry(team).or_default().push(member);
        }
        Ok(teams
            .into_iter()
            .map(|(id, name, webhook_url)| AlertTeam {
                id,
                name,
                webhook_url,
                members: by_team.remove(&id).unwrap_or_default(),
            })
            .collect())
    }

    /// Creates a team named `name` (already checked) with `webhook_url`, recorded as made by
    /// `user_id` now; its id, or `None` when a team of that name exists (nothing written).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, webhook_url))]
    pub async fn create_alert_team(
        &self,
        name: &str,
        webhook_url: Option<&str>,
        user_id: UserId,
    ) -> Result<Option<i64>, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "insert into alert_teams (name, webhook_url, created_by, created_at) \
                 values ($1, $2, $3, $4) on conflict (name) do nothing returning id",
            )
            .bind(name)
            .bind(webhook_url)
            .bind(user_id)
            .bind(stored_time(Utc::now()))
            .fetch_optional(pool)
            .await?
        });
        Ok(id)
    }

    /// Renames team `id`; `false` when another team has that name (the unique key refuses
    /// it; nothing written).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn rename_alert_team(&self, id: i64, name: &str) -> Result<bool, StoreError> {
        let result = on_pool!(self, pool => {
            sqlx::query("update alert_teams set name = $2 where id = $1")
                .bind(id)
                .bind(name)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(()) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets (or, with `None`, clears) the webhook of team `id`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, webhook_url))]
    pub async fn set_alert_team_webhook(
        &self,
        id: i64,
        webhook_url: Option<&str>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("update alert_teams set webhook_url = $2 where id = $1")
                .bind(id)
                .bind(webhook_url)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Adds `member` to team `id`; `false` when they were a member already.
    ///
    /// # Errors
    /// [`StoreError::Database`] (also for a team that does not exist).
    #[tracing::instrument(skip(self))]
    pub async fn add_alert_team_member(
        &self,
        id: i64,
        member: &SignInName,
    ) -> Result<bool, StoreError> {
        let added = on_pool!(self, pool => {
            sqlx::query(
                "insert into alert_team_members (team_id, member) values ($1, $2) \
                 on conflict (team_id, member) do nothing",
            )
            .bind(id)
            .bind(member.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }

    /// Removes `member` from team `id`; `false` when they were not a member.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn remove_alert_team_member(
        &self,
        id: i64,
        member: &SignInName,
    ) -> Result<bool, StoreError> {
        let removed = on_pool!(self, pool => {
            sqlx::query("delete from alert_team_members where team_id = $1 and member = $2")
                .bind(id)
                .bind(member.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(removed == 1)
    }
}
