//! The numbers behind the dashboard, gathered per fund and per period.

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;

use super::charts::{Chart, Kind, Series};
use crate::auth::policy::Scope;
use crate::db::schema::{installments, loans, repayment_reversals, repayments};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::fund::installment::Installment;
use crate::fund::model::{Fund, Loan};
use crate::fund::portfolio::portfolio;
use crate::fund::portfolio_kept::KeptPortfolios;
use crate::fund::standing::standing;
use crate::fund::view::fund_view;
use crate::i18n::Tr;
use crate::money::Money;

/// The last `n` calendar months up to `today`: (label, first day, last day).
pub fn months(today: NaiveDate, n: u32) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let (mut year, mut month) = (today.year(), today.month());
    for _ in 0..n {
        let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(today);
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .unwrap_or(today);
        let last = (next - Duration::days(1)).min(today);
        out.push((first.format("%Y-%m").to_string(), first, last));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    out.reverse();
    out
}

/// The last `n` quarters up to `today`: (label "2026-T4", first day, last day).
pub fn quarters(today: NaiveDate, n: u32) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let (mut year, mut q) = (today.year(), today.month0() / 3);
    for _ in 0..n {
        let first = NaiveDate::from_ymd_opt(year, q * 3 + 1, 1).unwrap_or(today);
        let next = if q == 3 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, q * 3 + 4, 1)
        }
        .unwrap_or(today);
        out.push((
            format!("{year}-T{}", q + 1),
            first,
            (next - Duration::days(1)).min(today),
        ));
        if q == 0 {
            year -= 1;
            q = 3;
        } else {
            q -= 1;
        }
    }
    out.reverse();
    out
}

fn soles(m: Money) -> f64 {
    m.to_string().parse().unwrap_or(0.0)
}

/// An installment falling due soon, or a loan that is late: who, which loan, how much.
pub struct DueLine {
    pub member_id: i64,
    pub name: String,
    pub loan_id: i64,
    pub date: String,
    pub amount: Money,
    pub days_late: i64,
}

pub struct FundPanel {
    pub fund: Fund,
    pub cash: Money,
    pub outstanding: Money,
    pub par30: String,
    pub due_this_week: Vec<DueLine>,
    pub in_arrears: Vec<DueLine>,
    pub failed_notices: i64,
    pub charts: Vec<Chart>,
}

pub fn fund_panel(
    conn: &mut DbConn,
    kept: &KeptPortfolios,
    t: Tr,
    fund: Fund,
    scope: &Scope,
    today: NaiveDate,
) -> AppResult<FundPanel> {
    let view = fund_view(conn, &fund, today)?;
    let (due_this_week, in_arrears) = due_and_late(conn, &fund, today)?;
    let (_, failed_notices) = crate::outbox::model::Notice::search(
        conn,
        scope,
        &crate::outbox::model::NoticeFilter {
            status: Some(crate::outbox::model::NoticeStatus::Failed.as_str().into()),
            ..Default::default()
        },
        1,
        0,
    )?;
    let charts = fund_charts(conn, t, &fund, today)?;
    Ok(FundPanel {
        cash: view.cash,
        outstanding: view.loans_outstanding,
        par30: kept.portfolio(conn, fund.id, today)?.par30,
        fund,
        due_this_week,
        in_arrears,
        failed_notices,
        charts,
    })
}

