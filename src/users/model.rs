//! Rows of `users` and `user_organizations`, and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::policy::{CurrentUser, Role};
use crate::db::schema::{user_organizations, users};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub member_id: Option<i64>,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub member_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user as shown to admins and written to the audit log: never the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub organization_ids: Vec<i64>,
    pub member_id: Option<i64>,
    pub disabled: bool,
    pub created_at: String,
}

impl User {
    /// (id, username) of many users at once, for "written by" lines.
    pub fn usernames(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
        Ok(users::table
            .filter(users::id.eq_any(ids))
            .select((users::id, users::username))
            .load(conn)?)
    }

    pub fn find(conn: &mut DbConn, id: i64) -> AppResult<User> {
        Ok(users::table.find(id).select(User::as_select()).get_result(conn)?)
    }

    pub fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<User>> {
        Ok(users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .get_result(conn)
            .optional()?)
    }

    /// The account a command-line import is recorded under: the one named, or the first
    /// administrator who is not disabled.
    pub fn importer(conn: &mut DbConn, username: Option<&str>) -> Result<CurrentUser, String> {
        let user = match username {
            Some(name) => Self::find_by_username(conn, name).map_err(|e| e.to_string())?,
            None => users::table
                .filter(users::role.eq(Role::Admin.as_str()))
                .filter(users::disabled_at.is_null())
                .order(users::id)
                .select(User::as_select())
                .first(conn)
                .optional()
                .map_err(|e| e.to_string())?,
        };
        let user = user.ok_or("no such account (and no administrator yet): use --as USERNAME")?;
        user.current(conn).map_err(|e| e.to_string())
    }

    pub fn username_taken(conn: &mut DbConn, username: &str) -> AppResult<bool> {
        Ok(Self::find_by_username(conn, username)?.is_some())
    }

    pub fn insert(conn: &mut DbConn, new: &NewUser) -> AppResult<User> {
        Ok(diesel::insert_into(users::table)
            .values(new)
            .returning(users::all_columns)
            .get_result(conn)?)
    }

    pub fn organization_ids(conn: &mut DbConn, user_id: i64) -> AppResult<Vec<i64>> {
        Ok(user_organizations::table
            .filter(user_organizations::user_id.eq(user_id))
            .select(user_organizations::organization_id)
            .order(user_organizations::organization_id)
            .load(conn)?)
    }

    pub fn set_organizations(conn: &mut DbConn, user_id: i64, organization_ids: &[i64]) -> AppResult<()> {
        diesel::delete(user_organizations::table.filter(user_organizations::user_id.eq(user_id))).execute(conn)?;
        for organization_id in organization_ids {
            diesel::insert_into(user_organizations::table)
                .values((
                    user_organizations::user_id.eq(user_id),
                    user_organizations::organization_id.eq(organization_id),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn list(conn: &mut DbConn, limit: i64, offset: i64) -> AppResult<(Vec<User>, i64)> {
        let total = users::table.count().get_result(conn)?;
        let rows = users::table
            .order(users::username)
            .limit(limit)
            .offset(offset)
            .select(User::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    pub fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> AppResult<()> {
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(crate::clock::now())))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_disabled(conn: &mut DbConn, id: i64, disabled: bool) -> AppResult<()> {
        let now = crate::clock::now();
        diesel::update(users::table.find(id))
            .set((
                users::disabled_at.eq(disabled.then_some(now)),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn role(&self) -> AppResult<Role> {
        Role::parse(&self.role).map_err(|_| AppError::internal(format!("user {} has an unknown role", self.id)))
    }

    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    /// The user with their organisations, as handlers see them.
    pub fn current(self, conn: &mut DbConn) -> AppResult<CurrentUser> {
        let organization_ids = Self::organization_ids(conn, self.id)?;
        self.current_with(organization_ids)
    }

    /// The user as the one acting, with her organisations already read (in order).
    pub fn current_with(self, organization_ids: Vec<i64>) -> AppResult<CurrentUser> {
        Ok(CurrentUser {
            organization_ids,
            role: self.role()?,
            id: self.id,
            username: self.username,
            member_id: self.member_id,
        })
    }

    pub fn view(self, conn: &mut DbConn) -> AppResult<UserView> {
        Ok(UserView {
            organization_ids: Self::organization_ids(conn, self.id)?,
            disabled: self.disabled_at.is_some(),
            created_at: crate::clock::rfc3339(self.created_at),
            id: self.id,
            username: self.username,
            role: self.role,
            member_id: self.member_id,
        })
    }
}
