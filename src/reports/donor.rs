//! The donor report for a period: one XLSX workbook with no names and no DNIs — members reached
//! by sex and organisation, trainings and attendance, each fund's capital, loans disbursed and
//! repaid and PAR30, and the committee actions completed — with the period and the date of
//! generation written on every sheet.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::auth::policy::Scope;
use crate::committee::status::ActionStatus;
use crate::db::schema::{
    committee_actions, committees, loans, member_organizations, members, repayment_reversals, repayments,
};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::fund::model::Fund;
use crate::fund::portfolio::{portfolio, Bucket};
use crate::fund::view::fund_view;
use crate::money::Money;
use crate::organizations::Organization;
use crate::trainings::input::AttendanceStatus;
use crate::trainings::model::Topic;
use crate::trainings::report::{BySex, Tally};
use crate::trainings::reporting::{attendance_tally, ReportFilter};

/// One fund over the period.
pub struct FundLine {
    pub name: String,
    pub organization: String,
    pub capital: Money,
    pub cash: Money,
    pub loans_outstanding: Money,
    pub disbursed_loans: usize,
    pub disbursed: Money,
    /// Borrowers of the loans disbursed in the period, by sex.
    pub borrowers: BySex,
    /// Repayments dated in the period and not reversed by its end.
    pub repaid: Money,
    pub par30: String,
    /// Loans rescheduled by the end, and PAR30 without them (CGAP: shown apart, never hidden).
    pub rescheduled: Bucket,
    pub par30_excluding_rescheduled: String,
}

pub struct CommitteeLine {
    pub name: String,
    pub organization: String,
    pub done: usize,
    pub done_on_time: usize,
    pub open_overdue: usize,
}

pub struct DonorReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: String,
    /// Members who came to a training or received a loan in the period, by sex, per organisation
    /// (a member of two organisations counts in both) and in total (once).
    pub reached: Vec<(String, BySex)>,
    pub reached_total: BySex,
    pub attendance: Tally,
    pub topics: Vec<Topic>,
    pub organizations: Vec<Organization>,
    pub funds: Vec<FundLine>,
    pub committees: Vec<CommitteeLine>,
}

fn add_sex(counts: &mut BySex, sex: &str) {
    match sex {
        "female" => counts.female += 1,
        "male" => counts.male += 1,
        "other" => counts.other += 1,
        _ => counts.undisclosed += 1,
    }
    counts.total += 1;
}

pub fn gather(conn: &mut DbConn, from: NaiveDate, to: NaiveDate, generated_at: String) -> AppResult<DonorReport> {
    let organizations = Organization::all(conn)?;
    let filter = ReportFilter::new(conn, &Scope::All, (from, to), None, None)?;
    let attendance = attendance_tally(conn, &filter)?;
    let disbursed = disbursed_in(conn, from, to)?;
    let (reached, reached_total) = reach(conn, from, to, &disbursed, &organizations)?;
    let funds = fund_lines(conn, from, to, &disbursed, &organizations)?;
    let committees = committee_lines(conn, from, to, &organizations)?;
    Ok(DonorReport {
        from,
        to,
        generated_at,
        reached,
        reached_total,
        topics: Topic::all(conn)?,
        organizations,
        attendance,
        funds,
        committees,
    })
}

/// An organisation's name (empty if it is gone).
pub(super) fn org_name(organizations: &[Organization], id: i64) -> String {
    organizations
        .iter()
        .find(|o| o.id == id)
        .map_or_else(String::new, |o| o.name.clone())
}

/// A loan disbursed in the period: (fund, member, principal, the member's sex).
type Disbursed = (i64, i64, i64, String);

