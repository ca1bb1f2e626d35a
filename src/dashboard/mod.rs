//! The home page's dashboard, per role: the fund for coordinators (figures, what falls due this
//! week, who is late, failed notices, and charts), trainings and committee follow-up for gender
//! staff, all of it for admins. `charts.rs` draws; `figures.rs` gathers the fund's numbers,
//! `programme.rs` the trainings' and committees'; `pages.rs` is the handler.

pub mod charts;
pub mod figures;
pub mod pages;
pub mod programme;
