//! Trainings (workshops), their attendance registers, and the attendance reports by sex,
//! organisation, topic and period that gender staff hand to donors.
//!
//! Pure rules: `register.rs` (who may be on a register), `report.rs` (the counting), `input.rs`
//! and `entries.rs` (requests and registers read field by field). `service.rs` writes topics and
//! trainings, `attendance.rs` registers (and a member's trainings), `reporting.rs` reads what a
//! report counts; `export.rs` the spreadsheets; `api.rs` / `pages/` the handlers, one file a screen.

pub mod api;
pub mod api_doc;
pub mod attendance;
pub mod entries;
pub mod export;
pub mod input;
pub mod model;
pub mod pages;
pub mod register;
pub mod report;
pub mod reporting;
pub mod service;
