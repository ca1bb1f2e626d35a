//! User accounts (admins manage them).

pub mod api;
pub mod model;
pub mod pages;
pub mod service;
