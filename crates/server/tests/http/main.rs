//! Black-box tests: the real server binary, over HTTP, against a fresh
//! database on whichever backend DIRECTORY_TEST_DATABASE_URL names.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

mod auth;
mod cadres;
mod client;
mod concurrency;
mod connections;
mod document;
mod errors;
mod faults;
mod infrastructure;
mod input;
mod ops;
mod organisation;
mod staff;
mod support;
