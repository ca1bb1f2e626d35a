//! Settings, all from the environment. Every variable is listed in the README.

use std::env;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: a path or `sqlite://path` (default `pallay.db`), or `postgres://…`.
    pub database_url: String,
    /// `PALLAY_BIND`: where `pallay serve` listens (default `127.0.0.1:8080`).
    pub bind: String,
    /// `PALLAY_POOL_SIZE`: database connections per process (default 8).
    pub pool_size: u32,
    /// `PALLAY_BEHIND_PROXY`: `true` when a reverse proxy sets `X-Forwarded-For`; only then is that
    /// header believed for the client address used by login throttling (default `false`).
    pub behind_proxy: bool,
    /// Gateways, secrets and calendar of the notices (`src/outbox/mod.rs`).
    pub notices: crate::outbox::NoticeConfig,
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let pool_size = match var("PALLAY_POOL_SIZE") {
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("PALLAY_POOL_SIZE must be a positive number")?,
            None => 8,
        };
        let behind_proxy = match var("PALLAY_BEHIND_PROXY").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err("PALLAY_BEHIND_PROXY must be true or false".into()),
        };
        Ok(Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "pallay.db".into()),
            bind: var("PALLAY_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            pool_size,
            behind_proxy,
            notices: crate::outbox::NoticeConfig::from_env()?,
        })
    }
}
