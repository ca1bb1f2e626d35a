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
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::users::model::User;

pub const WINDOW_MINUTES: i64 = 15;
/// Failed attempts for one username within the window before it is locked for the window.
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
/// Failed attempts from one client address within the window (a shared office counts as one).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;

fn failures_since(conn: &mut DbConn, username: &str, client_ip: &str) -> AppResult<(i64, i64)> {
    let since = now() - Duration::minutes(WINDOW_MINUTES);
    let last_success: Option<chrono::NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(true))
        .select(diesel::dsl::max(login_attempts::at))
        .get_result(conn)?;
    let username_since = last_success.map_or(since, |at| at.max(since));
    let by_username = login_attempts::table
        .filter(login_attempts::username.eq(username))
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

/// The user these credentials belong to, or `Unauthenticated` / `TooManyRequests`.
/// Blocking: runs argon2.
pub fn check_credentials(conn: &mut DbConn, username: &str, password: &str, client_ip: &str) -> AppResult<CurrentUser> {
    let username = username.trim().to_lowercase();
    let (by_username, by_address) = failures_since(conn, &username, client_ip)?;
    if by_username >= MAX_FAILURES_PER_USERNAME || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::TooManyRequests);
    }
    let user = User::find_by_username(conn, &username)?;
    let verified = match &user {
        Some(user) => password::verify(password, &user.password_hash),
        None => {
            password::verify_dummy(password);
            (false, false)
        }
    };
    match user {
        Some(user) if verified.0 && user.is_active() => {
            record_attempt(conn, &username, client_ip, true)?;
            if verified.1 {
                let upgraded = password::hash(password).map_err(AppError::internal)?;
                User::set_password_hash(conn, user.id, &upgraded)?;
            }
            audit::record(conn, Some(user.id), "login", "user", Some(user.id), None, None)?;
            user.current(conn)
        }
        _ => {
            record_attempt(conn, &username, client_ip, false)?;
            Err(AppError::Unauthenticated)
        }
    }
}
