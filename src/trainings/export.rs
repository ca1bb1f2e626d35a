//! The attendance report as a spreadsheet: CSV (one table) and XLSX (the filters and the date of
//! generation written above the table; the members who came to nothing on a second sheet, for
//! staff only). Headers in the reader's language.

use rust_xlsxwriter::{Format, Workbook};

use super::model::{topic_name, Topic};
use super::report::{Counts, Tally};
use super::reporting::ReportFilter;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::organizations::Organization;

/// Everything a report document shows.
pub struct ReportDocument<'a> {
    pub t: Tr,
    pub filter: &'a ReportFilter,
    pub tally: &'a Tally,
    pub topics: &'a [Topic],
    pub organizations: &'a [Organization],
    /// Staff see the names of members who came to nothing; viewers only how many.
    pub names: bool,
    pub generated_at: String,
}

const COLUMNS: [&str; 16] = [
    "group",
    "name",
    "trainings",
    "participants_female",
    "participants_male",
    "participants_other",
    "participants_undisclosed",
    "participants_total",
    "attendances_female",
    "attendances_male",
    "attendances_other",
    "attendances_undisclosed",
    "attendances_total",
    "invited_members",
    "attending_members",
    "participation_rate",
];

/// A line of the table: its group (total, topic, organisation), its name and its counts.
pub struct Line<'a> {
    pub group: String,
    pub name: String,
    pub counts: &'a Counts,
}

impl<'a> ReportDocument<'a> {
    pub fn organization_name(&self, id: Option<i64>) -> String {
        match id {
            Some(id) => self
                .organizations
                .iter()
                .find(|o| o.id == id)
                .map_or_else(|| id.to_string(), |o| o.name.clone()),
            None => self.t.get("report.no_organization").to_string(),
        }
    }

    pub fn lines(&self) -> Vec<Line<'a>> {
        let t = self.t;
        let tally: &'a Tally = self.tally;
        let mut lines = vec![Line {
            group: t.get("report.group.total").to_string(),
            name: String::new(),
            counts: &tally.total,
        }];
        for line in &tally.by_topic {
            lines.push(Line {
                group: t.get("report.group.topic").to_string(),
                name: topic_name(self.topics, &line.topic, &t),
                counts: &line.counts,
            });
        }
        for line in &tally.by_organization {
            lines.push(Line {
                group: t.get("report.group.organization").to_string(),
                name: self.organization_name(line.organization_id),
                counts: &line.counts,
            });
        }
        lines
    }

    /// The filters in words, for the top of the sheet.
    pub fn filters(&self) -> Vec<(String, String)> {
        let t = self.t;
        let all = t.get("report.all").to_string();
        vec![
            (
                t.get("report.period").to_string(),
                format!("{} – {}", self.filter.from, self.filter.to),
            ),
            (
                t.get("members.organization").to_string(),
                self.filter
                    .organization_id
                    .map_or(all.clone(), |id| self.organization_name(Some(id))),
            ),
            (
                t.get("training.topic").to_string(),
                self.filter
                    .topic
                    .as_deref()
                    .map_or(all, |key| topic_name(self.topics, key, &t)),
            ),
            (t.get("report.generated_at").to_string(), self.generated_at.clone()),
        ]
    }
}

fn header(t: Tr) -> Vec<String> {
    COLUMNS.iter().map(|c| t.of("export.report", c)).collect()
}

fn numbers(c: &Counts) -> [usize; 13] {
    let (p, a) = (&c.participants, &c.attendances);
    [
        c.trainings,
        p.female,
        p.male,
        p.other,
        p.undisclosed,
        p.total,
        a.female,
        a.male,
        a.other,
        a.undisclosed,
        a.total,
        c.invited_members,
        c.attending_members,
    ]
}

pub fn csv(doc: &ReportDocument) -> AppResult<Vec<u8>> {
    let rows = doc.lines().into_iter().map(|line| {
        let mut record = vec![line.group, line.name];
        record.extend(numbers(line.counts).iter().map(usize::to_string));
        record.push(line.counts.participation_rate.clone());
        record
    });
    crate::spreadsheet::csv(&header(doc.t), rows)
}

pub fn xlsx(doc: &ReportDocument) -> AppResult<Vec<u8>> {
    let t = doc.t;
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let sheet = workbook.add_worksheet();
    sheet.set_name(t.get("report.sheet")).map_err(fail)?;
    sheet
        .write_string_with_format(0, 0, t.get("report.title"), &bold)
        .map_err(fail)?;
    let filters = doc.filters();
    for (i, (label, value)) in filters.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string_with_format(row, 0, label, &bold).map_err(fail)?;
        sheet.write_string(row, 1, value).map_err(fail)?;
    }
    let head = 2 + filters.len() as u32;
    for (col, title) in header(t).iter().enumerate() {
        sheet
            .write_string_with_format(head, col as u16, title, &bold)
            .map_err(fail)?;
    }
    for (i, line) in doc.lines().iter().enumerate() {
        let row = head + 1 + i as u32;
        sheet.write_string(row, 0, &line.group).map_err(fail)?;
        sheet.write_string(row, 1, &line.name).map_err(fail)?;
        for (j, n) in numbers(line.counts).iter().enumerate() {
            sheet.write_number(row, 2 + j as u16, *n as f64).map_err(fail)?;
        }
        let rate: f64 = line.counts.participation_rate.parse().unwrap_or(0.0);
        sheet.write_number_with_format(row, 15, rate, &percent).map_err(fail)?;
    }
    sheet.set_column_width(0, 16).map_err(fail)?;
    sheet.set_column_width(1, 32).map_err(fail)?;

    let absent = workbook.add_worksheet();
    absent.set_name(t.get("report.absent_sheet")).map_err(fail)?;
    absent
        .write_string_with_format(0, 0, t.get("report.members_without_attendance"), &bold)
        .map_err(fail)?;
    absent
        .write_number(0, 1, doc.tally.members_without_attendance.len() as f64)
        .map_err(fail)?;
    if doc.names {
        for (i, (_, name)) in doc.tally.members_without_attendance.iter().enumerate() {
            absent.write_string(2 + i as u32, 0, name).map_err(fail)?;
        }
    }
    absent.set_column_width(0, 40).map_err(fail)?;
    workbook.save_to_buffer().map_err(fail)
}
