//! The test harness: a real server on a random port over a fresh database (SQLite by default,
//! PostgreSQL when PALLAY_TEST_POSTGRES_URL is set), and plain HTTP clients for the API and pages.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use pallay::auth::policy::{CurrentUser, Role};
use pallay::config::Config;
use pallay::db::{write_transaction, Backend, Db};
use pallay::users::model::User;
use pallay::users::service::{self as users, NewUserInput};
use pallay::web::AppState;

use crate::browser::Browser;
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub database_url: String,
    admin_url: Option<String>,
    database_name: String,
    next_name: std::sync::atomic::AtomicUsize,
}

fn unique_name() -> String {
    format!("pallay_test_{}", &pallay::auth::secret::generate()[..16])
}

/// Replaces the database name at the end of a PostgreSQL URL (keeping any `?query`).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// The PostgreSQL server to test against, if any. Under CI it must be set: a missing
/// PostgreSQL is a failure, never a silent skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("PALLAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => None,
    }
}

pub fn create_postgres_database(admin_url: &str, name: &str) -> String {
    let mut conn = pallay::db::establish(admin_url)
        .unwrap_or_else(|e| panic!("PostgreSQL at PALLAY_TEST_POSTGRES_URL is unreachable: {e}"));
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    with_database(admin_url, name)
}

pub fn temp_sqlite_url(name: &str) -> String {
    let dir = std::env::temp_dir().join("pallay-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(format!("{name}.db")).to_string_lossy().into_owned()
}

/// The date every test server takes for today: `PALLAY_TEST_TODAY` (YYYY-MM-DD) when set — CI runs
/// the suite on the 28th, the 1st, the 31st and 29 February — else Lima's date when the suite
/// started, so no test sees midnight pass between its own dates and the server's.
pub fn test_today() -> chrono::NaiveDate {
    static TODAY: OnceLock<chrono::NaiveDate> = OnceLock::new();
    *TODAY.get_or_init(|| match std::env::var("PALLAY_TEST_TODAY") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("PALLAY_TEST_TODAY must be a date like 2028-02-29, not {v:?}")),
        _ => pallay::clock::today_in_lima(),
    })
}

/// The shared secret the test "gateway" signs inbound SMS with.
pub const INBOUND_SECRET: &str = "test-inbound-secret";

pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| {})
}

/// A test server whose configuration the test adjusts first (behind a proxy, say).
pub fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn(adjust, test_today())
}

/// A test server whose today is a fixed date, for answers pinned to the last character.
pub fn spawn_app_on(today: chrono::NaiveDate) -> TestApp {
    spawn(|_| {}, today)
}

fn spawn(adjust: impl FnOnce(&mut Config), today: chrono::NaiveDate) -> TestApp {
    let database_name = unique_name();
    let admin_url = postgres_url();
    let database_url = match &admin_url {
        Some(url) => create_postgres_database(url, &database_name),
        None => temp_sqlite_url(&database_name),
    };
    let db = Db::connect(&database_url, 4).expect("connect");
    db.migrate().expect("migrate");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let config = Config {
        database_url: database_url.clone(),
        bind: address.clone(),
        pool_size: 4,
        behind_proxy: false,
        notices: pallay::outbox::NoticeConfig {
            sms_inbound_secret: Some(INBOUND_SECRET.into()),
            ..pallay::outbox::NoticeConfig::log_only()
        },
    };
    let mut config = config;
    adjust(&mut config);
    let state = AppState {
        db: db.clone(),
        config,
        clock: pallay::clock::Clock::fixed(today),
        portfolios: Default::default(),
    };
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = pallay::serve(listener, state).expect("serve");
            server.await.expect("server");
        })
    });
    TestApp {
        address,
        db,
        database_url,
        admin_url,
        database_name,
        next_name: std::sync::atomic::AtomicUsize::new(0),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.admin_url {
            Some(admin) => {
                if let Ok(mut conn) = pallay::db::establish(admin) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database_name));
                }
            }
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.database_url));
                }
            }
        }
    }
}

