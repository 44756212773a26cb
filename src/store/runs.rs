//! `refresh_runs`: each refresh's progress, shown to users while it runs and afterwards.

use chrono::{DateTime, Utc};

use super::values::{count, parse_key, stored_time};
use super::{LeaseScope, Store, StoreError, on_pool};

/// Where a refresh run is; stored as `running`, `succeeded` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum RunState {
    /// Started, not finished.
    Running,
    /// Finished without error.
    Succeeded,
    /// Finished with an error (see [`RefreshRun::message`]).
    Failed,
}

impl RunState {
    fn key(self) -> &'static str {
        self.into()
    }
}

/// One refresh run of a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRun {
    /// Increasing id.
    pub id: i64,
    /// What is refreshed, e.g. `partner`.
    pub scope: String,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// When it finished (UTC); `None` while running.
    pub finished_at: Option<DateTime<Utc>>,
    /// Running, succeeded or failed.
    pub state: RunState,
    /// Units of work done (e.g. customers read).
    pub done: u64,
    /// Units of work expected; 0 while unknown.
    pub total: u64,
    /// Latest progress message, or the error of a failed run; empty before the first.
    pub message: String,
    /// Records that could not be read and were set aside.
    pub set_aside: u64,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    scope: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    state: String,
    done: i64,
    total: i64,
    message: Option<String>,
    set_aside: i64,
}

impl TryFrom<RunRow> for RefreshRun {
    type Error = StoreError;
    fn try_from(row: RunRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            scope: row.scope,
            started_at: row.started_at,
            finished_at: row.finished_at,
            state: parse_key(&row.state, "refresh run state")?,
            done: count(row.done),
            total: count(row.total),
            message: row.message.unwrap_or_default(),
            set_aside: count(row.set_aside),
        })
    }
}

/// A scope's refresh runs as pages show them, read in one statement that writes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStatus {
    /// The latest run, running or finished.
    pub latest: Option<RefreshRun>,
    /// The latest finished run (the same as `latest` when that one has finished).
    pub last_finished: Option<RefreshRun>,
    /// The latest run is marked running but its holder's lease has expired: its instance
    /// stopped working on it (see [`Store::fail_abandoned_runs`]).
    pub abandoned: bool,
    /// The version of `customer_snapshots` ([`Store::snapshot_version`]), read in the same
    /// statement: with it a dashboard view costs one statement besides the session's.
    pub snapshot_version: i64,
    /// The version of `customer_owners` ([`Store::ownership_version`]), read in the same
    /// statement, for the dashboard's portfolios.
    pub ownership_version: i64,
}

impl RunStatus {
    /// Whether the latest run is running (an abandoned one counts until it is marked failed,
    /// see [`Store::fail_abandoned_runs`]).
    pub fn is_running(&self) -> bool {
        self.latest
            .as_ref()
            .is_some_and(|run| run.state == RunState::Running)
    }
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    #[sqlx(flatten)]
    run: RunRow,
    abandoned: bool,
    snapshot_version: i64,
    ownership_version: i64,
}

/// The message of a run whose instance stopped working on it.
pub const ABANDONED_MESSAGE: &str = "The refresh stopped before it finished: the Spendboard instance running it stopped (crashed, restarted or lost its database connection). The next refresh starts at once.";

