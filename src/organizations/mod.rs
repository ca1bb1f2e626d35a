//! Organisations (associations, cooperatives): data, not code. Admins manage them.

pub mod api;
pub mod pages;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit;
use crate::auth::policy::{CurrentUser, Scope};
use crate::clock::now;
use crate::db::schema::organizations;
use crate::db::{on_backend, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::input::{closed_set, required_if, Errors, Input};

closed_set!(Kind, "organization_kind_unknown", { Association => "association", Cooperative => "cooperative" });

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub kind: String,
    #[serde(serialize_with = "crate::clock::serialize_instant")]
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

pub const NAME_MAX_CHARS: usize = 200;

/// An organisation as sent. On create both fields are required; on update either may be left out.
pub struct OrganizationInput {
    pub name: Option<String>,
    pub kind: Option<Kind>,
}

fn parse_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.chars().count() > NAME_MAX_CHARS {
        Err("name_too_long")
    } else if name.chars().any(char::is_control) {
        Err("control_characters")
    } else {
        Ok(name.to_string())
    }
}

impl OrganizationInput {
    pub fn parse(input: &dyn Input, creating: bool) -> Result<OrganizationInput, Vec<FieldError>> {
        let mut errors = Errors::default();
        errors.extend(input.unknown_fields(&["name", "kind"]));
        let name = errors.take(required_if(creating, input, "name", parse_name));
        let kind = errors.take(required_if(creating, input, "kind", Kind::parse));
        errors.finish(|| {
            Some(OrganizationInput {
                name: name?,
                kind: kind?,
            })
        })
    }
}

impl Organization {
    /// Organisations the user reaches, by name.
    pub fn list(conn: &mut DbConn, scope: &Scope) -> AppResult<Vec<Organization>> {
        match scope {
            Scope::All => Self::all(conn),
            Scope::Organizations(ids) => Ok(organizations::table
                .filter(organizations::id.eq_any(ids.clone()))
                .order(organizations::name)
                .select(Organization::as_select())
                .load(conn)?),
            Scope::Herself(_) | Scope::Nothing => Ok(Vec::new()),
        }
    }

    /// Every organisation, by name (read on the backend's own connection: many pages show them).
    pub fn all(conn: &mut DbConn) -> AppResult<Vec<Organization>> {
        Ok(on_backend!(conn, |c| organizations::table
            .order(organizations::name)
            .select(Organization::as_select())
            .load(c))?)
    }

    /// The ids among `ids` that do not name an existing organisation.
    pub fn unknown_ids(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<i64>> {
        let found: Vec<i64> = organizations::table
            .filter(organizations::id.eq_any(ids))
            .select(organizations::id)
            .load(conn)?;
        Ok(ids.iter().copied().filter(|id| !found.contains(id)).collect())
    }

    /// One organisation the scope reaches; others are "not found".
    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<Organization> {
        let visible = match scope {
            Scope::All => true,
            Scope::Organizations(ids) => ids.contains(&id),
            Scope::Herself(_) | Scope::Nothing => false,
        };
        if !visible {
            return Err(AppError::NotFound);
        }
        Ok(organizations::table
            .find(id)
            .select(Organization::as_select())
            .get_result(conn)?)
    }

    fn name_taken(conn: &mut DbConn, name: &str, except: Option<i64>) -> AppResult<bool> {
        let count: i64 = organizations::table
            .filter(organizations::name.eq(name))
            .filter(organizations::id.ne(except.unwrap_or(-1)))
            .count()
            .get_result(conn)?;
        Ok(count > 0)
    }

    pub fn create(conn: &mut DbConn, actor: &CurrentUser, input: OrganizationInput) -> AppResult<Organization> {
        let (Some(name), Some(kind)) = (input.name, input.kind) else {
            return Err(AppError::invalid("name", "required"));
        };
        if Self::name_taken(conn, &name, None)? {
            return Err(AppError::invalid("name", "organization_name_taken"));
        }
        let created: Organization = diesel::insert_into(organizations::table)
            .values((
                organizations::name.eq(&name),
                organizations::kind.eq(kind.as_str()),
                organizations::created_at.eq(now()),
            ))
            .returning(organizations::all_columns)
            .get_result(conn)?;
        let after = audit::snapshot(&created);
        audit::record(
            conn,
            Some(actor.id),
            "create",
            "organization",
            Some(created.id),
            None,
            Some(&after),
        )?;
        Ok(created)
    }

    pub fn update(
        conn: &mut DbConn,
        actor: &CurrentUser,
        id: i64,
        input: OrganizationInput,
    ) -> AppResult<Organization> {
        let before = Self::find_scoped(conn, &Scope::All, id)?;
        let name = input.name.unwrap_or_else(|| before.name.clone());
        let kind = input
            .kind
            .map_or_else(|| before.kind.clone(), |k| k.as_str().to_string());
        if Self::name_taken(conn, &name, Some(id))? {
            return Err(AppError::invalid("name", "organization_name_taken"));
        }
        let after: Organization = diesel::update(organizations::table.find(id))
            .set((organizations::name.eq(&name), organizations::kind.eq(&kind)))
            .returning(organizations::all_columns)
            .get_result(conn)?;
        let (old, new) = (audit::snapshot(&before), audit::snapshot(&after));
        audit::record(
            conn,
            Some(actor.id),
            "update",
            "organization",
            Some(id),
            Some(&old),
            Some(&new),
        )?;
        Ok(after)
    }
}
