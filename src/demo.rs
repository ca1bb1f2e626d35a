//! `pallay demo`: a realistic data set for trying Pallay, and the first administrator of a new
//! installation. Later features add their own demo data here.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::auth::policy::{CurrentUser, Role};
use crate::auth::{password, secret};
use crate::db::schema::{members, organizations, users};
use crate::db::{write_transaction, Db, DbConn};
use crate::error::{AppError, AppResult};
use crate::fund::input::{ContributionInput, FundInput, LoanRequest, RepaymentInput, Source};
use crate::fund::schedule::{Frequency, InterestMethod};
use crate::fund::service::{self as fund_service, Decision};
use crate::input::JsonInput;
use crate::members::input::MemberChanges;
use crate::members::service as member_service;
use crate::money::Money;
use crate::organizations::{Kind, Organization, OrganizationInput};
use crate::users::model::User;
use crate::users::service::{self as user_service, NewUserInput};
use chrono::Duration;

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
    let changes = MemberChanges::parse(&input, true, crate::clock::today_in_lima()).map_err(AppError::Invalid)?;
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

fn centimos(c: i64) -> Money {
    Money::from_centimos(c)
}

/// The Pallaqueras' revolving fund: capital from donors and members, and loans in every state,
/// some repaid, some on time, some in arrears, one written off.
fn demo_fund(conn: &mut DbConn, admin: &CurrentUser, coordinator: &CurrentUser, organization_id: i64) -> AppResult<()> {
    let today = crate::clock::today_in_lima();
    let days = |n: i64| today - Duration::days(n);
    let fund = fund_service::create_fund(
        conn,
        admin,
        FundInput {
            organization_id,
            name: "Fondo rotatorio de las Pallaqueras".into(),
            rounding_unit: centimos(10),
            penalty_amount: centimos(200),
            penalty_after_days: 7,
        },
    )?;
    let contribution = |source, member_id, amount, date, note: &str| ContributionInput {
        source,
        member_id,
        amount: centimos(amount),
        date,
        note: Some(note.to_string()),
    };
    fund_service::contribute(
        conn,
        coordinator,
        fund.id,
        contribution(Source::Donor, None, 230_000, days(900), "ARM / Ensemble"),
    )?;
    fund_service::contribute(
        conn,
        coordinator,
        fund.id,
        contribution(Source::Donor, None, 57_500, days(360), "ARM / Ensemble"),
    )?;
    let borrowers: Vec<i64> = {
        use crate::db::schema::member_organizations as mo;
        mo::table
            .filter(mo::organization_id.eq(organization_id))
            .select(mo::member_id)
            .order(mo::member_id)
            .load(conn)?
    };
    for member in borrowers.iter().take(5) {
        fund_service::contribute(
            conn,
            coordinator,
            fund.id,
            contribution(Source::Member, Some(*member), 1_000, days(300), "aporte"),
        )?;
    }
    // (borrower, principal, periods, disbursed days ago, installments paid on time, final state)
    let plan: [(usize, i64, u32, i64, usize, &str); 12] = [
        (0, 30_000, 5, 420, 5, "repaid"),
        (1, 25_000, 4, 380, 4, "repaid"),
        (2, 40_000, 6, 330, 6, "repaid"),
        (3, 30_000, 6, 65, 2, "disbursed"),
        (4, 20_000, 4, 40, 1, "disbursed"),
        (5, 35_000, 6, 95, 3, "disbursed"),
        (6, 15_000, 3, 20, 0, "disbursed"),
        (7, 25_000, 6, 150, 1, "disbursed"),
        (8, 30_000, 5, 200, 1, "disbursed"),
        (9, 20_000, 4, 400, 1, "written_off"),
        (10, 15_000, 3, 0, 0, "approved"),
        (11, 20_000, 4, 0, 0, "requested"),
    ];
    let purposes = ["venta de comida", "ropa", "crianza de animales", "tejidos", "artesanía"];
    for (i, (who, principal, periods, ago, paid, state)) in plan.into_iter().enumerate() {
        let Some(member_id) = borrowers.get(who).copied() else {
            continue;
        };
        let disbursed_on = days(ago.max(1));
        let request = LoanRequest {
            fund_id: fund.id,
            member_id,
            principal: centimos(principal),
            method: InterestMethod::Flat,
            rate: rust_decimal::Decimal::new(2, 2),
            periods,
            frequency: Frequency::Monthly,
            first_due_date: disbursed_on + Duration::days(30),
            grace_periods: 0,
            purpose: Some(purposes[i % purposes.len()].to_string()),
        };
        let loan = fund_service::request_loan(conn, coordinator, request, today)?;
        if state == "requested" {
            continue;
        }
        fund_service::decide(conn, admin, loan.id, Decision::Approve, today)?;
        if state == "approved" {
            continue;
        }
        fund_service::disburse(conn, coordinator, loan.id, disbursed_on, today)?;
        for line in loan.schedule.iter().take(paid) {
            let due = chrono::NaiveDate::parse_from_str(&line.due_date, "%Y-%m-%d")
                .map_err(|e| AppError::internal(e.to_string()))?;
            let repayment = RepaymentInput {
                amount: line.total,
                date: due.min(today),
                receipt_number: Some(format!("R-{}-{}", loan.id, line.number)),
            };
            fund_service::repay(conn, coordinator, loan.id, repayment, today)?;
        }
        if state == "written_off" {
            fund_service::write_off(conn, admin, loan.id, days(30), "se fue de La Rinconada".into(), today)?;
        }
    }
    // One last request and a rejection, so every state is on show.
    let rejected = LoanRequest {
        fund_id: fund.id,
        member_id: borrowers.get(12).copied().unwrap_or(borrowers[0]),
        principal: centimos(80_000),
        method: InterestMethod::Declining,
        rate: rust_decimal::Decimal::new(3, 2),
        periods: 12,
        frequency: Frequency::Monthly,
        first_due_date: today + Duration::days(30),
        grace_periods: 1,
        purpose: Some("compra de mercadería".into()),
    };
    let loan = fund_service::request_loan(conn, coordinator, rejected, today)?;
    fund_service::decide(conn, admin, loan.id, Decision::Reject, today)?;
    let cancelled = fund_service::request_loan(
        conn,
        coordinator,
        LoanRequest {
            principal: centimos(10_000),
            periods: 2,
            grace_periods: 0,
            ..loan_request_like(&loan, fund.id, today)
        },
        today,
    )?;
    fund_service::decide(conn, coordinator, cancelled.id, Decision::Cancel, today)?;
    Ok(())
}

