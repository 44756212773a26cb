//! Fresh, migrated stores for tests, one per database kind: SQLite in a temporary file, and
//! PostgreSQL in a new database (random name) on the server at `SPENDBOARD_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Without a reachable PostgreSQL,
//! the PostgreSQL tests fail and say how to start one: they are never skipped silently.

use std::path::PathBuf;

use spendboard::store::{DatabaseKind, Store};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

/// The PostgreSQL server tests create their databases on, when the variable is not set.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated store in a database of its own, removed by [`TestDb::cleanup`].
pub struct TestDb {
    /// The store under test.
    pub store: Store,
    /// The URL the store was opened with (another instance can open it too).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh SQLite database in a new file under the system's temporary directory.
    pub async fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("spendboard-test-{}.db", Uuid::new_v4()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = Store::connect(&url, 4)
            .await
            .unwrap_or_else(|e| panic!("opening SQLite at {url}: {e:?}"));
        store.migrate().await.expect("migrating SQLite");
        Self {
            store,
            url,
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    /// A fresh PostgreSQL database, created for this test. Panics with instructions when the
    /// server is unreachable.
    pub async fn postgres() -> Self {
        let admin_url = std::env::var("SPENDBOARD_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "\n\nPostgreSQL is not reachable at {admin_url}: {e}\n\
                 Every store test runs on SQLite AND PostgreSQL, so this test cannot pass \
                 without it.\n\
                 Start the local server (Debian: `pg_ctlcluster 15 main start` or \
                 `service postgresql start`), or point SPENDBOARD_TEST_POSTGRES_URL at a \
                 server where this user may CREATE DATABASE, e.g. \
                 postgres://postgres@127.0.0.1:5432/postgres\n"
            )
        });
        let name = format!("spendboard_test_{}", Uuid::new_v4().simple());
        sqlx::query(AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("creating database {name} on {admin_url}: {e}"));
        admin.close().await.ok();

        let mut url = url::Url::parse(&admin_url).expect("SPENDBOARD_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        let store = Store::connect(&url, 4)
            .await
            .unwrap_or_else(|e| panic!("opening PostgreSQL database {name}: {e:?}"));
        store.migrate().await.expect("migrating PostgreSQL");
        Self {
            store,
            url,
            cleanup: Cleanup::PostgresDatabase { admin_url, name },
        }
    }

    /// Which database this is.
    pub fn kind(&self) -> DatabaseKind {
        self.store.kind()
    }

    /// Runs one statement of raw SQL, going around the store's API (to prove what the
    /// database itself allows).
    pub async fn execute_raw(&self, sql: &'static str) -> Result<u64, sqlx::Error> {
        Ok(match &self.store {
            Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await?.rows_affected(),
            Store::Postgres(pool) => sqlx::query(sql).execute(pool).await?.rows_affected(),
        })
    }

    /// Closes the store and removes its database. A failing test skips this, leaving the
    /// database behind for inspection.
    pub async fn cleanup(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    sqlx::query(AssertSqlSafe(format!(
                        "drop database if exists {name} with (force)"
                    )))
                    .execute(&mut admin)
                    .await
                    .ok();
                    admin.close().await.ok();
                }
            }
        }
    }
}

/// Runs a store test on both databases: after `async fn NAME(db: &TestDb) { ... }`,
/// `on_both_databases!(NAME);` adds module `NAME` with the tests `on_sqlite` and
/// `on_postgres`, each on a fresh database. The form with the function inside the macro,
/// `on_both_databases! { async fn NAME(db: &TestDb) { ... } }`, does the same.
macro_rules! on_both_databases {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                let db = $crate::databases::TestDb::sqlite().await;
                super::$name(&db).await;
                db.cleanup().await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let db = $crate::databases::TestDb::postgres().await;
                super::$name(&db).await;
                db.cleanup().await;
            }
        }
    };
    ($(#[$attr:meta])* async fn $name:ident($db:ident: &TestDb) $body:block) => {
        $(#[$attr])*
        async fn $name($db: &$crate::databases::TestDb) $body
        $crate::databases::on_both_databases!($name);
    };
}
pub(crate) use on_both_databases;

/// The URL the app's store was opened with.
pub async fn url_of(app: &crate::helpers::TestApp) -> String {
    use secrecy::ExposeSecret as _;
    app.state.settings.database.url.expose_secret().to_owned()
}

/// Makes the database at `url` unavailable for `how_long`, then available again; says on
/// `ready` once it is unavailable. On SQLite another connection holds an exclusive lock
/// (writes fail after the busy time-out); on PostgreSQL the database refuses new
/// connections and its open ones are ended.
pub async fn hold_outage(
    kind: DatabaseKind,
    url: &str,
    how_long: std::time::Duration,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    match kind {
        DatabaseKind::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(url)
                .await
                .expect("a second SQLite connection");
            sqlx::query("begin exclusive")
                .execute(&mut connection)
                .await
                .expect("an exclusive lock");
            ready.send(()).ok();
            tokio::time::sleep(how_long).await;
            sqlx::query("rollback")
                .execute(&mut connection)
                .await
                .expect("lock released");
            connection.close().await.ok();
        }
        DatabaseKind::Postgres => {
            let mut parsed = url::Url::parse(url).expect("a PostgreSQL URL");
            let name = parsed.path().trim_start_matches('/').to_owned();
            parsed.set_path("/postgres");
            let mut admin = PgConnection::connect(parsed.as_str())
                .await
                .expect("an admin connection");
            for statement in [
                format!("alter database {name} allow_connections false"),
                format!(
                    "select pg_terminate_backend(pid) from pg_stat_activity \
                     where datname = '{name}' and pid <> pg_backend_pid()"
                ),
            ] {
                sqlx::query(AssertSqlSafe(statement))
                    .execute(&mut admin)
                    .await
                    .expect("starting the outage");
            }
            ready.send(()).ok();
            tokio::time::sleep(how_long).await;
            sqlx::query(AssertSqlSafe(format!(
                "alter database {name} allow_connections true"
            )))
            .execute(&mut admin)
            .await
            .expect("ending the outage");
            admin.close().await.ok();
        }
    }
}
