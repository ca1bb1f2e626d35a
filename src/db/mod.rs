//! One connection type over SQLite (the embedded default) and PostgreSQL, chosen by the URL.
//!
//! Handlers never touch a connection directly: they call [`Db::read`], which runs the synchronous
//! diesel code on actix's blocking pool, or [`Db::write`], which runs it in one transaction — on
//! SQLite through the single writer thread (`writer.rs`: `BEGIN IMMEDIATE`, so a transaction that
//! reads and then writes cannot fail with "database is locked"), on PostgreSQL on the blocking pool.
//!
//! A row looked up by its key is read with `get_result`, not `first`: `first` sends its `LIMIT 1`
//! as a bound parameter, and SQLite prepares a statement whose LIMIT is a parameter again every
//! time it is run (the plan may depend on it) — a cost paid on every request by the token lookup
//! and several times by every repayment. `first` is for "the first of many, in this order".

mod at_hand;
pub mod prepared;
pub mod schema;
mod writer;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

/// Runs the same diesel code on the backend's own connection: `on_backend!(conn, |c| query.load(c))`
/// compiles the body once for SQLite's connection and once for PostgreSQL's and runs the one that
/// `conn` holds. Through [`DbConn`] itself (diesel's connection over both databases) every query's
/// SQL text is built again each time it runs, twice, even when the statement is already prepared;
/// the backend's own connection finds a prepared statement by the query's type and only binds its
/// values. For the statements every request or a much-read page runs; the others go through
/// `DbConn`, where a query is written once.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which database a URL names. A bare path or `sqlite://path` is SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The file of a SQLite URL (`sqlite://path`, `sqlite:path` or a bare path).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Opens one connection, dispatching on the URL ourselves so the real error is reported.
pub fn establish(url: &str) -> Result<DbConn, diesel::ConnectionError> {
    match Backend::of(url) {
        Backend::Postgres => PgConnection::establish(url).map(DbConn::Postgres),
        Backend::Sqlite => {
            let path = sqlite_path(url);
            if path.is_empty() || path.contains(":memory:") {
                // Each pooled connection would get its own empty database.
                return Err(diesel::ConnectionError::InvalidConnectionUrl(
                    "an in-memory SQLite database cannot be shared by a pool; give a file path".into(),
                ));
            }
            let mut conn = SqliteConnection::establish(path)?;
            // Money lives here: full fsync, foreign keys enforced, writers wait instead of failing.
            // Temporary data (the undo log of each write's savepoint) stays in memory: it is never
            // needed after a crash, and a temporary file per transaction costs more than the write.
            // Each connection caches at most 512 KiB of pages (SQLite's default is 2 MiB): the pool's
            // connections, the writer's and an import preview's each keep their own, up to ~20 MiB
            // together beside a ceiling of 60 MiB for the whole server (the load bench's peak fell
            // by 5 MiB with this). What they miss, the kernel's file cache answers.
            // The wait comes first: the pool opens its connections side by side, and while one holds
            // the file (opening it, replaying a write-ahead log left behind) another's request for WAL
            // mode failed at once ("database is locked"), and `pallay serve` with it.
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000; \
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -512;",
            )
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

pub struct Manager {
    url: String,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// The shared handle to the database: a pool and the backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    url: std::sync::Arc<str>,
    /// On SQLite, writes go through one writer thread that commits them in groups (`writer.rs`).
    sqlite_writer: Option<std::sync::Arc<writer::Writer>>,
}

impl Db {
    /// Connects, and runs pending migrations so `pallay serve` works on an empty file.
    pub fn connect(url: &str, pool_size: u32) -> Result<Db, String> {
        let backend = Backend::of(url);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .connection_timeout(std::time::Duration::from_secs(15))
            // A broken connection shows itself as an error on first use; a SELECT 1 before every
            // checkout costs a round trip on every request.
            .test_on_check_out(false)
            .build(Manager { url: url.to_string() })
            .map_err(|e| format!("cannot open the database: {e}"))?;
        Ok(Db {
            pool: pool.clone(),
            backend,
            url: url.into(),
            sqlite_writer: match backend {
                Backend::Sqlite => Some(std::sync::Arc::new(writer::Writer::start(pool)?)),
                Backend::Postgres => None,
            },
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn migrate(&self) -> Result<usize, String> {
        let mut conn = self.pool.get().map_err(|e| format!("cannot open the database: {e}"))?;
        run_migrations(&mut conn)
    }

    /// Runs `f` on a pooled connection off the async workers, for reads: on SQLite in one read
    /// transaction, so a page's figures come from one moment and its statements share one lock.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| read_snapshot(conn, f)).await
    }

    /// Runs `f`, a read of one row found by its key (whose session or token this is), where it is
    /// asked. On SQLite, on a connection the calling thread keeps for this: an indexed lookup
    /// takes microseconds, and handing it to another thread and back cost each request more than
    /// the lookup (two thread switches, and a wait on a pooled connection that a long report may
    /// hold). On PostgreSQL, where every statement is a round trip over the network, on the pool.
    /// Only for lookups by key: anything that may read many rows goes through [`Db::read`].
    pub async fn read_by_key<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend {
            Backend::Sqlite => at_hand::read(&self.url, f),
            Backend::Postgres => self.read(f).await,
        }
    }

    /// Runs `f`, a read of the few rows one person's own page shows (her record, her loans and
    /// their installments, her trainings and committee actions), in one snapshot. On SQLite, on
    /// the calling thread's connection, as [`Db::read_by_key`]: such a page is a dozen indexed
    /// reads, and handing them to another thread and back cost more than a fifth of the page. On
    /// PostgreSQL, on the pool. Reads that may grow with the books go through [`Db::read`].
    pub async fn read_own<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend {
            Backend::Sqlite => at_hand::read(&self.url, move |conn| read_snapshot(conn, f)),
            Backend::Postgres => self.read(f).await,
        }
    }

    /// Runs `f` on a pooled connection off the async workers, as it is.
    async fn on_connection<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(AppError::from_pool)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
    }

    /// Runs `f` inside one write transaction: all or nothing. On SQLite it joins the writer's next
    /// group commit (BEGIN IMMEDIATE, its own savepoint); on PostgreSQL it is a transaction of its own.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(writer) = &self.sqlite_writer else {
            return self.on_connection(move |conn| write_transaction(conn, f)).await;
        };
        writer
            .submit(f)?
            .await
            .map_err(|_| AppError::internal("the database writer dropped a write"))?
    }

    /// Runs `f` where what it writes is seen by nobody and kept nowhere, and where nobody waits
    /// for it (see [`in_preview`]).
    pub async fn preview<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| in_preview(conn, f)).await
    }

    /// Synchronous access for the command line.
    pub fn get(&self) -> Result<r2d2::PooledConnection<Manager>, AppError> {
        self.pool.get().map_err(AppError::from_pool)
    }
}

