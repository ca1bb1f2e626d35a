//! `pallay demo`: a realistic data set for trying Pallay, one file per part (`people.rs`,
//! `fund.rs`, `committee.rs`, `trainings.rs`), loaded through the parts' own services so the demo
//! obeys every rule real data does. (The first administrator of a new installation is made by
//! `users::service::bootstrap_admin`.)

use diesel::prelude::*;

use crate::auth::password;
use crate::auth::policy::Role;
use crate::db::schema::{members, organizations};
use crate::db::{write_transaction, Db, DbConn};
use crate::error::AppError;
use crate::organizations::{Kind, Organization, OrganizationInput};
use crate::users::model::User;

mod committee;
mod fund;
mod people;
mod trainings;

use committee::demo_committee;
use fund::demo_fund;
use people::{add_member, add_user, member_json, FIRST_NAMES, MEN};
use trainings::demo_trainings;

/// The password of every demo account. Demo data is for trying Pallay, never for real people.
pub const DEMO_PASSWORD: &str = "pallay-demo-2026";

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
            let user = add_user(conn, Some(&admin), &hash, username, role, orgs, member)?;
            if username == "coord.rinconada" {
                demo_fund(conn, &admin, &user, rinconada)?;
            }
            if username == "genero" {
                demo_committee(conn, &user, cecomip)?;
                demo_trainings(conn, &user, [rinconada, divinas, cecomip])?;
            }
            logins.push((username.to_string(), role.as_str()));
        }
        // The associations' women were registered before the year of workshops the demo holds
        // (a training invites the members registered by its day).
        diesel::update(members::table)
            .set(members::created_at.eq(crate::clock::now() - chrono::Duration::days(730)))
            .execute(conn)?;
        Ok(logins)
    })
    .map_err(|e: AppError| match e {
        AppError::Conflict(_) => {
            "the database already holds organisations or members; demo data goes into an empty one".into()
        }
        other => other.to_string(),
    })
}
