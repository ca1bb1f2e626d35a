//! Checking a username and password, for the login form and the token route alike:
//! throttled per username and per client address (counted in the database), the same answer
//! and the same time whether or not the user exists, and old hashes upgraded on success.

use chrono::Duration;
use diesel::prelude::*;

use super::password;
use super::policy::CurrentUser;
use crate::audit;
use crate::clock::now;
use crate::db::schema::login_attempts;
use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use crate::users::model::User;

pub const WINDOW_MINUTES: i64 = 15;
/// Failed attempts for one username from one address within the window before that username is
/// locked, from that address, for the window.
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
/// Failed attempts from one client address within the window (a shared office counts as one).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;

/// Forgets the login attempts made under a username (a person anonymised: her username was
/// personal data too). Her account is disabled and renamed first, so no throttle is lifted.
pub fn forget_attempts(conn: &mut DbConn, username: &str) -> AppResult<()> {
    diesel::delete(login_attempts::table.filter(login_attempts::username.eq(username))).execute(conn)?;
    Ok(())
}

fn failures_since(conn: &mut DbConn, username: &str, client_ip: &str) -> AppResult<(i64, i64)> {
    let since = now() - Duration::minutes(WINDOW_MINUTES);
    let last_success: Option<chrono::NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(true))
        .select(diesel::dsl::max(login_attempts::at))
        .get_result(conn)?;
    let username_since = last_success.map_or(since, |at| at.max(since));
    // A username is locked for the address that failed with it, not for everyone: five wrong
    // passwords from a stranger must not lock the real person out.
    let by_username = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::client_ip.eq(client_ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(username_since))
        .count()
        .get_result(conn)?;
    let by_address = login_attempts::table
        .filter(login_attempts::client_ip.eq(client_ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(since))
        .count()
        .get_result(conn)?;
    Ok((by_username, by_address))
}

fn record_attempt(conn: &mut DbConn, username: &str, client_ip: &str, succeeded: bool) -> AppResult<()> {
    // Attempts older than a day count for nothing; keep the table small.
    diesel::delete(login_attempts::table.filter(login_attempts::at.lt(now() - Duration::days(1)))).execute(conn)?;
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(username),
            login_attempts::client_ip.eq(client_ip),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// What checking a username and password found, before anything is written: who she is (when
/// the password was right and the account active), and a stronger hash of her password when
/// hers was made with old parameters.
pub struct Verdict {
    username: String,
    client_ip: String,
    accepted: Option<(User, Option<String>)>,
}

/// Reads and verifies: throttling, the user, argon2 (blocking). Writes nothing, so it never waits
/// for the writer; [`record`] writes what it found. `TooManyRequests` when throttled.
pub fn verify(conn: &mut DbConn, username: &str, password: &str, client_ip: &str) -> AppResult<Verdict> {
    judge(look_up(conn, username, client_ip)?, password)
}

/// Who is signing in, read before her password is checked.
pub struct Candidate {
    username: String,
    client_ip: String,
    user: Option<User>,
}

/// The reads of [`verify`]: throttling and the user. `TooManyRequests` when throttled.
pub fn look_up(conn: &mut DbConn, username: &str, client_ip: &str) -> AppResult<Candidate> {
    let username = username.trim().to_lowercase();
    let (by_username, by_address) = failures_since(conn, &username, client_ip)?;
    if by_username >= MAX_FAILURES_PER_USERNAME || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::TooManyRequests);
    }
    let user = User::find_by_username(conn, &username)?;
    Ok(Candidate {
        username,
        client_ip: client_ip.to_string(),
        user,
    })
}

/// The password check of [`verify`] (argon2: blocking, and no connection held while it runs).
pub fn judge(candidate: Candidate, password: &str) -> AppResult<Verdict> {
    let Candidate {
        username,
        client_ip,
        user,
    } = candidate;
    let verified = match &user {
        Some(user) => password::verify(password, &user.password_hash),
        None => {
            password::verify_dummy(password);
            (false, false)
        }
    };
    let accepted = match user {
        Some(user) if verified.0 && user.is_active() => {
            let upgraded = match verified.1 {
                true => Some(password::hash(password).map_err(AppError::internal)?),
                false => None,
            };
            Some((user, upgraded))
        }
        _ => None,
    };
    Ok(Verdict {
        username,
        client_ip,
        accepted,
    })
}

/// Writes what [`verify`] found: the attempt (which counts for throttling whatever happens next),
/// and on success the upgraded hash and the audit row. `None` when the credentials were wrong:
/// the caller answers `Unauthenticated` after this transaction commits, so the failure counts.
pub fn record(conn: &mut DbConn, verdict: Verdict) -> AppResult<Option<CurrentUser>> {
    let Verdict {
        username,
        client_ip,
        accepted,
    } = verdict;
    record_attempt(conn, &username, &client_ip, accepted.is_some())?;
    let Some((user, upgraded)) = accepted else {
        return Ok(None);
    };
    if let Some(hash) = upgraded {
        User::set_password_hash(conn, user.id, &hash)?;
    }
    audit::record(conn, Some(user.id), "login", "user", Some(user.id), None, None)?;
    user.current(conn).map(Some)
}

/// Checks the credentials as the server does — [`look_up`] on the read pool, [`judge`] off it (a
/// connection is not held through argon2's ~19 MiB and tens of milliseconds), then [`record`] and
/// `then` (start a session, issue a token) in one write — and answers `Unauthenticated` for wrong
/// ones only after the failed attempt is committed.
pub async fn sign_in<T, F>(db: &Db, username: String, password: String, client_ip: String, then: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, CurrentUser) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let candidate = db.read(move |conn| look_up(conn, &username, &client_ip)).await?;
    let verdict = actix_web::web::block(move || judge(candidate, &password))
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))??;
    db.write(move |conn| match record(conn, verdict)? {
        Some(user) => then(conn, user).map(Some),
        None => Ok(None),
    })
    .await?
    .ok_or(AppError::Unauthenticated)
}

/// Both steps on one connection, for the command line and tests (the server reads with
/// [`verify`] on the read pool and writes with [`record`] through the writer).
pub fn check_credentials(conn: &mut DbConn, username: &str, password: &str, client_ip: &str) -> AppResult<CurrentUser> {
    let verdict = verify(conn, username, password, client_ip)?;
    record(conn, verdict)?.ok_or(AppError::Unauthenticated)
}
