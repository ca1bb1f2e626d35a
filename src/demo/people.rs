//! The demo's people: members with Quechua and Aymara names in three organisations, and one
//! account of every role.

use chrono::NaiveDate;

use super::DEMO_PASSWORD;
use crate::auth::policy::{CurrentUser, Role};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::input::JsonInput;
use crate::members::input::MemberChanges;
use crate::members::service as member_service;
use crate::users::model::User;
use crate::users::service::{self as user_service, NewUserInput};

pub(super) const FIRST_NAMES: &[&str] = &[
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
pub(super) const LAST_NAMES: &[&str] = &[
    "Quispe", "Mamani", "Condori", "Huanca", "Apaza", "Choque", "Ccama", "Pari", "Flores", "Ticona", "Calsina",
    "Cutipa", "Huamán", "Chura", "Coaquira", "Yucra", "Pacompia", "Larico",
];
pub(super) const MEN: &[&str] = &["Juan", "Mario", "Alberto", "Percy", "Wilber"];

pub(super) fn member_json(i: usize, first: &str, sex: &str, organization_ids: &[i64]) -> serde_json::Value {
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

pub(super) fn add_member(conn: &mut DbConn, actor: &CurrentUser, body: serde_json::Value) -> AppResult<i64> {
    let input = JsonInput::from_value(body).map_err(|e| AppError::Invalid(vec![e]))?;
    let changes = MemberChanges::parse(&input, true, crate::clock::today_in_lima()).map_err(AppError::Invalid)?;
    Ok(member_service::create(conn, actor, changes)?.id)
}

pub(super) fn add_user(
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
