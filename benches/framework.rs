//! Pallay's lightest routes beside the framework's own floor (issue 18): a plain actix-web
//! hello-world built here, then `pallay serve` (release, demo data on SQLite) answering
//! `GET /api/v1/health` and a member's own page (her session cookie, gzip as a phone asks), each
//! hammered by the same keep-alive connections for the same time. Ceiling: each Pallay route at
//! least a quarter of the hello-world's requests per second, with a p99 under 20 ms. Beside them,
//! a second reference: her page's own bytes answered from memory and gzipped for each request by
//! Pallay's compressor, which is what her page would cost if its session, reads and template were free.
//!
//!     cargo bench --bench framework   # PALLAY_FRAMEWORK_CONNECTIONS (64), PALLAY_FRAMEWORK_SECONDS (5)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pallay::demo::DEMO_PASSWORD;

mod common;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Reads one HTTP/1.1 response (sized or chunked) and returns its status; its headers go into
/// `head` (a line each, names in lower case), its body into `body`.
fn read_response(
    reader: &mut BufReader<TcpStream>,
    head: &mut String,
    line: &mut String,
    body: &mut Vec<u8>,
) -> std::io::Result<u16> {
    head.clear();
    line.clear();
    reader.read_line(line)?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        if reader.read_line(line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        // Names in lower case, values as sent (a cookie's value is case-sensitive).
        let (name, value) = line.trim_end().split_once(':').unwrap_or((line.trim_end(), ""));
        head.push_str(&format!("{}:{value}\n", name.to_ascii_lowercase()));
        if let Some(v) = header.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        } else if header.starts_with("transfer-encoding:") && header.contains("chunked") {
            chunked = true;
        }
    }
    body.clear();
    if !chunked {
        body.resize(length, 0);
        reader.read_exact(body)?;
        return Ok(status);
    }
    loop {
        line.clear();
        reader.read_line(line)?;
        let size = usize::from_str_radix(line.trim_end(), 16).unwrap_or(0);
        let start = body.len();
        body.resize(start + size + 2, 0);
        reader.read_exact(&mut body[start..])?;
        body.truncate(start + size);
        if size == 0 {
            return Ok(status);
        }
    }
}

struct Run {
    requests: usize,
    failed: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// `connections` keep-alive connections, each sending `request` as fast as it is answered, for
/// `seconds` after a second of warm-up. Latencies of the measured part only.
fn hammer(addr: SocketAddr, request: &str, connections: usize, seconds: u64) -> Run {
    let request = Arc::new(request.as_bytes().to_vec());
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (request, measuring, stop) = (Arc::clone(&request), Arc::clone(&measuring), Arc::clone(&stop));
            std::thread::spawn(move || {
                let (mut latencies, mut failed) = (Vec::with_capacity(100_000), 0usize);
                let (mut head, mut line, mut body) = (String::new(), String::new(), Vec::new());
                let mut connection: Option<(TcpStream, BufReader<TcpStream>)> = None;
                while !stop.load(Ordering::Relaxed) {
                    if connection.is_none() {
                        let stream = TcpStream::connect(addr).expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        let reader = BufReader::new(stream.try_clone().expect("clone"));
                        connection = Some((stream, reader));
                    }
                    let Some((stream, reader)) = connection.as_mut() else {
                        continue;
                    };
                    let started = Instant::now();
                    let answered = stream
                        .write_all(&request)
                        .and_then(|()| read_response(reader, &mut head, &mut line, &mut body));
                    let took = started.elapsed();
                    let counting = measuring.load(Ordering::Relaxed);
                    match answered {
                        Ok(200) if counting => latencies.push(took.as_micros() as u32),
                        Ok(200) => {}
                        Ok(_) | Err(_) => {
                            if counting {
                                failed += 1;
                            }
                            connection = None;
                        }
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for thread in threads {
        let (l, f) = thread.join().expect("client");
        latencies.extend(l);
        failed += f;
    }
    latencies.sort_unstable();
    let at = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |us| f64::from(*us) / 1000.0)
    };
    Run {
        requests: latencies.len(),
        failed,
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

/// The hello-world: actix-web with its defaults, one route, in a thread of this process.
fn hello_world() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(|| {
                actix_web::App::new().route("/", actix_web::web::get().to(|| async { "Hello world!" }))
            })
            .listen(listener)
            .expect("listen")
            .run()
            .await
        })
    });
    addr
}

/// Her page's own bytes from memory: actix-web with its defaults, one route that gzips `html` with
/// Pallay's compressor for every answer, as Pallay does — no session, no database, no template.
/// What any answer of her page's size costs here: her page's distance from it is what finding her
/// session, reading her page and rendering it cost.
fn same_bytes_from_memory(html: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let html = actix_web::web::Bytes::from(html);
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || {
                let html = html.clone();
                actix_web::App::new().route(
                    "/",
                    actix_web::web::get().to(move || {
                        let zipped = pallay::web::gzip::gzip(&html).expect("deflate");
                        async move {
                            actix_web::HttpResponse::Ok()
                                .content_type("text/html; charset=utf-8")
                                .insert_header(("content-encoding", "gzip"))
                                .insert_header(("vary", "accept-encoding"))
                                .body(zipped)
                        }
                    }),
                )
            })
            .tcp_nodelay(true)
            .listen(listener)
            .expect("listen")
            .run()
            .await
        })
    });
    addr
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n")
}

