//! The revolving fund: loans with exact schedules, maker-checker approval, disbursement,
//! repayments, reversals, write-offs, a double-entry journal, and the portfolio report.
//!
//! Pure rules: `schedule.rs` (the schedule), `allocation.rs` (how a repayment is split),
//! `standing.rs` (what a loan owes on a date), `portfolio.rs` (ageing, PAR30, SBS grades).
//! `service.rs` holds the actions, `journal.rs` the books, `api.rs` / `pages.rs` the handlers.

pub mod allocation;
pub mod api;
pub mod input;
pub mod journal;
pub mod model;
pub mod pages;
pub mod portfolio;
pub mod receipt;
pub mod reminders;
pub mod repayments;
pub mod schedule;
pub mod service;
pub mod standing;
pub mod view;
