//! CECOMIP's gender equity committee in the demo: its members, a year of meetings and actions in
//! every state.

use diesel::prelude::*;

use crate::auth::policy::CurrentUser;
use crate::db::DbConn;
use crate::error::AppResult;
use chrono::Duration;

/// CECOMIP's gender equity committee: a year of meetings, and actions in every state.
pub(super) fn demo_committee(conn: &mut DbConn, staff: &CurrentUser, organization_id: i64) -> AppResult<()> {
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
