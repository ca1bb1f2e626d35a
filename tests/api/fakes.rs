//! Real servers the tests talk to: an SMTP server and an SMS provider over HTTP, each on a TCP
//! port of its own, recording what they received.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// A small SMTP server (RFC 5321: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), no TLS.
pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = smtp_session(stream, &store);
                });
            }
        });
        SmtpServer { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }
}

fn smtp_session(stream: TcpStream, store: &Mutex<Vec<Mail>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 localhost ESMTP test\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            out.write_all(b"250-localhost\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_string();
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_string());
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("DATA") {
            out.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l)? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            store.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            out.write_all(b"250 queued as 42\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            out.write_all(b"250 OK\r\n")?;
        } else {
            out.write_all(b"502 not implemented\r\n")?;
        }
    }
}

/// A request the SMS provider received.
#[derive(Debug, Clone)]
pub struct ProviderRequest {
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl ProviderRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted answer: status, one extra header, body.
type Answer = (u16, Option<(String, String)>, String);
type Script = Arc<Mutex<VecDeque<Answer>>>;

/// An SMS provider over HTTP that answers from a script (status, extra header, body), then 200.
pub struct SmsProvider {
    pub url: String,
    pub requests: Arc<Mutex<Vec<ProviderRequest>>>,
    script: Script,
}

impl SmsProvider {
    pub fn start() -> SmsProvider {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind provider");
        let url = format!("http://{}/messages", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::default();
        let (seen, answers) = (requests.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = http_exchange(stream, &seen, &answers);
            }
        });
        SmsProvider { url, requests, script }
    }

    /// The next answers, in order.
    pub fn answer(&self, status: u16, header: Option<(&str, &str)>, body: &str) {
        self.script.lock().unwrap().push_back((
            status,
            header.map(|(k, v)| (k.to_string(), v.to_string())),
            body.to_string(),
        ));
    }

    pub fn requests(&self) -> Vec<ProviderRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn http_exchange(
    stream: TcpStream,
    seen: &Mutex<Vec<ProviderRequest>>,
    script: &Mutex<VecDeque<Answer>>,
) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let n = {
        let mut seen = seen.lock().unwrap();
        seen.push(ProviderRequest {
            headers,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        });
        seen.len()
    };
    let (status, extra, text) =
        script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, None, format!(r#"{{"id":"msg-{n}"}}"#)));
    let extra = extra.map(|(k, v)| format!("{k}: {v}\r\n")).unwrap_or_default();
    write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{text}",
        text.len()
    )?;
    out.flush()
}
