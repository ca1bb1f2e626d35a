//! What the benches that run `pallay serve` as a process share: the demo's database, the server
//! on a free port, and its memory.

// Each bench uses a part of it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A `pallay serve` process of this build on the demo data (SQLite), stopped when dropped along
/// with its directory.
pub struct DemoServer {
    child: std::process::Child,
    dir: PathBuf,
    /// `127.0.0.1:<port>`
    pub address: String,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl DemoServer {
    /// Loads the demo into a fresh database under the temporary directory (`pallay demo`), starts
    /// the server on it and waits until it answers.
    pub fn start(name: &str) -> DemoServer {
        let dir = std::env::temp_dir().join(format!("pallay-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = database_url(&dir);
        let binary = env!("CARGO_BIN_EXE_pallay");
        let demo = std::process::Command::new(binary)
            .arg("demo")
            .env("DATABASE_URL", &url)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("pallay demo");
        assert!(demo.success(), "pallay demo failed");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", &url)
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
        DemoServer {
            child,
            dir,
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

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
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