/// CECOMIP's gender equity committee: a year of meetings, and actions in every state.
fn demo_committee(conn: &mut DbConn, staff: &CurrentUser, organization_id: i64) -> AppResult<()> {
    use crate::committee::input::{ActionInput, CommitteeInput, MeetingInput, NoteInput, SeatInput, StatusChange};
    use crate::committee::service as committee;
    use crate::committee::status::ActionStatus;
    let today = crate::clock::today_in_lima();
    let days = |n: i64| today - Duration::days(n);
    let scope = crate::auth::policy::Scope::All;
    let c = committee::create_committee(
        conn,
        staff,
        CommitteeInput {
            organization_id,
            name: "Comité de equidad de género de CECOMIP".into(),
        },
    )?;
    let people: Vec<i64> = {
        use crate::db::schema::member_organizations as mo;
        mo::table
            .filter(mo::organization_id.eq(organization_id))
            .select(mo::member_id)
            .order(mo::member_id)
            .load(conn)?
    };
    let mut seats = Vec::new();
    for (i, position) in ["presidenta", "secretaria", "tesorera", "vocal"]
        .into_iter()
        .enumerate()
    {
        let seat = SeatInput {
            member_id: people.get(i).copied(),
            name: None,
            position: position.into(),
            term_start: days(365),
            term_end: Some(days(365) + Duration::days(730)),
        };
        seats.push(committee::add_seat(conn, staff, &scope, c.id, seat)?.id);
    }
    let agreements = [
        (
            "Taller de liderazgo para socias de la cooperativa",
            330,
            300,
            ActionStatus::Done,
        ),
        (
            "Guardería para hijas e hijos durante las asambleas",
            300,
            200,
            ActionStatus::Done,
        ),
        (
            "Incluir a una mujer en el consejo de vigilancia",
            240,
            60,
            ActionStatus::InProgress,
        ),
        (
            "Campaña contra la violencia hacia las mujeres en la mina",
            180,
            20,
            ActionStatus::Pending,
        ),
        (
            "Baños y vestuarios separados en la planta",
            120,
            -40,
            ActionStatus::InProgress,
        ),
        (
            "Registro de socias con el mismo trato que los socios",
            90,
            -60,
            ActionStatus::Pending,
        ),
        ("Curso de joyería con las Divinas", 60, 30, ActionStatus::Cancelled),
    ];
    for (i, (description, held, due_in, status)) in agreements.into_iter().enumerate() {
        let meeting = committee::record_meeting(
            conn,
            staff,
            &scope,
            c.id,
            MeetingInput {
                date: days(held),
                place: Some("Local de CECOMIP, Putina".into()),
                minutes: format!("Asistieron las integrantes del comité.\nAcuerdo: {description}."),
                attendee_ids: seats.clone(),
            },
        )?;
        let action = committee::create_action(
            conn,
            staff,
            &scope,
            c.id,
            ActionInput {
                description: description.into(),
                responsible_member_id: people.get(i % people.len().max(1)).copied(),
                responsible_name: None,
                due_date: (today + Duration::days(due_in)).max(days(held) + Duration::days(1)),
                status: ActionStatus::Pending,
                meeting_id: Some(meeting.id),
            },
            today,
        )?;
        let mut step = |to: ActionStatus, reason: Option<&str>| {
            committee::change_status(
                conn,
                staff,
                &scope,
                action.id,
                StatusChange {
                    status: to,
                    reason: reason.map(str::to_string),
                },
                today,
            )
        };
        match status {
            ActionStatus::Pending => {}
            ActionStatus::InProgress => {
                step(ActionStatus::InProgress, None)?;
            }
            ActionStatus::Done => {
                step(ActionStatus::InProgress, None)?;
                step(ActionStatus::Done, None)?;
            }
            ActionStatus::Cancelled => {
                step(
                    ActionStatus::Cancelled,
                    Some("las Divinas ya lo organizaron por su cuenta"),
                )?;
            }
        }
        committee::add_note(
            conn,
            staff,
            &scope,
            action.id,
            NoteInput {
                text: "Se conversó en la reunión.".into(),
                date: Some(days(held)),
            },
            today,
        )?;
    }
    Ok(())
}

