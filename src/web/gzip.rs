//! Text answers gzipped for clients that ask (every phone browser does): a page weighs a tenth
//! over a weak signal.
//!
//! In place of actix's `Compress`, which builds a new compressor for every response (allocating
//! and zeroing a few hundred KiB) and hands any body over 1 KiB to another thread to compress it:
//! a round trip between threads that cost more than the compression itself. Here each worker
//! thread keeps one compressor, reset between answers, and compresses on the spot.
//!
//! At level 2, not 1: zlib-rs's level 1 codes every page with deflate's fixed Huffman codes, and
//! level 2 with codes made for the page, a fifth to a quarter fewer bytes over a weak signal (a
//! member's page 1,939 → 1,520 bytes, the coordinator's home 5,845 → 4,583, the style sheet 3,370 →
//! 2,577) for 10–37 µs more per answer; levels above 2 save a few per cent more for two to three
//! times the time.

use std::cell::RefCell;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ResponseHead, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Below this a body is sent as it is: gzip's own 18 bytes and a packet's size make it pointless.
const SMALLEST: usize = 512;

/// The middleware (`actix_web::middleware::from_fn(gzip::compress)`).
pub async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accepts = accepts_gzip(req.headers());
    let res = next.call(req).await?;
    Ok(match accepts {
        true => res.map_body(|head, body| gzipped(head, body)),
        false => res.map_into_boxed_body(),
    })
}

/// Whether `Accept-Encoding` allows gzip: named (or `*`) with a weight above zero, and not refused
/// by name.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut named = None;
    let mut any = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weighted = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .is_none_or(|q| q > 0.0);
            match coding.as_str() {
                "gzip" | "x-gzip" => named = Some(weighted),
                "*" => any = weighted,
                _ => {}
            }
        }
    }
    named.unwrap_or(any)
}

/// The body gzipped, with its headers, when it is text worth compressing and not already encoded.
fn gzipped(head: &mut ResponseHead, body: impl MessageBody + 'static) -> BoxBody {
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        // A streamed body (none of Pallay's answers is one) goes as it is.
        Err(body) => return body.boxed(),
    };
    if !worth_compressing(head, &bytes) {
        return BoxBody::new(bytes);
    }
    let Some(zipped) = gzip(&bytes) else {
        // Deflate cannot fail on a buffer with room; were it to, the answer goes as it is.
        return BoxBody::new(bytes);
    };
    let headers = head.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    BoxBody::new(Bytes::from(zipped))
}

fn worth_compressing(head: &ResponseHead, body: &[u8]) -> bool {
    let text = head
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("text/")
                || t.starts_with("application/json")
                || t.starts_with("application/javascript")
                || t.starts_with("image/svg+xml")
        });
    let plain = !head.headers().contains_key(header::CONTENT_ENCODING);
    let whole = !matches!(
        head.status,
        StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    );
    text && plain && whole && body.len() >= SMALLEST
}

/// How hard deflate works (see the module's note).
const LEVEL: Compression = Compression::new(2);

thread_local! {
    /// This thread's compressor, reset before each use.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(LEVEL, false));
}

