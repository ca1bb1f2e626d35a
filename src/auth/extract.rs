//! Who is asking: a bearer token on the API, a session cookie on pages.
//! A handler names the extractor it needs; missing or dead credentials are a 401.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use super::policy::CurrentUser;
use super::{secret, session};
use crate::error::AppError;
use crate::input::FormInput;
use crate::web::page::Page;
use crate::web::{lang_of, State};

pub const SESSION_COOKIE: &str = "pallay_session";
/// Before login there is no session: the login form's CSRF token is a double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "pallay_login_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

fn state(req: &HttpRequest) -> Result<State, AppError> {
    req.app_data::<State>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))
}

/// The bearer token of a request, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}

/// A user of the JSON API.
pub struct ApiUser(pub CurrentUser);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Extracted<ApiUser>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state(req);
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state?;
            let token = token.ok_or(AppError::Unauthenticated)?;
            let user = state
                .db
                .read_by_key(move |conn| session::find_token(conn, &token))
                .await?;
            user.map(ApiUser).ok_or(AppError::Unauthenticated)
        })
    }
}

/// A signed-in person using the HTML pages, with the session's CSRF token.
pub struct PageUser {
    pub user: CurrentUser,
    pub csrf_token: String,
    req: HttpRequest,
}

impl PageUser {
    /// The page context for templates.
    pub fn page(&self) -> Page {
        Page::new(&self.req, Some(self.user.clone()), self.csrf_token.clone())
    }

    /// A posted form, once its CSRF token matches the session's; otherwise 403 and nothing happens.
    pub fn verify(&self, pairs: Vec<(String, String)>) -> Result<FormInput, AppError> {
        let form = FormInput::new(pairs);
        match form.value(CSRF_FIELD) {
            Some(token) if secret::constant_time_eq(token, &self.csrf_token) => Ok(form),
            _ => Err(AppError::Forbidden),
        }
    }
}

fn session_secret(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

async fn find_page_user(req: HttpRequest) -> Result<Option<PageUser>, AppError> {
    let state = state(&req)?;
    let Some(secret) = session_secret(&req) else {
        return Ok(None);
    };
    let found = state
        .db
        .read_by_key(move |conn| session::find_session(conn, &secret))
        .await?;
    Ok(found.map(|(user, csrf_token)| PageUser { user, csrf_token, req }))
}

impl FromRequest for PageUser {
    type Error = AppError;
    type Future = Extracted<PageUser>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { find_page_user(req).await?.ok_or(AppError::Unauthenticated) })
    }
}

/// A page anyone may see (login, home): the user if signed in.
pub struct MaybePageUser(pub Option<PageUser>);

impl FromRequest for MaybePageUser {
    type Error = AppError;
    type Future = Extracted<MaybePageUser>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { find_page_user(req).await.map(MaybePageUser) })
    }
}

/// The language of the request, for pages rendered without a user.
pub fn tr(req: &HttpRequest) -> crate::i18n::Tr {
    crate::i18n::Tr::new(lang_of(req))
}
