//! Accounts and access: passwords, sessions and CSRF for pages, bearer tokens for the API,
//! login throttling, and the one authorisation module (`policy`).

pub mod api;
pub mod extract;
pub mod login;
pub mod pages;
pub mod password;
pub mod policy;
pub mod secret;
pub mod session;
