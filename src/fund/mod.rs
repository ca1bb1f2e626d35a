//! The revolving fund: loans with exact schedules, maker-checker approval, disbursement,
//! repayments, reversals, write-offs, a double-entry journal, and the portfolio report.
//!
//! Pure rules: `schedule.rs` (the schedule), `allocation.rs` (how a repayment is split),
//! `standing.rs` (what a loan owes on a date), `portfolio.rs` (ageing, PAR30; `portfolio_books.rs`
//! what it reads per loan and its sums), `grading.rs` (SBS grades), `reschedule.rs` (what a
//! reschedule carries into the new plan).
//! `service.rs` holds the actions on funds and loans, `repayments.rs` the money coming back (what
//! it reads under the loan's lock in `repayment_reads.rs`),
//! `reversal.rs` undoing a repayment, `write_off.rs` writing off what is left, `rescheduling.rs`
//! new terms for a loan, `closing.rs` closed books, `journal.rs` the books; `receipt.rs` and
//! `reminders.rs` compose the fund's notices for the outbox; `api.rs` / `pages/` the handlers.

pub mod account_totals;
pub mod allocation;
pub mod api;
pub mod api_doc;
pub mod balance;
pub mod closing;
pub mod collection;
pub mod grading;
pub mod input;
pub mod installment;
pub mod journal;
pub mod journal_listing;
pub mod loan_filter;
pub mod model;
pub mod pages;
pub mod payoff;
pub mod portfolio;
pub mod portfolio_books;
pub mod portfolio_kept;
pub mod receipt;
pub mod reminders;
pub mod repayment_reads;
pub mod repayments;
pub mod reschedule;
pub mod rescheduling;
pub mod reversal;
pub mod schedule;
pub mod service;
pub mod settled;
pub mod standing;
pub mod view;
pub mod write_off;