/// One request on a fresh connection: status, headers (names in lower case) and body.
fn once(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut reader = BufReader::new(stream);
    let (mut head, mut line, mut body) = (String::new(), String::new(), Vec::new());
    let status = read_response(&mut reader, &mut head, &mut line, &mut body).expect("response");
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

/// The value of cookie `name` set by a response's headers.
fn set_cookie(head: &str, name: &str) -> String {
    head.lines()
        .filter_map(|l| l.strip_prefix("set-cookie:"))
        .filter_map(|c| c.trim().split(';').next())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no cookie {name}"))
        .to_string()
}

/// Signs in through the login form, as her phone does: the session cookie.
fn sign_in(addr: SocketAddr, username: &str) -> String {
    let (_, head, html) = once(addr, &get("/login", "Connection: close\r\n"));
    let csrf_cookie = set_cookie(&head, "pallay_login_csrf");
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf token on the login form")
        .to_string();
    let form = format!("username={username}&password={DEMO_PASSWORD}&csrf_token={token}");
    let (status, head, _) = once(
        addr,
        &format!(
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: pallay_login_csrf={csrf_cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    assert_eq!(status, 303, "signing in as {username}");
    set_cookie(&head, "pallay_session")
}

fn main() {
    let connections = setting("PALLAY_FRAMEWORK_CONNECTIONS", 64) as usize;
    let seconds = setting("PALLAY_FRAMEWORK_SECONDS", 5);
    let server = common::Server::demo("framework");
    let pallay: SocketAddr = server.address.parse().expect("address");
    let health_request = get("/api/v1/health", "");
    let session = sign_in(pallay, "rosa.quispe");
    // Her home is her own page: where it sends her is the page she reads her balance on.
    let (status, head, _) = once(
        pallay,
        &get(
            "/",
            &format!("Connection: close\r\nCookie: pallay_session={session}\r\n"),
        ),
    );
    assert_eq!(status, 303, "her home sends her to her page");
    let her_page = head
        .lines()
        .find_map(|l| l.strip_prefix("location:"))
        .expect("location")
        .trim()
        .to_string();
    let balance_page = get(
        &her_page,
        &format!("Cookie: pallay_session={session}\r\nAccept-Encoding: gzip\r\n"),
    );
    let (status, _, her_html) = once(
        pallay,
        &get(
            &her_page,
            &format!("Connection: close\r\nCookie: pallay_session={session}\r\n"),
        ),
    );
    assert_eq!(status, 200, "her page answers");
    assert!(her_html.contains("</html>"), "her page, whole");

    let hello = hello_world();
    let from_memory = same_bytes_from_memory(her_html);
    std::thread::sleep(Duration::from_millis(200));
    println!("{connections} keep-alive connections, {seconds} s each after 1 s of warm-up, on the same machine");
    println!(
        "{:<40} {:>10} {:>8} {:>9} {:>9} {:>8}",
        "route", "requests", "per s", "p50 ms", "p99 ms", "failed"
    );
    let floor = hammer(hello, &get("/", ""), connections, seconds);
    let memory = hammer(
        from_memory,
        &get("/", "Accept-Encoding: gzip\r\n"),
        connections,
        seconds,
    );
    let health = hammer(pallay, &health_request, connections, seconds);
    let page = hammer(pallay, &balance_page, connections, seconds);
    // One phone alone: what a single request of her page costs, start to end.
    let alone = hammer(pallay, &balance_page, 1, seconds);
    let runs = [
        ("actix-web hello-world (the floor)", &floor),
        ("her page's bytes from memory, gzipped", &memory),
        ("GET /api/v1/health", &health),
        ("her own page (session, gzip)", &page),
    ];
    for (name, run) in runs {
        println!(
            "{name:<40} {:>10} {:>8.0} {:>9.2} {:>9.2} {:>8}   {:.2}× the floor",
            run.requests,
            run.per_second,
            run.p50_ms,
            run.p99_ms,
            run.failed,
            run.per_second / floor.per_second
        );
    }
    println!(
        "{:<40} {:>10} {:>8.0} {:>9.2} {:>9.2} {:>8}",
        "her own page, one connection alone",
        alone.requests,
        alone.per_second,
        alone.p50_ms,
        alone.p99_ms,
        alone.failed
    );
    println!(
        "her page beside its own bytes from memory: {:.2}× (the rest is her session, the reads and the template)",
        page.per_second / memory.per_second
    );
    for (name, run) in &runs[2..] {
        let met = run.per_second >= 0.25 * floor.per_second && run.p99_ms < 20.0 && run.failed == 0;
        println!(
            "ceiling for {name}: at least 0.25× the floor with p99 under 20 ms, none failed ({})",
            if met { "met" } else { "NOT met" }
        );
    }
    drop(server);
}
