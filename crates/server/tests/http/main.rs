//! The HTTP contract, against a fresh database on whichever backend
//! DIRECTORY_TEST_DATABASE_URL names: the contract tests drive the real app
//! in process (`support::TestApp`), and those about start-up,
//! configuration, signals, connections and faults the real server binary
//! over a socket (`support::TestServer`).

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

mod auth;
mod buildings;
mod cadres;
mod client;
mod concurrency;
mod connections;
mod departments;
mod document;
mod errors;
mod faults;
mod fhir;
mod imports;
mod input;
mod ops;
mod periods;
mod roles;
mod staff;
mod support;
mod trail;
mod units;
mod xlsx;
