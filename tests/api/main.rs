//! Black-box tests over real HTTP. One binary, so the crate links once.
//! SQLite by default; the same tests on PostgreSQL when PALLAY_TEST_POSTGRES_URL is set.

mod auth;
mod browser;
mod cli;
mod committee;
mod committee_pages;
mod concurrency;
mod dashboard;
mod donor;
mod fakes;
mod fund;
mod fund_helpers;
mod fund_idempotency;
mod fund_input;
mod fund_pages;
mod fund_rules;
mod fund_sequences;
mod helpers;
mod import;
mod matrix;
mod matrix_pages;
mod members;
mod migrations;
mod notices;
mod notices_calendar;
mod notices_inbound;
mod organizations;
mod pages;
mod snapshots;
mod training_helpers;
mod trainings;
mod trainings_pages;
mod trainings_report;
mod users;