/// A fund as a donor sees it: figures, arrears by age and by SBS grade, a year of charts; no names.
pub struct PortfolioPanel {
    pub fund: Fund,
    pub capital: Money,
    pub outstanding: Money,
    pub disbursed: Money,
    pub portfolio: crate::fund::portfolio::Portfolio,
    pub aging: Vec<(&'static str, crate::fund::portfolio::Bucket)>,
    pub grades: Vec<(&'static str, crate::fund::portfolio::Bucket)>,
    pub charts: Vec<Chart>,
}

pub fn portfolio_panel(
    conn: &mut DbConn,
    kept: &KeptPortfolios,
    t: Tr,
    fund: Fund,
    today: NaiveDate,
) -> AppResult<PortfolioPanel> {
    use crate::fund::grading::SBS;
    use crate::fund::portfolio::AGING;
    let view = fund_view(conn, &fund, today)?;
    let portfolio = kept.portfolio(conn, fund.id, today)?;
    let in_order = |bounds: &[(&'static str, i64, i64)], table: &std::collections::HashMap<&'static str, _>| {
        bounds
            .iter()
            .map(|(name, _, _)| (*name, table.get(name).copied().unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    let aging = in_order(AGING, &portfolio.aging);
    let grades = in_order(SBS, &portfolio.sbs);
    let disbursed = portfolio
        .by_purpose
        .iter()
        .fold(Money::ZERO, |sum, line| sum + line.principal_disbursed);
    let charts = fund_charts(conn, t, &fund, today)?;
    Ok(PortfolioPanel {
        capital: view.capital,
        outstanding: view.loans_outstanding,
        disbursed,
        portfolio,
        aging,
        grades,
        fund,
        charts,
    })
}

/// What falls due in the coming week, and the loans in arrears (longest late first).
fn due_and_late(conn: &mut DbConn, fund: &Fund, today: NaiveDate) -> AppResult<(Vec<DueLine>, Vec<DueLine>)> {
    let open: Vec<Loan> = loans::table
        .filter(loans::fund_id.eq(fund.id))
        .filter(loans::status.eq(crate::fund::model::LoanStatus::Disbursed.as_str()))
        .select(Loan::as_select())
        .load(conn)?;
    let who = crate::members::model::Member::sort_names(conn, &open.iter().map(|l| l.member_id).collect::<Vec<_>>())?;
    let mut schedules = Installment::of_loans(conn, &open.iter().map(|l| l.id).collect::<Vec<_>>())?;
    let name_of = |id: i64| {
        who.iter()
            .find(|(m, _)| *m == id)
            .map_or_else(String::new, |(_, n)| n.clone())
    };
    let (mut due_this_week, mut in_arrears) = (Vec::new(), Vec::new());
    let week = today + Duration::days(7);
    for loan in &open {
        let all = schedules.remove(&loan.id).unwrap_or_default();
        let s = standing(&all, fund, today);
        for (i, owed) in all.iter().zip(&s.owed) {
            if i.due_date >= today && i.due_date <= week && !owed.total().is_zero() {
                due_this_week.push(DueLine {
                    member_id: loan.member_id,
                    name: name_of(loan.member_id),
                    loan_id: loan.id,
                    date: i.due_date.to_string(),
                    amount: owed.total(),
                    days_late: 0,
                });
            }
        }
        if s.days_past_due > 0 {
            in_arrears.push(DueLine {
                member_id: loan.member_id,
                name: name_of(loan.member_id),
                loan_id: loan.id,
                date: s.next_due_date.map(|d| d.to_string()).unwrap_or_default(),
                amount: crate::fund::receipt::overdue(&all, fund, today),
                days_late: s.days_past_due,
            });
        }
    }
    due_this_week.sort_by(|a, b| a.date.cmp(&b.date));
    in_arrears.sort_by_key(|d| std::cmp::Reverse(d.days_late));
    Ok((due_this_week, in_arrears))
}

/// A year of the fund by month: capital and cash, what fell due and what was collected, PAR30.
fn fund_charts(conn: &mut DbConn, t: Tr, fund: &Fund, today: NaiveDate) -> AppResult<Vec<Chart>> {
    let periods = months(today, 12);
    let categories: Vec<String> = periods.iter().map(|(l, _, _)| l.clone()).collect();
    let (mut capital, mut cash, mut par30, mut due, mut collected) = (vec![], vec![], vec![], vec![], vec![]);
    for (_, first, last) in &periods {
        let v = fund_view(conn, fund, *last)?;
        capital.push(soles(v.capital));
        cash.push(soles(v.cash));
        let p: f64 = portfolio(conn, fund.id, *last)?.par30.parse().unwrap_or(0.0);
        par30.push(p * 100.0);
        let fell_due: Vec<(i64, i64)> = installments::table
            .inner_join(loans::table)
            .filter(loans::fund_id.eq(fund.id))
            .filter(loans::disbursed_on.is_not_null())
            .filter(installments::due_date.between(*first, *last))
            // In force when it fell due; interest a reschedule carried fell due before.
            .filter(
                installments::superseded_on
                    .is_null()
                    .or(installments::superseded_on.gt(installments::due_date.nullable())),
            )
            .select((
                installments::principal,
                installments::interest - installments::carried_interest,
            ))
            .load(conn)?;
        due.push(soles(Money::from_centimos(fell_due.iter().map(|(p, i)| p + i).sum())));
        let paid: Vec<i64> = repayments::table
            .inner_join(loans::table)
            .filter(loans::fund_id.eq(fund.id))
            .filter(repayments::date.between(*first, *last))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                repayment_reversals::table.filter(repayment_reversals::repayment_id.eq(repayments::id)),
            )))
            .select(repayments::amount)
            .load(conn)?;
        collected.push(soles(Money::from_centimos(paid.iter().sum())));
    }
    Ok(vec![
        Chart {
            title: t.get("dashboard.chart.capital").into(),
            kind: Kind::Lines,
            unit: "S/".into(),
            categories: categories.clone(),
            series: vec![
                Series {
                    name: t.get("fund.capital").into(),
                    values: capital,
                },
                Series {
                    name: t.get("fund.cash").into(),
                    values: cash,
                },
            ],
        },
        Chart {
            title: t.get("dashboard.chart.due_collected").into(),
            kind: Kind::Bars,
            unit: "S/".into(),
            categories: categories.clone(),
            series: vec![
                Series {
                    name: t.get("dashboard.due").into(),
                    values: due,
                },
                Series {
                    name: t.get("dashboard.collected").into(),
                    values: collected,
                },
            ],
        },
        Chart {
            title: t.get("dashboard.chart.par30").into(),
            kind: Kind::Lines,
            unit: "%".into(),
            categories,
            series: vec![Series {
                name: "PAR30".into(),
                values: par30,
            }],
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_quarters_end_today_and_run_forward() {
        let today = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        let m = months(today, 3);
        assert_eq!(
            m.iter().map(|(l, _, _)| l.as_str()).collect::<Vec<_>>(),
            ["2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(m[2].2, today, "the current month ends today");
        assert_eq!(m[0].2, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        let q = quarters(today, 4);
        assert_eq!(
            q.iter().map(|(l, _, _)| l.as_str()).collect::<Vec<_>>(),
            ["2025-T2", "2025-T3", "2025-T4", "2026-T1"]
        );
        assert_eq!(q[1].1, NaiveDate::from_ymd_opt(2025, 7, 1).unwrap());
    }
}
