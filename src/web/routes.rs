//! The router's table: every method and path a part serves, in one list that the server is built
//! from and the tests read — the role × route matrix fails on a route it has no row for.

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{web, FromRequest, Responder, Route};

/// A part's routes, in the order they are matched. Build with `Routes::new().get(path, handler)…`;
/// the server takes them with `register`, the tests with `list`.
#[derive(Default)]
pub struct Routes {
    entries: Vec<(Method, &'static str, Route)>,
}

macro_rules! verb {
    ($name:ident, $method:ident, $route:ident) => {
        pub fn $name<F, Args>(mut self, path: &'static str, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.entries
                .push((Method::$method, path, web::$route().to(handler)));
            self
        }
    };
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    verb!(get, GET, get);
    verb!(post, POST, post);
    verb!(put, PUT, put);
    verb!(patch, PATCH, patch);
    verb!(delete, DELETE, delete);

    /// This table followed by another's.
    pub fn merge(mut self, other: Routes) -> Routes {
        self.entries.extend(other.entries);
        self
    }

    /// Every (method, path), paths as registered (relative to a scope, if mounted in one).
    pub fn list(&self) -> Vec<(Method, &'static str)> {
        self.entries.iter().map(|(m, p, _)| (m.clone(), *p)).collect()
    }

    pub fn register(self, cfg: &mut web::ServiceConfig) {
        for (_, path, route) in self.entries {
            cfg.route(path, route);
        }
    }
}
