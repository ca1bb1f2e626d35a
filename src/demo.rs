//! `pallay demo`: a realistic data set for trying Pallay, and the first administrator of a new
//! installation. Later features add their own demo data here.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::auth::policy::{CurrentUser, Role};
use crate::auth::{password, secret};
use crate::db::schema::{members, organizations, users};
use crate::db::{write_transaction, Db, DbConn};
use crate::error::{AppError, AppResult};
use crate::input::JsonInput;
use crate::members::input::MemberChanges;
use crate::members::service as member_service;
use crate::organizations::{Kind, Organization, OrganizationInput};
use crate::users::model::User;
use crate::users::service::{self as user_service, NewUserInput};

/// The password of every demo account. Demo data is for trying Pallay, never for real people.
pub const DEMO_PASSWORD: &str = "pallay-demo-2026";

/// On a database without users, creates `admin` with a random password and returns it (once).
pub fn bootstrap_admin(db: &Db) -> Result<Option<(String, String)>, String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let count: i64 = users::table.count().get_result(&mut *conn).map_err(|e| e.to_string())?;
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
    write_transaction(&mut conn, |conn| user_service::create(conn, None, &input, &hash)).map_err(|e| e.to_string())?;
    Ok(Some(("admin".into(), password)))
}

const FIRST_NAMES: &[&str] = &[
    "Rosa",
    "María",
    "Juana",
    "Lucía",
    "Justina",
    "Felícitas",
    "Nélida",
    "Hilaria",
    "Basilia",
    "Ruth",
    "Marleni",
    "Yeni",
    "Sonia",
    "Elena",
    "Martha",
    "Gregoria",
    "Eulalia",
    "Vilma",
    "Norma",
    "Teodora",
];
const LAST_NAMES: &[&str] = &[
    "Quispe", "Mamani", "Condori", "Huanca", "Apaza", "Choque", "Ccama", "Pari", "Flores", "Ticona", "Calsina",
    "Cutipa", "Huamán", "Chura", "Coaquira", "Yucra", "Pacompia", "Larico",
];
const MEN: &[&str] = &["Juan", "Mario", "Alberto", "Percy", "Wilber"];

fn member_json(i: usize, first: &str, sex: &str, organization_ids: &[i64]) -> serde_json::Value {
    let last = format!(
        "{} {}",
        LAST_NAMES[i % LAST_NAMES.len()],
        LAST_NAMES[(i * 7 + 3) % LAST_NAMES.len()]
    );
    let language = ["qu", "ay", "es"][i % 3];
    let birth = NaiveDate::from_ymd_opt(
        1965 + (i as i32 * 3) % 40,
        1 + (i as u32 * 5) % 12,
        1 + (i as u32 * 11) % 28,
    );
    serde_json::json!({
        "first_name": first,
        "last_name": last,
        "dni": format!("{:08}", 40_123_457 + i * 7_919),
        "sex": sex,
        "birth_date": birth.map(|d| d.to_string()),
        "phone": (i % 5 != 4).then(|| format!("9{:08}", 51_234_000 + i * 37)),
        "email": i.is_multiple_of(6).then(|| format!("{}.{}@example.pe", first.to_lowercase().replace(['á','é','í','ó','ú'], "a"), i)),
        "language": language,
        "organization_ids": organization_ids,
        "consents": {"sms": i % 5 != 4, "email": i.is_multiple_of(6)},
    })
}

fn add_member(conn: &mut DbConn, actor: &CurrentUser, body: serde_json::Value) -> AppResult<i64> {
    let input = JsonInput::from_value(body).map_err(|e| AppError::Invalid(vec![e]))?;
    let changes = MemberChanges::parse(&input, true, crate::web::today()).map_err(AppError::Invalid)?;
    Ok(member_service::create(conn, actor, changes)?.id)
}

fn add_user(
    conn: &mut DbConn,
    actor: Option<&CurrentUser>,
    hash: &str,
    username: &str,
    role: Role,
    orgs: Vec<i64>,
    member: Option<i64>,
) -> AppResult<CurrentUser> {
    let input = NewUserInput {
        username: username.into(),
        password: DEMO_PASSWORD.into(),
        role,
        organization_ids: orgs,
        member_id: member,
    };
    let view = user_service::create(conn, actor, &input, hash)?;
    User::find(conn, view.id)?.current(conn)
}

/// Loads the demo into an empty database; returns the accounts created (username, role).
pub fn load(db: &Db) -> Result<Vec<(String, &'static str)>, String> {
    let hash = password::hash(DEMO_PASSWORD)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    write_transaction(&mut conn, |conn| {
        let existing: i64 = organizations::table.count().get_result(conn)?;
        let existing_members: i64 = members::table.count().get_result(conn)?;
        if existing + existing_members > 0 {
            return Err(AppError::Conflict("demo_not_empty"));
        }
        let admin = match User::find_by_username(conn, "demo.admin")? {
            Some(user) => user.current(conn)?,
            None => add_user(conn, None, &hash, "demo.admin", Role::Admin, vec![], None)?,
        };
        let org = |conn: &mut DbConn, name: &str, kind: Kind| {
            Organization::create(
                conn,
                &admin,
                OrganizationInput {
                    name: Some(name.into()),
                    kind: Some(kind),
                },
            )
            .map(|o| o.id)
        };
        let rinconada = org(conn, "Pallaqueras de La Rinconada", Kind::Association)?;
        let divinas = org(conn, "Divinas en Brillo de Oro", Kind::Association)?;
        let cecomip = org(conn, "CECOMIP", Kind::Cooperative)?;

        let mut first_member = None;
        for i in 0..20 {
            let id = add_member(
                conn,
                &admin,
                member_json(i, FIRST_NAMES[i % FIRST_NAMES.len()], "female", &[rinconada]),
            )?;
            first_member.get_or_insert(id);
        }
        for i in 20..32 {
            // Half the Divinas are also partners of CECOMIP.
            let orgs = if i % 2 == 0 {
                vec![divinas, cecomip]
            } else {
                vec![divinas]
            };
            add_member(
                conn,
                &admin,
                member_json(i, FIRST_NAMES[(i * 3) % FIRST_NAMES.len()], "female", &orgs),
            )?;
        }
        for i in 32..40 {
            let (first, sex) = if i < 37 {
                (MEN[i - 32], "male")
            } else {
                (FIRST_NAMES[i % FIRST_NAMES.len()], "female")
            };
            add_member(conn, &admin, member_json(i, first, sex, &[cecomip]))?;
        }
        let mut logins = vec![("demo.admin".to_string(), "admin")];
        for (username, role, orgs, member) in [
            ("genero", Role::GenderStaff, vec![], None),
            ("coord.rinconada", Role::Coordinator, vec![rinconada], None),
            ("coord.ananea", Role::Coordinator, vec![divinas, cecomip], None),
            ("visor", Role::Viewer, vec![], None),
            ("rosa.quispe", Role::Member, vec![], first_member),
        ] {
            add_user(conn, Some(&admin), &hash, username, role, orgs, member)?;
            logins.push((username.to_string(), role.as_str()));
        }
        Ok(logins)
    })
    .map_err(|e: AppError| match e {
        AppError::Conflict(_) => {
            "the database already holds organisations or members; demo data goes into an empty one".into()
        }
        other => other.to_string(),
    })
}