/// `data` as a gzip member (RFC 1952): header, raw deflate, CRC-32 and length; `None` if deflate
/// failed.
pub fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    out.extend_from_slice(&HEADER);
    COMPRESSOR.with_borrow_mut(|deflate| {
        deflate.reset();
        loop {
            let read = deflate.total_in() as usize;
            out.reserve(data.len().saturating_sub(read) / 2 + 1024);
            match deflate.compress_vec(&data[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(()),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })?;
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;
    use std::io::Read;

    fn headers(accept: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in accept {
            map.append(
                HeaderName::from_static("accept-encoding"),
                HeaderValue::from_str(value).expect("header"),
            );
        }
        map
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .expect("a gzip member");
        out
    }

    #[test]
    fn gzip_is_asked_for_by_name_or_star_and_refused_by_a_zero_weight() {
        assert!(accepts_gzip(&headers(&["gzip, deflate, br, zstd"])));
        assert!(accepts_gzip(&headers(&["br;q=1.0, GZIP;q=0.5"])));
        assert!(accepts_gzip(&headers(&["identity", "x-gzip"])));
        assert!(accepts_gzip(&headers(&["*"])));
        assert!(!accepts_gzip(&headers(&[])));
        assert!(!accepts_gzip(&headers(&["identity"])));
        assert!(!accepts_gzip(&headers(&["gzip;q=0"])));
        assert!(!accepts_gzip(&headers(&["*, gzip;q=0"])));
        assert!(!accepts_gzip(&headers(&["*;q=0.000"])));
    }

    #[test]
    fn what_is_gzipped_reads_back_exactly_even_when_the_compressor_is_reused() {
        let page = "<p>Saldo: S/ 1,234.56 — Pallaqueras de La Rinconada</p>\n".repeat(400);
        let noise: Vec<u8> = (0u32..200_000)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data in [page.as_bytes(), &noise, b"", page.as_bytes()] {
            let zipped = gzip(data).expect("deflate");
            assert_eq!(gunzip(&zipped), data);
        }
        assert!(
            gzip(page.as_bytes()).expect("deflate").len() < page.len() / 10,
            "text compresses"
        );
    }

    #[actix_web::test]
    async fn text_is_gzipped_when_asked_and_nothing_else_is_touched() {
        use actix_web::{test, web, App, HttpResponse};
        let page = "<p>Saldo pendiente: S/ 120.00</p>\n".repeat(100);
        let served = page.clone();
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(compress))
                .route(
                    "/page",
                    web::get().to(move || {
                        let body = served.clone();
                        async move { HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body) }
                    }),
                )
                .route(
                    "/small",
                    web::get().to(|| async { HttpResponse::Ok().content_type("text/plain").body("ok") }),
                )
                .route(
                    "/photo",
                    web::get().to(|| async { HttpResponse::Ok().content_type("image/png").body(vec![7u8; 4096]) }),
                ),
        )
        .await;
        let get = |path: &str, accept: Option<&str>| {
            let mut req = test::TestRequest::get().uri(path);
            if let Some(accept) = accept {
                req = req.insert_header(("accept-encoding", accept.to_owned()));
            }
            req.to_request()
        };

        let res = test::call_service(&app, get("/page", Some("gzip, deflate, br"))).await;
        assert_eq!(
            res.headers().get("content-encoding").map(|v| v.as_bytes()),
            Some(&b"gzip"[..])
        );
        assert_eq!(
            res.headers().get("vary").map(|v| v.as_bytes()),
            Some(&b"accept-encoding"[..])
        );
        let body = test::read_body(res).await;
        assert!(body.len() < page.len() / 5);
        assert_eq!(gunzip(&body), page.as_bytes());

        for (path, accept) in [
            ("/page", None),
            ("/page", Some("gzip;q=0")),
            ("/small", Some("gzip")),
            ("/photo", Some("gzip")),
        ] {
            let res = test::call_service(&app, get(path, accept)).await;
            assert!(
                res.headers().get("content-encoding").is_none(),
                "{path} {accept:?} sent as it is"
            );
            let body = test::read_body(res).await;
            let expected: &[u8] = match path {
                "/page" => page.as_bytes(),
                "/small" => b"ok",
                _ => &[7u8; 4096],
            };
            assert_eq!(&body[..], expected);
        }
    }

    #[test]
    fn a_page_travels_in_less_than_half_its_size() {
        // A member's page as a coordinator sees it (the demo's data): with codes made for the page
        // it goes in 45 % of its size; with deflate's fixed codes (zlib-rs's level 1) in 58 %.
        let page = include_bytes!("gzip_sample.html");
        let zipped = gzip(page).expect("deflate");
        assert_eq!(gunzip(&zipped), page);
        assert!(
            zipped.len() * 2 < page.len(),
            "{} bytes to {}",
            page.len(),
            zipped.len()
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_back_exactly(data in proptest::collection::vec(proptest::num::u8::ANY, 0..5000)) {
            proptest::prop_assert_eq!(gunzip(&gzip(&data).expect("deflate")), data);
        }
    }
}
