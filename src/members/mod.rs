//! Members of the associations: their record, organisations and consents (Ley 29733).

pub mod api;
pub mod fields;
pub mod input;
pub mod model;
pub mod own;
pub mod pages;
pub mod service;
