//! The donor report for a period: one XLSX workbook with no names and no DNIs — members reached
//! by sex and organisation, trainings and attendance, each fund's capital, loans disbursed and
//! repaid and PAR30, and the committee actions completed — with the period and the date of
//! generation written on every sheet.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::auth::policy::Scope;
use crate::db::schema::{
    committee_actions, committees, loans, member_organizations, members, repayment_reversals, repayments,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::fund::model::Fund;
use crate::fund::portfolio::portfolio;
use crate::fund::view::fund_view;
use crate::i18n::Tr;
use crate::money::Money;
use crate::organizations::Organization;
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
    let org_name = |id: i64| {
        organizations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(String::new, |o| o.name.clone())
    };
    let filter = ReportFilter::new(conn, &Scope::All, (from, to), None, None)?;
    let attendance = attendance_tally(conn, &filter)?;

    // Members reached: present at a held training, or a loan disbursed to them, in the period.
    let mut reached_ids: BTreeSet<i64> = {
        use crate::db::schema::{attendances, trainings};
        attendances::table
            .inner_join(trainings::table)
            .filter(trainings::date.between(from, to))
            .filter(trainings::cancelled_at.is_null())
            .filter(attendances::status.eq("present"))
            .filter(attendances::member_id.is_not_null())
            .select(attendances::member_id.assume_not_null())
            .load::<i64>(conn)?
            .into_iter()
            .collect()
    };
    let disbursed: Vec<(i64, i64, i64, String)> = loans::table
        .inner_join(members::table)
        .filter(loans::disbursed_on.between(from, to))
        .select((loans::fund_id, loans::member_id, loans::principal, members::sex))
        .load(conn)?;
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
        .map(|(org, counts)| (org_name(org), counts))
        .collect();

    let mut funds = Vec::new();
    let all_funds: Vec<Fund> = crate::db::schema::funds::table
        .order(crate::db::schema::funds::id)
        .select(Fund::as_select())
        .load(conn)?;
    for fund in all_funds {
        let view = fund_view(conn, &fund, to)?;
        let mine: Vec<&(i64, i64, i64, String)> = disbursed.iter().filter(|d| d.0 == fund.id).collect();
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
        funds.push(FundLine {
            name: fund.name.clone(),
            organization: org_name(fund.organization_id),
            capital: view.capital,
            cash: view.cash,
            loans_outstanding: view.loans_outstanding,
            disbursed_loans: mine.len(),
            disbursed: mine.iter().map(|d| Money::from_centimos(d.2)).sum(),
            borrowers,
            repaid: repaid.into_iter().map(Money::from_centimos).sum(),
            par30: portfolio(conn, fund.id, to)?.par30,
        });
    }

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
                organization: org_name(org),
                done: 0,
                done_on_time: 0,
                open_overdue: 0,
            });
        match (status.as_str(), done_on) {
            ("done", Some(d)) if d >= from && d <= to => {
                line.done += 1;
                if d <= due {
                    line.done_on_time += 1;
                }
            }
            ("pending" | "in_progress", _) if due < to => line.open_overdue += 1,
            _ => {}
        }
    }
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
        committees: by_committee.into_values().collect(),
    })
}

fn fail(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {e}"))
}

/// Title, period and date of generation on the first rows of a sheet; returns the next free row.
fn heading(sheet: &mut Worksheet, t: Tr, report: &DonorReport, title: &str, bold: &Format) -> AppResult<u32> {
    sheet.write_string_with_format(0, 0, title, bold).map_err(fail)?;
    sheet
        .write_string_with_format(1, 0, t.get("report.period"), bold)
        .map_err(fail)?;
    sheet
        .write_string(1, 1, format!("{} – {}", report.from, report.to))
        .map_err(fail)?;
    sheet
        .write_string_with_format(2, 0, t.get("report.generated_at"), bold)
        .map_err(fail)?;
    sheet.write_string(2, 1, &report.generated_at).map_err(fail)?;
    Ok(4)
}

fn sex_header(sheet: &mut Worksheet, t: Tr, row: u32, first: &str, bold: &Format) -> AppResult<()> {
    let titles = [
        first.to_string(),
        t.of("sex", "female"),
        t.of("sex", "male"),
        t.of("sex", "other"),
        t.of("sex", "undisclosed"),
        t.get("report.total").to_string(),
    ];
    for (col, title) in titles.iter().enumerate() {
        sheet
            .write_string_with_format(row, col as u16, title, bold)
            .map_err(fail)?;
    }
    Ok(())
}

fn sex_row(sheet: &mut Worksheet, row: u32, name: &str, c: &BySex) -> AppResult<()> {
    sheet.write_string(row, 0, name).map_err(fail)?;
    for (col, n) in [c.female, c.male, c.other, c.undisclosed, c.total].iter().enumerate() {
        sheet.write_number(row, 1 + col as u16, *n as f64).map_err(fail)?;
    }
    Ok(())
}

/// Money as a number of soles with two decimals (what a spreadsheet sums).
fn soles(m: Money) -> f64 {
    m.to_string().parse().unwrap_or(0.0)
}

