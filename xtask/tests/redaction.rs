//! What `cargo xtask` prints of the database URL never holds its password.

use std::process::Command;

#[test]
fn a_password_in_the_database_url_is_never_printed() {
    for url in [
        "postgres://app:sekrit-words@127.0.0.1:9/directory",
        "postgres://app@127.0.0.1:9/directory?password=sekrit-words",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["db", "status"])
            .env("DIRECTORY_DATABASE__URL", url)
            .env("DIRECTORY_PROFILE", "test")
            .output()
            .expect("xtask runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{said}");
        assert!(!said.contains("sekrit"), "{said}");
        assert!(said.contains("127.0.0.1:9"), "{said}");
    }
}
