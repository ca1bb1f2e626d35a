//! The donor report written as an XLSX workbook: one sheet each for reach, trainings, funds and
//! committees, the period and when it was made at the top of each.

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::donor::{org_name, DonorReport};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::money::Money;
use crate::trainings::report::BySex;

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
    reach_sheet(workbook.add_worksheet(), t, report, &bold)?;
    trainings_sheet(workbook.add_worksheet(), t, report, &bold)?;
    fund_sheet(workbook.add_worksheet(), t, report, &bold, (&money, &percent))?;
    committees_sheet(workbook.add_worksheet(), t, report, &bold)?;
    workbook.save_to_buffer().map_err(fail)
}

/// Members reached, by sex, per organisation and in total.
fn reach_sheet(sheet: &mut Worksheet, t: Tr, report: &DonorReport, bold: &Format) -> AppResult<()> {
    sheet.set_name(t.get("donor.sheet.reached")).map_err(fail)?;
    let mut row = heading(sheet, t, report, t.get("donor.reached"), bold)?;
    sex_header(sheet, t, row, t.get("members.organization"), bold)?;
    for (name, counts) in &report.reached {
        row += 1;
        sex_row(sheet, row, name, counts)?;
    }
    row += 1;
    sex_row(sheet, row, t.get("donor.reached_total"), &report.reached_total)?;
    sheet.set_column_width(0, 34).map_err(fail)?;
    Ok(())
}

/// Trainings held, attendances by topic and participants by organisation, by sex.
fn trainings_sheet(sheet: &mut Worksheet, t: Tr, report: &DonorReport, bold: &Format) -> AppResult<()> {
    sheet.set_name(t.get("donor.sheet.trainings")).map_err(fail)?;
    let mut row = heading(sheet, t, report, t.get("report.title"), bold)?;
    sheet
        .write_string_with_format(row, 0, t.get("export.report.trainings"), bold)
        .map_err(fail)?;
    sheet
        .write_number(row, 1, report.attendance.total.trainings as f64)
        .map_err(fail)?;
    row += 2;
    sex_header(sheet, t, row, t.get("report.attendances"), bold)?;
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
    sex_header(sheet, t, row, t.get("report.participants"), bold)?;
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
            |id| org_name(&report.organizations, id),
        );
        sex_row(sheet, row, &name, &line.counts.participants)?;
    }
    sheet.set_column_width(0, 34).map_err(fail)?;
    Ok(())
}

/// Each fund: its books at the end of the period, what it lent and got back.
fn fund_sheet(
    sheet: &mut Worksheet,
    t: Tr,
    report: &DonorReport,
    bold: &Format,
    (money, percent): (&Format, &Format),
) -> AppResult<()> {
    sheet.set_name(t.get("donor.sheet.fund")).map_err(fail)?;
    let row = heading(sheet, t, report, t.get("nav.funds"), bold)?;
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
        "donor.rescheduled_loans",
        "donor.rescheduled_principal",
        "donor.par30_excluding_rescheduled",
    ];
    for (col, key) in titles.iter().enumerate() {
        sheet
            .write_string_with_format(row, col as u16, t.get(key), bold)
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
            sheet.write_number_with_format(r, col, soles(m), money).map_err(fail)?;
        }
        sheet.write_number(r, 5, f.disbursed_loans as f64).map_err(fail)?;
        sheet.write_number(r, 7, f.borrowers.female as f64).map_err(fail)?;
        sheet.write_number(r, 8, f.borrowers.male as f64).map_err(fail)?;
        for (col, share) in [(10, &f.par30), (13, &f.par30_excluding_rescheduled)] {
            sheet
                .write_number_with_format(r, col, share.parse().unwrap_or(0.0), percent)
                .map_err(fail)?;
        }
        sheet.write_number(r, 11, f.rescheduled.loans as f64).map_err(fail)?;
        sheet
            .write_number_with_format(r, 12, soles(f.rescheduled.principal), money)
            .map_err(fail)?;
    }
    sheet.set_column_width(0, 24).map_err(fail)?;
    sheet.set_column_width(1, 30).map_err(fail)?;
    Ok(())
}

/// Each committee's actions done (on time) and open past due.
fn committees_sheet(sheet: &mut Worksheet, t: Tr, report: &DonorReport, bold: &Format) -> AppResult<()> {
    sheet.set_name(t.get("donor.sheet.committees")).map_err(fail)?;
    let row = heading(sheet, t, report, t.get("committee.title"), bold)?;
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
            .write_string_with_format(row, col as u16, t.get(key), bold)
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
    Ok(())
}
