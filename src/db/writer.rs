//! Group commit for SQLite. SQLite has one writer at a time and every commit waits for the disk
//! (synchronous=FULL). Writes of this process are queued to one writer thread, which runs
//! whatever is waiting in a single `BEGIN IMMEDIATE` transaction — each write inside its own
//! savepoint, so a failing write is rolled back alone — and commits once for all of them.
//! Nobody hears "done" before the commit is on disk; if the commit fails, every write of the
//! batch hears that it failed. Writers from other processes still meet SQLite's own lock.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Mutex;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::{DbConn, Pool};
use crate::error::AppError;

/// Called once the batch is settled: `None` when committed, else why it failed.
type Deliver = Box<dyn FnOnce(Option<String>) + Send>;

struct Job {
    run: Box<dyn FnOnce(&mut DbConn) -> Deliver + Send>,
    fail: Box<dyn FnOnce(String) + Send>,
}

/// The most writes committed together.
const MAX_BATCH: usize = 64;

pub struct Writer {
    queue: Mutex<mpsc::Sender<Job>>,
}

impl Writer {
    pub fn start(pool: Pool) -> Result<Writer, String> {
        let (queue, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&pool, &jobs))
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        Ok(Writer {
            queue: Mutex::new(queue),
        })
    }

    /// Queues `f`; the receiver gets its result once the batch it ran in is committed.
    pub fn submit<T, F>(&self, f: F) -> Result<mpsc::Receiver<Result<T, AppError>>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let fail_tx = tx.clone();
        let job = Job {
            run: Box::new(move |conn: &mut DbConn| {
                let outcome = in_savepoint(conn, f);
                Box::new(move |failure: Option<String>| {
                    let result = match (failure, outcome) {
                        (None, outcome) => outcome,
                        // Its own error stands; a success that was not committed is a failure.
                        (Some(_), Err(e)) => Err(e),
                        (Some(why), Ok(_)) => Err(AppError::internal(why)),
                    };
                    let _ = tx.send(result);
                }) as Deliver
            }),
            fail: Box::new(move |why: String| {
                let _ = fail_tx.send(Err(AppError::internal(why)));
            }),
        };
        let queue = self
            .queue
            .lock()
            .map_err(|_| AppError::internal("database writer lock poisoned"))?;
        queue
            .send(job)
            .map_err(|_| AppError::internal("the database writer has stopped"))?;
        Ok(rx)
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

fn run(pool: &Pool, jobs: &mpsc::Receiver<Job>) {
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
                    .for_each(|job| (job.fail)(format!("database pool: {e}")));
                continue;
            }
        };
        let begun = match &mut *conn {
            DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
            DbConn::Postgres(_) => Tm::begin_transaction(&mut conn),
        };
        if let Err(e) = begun {
            batch.into_iter().for_each(|job| (job.fail)(format!("database: {e}")));
            continue;
        }
        let delivers: Vec<Deliver> = batch.into_iter().map(|job| (job.run)(&mut conn)).collect();
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
