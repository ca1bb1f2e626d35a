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
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let response = admin.post(
        "/api/v1/funds",
        &json!({"organization_id": org, "name": "Fondo rotatorio"}),
    );
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
        loan
    }

    pub fn repay(&self, loan: i64, amount: &str, date_offset: i64) -> crate::helpers::Response {
        self.maker.post(
            &format!("/api/v1/loans/{loan}/repayments"),
            &json!({"amount": amount, "date": day(date_offset)}),
        )
    }

    pub fn fund_view(&self) -> Value {
        self.admin.get(&format!("/api/v1/funds/{}", self.fund)).json()
    }

    /// The trial balance balances, and every projection (installments' paid columns, fund figures)
    /// equals what the journal says.
    pub fn assert_books_consistent(&self) {
        let trial = self
            .admin
            .get(&format!("/api/v1/funds/{}/trial-balance", self.fund))
            .json();
        assert_eq!(trial["total_debit"], trial["total_credit"], "{trial}");
        let journal = self
            .admin
            .get(&format!("/api/v1/funds/{}/journal?limit=500", self.fund))
            .json();
        let mut receivable_by_loan = std::collections::HashMap::<i64, i64>::new();
        for entry in journal["items"].as_array().unwrap() {
            let lines = entry["lines"].as_array().unwrap();
            let debit: i64 = lines.iter().map(|l| centimos(&l["debit"])).sum();
            let credit: i64 = lines.iter().map(|l| centimos(&l["credit"])).sum();
            assert_eq!(debit, credit, "unbalanced entry {entry}");
            if let Some(loan) = entry["loan_id"].as_i64() {
                for l in lines.iter().filter(|l| l["account"] == "loans_receivable") {
                    *receivable_by_loan.entry(loan).or_default() += centimos(&l["debit"]) - centimos(&l["credit"]);
                }
            }
        }
        for (loan, receivable) in receivable_by_loan {
            let view = self.admin.get(&format!("/api/v1/loans/{loan}")).json();
            let outstanding: i64 = view["schedule"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| centimos(&l["principal"]) - principal_paid(&view, l["number"].as_i64().unwrap()))
                .sum();
            let expected = if view["status"] == "written_off" {
                0
            } else {
                outstanding
            };
            assert_eq!(receivable, expected, "loan {loan}: journal vs installments");
        }
        let fund = self.fund_view();
        let tb = |account: &str| {
            let line = trial["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["account"] == account)
                .unwrap()
                .clone();
            centimos(&line["balance"])
        };
        assert_eq!(centimos(&fund["cash"]), tb("cash"));
        assert_eq!(centimos(&fund["loans_outstanding"]), tb("loans_receivable"));

        // Today's portfolio read from the installments' paid columns equals the one summed from
        // the repayments themselves.
        use pallay::fund::portfolio::{portfolio_with, PaidAsOf};
        let mut conn = self.app.db.get().unwrap();
        let fast = portfolio_with(&mut conn, self.fund, today(), PaidAsOf::FromInstallments).unwrap();
        let full = portfolio_with(&mut conn, self.fund, today(), PaidAsOf::FromRepayments).unwrap();
        assert_eq!(
            serde_json::to_value(&fast).unwrap(),
            serde_json::to_value(&full).unwrap()
        );
    }
}

/// Principal paid on an installment: what its line shows as paid, less interest first.
fn principal_paid(view: &Value, number: i64) -> i64 {
    let line = view["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["number"] == number)
        .unwrap();
    let paid = centimos(&line["paid"]);
    (paid - centimos(&line["interest"])).max(0)
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