/// Runs `f` where what it writes is seen by nobody and kept nowhere, and where nobody waits for
/// it: a check that goes through the real rules by writing and rolling back (an import's preview
/// of a 100,000-row file). On SQLite, on a copy of the database made with `VACUUM INTO` (a read:
/// in WAL mode it blocks no writer), deleted afterwards — the writer thread and SQLite's write lock
/// stay free for everyone else. On PostgreSQL, in a transaction that is always rolled back (its
/// readers never wait; rows it touches are locked until it ends).
pub fn in_preview<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    if let DbConn::Postgres(_) = conn {
        type Tm = <DbConn as Connection>::TransactionManager;
        Tm::begin_transaction(conn)?;
        let outcome = f(conn);
        Tm::rollback_transaction(conn)?;
        return outcome;
    }
    let copy = std::env::temp_dir().join(format!("pallay-preview-{}.db", crate::auth::secret::generate()));
    let path = copy.to_string_lossy().replace('\'', "''");
    conn.batch_execute(&format!("VACUUM INTO '{path}'"))?;
    let outcome = establish(&copy.to_string_lossy())
        .map_err(|e| AppError::internal(format!("cannot open the preview copy: {e}")))
        .and_then(|mut copy_conn| f(&mut copy_conn));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    outcome
}

/// Runs `f` in a read transaction on SQLite (one snapshot, and one lock instead of one per
/// statement); on PostgreSQL each statement stands alone, as before (no round trips added).
fn read_snapshot<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    let DbConn::Sqlite(_) = conn else {
        return f(conn);
    };
    type Tm = <DbConn as Connection>::TransactionManager;
    Tm::begin_transaction(conn)?;
    let outcome = f(conn);
    // Nothing was written: ending it either way releases the snapshot.
    match outcome.is_ok() {
        true => Tm::commit_transaction(conn)?,
        false => Tm::rollback_transaction(conn)?,
    }
    outcome
}

/// Whether the database lacks migrations this program has.
pub fn has_pending_migrations(conn: &mut DbConn) -> Result<bool, String> {
    let pending = match conn {
        DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending.map_err(|e| format!("cannot read the migrations: {e}"))
}

pub fn run_migrations(conn: &mut DbConn) -> Result<usize, String> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| format!("migrations failed: {e}"))
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking the write lock up
/// front: a deferred transaction that reads and then writes fails under concurrency.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(_) => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = Tm::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}
