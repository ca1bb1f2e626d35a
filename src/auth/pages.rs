//! Signing in and out of the HTML pages, and choosing the language.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::extract::{tr, MaybePageUser, PageUser, CSRF_FIELD, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use super::{login, secret, session};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::input::FormInput;
use crate::web::routes::Routes;
use crate::web::{client_ip, is_https, render, see_other, State, LANG_COOKIE};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    csrf_token: String,
    username: String,
    error_key: Option<&'static str>,
}

fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(req))
        .finish()
}

fn expired(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new());
    c.set_max_age(time::Duration::ZERO);
    c
}

fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    username: String,
    error_key: Option<&'static str>,
) -> AppResult<HttpResponse> {
    let existing = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64);
    let csrf_token = existing.clone().unwrap_or_else(secret::generate);
    let mut response = render(
        status,
        &LoginPage {
            t: tr(req),
            csrf_token: csrf_token.clone(),
            username,
            error_key,
        },
    )?;
    if existing.is_none() {
        response
            .add_cookie(&cookie(req, LOGIN_CSRF_COOKIE, csrf_token))
            .map_err(|e| AppError::internal(e.to_string()))?;
    }
    Ok(response)
}

pub async fn show_login(req: HttpRequest, MaybePageUser(user): MaybePageUser) -> AppResult<HttpResponse> {
    if user.is_some() {
        return Ok(see_other("/"));
    }
    login_page(&req, StatusCode::OK, String::new(), None)
}

pub async fn submit_login(
    state: State,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let form = FormInput::new(form.into_inner());
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let given = form.value(CSRF_FIELD).unwrap_or_default();
    if expected.is_empty() || !secret::constant_time_eq(given, &expected) {
        return Err(AppError::Forbidden);
    }
    let username = form.value("username").unwrap_or_default().to_string();
    let password = form.value("password").unwrap_or_default().to_string();
    let old_session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let ip = client_ip(&req, state.config.behind_proxy);
    let name = username.clone();
    let outcome = login::sign_in(&state.db, name, password, ip, move |conn, user| {
        // A fresh session id at every login; whatever session the browser had is ended.
        if let Some(old) = old_session {
            session::end_session(conn, &old)?;
        }
        session::start_session(conn, user.id)
    })
    .await;
    match outcome {
        Ok(fresh) => {
            let mut response = see_other("/");
            response
                .add_cookie(&cookie(&req, SESSION_COOKIE, fresh.secret))
                .map_err(|e| AppError::internal(e.to_string()))?;
            response
                .add_cookie(&expired(&req, LOGIN_CSRF_COOKIE))
                .map_err(|e| AppError::internal(e.to_string()))?;
            Ok(response)
        }
        Err(AppError::Unauthenticated) => login_page(&req, StatusCode::UNAUTHORIZED, username, Some("login.wrong")),
        Err(AppError::TooManyRequests) => {
            login_page(&req, StatusCode::TOO_MANY_REQUESTS, username, Some("login.too_many"))
        }
        Err(other) => Err(other),
    }
}

pub async fn logout(
    state: State,
    req: HttpRequest,
    user: PageUser,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    user.verify(form.into_inner())?;
    if let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) {
        let id = user.user.id;
        state
            .db
            .write(move |conn| {
                session::end_session(conn, &secret)?;
                crate::audit::record(conn, Some(id), "logout", "user", Some(id), None, None)
            })
            .await?;
    }
    let mut response = see_other("/login");
    response
        .add_cookie(&expired(&req, SESSION_COOKIE))
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// Remembers the chosen language in a cookie and goes back to the page.
pub async fn choose_language(
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<LangQuery>,
) -> AppResult<HttpResponse> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let next = query.next.as_deref().and_then(crate::web::local_path);
    let mut response = see_other(next.as_deref().unwrap_or("/"));
    let mut c = cookie(&req, LANG_COOKIE, lang.code().to_string());
    c.set_max_age(time::Duration::days(365));
    response.add_cookie(&c).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    page: crate::web::page::Page,
    form: crate::web::form::FormState,
}

/// Anyone signed in may change her own password (the first administrator's, printed once, first of all).
pub async fn password_form(user: PageUser) -> AppResult<HttpResponse> {
    render(
        StatusCode::OK,
        &PasswordPage {
            page: user.page(),
            form: Default::default(),
        },
    )
}

pub async fn change_password(
    state: State,
    req: HttpRequest,
    user: PageUser,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let input = user.verify(form.into_inner())?;
    let current = input.value("current").unwrap_or_default().to_string();
    let new = input.value("new").unwrap_or_default().to_string();
    let mut errors = Vec::new();
    if let Err(code) = super::password::check_strength(&new, &user.user.username) {
        errors.push(crate::error::FieldError::new("new", code));
    }
    if input.value("confirm") != Some(new.as_str()) {
        errors.push(crate::error::FieldError::new("confirm", "password_mismatch"));
    }
    let (id, ip) = (user.user.id, client_ip(&req, state.config.behind_proxy));
    let username = user.user.username.clone();
    // The current password is checked like a login (and counts towards throttling).
    let checked = login::sign_in(&state.db, username, current, ip, |_, user| Ok(user)).await;
    match checked {
        Err(AppError::Unauthenticated) => errors.push(crate::error::FieldError::new("current", "password_wrong")),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    if !errors.is_empty() {
        let form = crate::web::form::FormState::default().with_errors(user.page().t, &errors);
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                page: user.page(),
                form,
            },
        );
    }
    let hash = crate::users::service::hash_password(new).await?;
    state
        .db
        .write(move |conn| {
            crate::users::model::User::set_password_hash(conn, id, &hash)?;
            // Every other browser and token signed in as her is signed out.
            session::end_all_for_user(conn, id)?;
            crate::audit::record(conn, Some(id), "change_password", "user", Some(id), None, None)
        })
        .await?;
    let mut response = see_other("/login");
    response
        .add_cookie(&expired(&req, SESSION_COOKIE))
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(response)
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/login", show_login)
        .post("/login", submit_login)
        .post("/logout", logout)
        .get("/password", password_form)
        .post("/password", change_password)
        .get("/lang/{code}", choose_language)
}
