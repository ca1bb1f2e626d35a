//! Builders for the fund's tests: a fund with cash, a borrower, two coordinators (maker and
//! checker), and loans in any state; and a check that the books agree with every projection.

use chrono::{Duration, NaiveDate};
use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Api, TestApp};

pub fn today() -> NaiveDate {
    crate::helpers::test_today()
}

pub fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).to_string()
}

pub struct Fund {
    pub app: TestApp,
    pub admin: Api,
    pub maker: Api,
    pub checker: Api,
    pub org: i64,
    pub fund: i64,
    pub member: i64,
}

pub fn fund_with_cash(cash: &str) -> Fund {
    fund_with(cash, json!({}))
}

/// The same, the fund created with `settings` too (e.g. a penalty).
pub fn fund_with(cash: &str, settings: Value) -> Fund {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let mut body = json!({"organization_id": org, "name": "Fondo rotatorio"});
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let response = admin.post("/api/v1/funds", &body);
    assert_eq!(response.status, 201, "{}", response.body);
    let fund = response.json()["id"].as_i64().unwrap();
    let (maker, _) = app.login_as(Role::Coordinator, vec![org], None);
    let (checker, _) = app.login_as(Role::Coordinator, vec![org], None);
    let member = app.create_member(&admin, org, json!({"first_name": "Justina"}))["id"]
        .as_i64()
        .unwrap();
    let contribution = maker.post(
        &format!("/api/v1/funds/{fund}/contributions"),
        &json!({"source": "donor", "amount": cash, "date": day(-400), "note": "ARM"}),
    );
    assert_eq!(contribution.status, 201, "{}", contribution.body);
    Fund {
        app,
        admin,
        maker,
        checker,
        org,
        fund,
        member,
    }
}

impl Fund {
    /// A loan request by the maker: S/ `principal` over `periods` months, first due in `first_due` days.
    pub fn request(&self, principal: &str, method: &str, rate: &str, periods: i64, first_due: i64) -> Value {
        let body = json!({"fund_id": self.fund, "member_id": self.member, "principal": principal,
                          "interest_method": method, "rate_per_period": rate, "periods": periods,
                          "frequency": "monthly", "first_due_date": day(first_due), "purpose": "venta de comida"});
        let response = self.maker.post("/api/v1/loans", &body);
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()
    }

    /// Requested, approved by the checker and disbursed `disbursed` days from today.
    pub fn disbursed(&self, principal: &str, rate: &str, periods: i64, disbursed: i64) -> i64 {
        let loan = self.request(principal, "flat", rate, periods, disbursed + 30)["id"]
            .as_i64()
            .unwrap();
        self.approve_and_disburse(loan, disbursed);
        loan
    }

