//! Gender equity committees: their members (with positions and terms), meetings and minutes, and
//! the actions (agreements) they follow up to the end.
//!
//! `status.rs` holds the rule of how an action moves (pure); `service.rs` the actions that write;
//! `board.rs` the follow-up board; `api.rs` / `pages.rs` the handlers.

pub mod api;
pub mod api_doc;
pub mod board;
pub mod export;
pub mod input;
pub mod model;
pub mod pages;
pub mod reminder;
pub mod service;
pub mod status;
