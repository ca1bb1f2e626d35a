//! Black-box tests over real HTTP. One binary, so the crate links once.
//! SQLite by default; the same tests on PostgreSQL when PALLAY_TEST_POSTGRES_URL is set.

mod auth;
mod cli;
mod committee;
mod committee_pages;
mod concurrency;
mod dashboard;
mod donor;
mod fakes;
mod fund;
mod fund_helpers;
mod fund_pages;
mod helpers;
mod import;
mod matrix;
mod members;
mod migrations;
mod notices;
mod organizations;
mod pages;
mod trainings;
mod users;
