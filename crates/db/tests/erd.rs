//! docs/ERD.md is generated from the migrations; it must be current.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

#[cfg(feature = "sqlite")]
#[test]
fn erd_is_current() {
    let generated = directory_db::introspect::erd_markdown().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ERD.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/ERD.md is stale: run `cargo xtask erd` and commit it"
    );
}