pub fn xlsx(t: Tr, report: &DonorReport) -> AppResult<Vec<u8>> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let percent = Format::new().set_num_format("0.0%");

    let sheet = workbook.add_worksheet();
    sheet.set_name(t.get("donor.sheet.reached")).map_err(fail)?;
    let mut row = heading(sheet, t, report, t.get("donor.reached"), &bold)?;
    sex_header(sheet, t, row, t.get("members.organization"), &bold)?;
    for (name, counts) in &report.reached {
        row += 1;
        sex_row(sheet, row, name, counts)?;
    }
    row += 1;
    sex_row(sheet, row, t.get("donor.reached_total"), &report.reached_total)?;
    sheet.set_column_width(0, 34).map_err(fail)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(t.get("donor.sheet.trainings")).map_err(fail)?;
    let mut row = heading(sheet, t, report, t.get("report.title"), &bold)?;
    sheet
        .write_string_with_format(row, 0, t.get("export.report.trainings"), &bold)
        .map_err(fail)?;
    sheet
        .write_number(row, 1, report.attendance.total.trainings as f64)
        .map_err(fail)?;
    row += 2;
    sex_header(sheet, t, row, t.get("report.attendances"), &bold)?;
    row += 1;
    sex_row(
        sheet,
        row,
        t.get("report.group.total"),
        &report.attendance.total.attendances,
    )?;
    for line in &report.attendance.by_topic {
        row += 1;
        let name = crate::trainings::model::topic_name(&report.topics, &line.topic, &t);
        sex_row(sheet, row, &name, &line.counts.attendances)?;
    }
    row += 2;
    sex_header(sheet, t, row, t.get("report.participants"), &bold)?;
    row += 1;
    sex_row(
        sheet,
        row,
        t.get("report.group.total"),
        &report.attendance.total.participants,
    )?;
    for line in &report.attendance.by_organization {
        row += 1;
        let name = line.organization_id.map_or_else(
            || t.get("report.no_organization").to_string(),
            |id| {
                report
                    .organizations
                    .iter()
                    .find(|o| o.id == id)
                    .map_or_else(String::new, |o| o.name.clone())
            },
        );
        sex_row(sheet, row, &name, &line.counts.participants)?;
    }
    sheet.set_column_width(0, 34).map_err(fail)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(t.get("donor.sheet.fund")).map_err(fail)?;
    let row = heading(sheet, t, report, t.get("nav.funds"), &bold)?;
    let titles = [
        "donor.fund",
        "members.organization",
        "fund.capital",
        "fund.cash",
        "fund.loans_outstanding",
        "donor.disbursed_loans",
        "donor.disbursed",
        "donor.borrowers_female",
        "donor.borrowers_male",
        "donor.repaid",
        "donor.par30",
    ];
    for (col, key) in titles.iter().enumerate() {
        sheet
            .write_string_with_format(row, col as u16, t.get(key), &bold)
            .map_err(fail)?;
    }
    for (i, f) in report.funds.iter().enumerate() {
        let r = row + 1 + i as u32;
        sheet.write_string(r, 0, &f.name).map_err(fail)?;
        sheet.write_string(r, 1, &f.organization).map_err(fail)?;
        for (col, m) in [
            (2, f.capital),
            (3, f.cash),
            (4, f.loans_outstanding),
            (6, f.disbursed),
            (9, f.repaid),
        ] {
            sheet.write_number_with_format(r, col, soles(m), &money).map_err(fail)?;
        }
        sheet.write_number(r, 5, f.disbursed_loans as f64).map_err(fail)?;
        sheet.write_number(r, 7, f.borrowers.female as f64).map_err(fail)?;
        sheet.write_number(r, 8, f.borrowers.male as f64).map_err(fail)?;
        sheet
            .write_number_with_format(r, 10, f.par30.parse().unwrap_or(0.0), &percent)
            .map_err(fail)?;
    }
    sheet.set_column_width(0, 24).map_err(fail)?;
    sheet.set_column_width(1, 30).map_err(fail)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(t.get("donor.sheet.committees")).map_err(fail)?;
    let row = heading(sheet, t, report, t.get("committee.title"), &bold)?;
    for (col, key) in [
        "committee.name",
        "members.organization",
        "donor.actions_done",
        "donor.actions_on_time",
        "donor.actions_overdue",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string_with_format(row, col as u16, t.get(key), &bold)
            .map_err(fail)?;
    }
    for (i, c) in report.committees.iter().enumerate() {
        let r = row + 1 + i as u32;
        sheet.write_string(r, 0, &c.name).map_err(fail)?;
        sheet.write_string(r, 1, &c.organization).map_err(fail)?;
        sheet.write_number(r, 2, c.done as f64).map_err(fail)?;
        sheet.write_number(r, 3, c.done_on_time as f64).map_err(fail)?;
        sheet.write_number(r, 4, c.open_overdue as f64).map_err(fail)?;
    }
    sheet.set_column_width(0, 40).map_err(fail)?;
    workbook.save_to_buffer().map_err(fail)
}
