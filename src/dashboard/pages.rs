//! The home page: a dashboard of what the signed-in role looks after (the sign-in page for
//! visitors, her own page for a member).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::figures::{fund_panel, portfolio_panel, FundPanel, PortfolioPanel};
use super::programme::{programme_panel, ProgrammePanel};
use crate::auth::extract::MaybePageUser;
use crate::auth::policy::{can, fund_scope, member_scope, own_profile, Action};
use crate::error::AppResult;
use crate::fund::model::Fund;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, see_other, State};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    /// Coordinators and admins: each fund they reach.
    funds: Vec<FundPanel>,
    /// Gender staff and admins: trainings and the committees' follow-up.
    programme: Option<ProgrammePanel>,
    /// Viewers (donors): every fund's portfolio, without names.
    portfolios: Vec<PortfolioPanel>,
}

/// The home page: a dashboard of what the role looks after.
pub async fn home(state: State, MaybePageUser(user): MaybePageUser) -> AppResult<HttpResponse> {
    let Some(user) = user else {
        return Ok(see_other("/login"));
    };
    // A member's home is her own page.
    if let Some(id) = own_profile(&user.user) {
        return Ok(see_other(&format!("/members/{id}")));
    }
    let page = user.page();
    let t = page.t;
    let actor = user.user.clone();
    let today = state.clock.today();
    let kept = state.clone();
    let (funds, programme, portfolios) = state
        .db
        .read(move |conn| {
            let funds = if can(&actor, Action::FollowFunds) {
                let (scope, members) = (fund_scope(&actor), member_scope(&actor));
                Fund::list(conn, &scope)?
                    .into_iter()
                    .map(|fund| fund_panel(conn, &kept.portfolios, t, fund, &members, today))
                    .collect::<AppResult<Vec<_>>>()?
            } else {
                Vec::new()
            };
            let programme = if can(&actor, Action::FollowProgramme) {
                Some(programme_panel(conn, t, today)?)
            } else {
                None
            };
            // Those who see portfolios but no fund's loans: the donors' view.
            let portfolios = if can(&actor, Action::ReadPortfolio) && !can(&actor, Action::ReadFunds) {
                Fund::list(conn, &fund_scope(&actor))?
                    .into_iter()
                    .map(|fund| portfolio_panel(conn, &kept.portfolios, t, fund, today))
                    .collect::<AppResult<Vec<_>>>()?
            } else {
                Vec::new()
            };
            Ok((funds, programme, portfolios))
        })
        .await?;
    render(
        StatusCode::OK,
        &HomePage {
            page,
            funds,
            programme,
            portfolios,
        },
    )
}

pub fn routes() -> Routes {
    Routes::new().get("/", home)
}
