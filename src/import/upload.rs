//! The uploaded file on its way in: read from the multipart form (refused past the size an import
//! may have), then kept in the database between its preview and its import — for a day at most,
//! and only a person's last few.

use actix_multipart::Multipart;
use diesel::prelude::*;
use futures_util::StreamExt;

use super::Kind;
use crate::clock::now;
use crate::db::schema::import_uploads;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// The form's fields and its file, as posted.
pub struct Posted {
    pub fields: Vec<(String, String)>,
    pub filename: String,
    pub content: Vec<u8>,
}

/// Reads the multipart form; `None` when the file is larger than an import may be.
pub async fn read_posted(multipart: &mut Multipart) -> AppResult<Option<Posted>> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let (mut content, mut filename) = (Vec::new(), String::new());
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| AppError::MalformedBody)?;
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("archivo")
                .chars()
                .take(200)
                .collect();
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::MalformedBody)?;
            if bytes.len() + chunk.len() > super::read::MAX_FILE_BYTES + 1 {
                return Ok(None);
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            content = bytes;
        } else {
            fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(Some(Posted {
        fields,
        filename,
        content,
    }))
}

/// How many uploads one person keeps waiting for their import (the new one included).
pub const UPLOADS_KEPT_PER_USER: i64 = 3;

/// Keeps an upload for its preview and import; returns its id.
pub fn store_upload(
    conn: &mut DbConn,
    user_id: i64,
    kind: Kind,
    training_id: Option<i64>,
    filename: &str,
    content: &[u8],
) -> AppResult<i64> {
    // Uploads hold people's data: none is kept longer than a day, and one person keeps only her
    // last few (an upload is needed only between its preview and its import).
    diesel::delete(import_uploads::table.filter(import_uploads::created_at.lt(now() - chrono::Duration::days(1))))
        .execute(conn)?;
    let kept: Vec<i64> = import_uploads::table
        .filter(import_uploads::user_id.eq(user_id))
        .order(import_uploads::id.desc())
        .select(import_uploads::id)
        .offset(UPLOADS_KEPT_PER_USER - 1)
        .limit(1_000)
        .load(conn)?;
    diesel::delete(import_uploads::table.filter(import_uploads::id.eq_any(kept))).execute(conn)?;
    Ok(diesel::insert_into(import_uploads::table)
        .values((
            import_uploads::user_id.eq(user_id),
            import_uploads::kind.eq(kind.as_str()),
            import_uploads::training_id.eq(training_id),
            import_uploads::filename.eq(filename),
            import_uploads::content.eq(content),
            import_uploads::created_at.eq(now()),
        ))
        .returning(import_uploads::id)
        .get_result(conn)?)
}