fn disbursed_in(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<Disbursed>> {
    Ok(loans::table
        .inner_join(members::table)
        .filter(loans::disbursed_on.between(from, to))
        .select((loans::fund_id, loans::member_id, loans::principal, members::sex))
        .load(conn)?)
}

/// Members reached: present at a held training, or a loan disbursed to them, in the period; by
/// sex per organisation, and in total.
fn reach(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
    disbursed: &[Disbursed],
    organizations: &[Organization],
) -> AppResult<(Vec<(String, BySex)>, BySex)> {
    let mut reached_ids: BTreeSet<i64> = {
        use crate::db::schema::{attendances, trainings};
        attendances::table
            .inner_join(trainings::table)
            .filter(trainings::date.between(from, to))
            .filter(trainings::cancelled_at.is_null())
            .filter(attendances::status.eq(AttendanceStatus::Present.as_str()))
            .filter(attendances::member_id.is_not_null())
            .select(attendances::member_id.assume_not_null())
            .load::<i64>(conn)?
            .into_iter()
            .collect()
    };
    reached_ids.extend(disbursed.iter().map(|(_, m, _, _)| *m));
    let ids: Vec<i64> = reached_ids.iter().copied().collect();
    let sexes: BTreeMap<i64, String> = members::table
        .filter(members::id.eq_any(&ids))
        .select((members::id, members::sex))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let links: Vec<(i64, i64)> = member_organizations::table
        .filter(member_organizations::member_id.eq_any(&ids))
        .select((member_organizations::member_id, member_organizations::organization_id))
        .load(conn)?;
    let mut reached_total = BySex::default();
    for sex in sexes.values() {
        add_sex(&mut reached_total, sex);
    }
    let mut by_org: BTreeMap<i64, BySex> = BTreeMap::new();
    for (member, org) in &links {
        if let Some(sex) = sexes.get(member) {
            add_sex(by_org.entry(*org).or_default(), sex);
        }
    }
    let reached = by_org
        .into_iter()
        .map(|(org, counts)| (org_name(organizations, org), counts))
        .collect();
    Ok((reached, reached_total))
}

/// Each fund at the end of the period, with what it lent and got back during it.
fn fund_lines(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
    disbursed: &[Disbursed],
    organizations: &[Organization],
) -> AppResult<Vec<FundLine>> {
    let mut funds = Vec::new();
    let all_funds: Vec<Fund> = crate::db::schema::funds::table
        .order(crate::db::schema::funds::id)
        .select(Fund::as_select())
        .load(conn)?;
    for fund in all_funds {
        let view = fund_view(conn, &fund, to)?;
        let mine: Vec<&Disbursed> = disbursed.iter().filter(|d| d.0 == fund.id).collect();
        let mut borrowers = BySex::default();
        for (_, _, _, sex) in &mine {
            add_sex(&mut borrowers, sex);
        }
        let repaid: Vec<i64> = repayments::table
            .inner_join(loans::table)
            .filter(loans::fund_id.eq(fund.id))
            .filter(repayments::date.between(from, to))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                repayment_reversals::table
                    .filter(repayment_reversals::repayment_id.eq(repayments::id))
                    .filter(repayment_reversals::date.le(to)),
            )))
            .select(repayments::amount)
            .load(conn)?;
        let p = portfolio(conn, fund.id, to)?;
        funds.push(FundLine {
            name: fund.name.clone(),
            organization: org_name(organizations, fund.organization_id),
            capital: view.capital,
            cash: view.cash,
            loans_outstanding: view.loans_outstanding,
            disbursed_loans: mine.len(),
            disbursed: mine.iter().map(|d| Money::from_centimos(d.2)).sum(),
            borrowers,
            repaid: repaid.into_iter().map(Money::from_centimos).sum(),
            par30: p.par30,
            rescheduled: p.rescheduled,
            par30_excluding_rescheduled: p.par30_excluding_rescheduled,
        });
    }
    Ok(funds)
}

/// Each committee's actions done in the period (and how many on time), and those open past due.
fn committee_lines(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
    organizations: &[Organization],
) -> AppResult<Vec<CommitteeLine>> {
    let actions: Vec<(String, i64, String, NaiveDate, Option<NaiveDate>)> = committee_actions::table
        .inner_join(committees::table)
        .select((
            committees::name,
            committees::organization_id,
            committee_actions::status,
            committee_actions::due_date,
            committee_actions::done_on,
        ))
        .load(conn)?;
    let mut by_committee: BTreeMap<(String, i64), CommitteeLine> = BTreeMap::new();
    for (name, org, status, due, done_on) in actions {
        let line = by_committee
            .entry((name.clone(), org))
            .or_insert_with(|| CommitteeLine {
                name,
                organization: org_name(organizations, org),
                done: 0,
                done_on_time: 0,
                open_overdue: 0,
            });
        match (ActionStatus::parse(&status), done_on) {
            (Ok(ActionStatus::Done), Some(d)) if d >= from && d <= to => {
                line.done += 1;
                if d <= due {
                    line.done_on_time += 1;
                }
            }
            (Ok(ActionStatus::Pending | ActionStatus::InProgress), _) if due < to => line.open_overdue += 1,
            _ => {}
        }
    }
    Ok(by_committee.into_values().collect())
}
