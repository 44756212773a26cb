//! `instance_mode`: whether this database belongs to a demo run or a real one, so that demo
//! mode never touches a real database and a real start does not silently serve demo data.

use chrono::Utc;

use super::values::stored_time;
use super::{Store, StoreError, on_pool};

/// The kind of run a database belongs to; stored as `demo` or `production`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum InstanceMode {
    /// No `[identity]`: the sandbox's invented data.
    Demo,
    /// Signed in with Entra ID, real Partner Center data.
    Production,
}

impl InstanceMode {
    fn key(self) -> &'static str {
        self.into()
    }
}

impl Store {
    /// Whether table `name` exists (in the current schema), without creating anything.
    async fn table_exists(&self, name: &str) -> Result<bool, StoreError> {
        let count: i64 = match self {
            Self::Sqlite(pool) => {
                sqlx::query_scalar(
                    "select count(*) from sqlite_master where type = 'table' and name = $1",
                )
                .bind(name)
                .fetch_one(pool)
                .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(
                    "select count(*) from information_schema.tables \
                     where table_schema = current_schema() and table_name = $1",
                )
                .bind(name)
                .fetch_one(pool)
                .await?
            }
        };
        Ok(count > 0)
    }

    /// The mode recorded by the first start, if any (read before migrating: writes nothing).
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::InvalidValue`] for an unknown mode.
    pub async fn recorded_mode(&self) -> Result<Option<InstanceMode>, StoreError> {
        if !self.table_exists("instance_mode").await? {
            return Ok(None);
        }
        let mode: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("select mode from instance_mode where id = 1")
                .fetch_optional(pool)
                .await?
        });
        match mode.as_deref() {
            None => Ok(None),
            Some("demo") => Ok(Some(InstanceMode::Demo)),
            Some("production") => Ok(Some(InstanceMode::Production)),
            Some(other) => Err(StoreError::InvalidValue(format!(
                "instance_mode.mode = {other}"
            ))),
        }
    }

    /// How many signed-in users of another tenant than `tenant_id` the database holds (0
    /// when it has no users table yet). Read before migrating: writes nothing.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn users_outside_tenant(&self, tenant_id: &str) -> Result<i64, StoreError> {
        if !self.table_exists("users").await? {
            return Ok(0);
        }
        let count = on_pool!(self, pool => {
            sqlx::query_scalar("select count(*) from users where tenant_id <> $1")
                .bind(tenant_id)
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }

    /// Records the mode (after migrating).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn record_mode(&self, mode: InstanceMode) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "insert into instance_mode (id, mode, marked_at) values (1, $1, $2) \
                 on conflict (id) do update set mode = excluded.mode, marked_at = excluded.marked_at",
            )
            .bind(mode.key())
            .bind(stored_time(Utc::now()))
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
