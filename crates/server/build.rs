//! Tells the HTTP tests which backend `DIRECTORY_TEST_DATABASE_URL` names
//! (`cfg(test_backend = "...")`), so a test that does not apply to it is
//! built as ignored, with its reason, and counted as such: never a test
//! that returns early and passes.

fn main() {
    println!("cargo::rerun-if-env-changed=DIRECTORY_TEST_DATABASE_URL");
    println!(
        "cargo::rustc-check-cfg=cfg(test_backend, values(\"sqlite\", \"postgres\", \"mysql\"))"
    );
    let url = std::env::var("DIRECTORY_TEST_DATABASE_URL").unwrap_or_default();
    let backend = match url.split(':').next().unwrap_or_default() {
        "postgres" | "postgresql" => "postgres",
        "mysql" | "mariadb" => "mysql",
        _ => "sqlite",
    };
    println!("cargo::rustc-cfg=test_backend=\"{backend}\"");
}
