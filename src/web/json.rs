//! What every JSON handler shares: reading a body as an object, and the shape of a list.

use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::input::JsonInput;

/// Reads a JSON object body. Not JSON at all: 400. JSON but not an object: 422 naming `body`.
pub fn json_input(body: &[u8]) -> AppResult<JsonInput> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| AppError::MalformedBody)?;
    JsonInput::from_value(value).map_err(|e| AppError::Invalid(vec![e]))
}

/// A page of a list: its items and how many there are in all.
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T: Serialize> {
    pub items: Vec<T>,
    pub total: i64,
}
