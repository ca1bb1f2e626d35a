//! Organisations (associations, cooperatives): data, not code. Admins manage them.

pub mod api;
pub mod pages;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit;
use crate::auth::policy::{CurrentUser, Scope};
use crate::db::schema::organizations;
use crate::db::{now, DbConn};
use crate::error::{AppError, AppResult, FieldError};
use crate::input::{closed_set, required, Errors, Input};

closed_set!(Kind, "organization_kind_unknown", { Association => "association", Cooperative => "cooperative" });

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub kind: String,
    #[serde(serialize_with = "crate::web::serialize_instant")]
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

pub const NAME_MAX_CHARS: usize = 200;

pub struct OrganizationInput {
    pub name: String,
    pub kind: Kind,
}

impl OrganizationInput {
    pub fn parse(input: &dyn Input) -> Result<OrganizationInput, Vec<FieldError>> {
        let mut errors = Errors::default();
        errors.extend(input.unknown_fields(&["name", "kind"]));
        let name = errors.take(required(input, "name", |raw| {
            let name = raw.trim();
            if name.chars().count() > NAME_MAX_CHARS {
                Err("name_too_long")
            } else if name.chars().any(char::is_control) {
                Err("control_characters")
            } else {
                Ok(name.to_string())
            }
        }));
        let kind = errors.take(required(input, "kind", Kind::parse));
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
        let mut query = organizations::table
            .order(organizations::name)
            .select(Organization::as_select())
            .into_boxed();
        match scope {
            Scope::All => {}
            Scope::Organizations(ids) => query = query.filter(organizations::id.eq_any(ids.clone())),
            Scope::Herself(_) | Scope::Nothing => return Ok(Vec::new()),
        }
        Ok(query.load(conn)?)
    }

    pub fn all(conn: &mut DbConn) -> AppResult<Vec<Organization>> {
        Self::list(conn, &Scope::All)
    }

    /// The ids among `ids` that do not name an existing organisation.
    pub fn unknown_ids(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<i64>> {
        let found: Vec<i64> = organizations::table
            .filter(organizations::id.eq_any(ids))
            .select(organizations::id)
            .load(conn)?;
        Ok(ids.iter().copied().filter(|id| !found.contains(id)).collect())
    }

    pub fn create(conn: &mut DbConn, actor: &CurrentUser, input: OrganizationInput) -> AppResult<Organization> {
        let taken: i64 = organizations::table
            .filter(organizations::name.eq(&input.name))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::invalid("name", "organization_name_taken"));
        }
        let created: Organization = diesel::insert_into(organizations::table)
            .values((
                organizations::name.eq(&input.name),
                organizations::kind.eq(input.kind.as_str()),
                organizations::created_at.eq(now()),
            ))
            .returning(organizations::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            Some(actor.id),
            "create",
            "organization",
            Some(created.id),
            None,
            Some(&audit::snapshot(&created)),
        )?;
        Ok(created)
    }
}