/// A progress count as stored (BIGINT), saturating.
fn stored_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Records that a refresh of `scope` started now, worked on by the lease `holder`;
    /// returns the run's id. The run stays "running" only while `holder` holds an unexpired
    /// lease of `scope` (see [`Store::fail_abandoned_runs`]).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn start_run(&self, scope: LeaseScope, holder: &str) -> Result<i64, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "insert into refresh_runs (scope, started_at, state, holder) \
                 values ($1, $2, $3, $4) returning id",
            )
            .bind(scope.to_string())
            .bind(stored_time(Utc::now()))
            .bind(RunState::Running.key())
            .bind(holder)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Marks failed every running run of `scope` whose holder no longer holds an unexpired
    /// lease of `scope` (its instance crashed, was killed or lost the database), with a
    /// message for people; returns how many. After this a new run may start at once.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn fail_abandoned_runs(&self, scope: LeaseScope) -> Result<u64, StoreError> {
        let now = stored_time(Utc::now());
        let failed = on_pool!(self, pool => {
            sqlx::query(
                "update refresh_runs set state = 'failed', finished_at = $2, message = $3 \
                 where scope = $1 and state = 'running' and not exists ( \
                 select 1 from refresh_leases l where l.scope = refresh_runs.scope \
                 and l.holder = refresh_runs.holder and l.expires_at > $2)",
            )
            .bind(scope.to_string())
            .bind(now)
            .bind(ABANDONED_MESSAGE)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if failed > 0 {
            tracing::warn!(%scope, failed, "refresh runs abandoned by their instance marked failed");
        }
        Ok(failed)
    }

    /// Records a running run's progress: `done` of `total` units, and what it is doing.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn update_run_progress(
        &self,
        id: i64,
        done: u64,
        total: u64,
        message: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "update refresh_runs set done = $2, total = $3, message = $4 \
                 where id = $1 and state = 'running'",
            )
            .bind(id)
            .bind(stored_count(done))
            .bind(stored_count(total))
            .bind(message)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records that the run finished now: succeeded, or failed with this error message.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn finish_run(&self, id: i64, outcome: Result<(), String>) -> Result<(), StoreError> {
        let (state, message) = match outcome {
            Ok(()) => (RunState::Succeeded, None),
            Err(error) => (RunState::Failed, Some(error)),
        };
        on_pool!(self, pool => {
            sqlx::query(
                "update refresh_runs set state = $2, finished_at = $3, \
                 message = coalesce($4, message) where id = $1",
            )
            .bind(id)
            .bind(state.key())
            .bind(stored_time(Utc::now()))
            .bind(message.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records how many records of a run could not be read and were set aside.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn record_set_aside(&self, id: i64, set_aside: u64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("update refresh_runs set set_aside = $2 where id = $1")
                .bind(id)
                .bind(stored_count(set_aside))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The latest run of `scope` and its latest finished run, whether the latest is
    /// abandoned (now), and the snapshot version: one read, so that a page view writes
    /// nothing and waits for the database once.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn run_status(&self, scope: LeaseScope) -> Result<RunStatus, StoreError> {
        let now = stored_time(Utc::now());
        let rows: Vec<StatusRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, scope, started_at, finished_at, state, done, total, message, \
                 set_aside, (state = 'running' and not exists ( \
                 select 1 from refresh_leases l where l.scope = r.scope \
                 and l.holder = r.holder and l.expires_at > $2)) as abandoned, \
                 (select version from snapshot_version where id = 1) as snapshot_version, \
                 (select version from ownership_version where id = 1) as ownership_version \
                 from refresh_runs r where r.scope = $1 and (\
                 r.id = (select max(id) from refresh_runs where scope = $1) or \
                 r.id = (select max(id) from refresh_runs where scope = $1 and state <> 'running')) \
                 order by r.id desc",
            )
            .bind(scope.to_string())
            .bind(now)
            .fetch_all(pool)
            .await?
        });
        let abandoned = rows.first().is_some_and(|row| row.abandoned);
        let (snapshot_version, ownership_version) = match rows.first() {
            Some(row) => (row.snapshot_version, row.ownership_version),
            // No run yet: a new database.
            None => (
                self.snapshot_version().await?,
                self.ownership_version().await?,
            ),
        };
        let mut runs = rows
            .into_iter()
            .map(|row| RefreshRun::try_from(row.run))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter();
        let latest = runs.next();
        let last_finished = match &latest {
            Some(run) if run.state != RunState::Running => Some(run.clone()),
            _ => runs.next(),
        };
        Ok(RunStatus {
            latest,
            last_finished,
            abandoned,
            snapshot_version,
            ownership_version,
        })
    }

    /// The latest run of `scope`, running or finished.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn latest_run(&self, scope: LeaseScope) -> Result<Option<RefreshRun>, StoreError> {
        let row: Option<RunRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, scope, started_at, finished_at, state, done, total, message, \
                 set_aside from refresh_runs where scope = $1 order by id desc limit 1",
            )
            .bind(scope.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(RefreshRun::try_from).transpose()
    }
}
