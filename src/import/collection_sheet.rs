//! Importing a collection sheet: one repayment per row through the fund's own service, never
//! the same receipt twice.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::values::{parse_amount, parse_date};
use super::{field_error, member_of, missing, refused, run_rows, Kind, Report, Sheet, DNI, MEMBER_ID};
use crate::auth::policy::{loan_scope, CurrentUser};
use crate::db::schema::{repayment_reversals, repayments};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::input::JsonInput;

pub(super) fn import_repayments(conn: &mut DbConn, actor: &CurrentUser, sheet: Sheet) -> AppResult<Report> {
    let Sheet { t, table, today, .. } = sheet;
    let amount_names: &[&str] = &["monto", "importe", "amount", "pago"];
    let date_names: &[&str] = &["fecha", "fecha_de_pago", "date"];
    let receipt_names: &[&str] = &["recibo", "n_de_recibo", "n_recibo", "receipt", "receipt_number"];
    let loan_names: &[&str] = &["prestamo", "n_prestamo", "loan", "loan_id"];
    let file_problems = missing(
        t,
        table,
        &[
            ("dni / n_socia", &[DNI, MEMBER_ID].concat()),
            ("monto", amount_names),
            ("fecha", date_names),
        ],
    );
    if !file_problems.is_empty() {
        return Ok(refused(Kind::Repayments, sheet.listing, file_problems));
    }
    let mut seen: Vec<(i64, NaiveDate, i64, Option<String>)> = Vec::new();
    run_rows(conn, Kind::Repayments, sheet, |c, row| {
        let summary = format!(
            "{} · S/ {} · {}",
            table.cell(row, DNI).or(table.cell(row, MEMBER_ID)).unwrap_or_default(),
            table.cell(row, amount_names).unwrap_or_default(),
            table.cell(row, date_names).unwrap_or_default()
        );
        let fail = |e: AppError| (summary.clone(), e);
        let member = member_of(c, actor, table, row)
            .map_err(fail)?
            .ok_or_else(|| fail(field_error("dni", "member_or_name_required")))?;
        let amount = parse_amount(table.cell(row, amount_names).unwrap_or_default())
            .map_err(|code| fail(field_error("monto", code)))?;
        let date = parse_date(table.cell(row, date_names).unwrap_or_default())
            .map_err(|code| fail(field_error("fecha", code)))?;
        let receipt = table.cell(row, receipt_names).map(str::to_string);
        let scope = loan_scope(actor);
        let loan = match table.cell(row, loan_names) {
            Some(raw) => {
                let id: i64 = raw.parse().map_err(|_| fail(field_error("prestamo", "must_be_id")))?;
                let loan = crate::fund::model::Loan::find_scoped(c, &scope, id).map_err(fail)?;
                if loan.member_id != member {
                    return Err(fail(field_error("prestamo", "import_loan_not_hers")));
                }
                loan.id
            }
            None => {
                let open: Vec<i64> = crate::fund::model::Loan::of_member(c, member)
                    .map_err(fail)?
                    .into_iter()
                    .filter(|l| l.status == "disbursed")
                    .map(|l| l.id)
                    .collect();
                match open.as_slice() {
                    [one] => *one,
                    [] => return Err(fail(field_error("prestamo", "loan_not_disbursed"))),
                    _ => return Err(fail(field_error("prestamo", "import_which_loan"))),
                }
            }
        };
        let key = (loan, date, amount.centimos(), receipt.clone());
        if seen.contains(&key) {
            return Err(fail(field_error("recibo", "import_duplicate_row")));
        }
        seen.push(key);
        // Imported before: the same loan, date, amount and receipt, not reversed.
        let mut same = repayments::table
            .filter(repayments::loan_id.eq(loan))
            .filter(repayments::date.eq(date))
            .filter(repayments::amount.eq(amount.centimos()))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                repayment_reversals::table.filter(repayment_reversals::repayment_id.eq(repayments::id)),
            )))
            .into_boxed();
        same = match &receipt {
            Some(r) => same.filter(repayments::receipt_number.eq(r.clone())),
            None => same.filter(repayments::receipt_number.is_null()),
        };
        let before: i64 = same.count().get_result(c).map_err(|e| fail(e.into()))?;
        if before > 0 {
            return Ok((summary.clone(), true));
        }
        let mut body = json!({"amount": amount.to_string(), "date": date.to_string()});
        if let Some(r) = &receipt {
            body["receipt_number"] = json!(r);
        }
        let input = JsonInput::from_value(body).map_err(|e| fail(AppError::Invalid(vec![e])))?;
        let input = crate::fund::input::RepaymentInput::parse(&input, today).map_err(|e| fail(AppError::Invalid(e)))?;
        crate::fund::repayments::repay(c, actor, loan, input, today).map_err(fail)?;
        Ok((summary.clone(), false))
    })
}