pub(crate) fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| pallay::auth::password::hash(PASSWORD).expect("hash"))
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Where a redirect leads, without its query (`?done=…` says what just happened).
    pub fn redirected_path(&self) -> String {
        let location = self.header("location").expect("a redirect");
        location.split('?').next().unwrap_or(location).to_string()
    }

    /// The fields named in a problem+json 422.
    pub fn error_fields(&self) -> Vec<String> {
        assert_eq!(self.status, 422, "expected 422, got {}: {}", self.status, self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into()
}

pub(crate) fn collect(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Response {
    let mut response = result.expect("HTTP request failed");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Response { status, headers, body }
}

/// A client of the JSON API, with or without a bearer token.
#[derive(Clone)]
pub struct Api {
    base: String,
    pub token: Option<String>,
}

impl Api {
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        self.request_with_headers(method, path, body, &[])
    }

    pub fn request_with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Response {
        let url = format!("{}{}", self.base, path);
        let agent = agent();
        let mut all: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if let Some(token) = &self.token {
            all.push(("Authorization".into(), format!("Bearer {token}")));
        }
        macro_rules! go {
            ($builder:expr, with_body) => {{
                let mut b = $builder;
                for (k, v) in &all {
                    b = b.header(k.as_str(), v.as_str());
                }
                collect(b.content_type("application/json").send(body.unwrap_or("")))
            }};
            ($builder:expr) => {{
                let mut b = $builder;
                for (k, v) in &all {
                    b = b.header(k.as_str(), v.as_str());
                }
                collect(b.call())
            }};
        }
        match method {
            "GET" => go!(agent.get(&url)),
            "DELETE" => go!(agent.delete(&url)),
            "POST" => go!(agent.post(&url), with_body),
            "PATCH" => go!(agent.patch(&url), with_body),
            "PUT" => go!(agent.put(&url), with_body),
            other => panic!("method {other}"),
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.request("POST", path, Some(&body.to_string()))
    }

    pub fn post_raw(&self, path: &str, body: &str) -> Response {
        self.request("POST", path, Some(body))
    }

    pub fn patch(&self, path: &str, body: &Value) -> Response {
        self.request("PATCH", path, Some(&body.to_string()))
    }

    pub fn delete(&self, path: &str) -> Response {
        self.request("DELETE", path, None)
    }
}

impl TestApp {
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn api(&self) -> Api {
        Api {
            base: self.address.clone(),
            token: None,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser {
            base: self.address.clone(),
            cookies: HashMap::new(),
        }
    }

    fn fresh_username(&self, role: Role) -> String {
        let n = self.next_name.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("{}{n}", role.as_str().replace('_', "."))
    }

    /// A user created directly (the password is [`PASSWORD`]).
    pub fn create_user(&self, role: Role, organization_ids: Vec<i64>, member_id: Option<i64>) -> CurrentUser {
        let input = NewUserInput {
            username: self.fresh_username(role),
            password: PASSWORD.into(),
            role,
            organization_ids,
            member_id,
        };
        let mut conn = self.db.get().expect("conn");
        let view =
            write_transaction(&mut conn, |c| users::create(c, None, &input, password_hash())).expect("create user");
        User::find(&mut conn, view.id)
            .expect("find")
            .current(&mut conn)
            .expect("current")
    }

    /// An API client signed in (over HTTP) as a new user of this role.
    pub fn login_as(&self, role: Role, organization_ids: Vec<i64>, member_id: Option<i64>) -> (Api, CurrentUser) {
        let user = self.create_user(role, organization_ids, member_id);
        (self.token_for(&user.username), user)
    }

    pub fn token_for(&self, username: &str) -> Api {
        let response = self.api().post(
            "/api/v1/auth/token",
            &json!({"username": username, "password": PASSWORD}),
        );
        assert_eq!(response.status, 201, "login failed: {}", response.body);
        Api {
            base: self.address.clone(),
            token: response.json()["token"].as_str().map(str::to_string),
        }
    }

    pub fn admin(&self) -> Api {
        self.login_as(Role::Admin, vec![], None).0
    }

    pub fn create_organization(&self, admin: &Api, name: &str) -> i64 {
        let response = admin.post("/api/v1/organizations", &json!({"name": name, "kind": "association"}));
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()["id"].as_i64().expect("id")
    }

    pub fn create_member(&self, api: &Api, organization_id: i64, extra: Value) -> Value {
        let mut body = json!({"first_name": "Rosa", "last_name": "Quispe Mamani", "sex": "female",
                              "organization_ids": [organization_id]});
        if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                target.insert(k.clone(), v.clone());
            }
        }
        let response = api.post("/api/v1/members", &body);
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()
    }

    /// Every `table.column` of text in the database (audit log, outbox, sessions… all of them)
    /// holding `needle`, compared without regard to case: to prove a person was forgotten.
    pub fn columns_holding(&self, needle: &str) -> Vec<String> {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct TextColumn {
            #[diesel(sql_type = diesel::sql_types::Text)]
            table_name: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            column_name: String,
        }
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.get().expect("conn");
        let columns_sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.type = 'TEXT'"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'text'"
            }
        };
        let columns = diesel::sql_query(columns_sql)
            .load::<TextColumn>(&mut *conn)
            .expect("text columns");
        assert!(columns.len() > 50, "read the text columns: {}", columns.len());
        let pattern = format!("%{}%", needle.to_lowercase());
        columns
            .into_iter()
            .filter(|c| {
                diesel::sql_query(format!(
                    "SELECT COUNT(*) AS n FROM {} WHERE LOWER({}) LIKE $1",
                    c.table_name, c.column_name
                ))
                .bind::<diesel::sql_types::Text, _>(&pattern)
                .get_result::<Count>(&mut *conn)
                .expect("search a column")
                .n > 0
            })
            .map(|c| format!("{}.{}", c.table_name, c.column_name))
            .collect()
    }

    /// Rows in a table, to prove a refused request changed nothing.
    pub fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1 = 1")
    }

    /// Rows of a table that meet a condition (SQL both databases read the same way).
    pub fn count_where(&self, table: &str, condition: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.get().expect("conn");
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    }
}
