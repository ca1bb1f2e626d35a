//! Rows of `members` and `member_organizations`, and their queries, always through a scope.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::expression::{SqlLiteral, UncheckedBind};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::db::schema::{member_organizations, members};
use crate::db::{on_backend, DbConn};
use crate::error::{AppError, AppResult};

/// A text column in SQL as [`crate::input::fold_for_search`] folds text: accented letters of
/// Spanish plain, then lower case. Written out in `replace`s, the same on SQLite and PostgreSQL.
fn folded_sql(column: &str) -> String {
    let mut sql = column.to_string();
    for (from, to) in crate::input::SEARCH_FOLDS {
        sql = format!("replace({sql}, '{from}', '{to}')");
    }
    format!("lower({sql})")
}

type TextValue = <String as diesel::expression::AsExpression<Text>>::Expression;

/// A condition in SQL with the search's pattern bound twice (see [`found_by`]).
pub type FoundBy =
    SqlLiteral<Bool, UncheckedBind<SqlLiteral<Bool, UncheckedBind<SqlLiteral<Bool>, TextValue>>, TextValue>>;

/// `before` (name or DNI holds `text`) `after`: her name (first and last, as a page shows it) or
/// DNI holds the text, case and accents ignored — "nelida" finds Nélida, "nunez" Núñez, "rosa
/// quispe" Rosa Quispe.
fn holding_text(before: &str, text: &str, after: &str) -> FoundBy {
    let pattern = format!(
        "%{}%",
        crate::input::fold_for_search(text.trim()).replace(['%', '_'], "")
    );
    let full_name = folded_sql("(members.first_name || ' ' || members.last_name)");
    sql::<Bool>(&format!("{before}({full_name} LIKE "))
        .bind::<Text, _>(pattern.clone())
        .sql(" OR members.dni LIKE ")
        .bind::<Text, _>(pattern)
        .sql(&format!("){after}"))
}

