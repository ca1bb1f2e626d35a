//! What the benches that run `pallay serve` as a process share: the demo's database, the server
//! on a free port, and its memory.

// Each bench uses a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A `pallay serve` process of this build, stopped when dropped (with the demo's directory).
pub struct Server {
    child: std::process::Child,
    /// The demo's directory, removed with the server; `None` for a database the caller made.
    dir: Option<PathBuf>,
    /// `127.0.0.1:<port>`
    pub address: String,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Server {
    /// Loads the demo into a fresh database under the temporary directory (`pallay demo`), starts
    /// the server on it and waits until it answers.
    pub fn demo(name: &str) -> Server {
        let dir = std::env::temp_dir().join(format!("pallay-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = database_url(&dir);
        let demo = std::process::Command::new(env!("CARGO_BIN_EXE_pallay"))
            .arg("demo")
            .env("DATABASE_URL", &url)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("pallay demo");
        assert!(demo.success(), "pallay demo failed");
        let mut server = Server::on(&url);
        server.dir = Some(dir);
        server
    }

    /// Starts the server on the database `url` and waits until it answers.
    pub fn on(url: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pallay"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("PALLAY_BIND", &address)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("pallay serve");
        for _ in 0..200 {
            if TcpStream::connect(&address).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let base = format!("http://{address}");
        Server {
            child,
            dir: None,
            address,
            base,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn database_url(dir: &Path) -> String {
    dir.join("pallay.db").to_string_lossy().into_owned()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A field of `/proc/<pid>/status` in MiB: `VmRSS:` (resident now) or `VmHWM:` (its highest).
pub fn memory_mib(pid: u32, field: &str) -> f64 {
    let kib: u64 = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    kib as f64 / 1024.0
}

/// Signs in for an API token: the `Authorization` header's value.
pub fn bearer_token(agent: &ureq::Agent, base: &str, username: &str) -> String {
    let mut response = agent
        .post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": username, "password": pallay::demo::DEMO_PASSWORD}))
        .expect("sign in");
    let body: serde_json::Value = response.body_mut().read_json().expect("JSON");
    format!("Bearer {}", body["token"].as_str().expect("a token"))
}

/// An HTTP client that reports every status (none is an error) and follows no redirect.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .max_redirects(0)
        .build()
        .into()
}

/// A person signed in on the pages (cookies and the form's CSRF token), as a browser would be.
pub struct Session {
    pub base: String,
    pub agent: ureq::Agent,
    pub cookies: HashMap<String, String>,
}

impl Session {
    pub fn signed_in(base: &str, username: &str) -> Session {
        let mut session = Session {
            base: base.into(),
            agent: agent(),
            cookies: HashMap::new(),
        };
        let token = session.csrf("/login");
        let response = session
            .agent
            .post(&format!("{base}/login"))
            .header("Cookie", &session.cookie_header())
            .send_form([
                ("csrf_token", token.as_str()),
                ("username", username),
                ("password", pallay::demo::DEMO_PASSWORD),
            ])
            .expect("login");
        session.remember(&response);
        session
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn remember<B>(&mut self, response: &ureq::http::Response<B>) {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap_or_default();
            if let Some((k, v)) = value.split(';').next().unwrap_or_default().split_once('=') {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    pub fn get(&mut self, path: &str) -> (u16, Vec<u8>) {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Cookie", &self.cookie_header())
            .call()
            .expect("GET");
        self.remember(&response);
        (
            response.status().as_u16(),
            response.body_mut().read_to_vec().unwrap_or_default(),
        )
    }

    pub fn csrf(&mut self, path: &str) -> String {
        let (_, page) = self.get(path);
        let page = String::from_utf8_lossy(&page);
        let at = page.find("name=\"csrf_token\" value=\"").expect("a CSRF token") + 25;
        page[at..].split('"').next().unwrap_or_default().to_string()
    }
}