/// A year of ARM's workshops, one or two a month, with registers where most invited women came;
/// some men of CECOMIP came as guests; one training cancelled, one still ahead.
fn demo_trainings(conn: &mut DbConn, staff: &CurrentUser, [rinconada, divinas, cecomip]: [i64; 3]) -> AppResult<()> {
    use crate::members::fields::Sex;
    use crate::trainings::input::{AttendanceStatus, CancelInput, EntryFields, EntryInput, Person, TrainingInput};
    use crate::trainings::service as trainings;
    let today = crate::clock::today_in_lima();
    let scope = crate::auth::policy::Scope::All;
    let plan: [(&str, &str, &[i64], &str); 14] = [
        (
            "Primeros auxilios en la mina",
            "first_aid",
            &[rinconada],
            "Posta de La Rinconada",
        ),
        (
            "Manipulación de alimentos en el comedor",
            "food_safety",
            &[rinconada],
            "Comedor popular",
        ),
        (
            "Liderazgo de mujeres mineras",
            "empowerment",
            &[rinconada, divinas],
            "Local comunal de Ananea",
        ),
        (
            "Diseño de joyas en plata y oro",
            "jewellery_design",
            &[divinas],
            "Taller de las Divinas",
        ),
        (
            "Seguridad y salud en el trabajo",
            "safety_at_work",
            &[cecomip],
            "Sede de CECOMIP",
        ),
        (
            "Beneficio de oro sin mercurio",
            "mercury_free_processing",
            &[cecomip, divinas],
            "Planta de CECOMIP",
        ),
        (
            "Primeros auxilios: quemaduras y caídas",
            "first_aid",
            &[divinas],
            "Taller de las Divinas",
        ),
        (
            "Nuestros derechos y la violencia de género",
            "empowerment",
            &[rinconada],
            "Local de la asociación",
        ),
        (
            "Acabado y venta de joyas",
            "jewellery_design",
            &[divinas],
            "Taller de las Divinas",
        ),
        (
            "Equipos de protección personal",
            "safety_at_work",
            &[rinconada],
            "Local de la asociación",
        ),
        (
            "Alimentación saludable en la altura",
            "food_safety",
            &[divinas, cecomip],
            "Local comunal de Ananea",
        ),
        (
            "Igualdad en la cooperativa",
            "empowerment",
            &[cecomip],
            "Sede de CECOMIP",
        ),
        (
            "Manejo del botiquín",
            "first_aid",
            &[rinconada, cecomip],
            "Posta de La Rinconada",
        ),
        (
            "Taller de planificación 2027",
            "empowerment",
            &[rinconada, divinas, cecomip],
            "Puno",
        ),
    ];
    for (i, (title, topic, orgs, place)) in plan.iter().enumerate() {
        // About every 26 days over the past year; the last one three weeks ahead.
        let date = if i == plan.len() - 1 {
            today + Duration::days(21)
        } else {
            today - Duration::days(340 - 26 * i as i64)
        };
        let view = trainings::create_training(
            conn,
            staff,
            TrainingInput {
                title: Some((*title).into()),
                topic: Some((*topic).into()),
                date: Some(date),
                place: Some(Some((*place).into())),
                facilitator: Some(Some(
                    if i % 2 == 0 {
                        "Equipo de género de ARM"
                    } else {
                        "Centro de salud"
                    }
                    .into(),
                )),
                notes: Some(None),
                organization_ids: Some(orgs.to_vec()),
            },
        )?;
        let id = view.training.id;
        if i == 6 {
            trainings::cancel_training(
                conn,
                staff,
                &scope,
                id,
                CancelInput {
                    reason: "Paro de transportistas; se reprogramará".into(),
                },
            )?;
            continue;
        }
        if date > today {
            continue;
        }
        let invited = trainings::invited(conn, id, orgs)?;
        let mut entries: Vec<EntryInput> = invited
            .keys()
            .enumerate()
            .map(|(k, member_id)| {
                // A few women never manage to come (work shifts, children): the report lists them.
                let roll = if member_id % 9 == 4 {
                    9
                } else {
                    (member_id * 7 + i as i64 * 3) % 10
                };
                let status = match roll {
                    0..=6 => AttendanceStatus::Present,
                    7 => AttendanceStatus::Excused,
                    _ => AttendanceStatus::Absent,
                };
                EntryInput {
                    person: Person::Member(*member_id),
                    organization_id: None,
                    status,
                    fields: EntryFields::json(k),
                }
            })
            .collect();
        if orgs.contains(&cecomip) {
            for (name, sex) in [
                ("Juan Mamani", Sex::Male),
                ("Pedro Apaza", Sex::Male),
                ("Vicente Ccori", Sex::Undisclosed),
            ] {
                entries.push(EntryInput {
                    person: Person::Guest { name: name.into(), sex },
                    organization_id: Some(cecomip),
                    status: AttendanceStatus::Present,
                    fields: EntryFields::json(entries.len()),
                });
            }
        }
        trainings::save_register(conn, staff, &scope, id, &entries, today)?;
    }
    Ok(())
}

fn loan_request_like(loan: &crate::fund::view::LoanView, fund_id: i64, today: chrono::NaiveDate) -> LoanRequest {
    LoanRequest {
        fund_id,
        member_id: loan.member_id,
        principal: loan.principal,
        method: InterestMethod::Flat,
        rate: rust_decimal::Decimal::ZERO,
        periods: 1,
        frequency: Frequency::Weekly,
        first_due_date: today + Duration::days(7),
        grace_periods: 0,
        purpose: Some("emergencia".into()),
    }
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
        Ok(logins)
    })
    .map_err(|e: AppError| match e {
        AppError::Conflict(_) => {
            "the database already holds organisations or members; demo data goes into an empty one".into()
        }
        other => other.to_string(),
    })
}
