//! A year of ARM's workshops in the demo, with their registers.

use crate::auth::policy::CurrentUser;
use crate::db::DbConn;
use crate::error::AppResult;
use chrono::Duration;

/// A year of ARM's workshops, one or two a month, with registers where most invited women came;
/// some men of CECOMIP came as guests; one training cancelled, one still ahead.
pub(super) fn demo_trainings(
    conn: &mut DbConn,
    staff: &CurrentUser,
    [rinconada, divinas, cecomip]: [i64; 3],
) -> AppResult<()> {
    use crate::members::fields::Sex;
    use crate::trainings::attendance;
    use crate::trainings::entries::{EntryFields, EntryInput, Person};
    use crate::trainings::input::{AttendanceStatus, CancelInput, TrainingInput};
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
        let invited = attendance::invited(conn, id, orgs)?;
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
        attendance::save_register(conn, staff, &scope, id, &entries, today)?;
    }
    Ok(())
}
