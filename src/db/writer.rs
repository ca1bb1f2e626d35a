//! Group commit for SQLite. SQLite has one writer at a time and every commit waits for the disk
//! (synchronous=FULL). Writes of this process are queued to one writer thread, which runs
//! whatever is waiting in a single `BEGIN IMMEDIATE` transaction — each write inside its own
//! savepoint, so a failing write is rolled back alone — and commits once for all of them.
//! Nobody hears "done" before the commit is on disk; if the commit fails, every write of the
//! batch hears that it failed. Writers from other processes still meet SQLite's own lock.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use tokio::sync::oneshot;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::{DbConn, Pool};
use crate::error::AppError;

/// Called once the batch is settled: `None` when committed, else why it failed.
type Deliver = Box<dyn FnOnce(Option<String>) + Send>;

/// A queued write: either it runs (and hears later whether its batch was committed), or it
/// fails without running.
trait Job: Send {
    fn run(self: Box<Self>, conn: &mut DbConn) -> Deliver;
    fn fail(self: Box<Self>, why: String);
}

/// A write and the one who waits for its result. The writer wakes the waiting task itself: no
/// thread sits blocked on the answer. A waiter that went away (dropped request) is not an error.
struct Pending<T, F> {
    write: F,
    answer: oneshot::Sender<Result<T, AppError>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut DbConn) -> Deliver {
        let Pending { write, answer } = *self;
        let outcome = in_savepoint(conn, write);
        Box::new(move |failure: Option<String>| {
            let result = match (failure, outcome) {
                (None, outcome) => outcome,
                // Its own error stands; a success that was not committed is a failure.
                (Some(_), Err(e)) => Err(e),
                (Some(why), Ok(_)) => Err(AppError::write_failed(why)),
            };
            let _ = answer.send(result);
        })
    }

    fn fail(self: Box<Self>, why: String) {
        let _ = self.answer.send(Err(AppError::write_failed(why)));
    }
}

/// The most writes committed together.
const MAX_BATCH: usize = 64;

pub struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    pub fn start(pool: Pool) -> Result<Writer, String> {
        let (queue, jobs) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&pool, &jobs))
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        Ok(Writer { queue })
    }

    /// Queues `write`; the receiver gets its result once the batch it ran in is committed.
    pub fn submit<T, F>(&self, write: F) -> Result<oneshot::Receiver<Result<T, AppError>>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let (answer, receiver) = oneshot::channel();
        self.queue
            .send(Box::new(Pending { write, answer }))
            .map_err(|_| AppError::internal("the database writer has stopped"))?;
        Ok(receiver)
    }
}

/// Runs one write in a savepoint of the open transaction: its error (or panic) undoes only it.
fn in_savepoint<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, AppError>) -> Result<T, AppError> {
    type Tm = <DbConn as Connection>::TransactionManager;
    Tm::begin_transaction(conn)?;
    match catch_unwind(AssertUnwindSafe(|| f(conn))) {
        Ok(Ok(value)) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Ok(Err(e)) => {
            Tm::rollback_transaction(conn)?;
            Err(e)
        }
        Err(_) => {
            Tm::rollback_transaction(conn)?;
            Err(AppError::internal("a database write panicked"))
        }
    }
}

fn run(pool: &Pool, jobs: &mpsc::Receiver<Box<dyn Job>>) {
    type Tm = <DbConn as Connection>::TransactionManager;
    // Ends when every sender is gone (the pool's owner was dropped).
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                batch
                    .into_iter()
                    .for_each(|job| job.fail(format!("database pool: {e}")));
                continue;
            }
        };
        let begun = match &mut *conn {
            DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
            DbConn::Postgres(_) => Tm::begin_transaction(&mut conn),
        };
        if let Err(e) = begun {
            batch.into_iter().for_each(|job| job.fail(format!("database: {e}")));
            continue;
        }
        let delivers: Vec<Deliver> = batch.into_iter().map(|job| job.run(&mut conn)).collect();
        let failure = match Tm::commit_transaction(&mut conn) {
            Ok(()) => None,
            Err(e) => {
                if let Err(rollback) = Tm::rollback_transaction(&mut conn) {
                    tracing::error!(error = %rollback, "rollback after a failed commit failed");
                }
                Some(format!("commit failed: {e}"))
            }
        };
        delivers.into_iter().for_each(|deliver| deliver(failure.clone()));
    }
}
