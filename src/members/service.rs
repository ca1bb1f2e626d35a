//! Business actions on members, each in one transaction with its audit row.

use serde_json::json;

use super::input::{blank, MemberChanges};
use super::model::{Member, MemberView};
use crate::audit;
use crate::auth::policy::{is_staff, may_assign_organization, may_export, member_scope, CurrentUser, Role};
use crate::auth::session;
use crate::clock::now;
use crate::db::schema::users;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;
use crate::users::model::User;
use chrono::NaiveDate;

/// What stands in for the names of a person who asked to be forgotten.
pub const ANONYMIZED_NAME: &str = "***";

/// The organisations a member will belong to. A coordinator changes only her own organisations'
/// memberships; the member's other organisations stay as they are.
fn resolve_organizations(
    conn: &mut DbConn,
    actor: &CurrentUser,
    requested: &[i64],
    current: &[i64],
) -> AppResult<Vec<i64>> {
    let unknown = Organization::unknown_ids(conn, requested)?;
    // An organisation outside the actor's reach is as unknown as one that does not exist.
    if !unknown.is_empty() || requested.iter().any(|id| !may_assign_organization(actor, *id)) {
        return Err(AppError::invalid("organization_ids", "organization_unknown"));
    }
    let mut result: Vec<i64> = current
        .iter()
        .copied()
        .filter(|id| !may_assign_organization(actor, *id))
        .chain(requested.iter().copied())
        .collect();
    result.sort_unstable();
    result.dedup();
    Ok(result)
}

/// A DNI belongs to one person. When someone the actor may see holds it, she is told so; when
/// the holder is outside her reach (another association's member), only that the DNI cannot be
/// used, not that someone elsewhere has it.
fn check_dni(conn: &mut DbConn, actor: &CurrentUser, row: &Member, except: Option<i64>) -> AppResult<()> {
    let Some(dni) = &row.dni else { return Ok(()) };
    match Member::dni_holder(conn, dni, except)? {
        None => Ok(()),
        Some(holder) if Member::find_scoped(conn, &member_scope(actor), holder).is_ok() => {
            Err(AppError::invalid("dni", "dni_taken"))
        }
        Some(_) => Err(AppError::invalid("dni", "dni_unavailable")),
    }
}

/// The DNI check and the write are one transaction, but on PostgreSQL two transactions can both
/// pass the check; the unique index then refuses the second, which is the same mistake.
fn dni_race(e: AppError) -> AppError {
    match e {
        AppError::Conflict("duplicate") => AppError::invalid("dni", "dni_unavailable"),
        other => other,
    }
}

