//! The database: one API with SQLite (embedded default) and PostgreSQL (shared deployments)
//! behind it. Each query is written once with `$1`-style placeholders and runs on both; SQL
//! differs per database only where the dialects do, and then sits side by side.
//!
//! Money is stored exactly (TEXT on SQLite, NUMERIC on PostgreSQL, see `store/values.rs`), each
//! amount beside its row's currency column, and handed out as [`crate::domain::Money`], made
//! once where a row is decoded; times are UTC, kept to the microsecond on both databases.

mod alerts;
mod batches;
mod budget_changes;
mod dashboard;
mod digests;
mod drilldown;
mod history;
mod ids;
mod instance;
mod leases;
mod name_search;
mod portfolios;
mod rate_cards;
mod runs;
mod sessions;
mod snapshots;
mod subscriptions;
mod teams;
mod users;
mod utilization;
mod values;
mod version_cache;
mod what_if_plans;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use alerts::{
    AlertRule, AlertRuleSet, Channel, ClaimedDelivery, DeliveryRecord, FiringKey, FiringRecord,
    NewDelivery, NewFiring,
};
pub use batches::{Batch, BatchItem, PlannedItem};
pub use budget_changes::{
    BudgetChangeDecision, BudgetChangeIntent, BudgetChangeRecord, ChangeOutcome, DecidedBy,
};
pub use dashboard::{
    CurrencyTotal, CustomerTablePage, DashboardCache, DashboardQuery, DashboardTotals,
    DashboardView, SortKey,
};
pub use digests::DigestPreferences;
pub use drilldown::{MeterUsage, ResourceUsage, SubscriptionDrilldown, SubscriptionSummary};
pub use history::DailyUsage;
pub use instance::InstanceMode;
pub use leases::{LeaseScope, unique_holder};
pub use portfolios::{Ownership, OwnershipCache, Portfolio};
pub use rate_cards::{
    FoundMeter, MAX_METERS_RETURNED, MeterPage, MeterSearch, NewRateCard, RateCardAttempt,
    RateCardMeter, RateCardVersion, SavedRateCard,
};
pub use runs::{RefreshRun, RunState, RunStatus};
pub use sessions::StoredSession;
pub use snapshots::{CustomerSnapshot, SnapshotForecast, search_name};
pub use subscriptions::{CustomerUsageSummaryRow, SubscriptionUsage};
pub use teams::AlertTeam;
pub use users::{StoredTokens, User};
pub use utilization::UtilizationRecord;
pub use what_if_plans::{PlanSummary, SavedPlan, SavedPlanLine};

/// Runs `$body` with `$pool` bound to whichever pool the store holds. The body is written
/// once and compiled for each database, so a query that type-checks runs on both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Where Spendboard keeps its data: a connection pool to SQLite or PostgreSQL. Cheap to
/// clone (the pool is shared).
#[derive(Debug, Clone)]
pub enum Store {
    /// An SQLite file (or an in-memory database, for tests).
    Sqlite(SqlitePool),
    /// A PostgreSQL database shared by every instance.
    Postgres(PgPool),
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl std::fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names neither SQLite nor PostgreSQL.
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH?mode=rwc, sqlite::memory: or postgres://USER@HOST/DB"
    )]
    UnsupportedUrl(String),
    /// The database refused or failed a query, or could not be reached.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be turned back into its Rust type (a row written by
    /// something other than this store, or a bug).
    #[error("invalid value in the database: {0}")]
    InvalidValue(String),
    /// The caller passed values that contradict each other; nothing was written.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl StoreError {
    /// True when the database could not be reached (no connection within the acquire
    /// time-out, a connection lost or refused, the server shutting down or refusing
    /// connections, an SQLite file locked past the busy time-out): an outage, not a bug.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(e) => unreachable_database(e),
            _ => false,
        }
    }
}

fn unreachable_database(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL: connection exceptions (08), operator intervention (57P: shutdown,
            // terminated, cannot connect now), too many connections (53300), a database not
            // accepting connections (55000). SQLite: busy (5) and locked (6).
            if code.len() == 5 {
                code.starts_with("08")
                    || code.starts_with("57P")
                    || code == "53300"
                    || code == "55000"
            } else {
                // SQLite's extended codes keep the primary code in the low byte.
                code.parse::<u32>()
                    .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6))
            }
        }),
        _ => false,
    }
}

impl Store {
    /// Connects to `url` with a pool of at most `max_connections` (at least 1):
    /// `sqlite://PATH?mode=rwc` (file, created if missing), `sqlite::memory:` (always one
    /// connection, kept open for the pool's lifetime, since the database dies with it), or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`. Does not migrate; see [`Store::migrate`].
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] for another scheme, [`StoreError::Database`] when the
    /// URL is malformed or the database cannot be reached.
    #[tracing::instrument(skip(url))]
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, max_connections, Duration::from_secs(10)).await
    }

    /// As [`Store::connect`], with the longest wait for a connection of the pool: past it, a
    /// query fails with [`StoreError::is_unavailable`] true (an outage fails fast).
    ///
    /// # Errors
    /// As [`Store::connect`].
    #[tracing::instrument(skip(url))]
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let max_connections = max_connections.max(1);
        if url.starts_with("sqlite:") {
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let mut options = SqliteConnectOptions::from_str(url)?
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool_options = if in_memory {
                // An in-memory database lives as long as its connection: keep exactly one.
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
            } else {
                options = options
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal);
                // A connection to a local file cannot be ended from outside, so testing it
                // before each use (a round trip to its worker thread, as many as the
                // statements themselves) buys nothing. PostgreSQL's connections are tested:
                // a restarted server ends them.
                SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(acquire_timeout)
                    .test_before_acquire(false)
            };
            Ok(Self::Sqlite(pool_options.connect_with(options).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect(url)
                .await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    /// Applies the pending migrations of `migrations/sqlite` or `migrations/postgres`.
    ///
    /// # Errors
    /// [`StoreError::Migrate`] when a migration fails or an applied one was changed.
    #[tracing::instrument(skip(self), fields(database = %self.kind()))]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Self::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Which database this store talks to.
    pub fn kind(&self) -> DatabaseKind {
        match self {
            Self::Sqlite(_) => DatabaseKind::Sqlite,
            Self::Postgres(_) => DatabaseKind::Postgres,
        }
    }

    /// Checks that the database answers (`select 1`), for health checks.
    ///
    /// # Errors
    /// [`StoreError::Database`] when it does not.
    #[tracing::instrument(skip(self))]
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("select 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection; later calls fail. For orderly shutdown and tests.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
