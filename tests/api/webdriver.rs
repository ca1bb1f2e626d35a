//! A real Chromium, driven over the W3C WebDriver protocol (JSON over HTTP to `chromedriver`).
//! Small on purpose: open a page, find, type, click, run a script, read the console, take a
//! screenshot — what the phone journeys need, nothing more.
//!
//! `chromium` and `chromedriver` are looked up on `PATH` (Debian's packages `chromium` and
//! `chromium-driver`). Without them the browser tests say so and pass locally; under `CI` they fail.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::agent;

/// The W3C key for an element reference in answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Whether this run must have a browser: CI never skips a browser test.
fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// A browser, or `None` (with a line saying why) when none is installed and CI is not set.
pub fn launch(width: u32, height: u32) -> Option<Chromium> {
    let found = on_path("chromium")
        .or_else(|| on_path("chromium-browser"))
        .zip(on_path("chromedriver"));
    let Some((browser, driver)) = found else {
        assert!(
            !required(),
            "CI must run the browser tests: install Debian's chromium and chromium-driver"
        );
        eprintln!("skipped: no chromium/chromedriver on PATH (install Debian's chromium and chromium-driver)");
        return None;
    };
    Some(Chromium::start(&browser, &driver, width, height))
}

pub struct Chromium {
    driver: Child,
    /// The phone's screen, and what was asked of the network: set again on a new tab.
    screen: (u32, u32),
    network: std::cell::Cell<(bool, bool)>,
    base: String,
    session: String,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Chromium {
    fn start(browser: &std::path::Path, driver: &std::path::Path, width: u32, height: u32) -> Chromium {
        let port = free_port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent().get(&format!("{base}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = std::env::temp_dir().join(format!("pallay-chromium-{}", free_port()));
        std::fs::create_dir_all(&profile).expect("profile dir");
        // Headless, no sandbox (CI runs as root), and nothing that phones home: the machine's
        // network is closed and every refused connection would be noise.
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            "--lang=es-PE".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // A phone in Puno: Spanish first.
            "goog:chromeOptions": {
                "binary": browser.to_string_lossy(),
                "args": args,
                "prefs": {"intl.accept_languages": "es-PE,es"},
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let mut chromium = Chromium {
            driver,
            screen: (width, height),
            network: std::cell::Cell::new((false, true)),
            base,
            session: String::new(),
            _profile: TempDir(profile),
        };
        let answer = chromium.call("POST", "/session", Some(capabilities));
        chromium.session = answer["sessionId"].as_str().expect("session id").to_string();
        chromium.emulate_screen();
        // What a page weighs is what crosses the network: the pages' service worker (which hands
        // back what it fetched, decoded) stays out of the way unless a test asks for it.
        chromium.bypass_service_worker(true);
        chromium
    }

    /// A phone's screen: this size, touch, and the page's viewport honoured as a phone does
    /// (a page too wide for it would be zoomed out, and its text unreadable).
    fn emulate_screen(&self) {
        let (width, height) = self.screen;
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800,
            }})),
        );
    }

    /// Whether requests skip the pages' service worker (see `start`).
    pub fn bypass_service_worker(&self, bypass: bool) {
        self.network.set((self.network.get().0, bypass));
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Network.enable", "params": {}})),
        );
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Network.setBypassServiceWorker", "params": {"bypass": bypass}})),
        );
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let agent = agent();
        let result = match (method, body) {
            ("GET", _) => agent.get(&url).call(),
            ("DELETE", _) => agent.delete(&url).call(),
            (_, body) => agent
                .post(&url)
                .content_type("application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let mut response = result.unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(status < 400, "webdriver {method} {path} answered {status}: {text}");
        answer["value"].clone()
    }

    /// Opens a URL and waits for the page to load (WebDriver's default page-load strategy).
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or("").to_string()
    }

    /// Runs a script in the page and returns what it returns.
    pub fn execute(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    /// Runs an asynchronous script: it calls `arguments[arguments.length - 1]` with its answer.
    pub fn execute_async(&self, script: &str) -> Value {
        self.call("POST", "/timeouts", Some(json!({"script": 60_000})));
        self.call("POST", "/execute/async", Some(json!({"script": script, "args": []})))
    }

    pub fn find(&self, css: &str) -> Element<'_> {
        let value = self.call("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        Element {
            browser: self,
            id: value[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("element {css}: {value}"))
                .to_string(),
        }
    }

    /// The element whose visible text is exactly `text`, among those matching `css`.
    pub fn find_text(&self, css: &str, text: &str) -> Element<'_> {
        // Marked in the page, then found by the mark: one lookup, no stale references.
        let script = format!(
            "document.querySelectorAll('[data-test-target]').forEach(e => e.removeAttribute('data-test-target'));
             const found = [...document.querySelectorAll({css})].find(e => e.innerText.trim() === {text});
             if (found) found.setAttribute('data-test-target', '1');
             return !!found;",
            css = serde_json::to_string(css).expect("css"),
            text = serde_json::to_string(text).expect("text"),
        );
        if self.execute(&script) != Value::Bool(true) {
            panic!("no {css} reading {text:?} on {}:\n{}", self.url(), self.text());
        }
        self.find("[data-test-target]")
    }

    /// Signs out the way a new phone would be: no cookies at all.
    pub fn forget_cookies(&self) {
        self.call("DELETE", "/cookie", None);
    }

    /// The page's visible text.
    pub fn text(&self) -> String {
        self.find("body").text()
    }

    /// Console messages at the level SEVERE (errors, refused resources, CSP violations) since
    /// the last call.
    pub fn console_errors(&self) -> Vec<String> {
        self.call("POST", "/se/log", Some(json!({"type": "browser"})))
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Scrolls the first element matching `css` to the top of the screen.
    pub fn scroll_to(&self, css: &str) {
        let css = serde_json::to_string(css).expect("css");
        self.execute(&format!("document.querySelector({css}).scrollIntoView(); return true;"));
    }

    /// The phone's own view of the network: offline (every request of the page fails at once, and
    /// `navigator.onLine` is false) or back online.
    pub fn set_offline(&self, offline: bool) {
        self.network.set((offline, self.network.get().1));
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Network.enable", "params": {}})),
        );
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Network.emulateNetworkConditions", "params": {
                "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1,
            }})),
        );
    }

    /// Closes the tab on screen and opens a new one, as she would after closing the browser.
    pub fn reopen_tab(&self) {
        let opened = self.call("POST", "/window/new", Some(json!({"type": "tab"})));
        let handle = opened["handle"].as_str().expect("new tab").to_string();
        self.call("DELETE", "/window", None);
        self.call("POST", "/window", Some(json!({"handle": handle})));
        // The same phone: its screen and its network as they were.
        let (offline, bypass) = self.network.get();
        self.emulate_screen();
        self.bypass_service_worker(bypass);
        self.set_offline(offline);
    }

    /// Waits until the script returns true (checked every 100 ms, at most `seconds`).
    pub fn wait_for(&self, what: &str, script: &str, seconds: u64) {
        let started = Instant::now();
        while self.execute(script) != Value::Bool(true) {
            assert!(
                started.elapsed() < Duration::from_secs(seconds),
                "waited {seconds} s for {what} on {}:\n{}",
                self.url(),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Shows the page as for `media` ("print", or "" for the screen again).
    pub fn emulate_media(&self, media: &str) {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}})),
        );
    }

    /// The page as the browser prints it on A4 (WebDriver's print), as PDF bytes.
    pub fn print_a4(&self) -> Vec<u8> {
        let encoded = self.call(
            "POST",
            "/print",
            Some(json!({"page": {"width": 21.0, "height": 29.7}, "background": false})),
        );
        decode_base64(encoded.as_str().expect("a PDF"))
    }

    /// A PNG of what the screen shows.
    pub fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None);
        decode_base64(encoded.as_str().expect("screenshot"))
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = agent().delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub struct Element<'a> {
    browser: &'a Chromium,
    id: String,
}

impl Element<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    pub fn click(&self) {
        self.browser.call("POST", &self.path("/click"), None);
    }

    /// Clears the field, then types `text` as keystrokes.
    pub fn fill(&self, text: &str) {
        self.browser.call("POST", &self.path("/clear"), None);
        self.browser
            .call("POST", &self.path("/value"), Some(json!({"text": text})));
    }

    pub fn text(&self) -> String {
        self.browser
            .call("GET", &self.path("/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decodes_what_chromedriver_sends() {
    assert_eq!(decode_base64("UGFsbGF5"), b"Pallay");
    assert_eq!(decode_base64("UGFsbGF5IQ=="), b"Pallay!");
    assert_eq!(decode_base64("UGFsbGF5IT8="), b"Pallay!?");
}