pub fn create(conn: &mut DbConn, actor: &CurrentUser, changes: MemberChanges) -> AppResult<MemberView> {
    let at = now();
    let organization_ids = resolve_organizations(
        conn,
        actor,
        changes.organization_ids.as_deref().unwrap_or_default(),
        &[],
    )?;
    let row = changes.apply(&blank(at), actor.id, at, true);
    check_dni(conn, actor, &row, None)?;
    let created = Member::insert(conn, &row).map_err(dni_race)?;
    Member::set_organizations(conn, created.id, &organization_ids)?;
    let view = created.view(organization_ids);
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "member",
        Some(created.id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}

pub fn update(conn: &mut DbConn, actor: &CurrentUser, id: i64, changes: MemberChanges) -> AppResult<MemberView> {
    let before = Member::find_scoped(conn, &member_scope(actor), id)?;
    if before.anonymized_at.is_some() {
        return Err(AppError::Conflict("member_anonymized"));
    }
    let current_orgs = Member::organization_ids(conn, id)?;
    let organization_ids = match &changes.organization_ids {
        Some(requested) => resolve_organizations(conn, actor, requested, &current_orgs)?,
        None => current_orgs.clone(),
    };
    let after = changes.apply(&before, actor.id, now(), false);
    check_dni(conn, actor, &after, Some(id))?;
    Member::save(conn, &after).map_err(dni_race)?;
    // What is queued to her on a channel she withdrew (or to an old address) is cancelled.
    crate::outbox::queue::withdraw_stale(conn, after.id)?;
    if organization_ids != current_orgs {
        Member::set_organizations(conn, id, &organization_ids)?;
    }
    let (old, new) = (before.view(current_orgs), after.view(organization_ids));
    audit::record(
        conn,
        Some(actor.id),
        "update",
        "member",
        Some(id),
        Some(&audit::snapshot(&old)),
        Some(&audit::snapshot(&new)),
    )?;
    Ok(new)
}

/// A member's record; a staff read is written to the audit log.
pub fn show(conn: &mut DbConn, actor: &CurrentUser, id: i64) -> AppResult<(Member, MemberView)> {
    let member = Member::find_scoped(conn, &member_scope(actor), id)?;
    let view = member.view(Member::organization_ids(conn, id)?);
    if is_staff(actor) {
        audit::record(conn, Some(actor.id), "view", "member", Some(id), None, None)?;
    }
    Ok((member, view))
}

/// Everything Pallay holds about a member, as one JSON document (Ley 29733, right of access).
pub fn export(conn: &mut DbConn, actor: &CurrentUser, id: i64, today: NaiveDate) -> AppResult<serde_json::Value> {
    if !may_export(actor, id) {
        // A member asking for someone else's data learns nothing; staff roles may not export at all.
        return Err(if actor.role == Role::Member {
            AppError::NotFound
        } else {
            AppError::Forbidden
        });
    }
    let member = Member::find_scoped(conn, &crate::auth::policy::Scope::All, id)?;
    let organization_ids = Member::organization_ids(conn, id)?;
    let organizations: Vec<_> = Organization::all(conn)?
        .into_iter()
        .filter(|o| organization_ids.contains(&o.id))
        .map(|o| json!({"id": o.id, "name": o.name, "kind": o.kind}))
        .collect();
    let accounts: Vec<_> = linked_users(conn, id)?
        .into_iter()
        .map(|u| {
            json!({"username": u.username, "role": u.role, "created_at": crate::clock::rfc3339(u.created_at),
                   "disabled": u.disabled_at.is_some()})
        })
        .collect();
    let filter = audit::AuditFilter {
        entity: Some("member".into()),
        entity_id: Some(id),
    };
    let (rows, _) = audit::list(conn, &filter, i64::MAX, 0)?;
    let history: Vec<_> = rows
        .into_iter()
        .map(|r| json!({"at": crate::clock::rfc3339(r.at), "action": r.action, "user_id": r.user_id}))
        .collect();
    // Her loans with their schedules and repayments: money she owes is data about her too.
    let mut loans = Vec::new();
    for loan in crate::fund::model::Loan::of_member(conn, id)? {
        let mut view = json!(crate::fund::view::loan_view(conn, &loan, today)?);
        let (repayments, _) = crate::fund::view::repayments_page(conn, loan.id, i64::MAX, 0)?;
        view["repayments"] = json!(repayments);
        loans.push(view);
    }
    let trainings = crate::trainings::attendance::history(conn, id)?;
    let (notices, _) = crate::outbox::model::Notice::search(
        conn,
        &crate::auth::policy::Scope::All,
        &crate::outbox::model::NoticeFilter {
            member_id: Some(id),
            ..Default::default()
        },
        i64::MAX,
        0,
    )?;
    audit::record(conn, Some(actor.id), "export", "member", Some(id), None, None)?;
    Ok(json!({
        "exported_at": crate::clock::rfc3339(now()),
        "member": member.view(organization_ids),
        "organizations": organizations,
        "user_accounts": accounts,
        "record_history": history,
        "loans": loans,
        "trainings": trainings,
        "notices": notices,
    }))
}

/// She changes her own consents from her page: only these two answers, recorded (who and when)
/// and audited like any change of her record; what is queued on a channel she withdrew is cancelled.
pub fn change_own_consents(
    conn: &mut DbConn,
    actor: &CurrentUser,
    id: i64,
    sms: bool,
    email: bool,
) -> AppResult<MemberView> {
    if !crate::auth::policy::may_change_own_consents(actor, id) {
        return Err(AppError::NotFound);
    }
    let changes = MemberChanges {
        sms_consent: Some(sms),
        email_consent: Some(email),
        ..MemberChanges::default()
    };
    update(conn, actor, id, changes)
}

fn linked_users(conn: &mut DbConn, member_id: i64) -> AppResult<Vec<User>> {
    use diesel::prelude::*;
    Ok(users::table
        .filter(users::member_id.eq(member_id))
        .select(User::as_select())
        .load(conn)?)
}

/// Forgets who a person was while keeping the record (and every amount linked to it):
/// names, DNI, birth date, phone and email are replaced, consents withdrawn, her user accounts
/// disabled and renamed (and the login attempts made under her username forgotten), and the
/// personal values in her audit history and the outbox redacted.
pub fn anonymize(conn: &mut DbConn, actor: &CurrentUser, id: i64) -> AppResult<MemberView> {
    let before = Member::find_scoped(conn, &member_scope(actor), id)?;
    if before.anonymized_at.is_some() {
        return Err(AppError::Conflict("member_anonymized"));
    }
    let at = now();
    let after = Member {
        first_name: ANONYMIZED_NAME.into(),
        last_name: ANONYMIZED_NAME.into(),
        dni: None,
        birth_date: None,
        phone: None,
        email: None,
        sms_consent: false,
        sms_consent_at: Some(at),
        sms_consent_by: Some(actor.id),
        email_consent: false,
        email_consent_at: Some(at),
        email_consent_by: Some(actor.id),
        anonymized_at: Some(at),
        updated_at: at,
        ..before
    };
    Member::save(conn, &after)?;
    crate::outbox::queue::withdraw_stale(conn, after.id)?;
    for user in linked_users(conn, id)? {
        use diesel::prelude::*;
        diesel::update(users::table.find(user.id))
            .set((
                users::username.eq(format!("anonymized-{}", user.id)),
                users::disabled_at.eq(Some(at)),
            ))
            .execute(conn)?;
        session::end_all_for_user(conn, user.id)?;
        crate::auth::login::forget_attempts(conn, &user.username)?;
        audit::redact(conn, "user", user.id)?;
    }
    audit::redact(conn, "member", id)?;
    crate::outbox::queue::redact(conn, id)?;
    audit::record(conn, Some(actor.id), "anonymize", "member", Some(id), None, None)?;
    Ok(after.view(Member::organization_ids(conn, id)?))
}
