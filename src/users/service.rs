//! Creating and changing user accounts, with the rules that tie roles to scopes.

use crate::audit;
use crate::auth::policy::{CurrentUser, Role};
use crate::auth::session;
use crate::auth::{password, secret};
use crate::clock::now;
use crate::db::{write_transaction, Db, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::input::{required, Errors, Given, Input};
use crate::members::model::Member;
use crate::organizations::Organization;

use super::model::{NewUser, User, UserView};

pub fn parse_username(raw: &str) -> Result<String, &'static str> {
    let username = raw.trim().to_lowercase();
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if (3..=64).contains(&username.len()) && ok_chars {
        Ok(username)
    } else {
        Err("username_format")
    }
}

pub struct NewUserInput {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub organization_ids: Vec<i64>,
    pub member_id: Option<i64>,
}

impl NewUserInput {
    pub fn parse(input: &dyn Input) -> Result<NewUserInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["username", "password", "role", "organization_ids", "member_id"]));
        let username = e.take(required(input, "username", parse_username));
        let password = e.take(required(input, "password", |raw| Ok(raw.to_string())));
        if let (Some(u), Some(p)) = (&username, &password) {
            if let Err(code) = password::check_strength(p, u) {
                e.push("password", code);
            }
        }
        let role = e.take(required(input, "role", Role::parse));
        let organization_ids = e.take(input.ids("organization_ids")).flatten().unwrap_or_default();
        let member_id = match e.take(input.id("member_id")) {
            Some(Given::Text(id)) => id.parse::<i64>().ok(),
            _ => None,
        };
        match role {
            Some(Role::Coordinator) if organization_ids.is_empty() => {
                e.push("organization_ids", "organization_required")
            }
            Some(r) if r != Role::Coordinator && !organization_ids.is_empty() => {
                e.push("organization_ids", "organizations_only_for_coordinators")
            }
            _ => {}
        }
        match role {
            Some(Role::Member) if member_id.is_none() => e.push("member_id", "member_required"),
            Some(r) if r != Role::Member && member_id.is_some() => e.push("member_id", "member_only_for_members"),
            _ => {}
        }
        e.finish(|| {
            Some(NewUserInput {
                username: username?,
                password: password?,
                role: role?,
                organization_ids,
                member_id,
            })
        })
    }
}

/// Creates a user. `password_hash` is computed by the caller outside the transaction (argon2 is slow).
pub fn create(
    conn: &mut DbConn,
    actor: Option<&CurrentUser>,
    input: &NewUserInput,
    password_hash: &str,
) -> AppResult<UserView> {
    if User::username_taken(conn, &input.username)? {
        return Err(AppError::invalid("username", "username_taken"));
    }
    if !Organization::unknown_ids(conn, &input.organization_ids)?.is_empty() {
        return Err(AppError::invalid("organization_ids", "organization_unknown"));
    }
    if let Some(member_id) = input.member_id {
        if !Member::exists(conn, member_id)? {
            return Err(AppError::invalid("member_id", "member_unknown"));
        }
    }
    let at = now();
    let user = User::insert(
        conn,
        &NewUser {
            username: &input.username,
            password_hash,
            role: input.role.as_str(),
            member_id: input.member_id,
            created_at: at,
            updated_at: at,
        },
    )?;
    User::set_organizations(conn, user.id, &input.organization_ids)?;
    let view = user.view(conn)?;
    audit::record(
        conn,
        actor.map(|a| a.id),
        "create",
        "user",
        Some(view.id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}

/// What an admin may change on an account: enabled or not, its password, a coordinator's organisations.
pub struct UserChanges {
    pub disabled: Option<bool>,
    pub password: Option<String>,
    pub organization_ids: Option<Vec<i64>>,
}

impl UserChanges {
    pub fn parse(input: &dyn Input) -> Result<UserChanges, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["disabled", "password", "organization_ids"]));
        let disabled = e.take(input.flag("disabled")).flatten();
        let password = match e.take(input.text("password")) {
            Some(Given::Text(p)) => Some(p),
            Some(Given::Empty) => {
                e.push("password", "password_too_short");
                None
            }
            _ => None,
        };
        let organization_ids = e.take(input.ids("organization_ids")).flatten();
        e.finish(|| {
            Some(UserChanges {
                disabled,
                password,
                organization_ids,
            })
        })
    }
}

pub fn update(
    conn: &mut DbConn,
    actor: &CurrentUser,
    id: i64,
    changes: &UserChanges,
    password_hash: Option<&str>,
) -> AppResult<UserView> {
    let user = User::find(conn, id)?;
    let before = user.clone().view(conn)?;
    if let Some(p) = &changes.password {
        password::check_strength(p, &user.username).map_err(|code| AppError::invalid("password", code))?;
    }
    if let Some(ids) = &changes.organization_ids {
        if user.role()? != Role::Coordinator {
            return Err(AppError::invalid(
                "organization_ids",
                "organizations_only_for_coordinators",
            ));
        }
        if ids.is_empty() {
            return Err(AppError::invalid("organization_ids", "organization_required"));
        }
        if !Organization::unknown_ids(conn, ids)?.is_empty() {
            return Err(AppError::invalid("organization_ids", "organization_unknown"));
        }
        User::set_organizations(conn, id, ids)?;
    }
    if let Some(disabled) = changes.disabled {
        if disabled && id == actor.id {
            return Err(AppError::invalid("disabled", "cannot_disable_self"));
        }
        User::set_disabled(conn, id, disabled)?;
    }
    if let Some(hash) = password_hash {
        User::set_password_hash(conn, id, hash)?;
    }
    // A disabled account, a new password or a new scope ends every session and token at once.
    if changes.disabled == Some(true) || password_hash.is_some() || changes.organization_ids.is_some() {
        session::end_all_for_user(conn, id)?;
    }
    let after = User::find(conn, id)?.view(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        "update",
        "user",
        Some(id),
        Some(&audit::snapshot(&before)),
        Some(&audit::snapshot(&after)),
    )?;
    Ok(after)
}

/// argon2 off the async workers and outside any transaction.
pub async fn hash_password(password: String) -> AppResult<String> {
    actix_web::web::block(move || password::hash(&password))
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
        .map_err(AppError::internal)
}

/// On a database without users, creates `admin` with a random password and returns it (once).
pub fn bootstrap_admin(db: &Db) -> Result<Option<(String, String)>, String> {
    use diesel::prelude::*;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let count: i64 = crate::db::schema::users::table
        .count()
        .get_result(&mut *conn)
        .map_err(|e| e.to_string())?;
    if count > 0 {
        return Ok(None);
    }
    let password = secret::generate()[..20].to_string();
    let hash = password::hash(&password)?;
    let input = NewUserInput {
        username: "admin".into(),
        password: password.clone(),
        role: Role::Admin,
        organization_ids: vec![],
        member_id: None,
    };
    write_transaction(&mut conn, |conn| create(conn, None, &input, &hash)).map_err(|e| e.to_string())?;
    Ok(Some(("admin".into(), password)))
}

#[cfg(test)]
mod tests {
    use super::parse_username;

    #[test]
    fn usernames_are_lowercase_ascii_words_of_3_to_64() {
        assert_eq!(parse_username(" Coord.Ananea "), Ok("coord.ananea".into()));
        assert_eq!(parse_username("rosa_quispe-2"), Ok("rosa_quispe-2".into()));
        for bad in ["ro", "rosa quispe", "rosá", &"a".repeat(65), "rosa@x"] {
            assert_eq!(parse_username(bad), Err("username_format"), "{bad}");
        }
    }
}