    /// A requested loan approved by the checker and disbursed `disbursed` days from today.
    pub fn approve_and_disburse(&self, loan: i64, disbursed: i64) {
        assert_eq!(
            self.checker
                .post(&format!("/api/v1/loans/{loan}/approve"), &json!({}))
                .status,
            200
        );
        let r = self.maker.post(
            &format!("/api/v1/loans/{loan}/disburse"),
            &json!({"date": day(disbursed)}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    pub fn repay(&self, loan: i64, amount: &str, date_offset: i64) -> crate::helpers::Response {
        self.maker.post(
            &format!("/api/v1/loans/{loan}/repayments"),
            &json!({"amount": amount, "date": day(date_offset)}),
        )
    }

    /// A loan's repayments, newest first (its own route: the loan's answers do not carry them).
    pub fn repayments(&self, loan: i64) -> Vec<Value> {
        let list = self
            .admin
            .get(&format!("/api/v1/loans/{loan}/repayments?limit=500"))
            .json();
        assert!(list["total"].as_i64().unwrap() < 500, "one page holds them all");
        list["items"].as_array().unwrap().clone()
    }

    pub fn fund_view(&self) -> Value {
        self.admin.get(&format!("/api/v1/funds/{}", self.fund)).json()
    }

    /// Every journal entry balances, and every projection equals what the journal's own lines say
    /// (summed here, line by line, not by the code that writes them): the fund's cash and loans,
    /// the trial balance, each loan's receivable against the installments' paid columns and
    /// against the repayments' allocations, and penalties and interest income.
    pub fn assert_books_consistent(&self) {
        // What `pallay check` asks, table by table, first.
        let mut conn = self.app.db.get().expect("conn");
        let problems =
            pallay::maintenance::check::check(&mut conn, &pallay::maintenance::check::Checks { schema: true })
                .expect("the checks run");
        assert!(problems.is_empty(), "pallay check: {problems:?}");
        drop(conn);
        let journal = self
            .admin
            .get(&format!("/api/v1/funds/{}/journal?limit=500", self.fund))
            .json();
        let items = journal["items"].as_array().unwrap();
        assert!(items.len() < 500, "the check reads the whole journal in one page");
        let mut by_account = std::collections::BTreeMap::<String, i64>::new();
        let mut receivable_by_loan = std::collections::HashMap::<i64, i64>::new();
        for entry in items {
            let lines = entry["lines"].as_array().unwrap();
            let debit: i64 = lines.iter().map(|l| centimos(&l["debit"])).sum();
            let credit: i64 = lines.iter().map(|l| centimos(&l["credit"])).sum();
            assert_eq!(debit, credit, "unbalanced entry {entry}");
            for l in lines {
                let net = centimos(&l["debit"]) - centimos(&l["credit"]);
                *by_account
                    .entry(l["account"].as_str().unwrap().to_string())
                    .or_default() += net;
                if let (Some(loan), "loans_receivable") = (entry["loan_id"].as_i64(), l["account"].as_str().unwrap()) {
                    *receivable_by_loan.entry(loan).or_default() += net;
                }
            }
        }
        let journal_says = |account: &str| by_account.get(account).copied().unwrap_or(0);

        let trial = self
            .admin
            .get(&format!("/api/v1/funds/{}/trial-balance", self.fund))
            .json();
        assert_eq!(trial["total_debit"], trial["total_credit"], "{trial}");
        for line in trial["accounts"].as_array().unwrap() {
            let account = line["account"].as_str().unwrap();
            let debit_normal = matches!(account, "cash" | "loans_receivable" | "loan_losses");
            let sign = if debit_normal { 1 } else { -1 };
            assert_eq!(
                sign * centimos(&line["balance"]),
                journal_says(account),
                "trial balance, {account}: {trial}"
            );
        }

        let fund = self.fund_view();
        assert_eq!(centimos(&fund["cash"]), journal_says("cash"), "cash: {fund}");
        assert!(journal_says("cash") >= 0, "cash went negative");
        assert_eq!(
            centimos(&fund["loans_outstanding"]),
            journal_says("loans_receivable"),
            "loans: {fund}"
        );
        assert_eq!(-journal_says("interest_income"), centimos(&fund["interest_income"]));
        assert_eq!(-journal_says("penalty_income"), centimos(&fund["penalty_income"]));

        for (loan, receivable) in receivable_by_loan {
            let view = self.admin.get(&format!("/api/v1/loans/{loan}")).json();
            let principal = centimos(&view["principal"]);
            let by_installments: i64 = installments_principal_paid(&self.app, loan);
            let by_repayments: i64 = self
                .repayments(loan)
                .iter()
                .filter(|r| r["reversed_by"].is_null())
                .map(|r| centimos(&r["allocation"]["principal"]))
                .sum();
            assert_eq!(
                by_installments, by_repayments,
                "loan {loan}: installments vs repayments"
            );
            let expected = if view["status"] == "written_off" {
                0
            } else {
                principal - by_installments
            };
            assert_eq!(receivable, expected, "loan {loan}: journal vs installments");
        }

        // Today's portfolio read from the installments' paid columns equals the one summed from
        // the repayments themselves, and the one that takes settled loans from their totals, once
        // the loans whose dates are all past are settled (as `pallay serve` does every hour).
        use pallay::fund::portfolio::{portfolio, portfolio_with, PaidAsOf};
        use pallay::fund::settled::settle_all;
        // First, the portfolio the server keeps between views is the one read afresh.
        let served = self.admin.get(&format!("/api/v1/funds/{}/portfolio", self.fund)).json();
        let mut conn = self.app.db.get().unwrap();
        let fresh = serde_json::to_value(portfolio(&mut conn, self.fund, today()).unwrap()).unwrap();
        assert_eq!(served, fresh, "the portfolio kept by the server");
        settle_all(&mut conn, today()).unwrap();
        let ways = |conn: &mut pallay::db::DbConn, on: NaiveDate| {
            [
                PaidAsOf::SettledThenInstallments,
                PaidAsOf::FromInstallments,
                PaidAsOf::FromRepayments,
            ]
            .map(|paid| serde_json::to_value(portfolio_with(conn, self.fund, on, paid).unwrap()).unwrap())
        };
        let [settled, fast, full] = ways(&mut conn, today());
        assert_eq!(fast, full, "from the installments");
        assert_eq!(settled, full, "with the settled loans' totals");
        // Years on, every loan whose dates have all passed by then is settled (in a transaction
        // rolled back): the report of that day is the same read all three ways, and the checks
        // find the totals equal to the settled loans' installments.
        let later = today() + Duration::days(3 * 366);
        use diesel::connection::TransactionManager;
        type Tm = <pallay::db::DbConn as diesel::Connection>::TransactionManager;
        Tm::begin_transaction(&mut *conn).unwrap();
        let settling = pallay::fund::settled::settle_fund(&mut conn, self.fund, later);
        let [settled, fast, full] = ways(&mut conn, later);
        let problems =
            pallay::maintenance::check::check(&mut conn, &pallay::maintenance::check::Checks { schema: true });
        Tm::rollback_transaction(&mut *conn).unwrap();
        settling.unwrap();
        assert_eq!(
            problems.unwrap(),
            vec![],
            "the checks, with every loan settled that could be"
        );
        assert_eq!(fast, full, "from the installments, {later}");
        assert_eq!(settled, full, "with the settled loans' totals, {later}");
    }
}

/// Σ principal_paid of a loan's installments, read from the table itself.
fn installments_principal_paid(app: &crate::helpers::TestApp, loan: i64) -> i64 {
    use diesel::prelude::*;
    use pallay::db::schema::installments;
    let mut conn = app.db.get().unwrap();
    installments::table
        .filter(installments::loan_id.eq(loan))
        .select(installments::principal_paid)
        .load::<i64>(&mut *conn)
        .unwrap()
        .into_iter()
        .sum()
}

pub fn centimos(value: &Value) -> i64 {
    pallay::money::Money::parse(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not money: {value}"))
            .trim_start_matches('-'),
    )
    .map(|m| {
        if value.as_str().unwrap().starts_with('-') {
            -m.centimos()
        } else {
            m.centimos()
        }
    })
    .unwrap()
}
