//! Trainings (workshops), their attendance registers, and the attendance reports by sex,
//! organisation, topic and period that gender staff hand to donors.
//!
//! `register.rs` holds the rules of a register (pure); `report.rs` the counting (pure);
//! `service.rs` the writes; `export.rs` the spreadsheets; `api.rs` / `pages.rs` the handlers.

pub mod api;
pub mod export;
pub mod input;
pub mod model;
pub mod pages;
pub mod register;
pub mod report;
pub mod service;
