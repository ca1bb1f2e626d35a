//! Browser sessions and API tokens, both kept in the database so several server processes agree,
//! both stored as a hash of the secret the client holds.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::policy::CurrentUser;
use super::secret;
use crate::clock::now;
use crate::db::schema::{api_tokens, sessions, user_organizations, users};
use crate::db::{on_backend, DbConn};
use crate::error::AppResult;
use crate::users::model::User;

pub const SESSION_HOURS: i64 = 12;
pub const TOKEN_DAYS: i64 = 30;

/// What the browser gets at login: the session secret (cookie) and the CSRF token (forms).
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
}

pub fn start_session(conn: &mut DbConn, user_id: i64) -> AppResult<NewSession> {
    let fresh = NewSession {
        secret: secret::generate(),
        csrf_token: secret::generate(),
    };
    let at = now();
    // Housekeeping at a moment that is rare and cheap: drop sessions that can no longer be used.
    diesel::delete(sessions::table.filter(sessions::expires_at.le(at))).execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(secret::digest(&fresh.secret)),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(&fresh.csrf_token),
            sessions::created_at.eq(at),
            sessions::expires_at.eq(at + Duration::hours(SESSION_HOURS)),
        ))
        .execute(conn)?;
    Ok(fresh)
}

/// The active user of a live session, with the session's CSRF token: one statement, her
/// organisations joined (a row for each, or one row for none).
pub fn find_session(conn: &mut DbConn, session_secret: &str) -> AppResult<Option<(CurrentUser, String)>> {
    let rows: Vec<(User, String, Option<i64>)> = on_backend!(conn, |c| sessions::table
        .inner_join(users::table.left_join(user_organizations::table))
        .filter(sessions::id.eq(secret::digest(session_secret)))
        .filter(sessions::expires_at.gt(now()))
        .filter(users::disabled_at.is_null())
        .select((
            User::as_select(),
            sessions::csrf_token,
            user_organizations::organization_id.nullable(),
        ))
        .order(user_organizations::organization_id)
        .load(c))?;
    let csrf = rows.first().map(|(_, csrf, _)| csrf.clone());
    let user = gathered(rows.into_iter().map(|(user, _, org)| (user, org)))?;
    Ok(user.zip(csrf))
}

/// One user's rows, each with one of her organisations (or one row with none), as the user acting.
fn gathered(rows: impl Iterator<Item = (User, Option<i64>)>) -> AppResult<Option<CurrentUser>> {
    let mut user = None;
    let mut organization_ids = Vec::new();
    for (row, organization_id) in rows {
        user.get_or_insert(row);
        organization_ids.extend(organization_id);
    }
    user.map(|user| user.current_with(organization_ids)).transpose()
}

pub fn end_session(conn: &mut DbConn, session_secret: &str) -> AppResult<()> {
    diesel::delete(sessions::table.filter(sessions::id.eq(secret::digest(session_secret)))).execute(conn)?;
    Ok(())
}

/// Ends every browser session and API token of a user (disabled, anonymised, password changed).
pub fn end_all_for_user(conn: &mut DbConn, user_id: i64) -> AppResult<()> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

pub fn issue_token(conn: &mut DbConn, user_id: i64) -> AppResult<(String, NaiveDateTime)> {
    let token = secret::generate();
    let at = now();
    let expires_at = at + Duration::days(TOKEN_DAYS);
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(secret::digest(&token)),
            api_tokens::user_id.eq(user_id),
            api_tokens::created_at.eq(at),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok((token, expires_at))
}

/// The active user of a live, unrevoked token: one statement, as for a session.
pub fn find_token(conn: &mut DbConn, token: &str) -> AppResult<Option<CurrentUser>> {
    let rows: Vec<(User, Option<i64>)> = on_backend!(conn, |c| api_tokens::table
        .inner_join(users::table.left_join(user_organizations::table))
        .filter(api_tokens::token_hash.eq(secret::digest(token)))
        .filter(api_tokens::expires_at.gt(now()))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::disabled_at.is_null())
        .select((User::as_select(), user_organizations::organization_id.nullable()))
        .order(user_organizations::organization_id)
        .load(c))?;
    gathered(rows.into_iter())
}

pub fn revoke_token(conn: &mut DbConn, token: &str) -> AppResult<()> {
    diesel::update(api_tokens::table.filter(api_tokens::token_hash.eq(secret::digest(token))))
        .set(api_tokens::revoked_at.eq(now()))
        .execute(conn)?;
    Ok(())
}
