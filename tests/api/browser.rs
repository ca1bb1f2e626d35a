//! A client that reads pages and posts forms as a browser without JavaScript does: it keeps
//! cookies and sends each form's CSRF token.

use std::collections::HashMap;

use crate::helpers::{agent, collect, Response};

/// A browser: keeps cookies, follows nothing by itself, reads hidden CSRF fields.
pub struct Browser {
    pub(crate) base: String,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or("");
                if let Some((k, v)) = pair.split_once('=') {
                    let expired = value.to_ascii_lowercase().contains("max-age=0");
                    if expired || v.is_empty() {
                        self.cookies.remove(k);
                    } else {
                        self.cookies.insert(k.to_string(), v.to_string());
                    }
                }
            }
        }
    }

    pub fn get(&mut self, path: &str) -> Response {
        let response = collect(
            agent()
                .get(&format!("{}{}", self.base, path))
                .header("Cookie", &self.cookie_header())
                .call(),
        );
        self.remember(&response);
        response
    }

    /// A download, as bytes (a spreadsheet is not text).
    /// A page, and its body as bytes too (for the spreadsheets).
    pub fn get_bytes(&mut self, path: &str) -> (Response, Vec<u8>) {
        let (status, bytes) = self.download(path);
        let body = String::from_utf8_lossy(&bytes).into_owned();
        (
            Response {
                status,
                headers: vec![],
                body,
            },
            bytes,
        )
    }

    pub fn download(&mut self, path: &str) -> (u16, Vec<u8>) {
        let mut response = agent()
            .get(&format!("{}{}", self.base, path))
            .header("Cookie", &self.cookie_header())
            .call()
            .expect("HTTP request failed");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_vec().unwrap_or_default())
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let response = collect(
            agent()
                .post(&format!("{}{}", self.base, path))
                .header("Cookie", &self.cookie_header())
                .send_form(fields.iter().copied()),
        );
        self.remember(&response);
        response
    }

    /// Posts JSON as the pages' script does: the session's cookie and the page's token in a header.
    pub fn post_json(&mut self, path: &str, token: &str, body: &str) -> Response {
        let response = collect(
            agent()
                .post(&format!("{}{}", self.base, path))
                .header("Cookie", &self.cookie_header())
                .header("X-CSRF-Token", token)
                .header("Content-Type", "application/json")
                .send(body),
        );
        self.remember(&response);
        response
    }

    /// Posts a form with the CSRF token found on `page_path`, as a person would.
    pub fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(page_path);
        let token = csrf_token(&page.body).unwrap_or_else(|| panic!("no CSRF token on {page_path}: {}", page.body));
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all)
    }

    /// Uploads a file with a form (multipart/form-data), with the CSRF token found on `page_path`.
    pub fn upload(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Response {
        let page = self.get(page_path);
        let token = csrf_token(&page.body).unwrap_or_else(|| panic!("no CSRF token on {page_path}"));
        self.upload_with_token(&token, action, fields, file)
    }

    /// An upload with the CSRF token given (a wrong one, to prove it is refused).
    pub fn upload_with_token(
        &mut self,
        token: &str,
        action: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Response {
        let token = token.to_string();
        let boundary = "----pallay-test-boundary-7d3f";
        let mut body = Vec::new();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                file.0
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = collect(
            agent()
                .post(&format!("{}{}", self.base, action))
                .header("Cookie", &self.cookie_header())
                .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
                .send(&body[..]),
        );
        self.remember(&response);
        response
    }

    pub fn login(&mut self, username: &str, password: &str) -> Response {
        self.submit("/login", "/login", &[("username", username), ("password", password)])
    }
}

pub fn csrf_token(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

/// The rows of a page's tables as the text of their cells (`th` and `td`), tags stripped and
/// whitespace collapsed: enough to read a figure off a page without a parser.
pub fn table_rows(html: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for chunk in html.split("<tr").skip(1) {
        let row = chunk.split("</tr>").next().unwrap_or("");
        let cells: Vec<String> = row
            .split("<t")
            .skip(1)
            .filter(|c| c.starts_with('d') || c.starts_with('h'))
            .map(|c| {
                let inner = c.split_once('>').map_or("", |(_, rest)| rest);
                let inner = inner.split("</t").next().unwrap_or("");
                text_of(inner)
            })
            .collect();
        rows.push(cells);
    }
    rows
}

/// Text with tags removed and runs of whitespace made one space.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