/// The condition that the member in column `member_id` (as SQL names it: `loans.member_id`) is
/// one the members' list finds by `text`: for the rows that belong to a member (a fund's loans
/// by borrower).
pub fn found_by(member_id: &str, text: &str) -> FoundBy {
    holding_text(
        &format!("{member_id} IN (SELECT members.id FROM members WHERE "),
        text,
        ")",
    )
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = members, treat_none_as_null = true)]
pub struct Member {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub dni: Option<String>,
    pub sex: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: String,
    pub sms_consent: bool,
    pub sms_consent_at: Option<NaiveDateTime>,
    pub sms_consent_by: Option<i64>,
    pub email_consent: bool,
    pub email_consent_at: Option<NaiveDateTime>,
    pub email_consent_by: Option<i64>,
    pub anonymized_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The consents of a member, with when and by whom each was last recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentsView {
    pub sms: bool,
    pub email: bool,
    pub sms_recorded_at: Option<String>,
    pub sms_recorded_by: Option<i64>,
    pub email_recorded_at: Option<String>,
    pub email_recorded_by: Option<i64>,
}

/// A member as the API shows her (and as the audit log records her).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub dni: Option<String>,
    pub sex: String,
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: String,
    pub organization_ids: Vec<i64>,
    pub consents: ConsentsView,
    pub anonymized: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Member {
    pub fn view(&self, organization_ids: Vec<i64>) -> MemberView {
        use crate::clock::rfc3339;
        MemberView {
            id: self.id,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            dni: self.dni.clone(),
            sex: self.sex.clone(),
            birth_date: self.birth_date.map(|d| d.to_string()),
            phone: self.phone.clone(),
            email: self.email.clone(),
            language: self.language.clone(),
            organization_ids,
            consents: ConsentsView {
                sms: self.sms_consent,
                email: self.email_consent,
                sms_recorded_at: self.sms_consent_at.map(rfc3339),
                sms_recorded_by: self.sms_consent_by,
                email_recorded_at: self.email_consent_at.map(rfc3339),
                email_recorded_by: self.email_consent_by,
            },
            anonymized: self.anonymized_at.is_some(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// A member the scope reaches; anyone else is "not found".
    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<Member> {
        let visible = match scope {
            Scope::All => true,
            Scope::Herself(own) => *own == id,
            Scope::Organizations(ids) => {
                let shared: i64 = member_organizations::table
                    .filter(member_organizations::member_id.eq(id))
                    .filter(member_organizations::organization_id.eq_any(ids))
                    .count()
                    .get_result(conn)?;
                shared > 0
            }
            Scope::Nothing => false,
        };
        if !visible {
            return Err(AppError::NotFound);
        }
        Ok(on_backend!(conn, |c| members::table
            .find(id)
            .select(Member::as_select())
            .get_result(c))?)
    }

    /// Members the scope reaches, matching a search on name or DNI, by last name.
    pub fn search(
        conn: &mut DbConn,
        scope: &Scope,
        filter: &MemberFilter,
        limit: i64,
        offset: i64,
    ) -> AppResult<(Vec<Member>, i64)> {
        let query = || {
            let mut q = members::table.into_boxed();
            match scope {
                Scope::All => {}
                Scope::Organizations(ids) => {
                    q = q.filter(
                        members::id.eq_any(
                            member_organizations::table
                                .filter(member_organizations::organization_id.eq_any(ids.clone()))
                                .select(member_organizations::member_id),
                        ),
                    )
                }
                Scope::Herself(own) => q = q.filter(members::id.eq(*own)),
                Scope::Nothing => q = q.filter(members::id.eq(-1)),
            }
            if let Some(org) = filter.organization_id {
                q = q.filter(
                    members::id.eq_any(
                        member_organizations::table
                            .filter(member_organizations::organization_id.eq(org))
                            .select(member_organizations::member_id),
                    ),
                );
            }
            if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
                q = q.filter(holding_text("", text, ""));
            }
            q
        };
        let total = query().count().get_result(conn)?;
        let rows = query()
            .order((members::last_name, members::first_name, members::id))
            .limit(limit)
            .offset(offset)
            .select(Member::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    pub fn insert(conn: &mut DbConn, row: &Member) -> AppResult<Member> {
        Ok(diesel::insert_into(members::table)
            .values(row)
            .returning(members::all_columns)
            .get_result(conn)?)
    }

    /// Saves the record. Callers that change how she is reached also withdraw what was queued to
    /// her on the old terms (`members::service` does both in one transaction).
    pub fn save(conn: &mut DbConn, row: &Member) -> AppResult<()> {
        diesel::update(members::table.find(row.id)).set(row).execute(conn)?;
        Ok(())
    }

    /// The other member who already has this DNI, if any.
    pub fn dni_holder(conn: &mut DbConn, dni: &str, except: Option<i64>) -> AppResult<Option<i64>> {
        Ok(members::table
            .filter(members::dni.eq(dni))
            .filter(members::id.ne(except.unwrap_or(-1)))
            .select(members::id)
            .first(conn)
            .optional()?)
    }

    pub fn organization_ids(conn: &mut DbConn, member_id: i64) -> AppResult<Vec<i64>> {
        Ok(on_backend!(conn, |c| member_organizations::table
            .filter(member_organizations::member_id.eq(member_id))
            .select(member_organizations::organization_id)
            .order(member_organizations::organization_id)
            .load(c))?)
    }

    /// The organisations of many members at once (one query, not one per member).
    pub fn organization_ids_of(conn: &mut DbConn, member_ids: &[i64]) -> AppResult<Vec<(i64, i64)>> {
        Ok(member_organizations::table
            .filter(member_organizations::member_id.eq_any(member_ids))
            .select((member_organizations::member_id, member_organizations::organization_id))
            .order((member_organizations::member_id, member_organizations::organization_id))
            .load(conn)?)
    }

    pub fn set_organizations(conn: &mut DbConn, member_id: i64, organization_ids: &[i64]) -> AppResult<()> {
        diesel::delete(member_organizations::table.filter(member_organizations::member_id.eq(member_id)))
            .execute(conn)?;
        for organization_id in organization_ids {
            diesel::insert_into(member_organizations::table)
                .values((
                    member_organizations::member_id.eq(member_id),
                    member_organizations::organization_id.eq(organization_id),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// "First Last" of many members at once (one query, not one per member).
    pub fn names(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
        let rows: Vec<(i64, String, String)> = members::table
            .filter(members::id.eq_any(ids))
            .select((members::id, members::first_name, members::last_name))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, first, last)| (id, format!("{first} {last}")))
            .collect())
    }

    /// "Last, First" of many members at once, for lists sorted by surname.
    pub fn sort_names(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
        let rows: Vec<(i64, String, String)> = members::table
            .filter(members::id.eq_any(ids))
            .select((members::id, members::first_name, members::last_name))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, first, last)| (id, format!("{last}, {first}")))
            .collect())
    }

    pub fn exists(conn: &mut DbConn, id: i64) -> AppResult<bool> {
        let count: i64 = members::table.filter(members::id.eq(id)).count().get_result(conn)?;
        Ok(count > 0)
    }
}

#[derive(Debug, Default, Clone)]
pub struct MemberFilter {
    pub text: Option<String>,
    pub organization_id: Option<i64>,
}
