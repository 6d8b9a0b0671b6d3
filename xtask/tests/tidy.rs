//! Architecture invariants, checked as plain tests (docs/ARCHITECTURE.md):
//! the domain crate depends on no database, runtime or HTTP crate, only the
//! api, server and client crates know HTTP, only db knows diesel, and the
//! client carries none of the server's crates nor OpenSSL.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use std::process::Command;

/// The normal (non-dev) dependencies of a package, by crate name. Not
/// `--offline`: on a fresh machine the optional backends' crates are not
/// downloaded until something asks for them, and this test may be first.
fn dependencies(package: &str, features: &[&str]) -> Vec<String> {
    let mut command = Command::new(env!("CARGO"));
    command
        .args([
            "tree", "--quiet", "-e", "normal", "--prefix", "none", "-p", package,
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn assert_free_of(package: &str, features: &[&str], forbidden: &[&str]) {
    let deps = dependencies(package, features);
    assert!(
        deps.iter().any(|d| d == package),
        "cargo tree listed nothing for {package}"
    );
    let found: Vec<_> = deps
        .iter()
        .filter(|d| forbidden.contains(&d.as_str()))
        .collect();
    assert!(found.is_empty(), "{package} must not depend on {found:?}");
}

const HTTP: [&str; 5] = ["poem", "poem-openapi", "hyper", "http", "reqwest"];

#[test]
fn the_domain_knows_no_database_runtime_or_http() {
    let mut forbidden = vec![
        "diesel",
        "tokio",
        "r2d2",
        "libsqlite3-sys",
        "pq-sys",
        "mysqlclient-sys",
    ];
    forbidden.extend(HTTP);
    assert_free_of("directory-domain", &[], &forbidden);
}

#[test]
fn only_api_and_server_know_http() {
    assert_free_of("directory-db", &["postgres", "mysql"], &HTTP);
    assert_free_of("directory-seed", &[], &HTTP);
    assert_free_of("directory-import", &[], &HTTP);
}

#[test]
fn the_client_knows_no_database_server_or_openssl() {
    assert_free_of(
        "directory-client",
        &[],
        &[
            "directory-db",
            "directory-api",
            "diesel",
            "libsqlite3-sys",
            "poem",
            "poem-openapi",
            "openssl-sys",
            "native-tls",
        ],
    );
}

/// Only db names diesel: every other crate of the workspace reaches the
/// database through db's functions, in its code, its tests and its
/// features, with every feature on.
#[test]
fn only_db_depends_on_diesel() {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--all-features",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success());
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    assert!(packages.len() >= 8, "the workspace's packages are listed");
    for package in packages {
        let name = package["name"].as_str().unwrap();
        if name == "directory-db" {
            continue;
        }
        let named: Vec<&str> = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["name"].as_str())
            .filter(|d| d.starts_with("diesel"))
            .collect();
        assert!(named.is_empty(), "{name} depends on {named:?}");
    }
}

/// The directory's nouns: each is one module, of the same name, in the
/// domain, db and api crates, so a behaviour is two hops from its name.
const NOUNS: [&str; 11] = [
    "departments",
    "units",
    "cadres",
    "designations",
    "staff",
    "accounts",
    "roles",
    "sessions",
    "buildings",
    "floors",
    "operating_theatres",
];

#[test]
fn one_noun_one_module_in_every_layer() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    for layer in ["domain", "db", "api"] {
        let dir = root.join("crates").join(layer).join("src");
        for noun in NOUNS {
            assert!(
                dir.join(format!("{noun}.rs")).is_file(),
                "crates/{layer}/src has no {noun}.rs"
            );
        }
        // The old umbrella names, which hid a noun behind another word.
        for umbrella in ["organisation", "infrastructure", "session"] {
            assert!(
                !dir.join(format!("{umbrella}.rs")).exists(),
                "crates/{layer}/src/{umbrella}.rs: name the noun instead"
            );
        }
    }
}

/// The modules of a crate's `src` each module's code names (`crate::x`,
/// `use crate::{x, ..}`), tests left out.
fn module_uses(krate: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../crates"))
        .join(krate)
        .join("src");
    let modules: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let module = name.strip_suffix(".rs")?.to_owned();
            (module != "lib" && module != "main").then_some(module)
        })
        .collect();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut uses = std::collections::BTreeMap::new();
    for module in &modules {
        let text = std::fs::read_to_string(dir.join(format!("{module}.rs"))).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut named = Vec::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(list) => list
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for name in names {
                let name: String = name.trim().chars().take_while(|&c| word(c)).collect();
                if &name != module && modules.contains(&name) && !named.contains(&name) {
                    named.push(name);
                }
            }
        }
        uses.insert(module.clone(), named);
    }
    uses
}

/// Within the domain, db and api crates, modules use each other one way
/// only (db: resources -> helpers, one resource -> another's row lookup;
/// api: operations -> responses -> error -> problem).
#[test]
fn no_module_circles() {
    for krate in ["domain", "db", "api"] {
        let uses = module_uses(krate);
        // A circle means some module reaches itself.
        for start in uses.keys() {
            let mut seen = Vec::new();
            let mut next: Vec<&String> = uses[start].iter().collect();
            while let Some(module) = next.pop() {
                assert!(
                    module != start,
                    "crates/{krate}: {start} reaches itself through {seen:?}"
                );
                if !seen.contains(&module) {
                    seen.push(module);
                    next.extend(uses.get(module).into_iter().flatten());
                }
            }
        }
    }
}

/// What `cargo tree` prints for a package, one entry per line.
fn tree(package: &str, features: &[&str], args: &[&str]) -> Vec<String> {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["tree", "--quiet", "--prefix", "none", "-p", package])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A release of the server compiles no test fixture and no schema
/// introspection, and none of the crates it ships names tempfile (poem
/// itself still pulls it in, through poem-openapi's default poem features).
#[test]
fn the_server_ships_no_test_support() {
    let backends = ["postgres", "mysql"];
    let features = tree(
        "directory-server",
        &backends,
        &["-e", "normal,features", "-i", "directory-db"],
    );
    for feature in ["test-support", "introspect"] {
        let line = format!("directory-db feature \"{feature}\"");
        assert!(
            !features.iter().any(|l| l.starts_with(&line)),
            "a server build turns on {line}"
        );
    }
    assert!(
        features
            .iter()
            .any(|l| l.starts_with("directory-db feature \"postgres\""))
    );
    for package in [
        "directory-server",
        "directory-api",
        "directory-db",
        "directory-seed",
        "directory-domain",
        "directory-auth",
    ] {
        let direct = tree(package, &[], &["-e", "normal", "--depth", "1"]);
        assert!(
            !direct.iter().any(|l| l.starts_with("tempfile ")),
            "{package} depends on tempfile"
        );
    }
}

/// Every source file under `dir` (recursively), with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            found.push((path, text));
        }
    }
    found
}

#[test]
fn only_db_writes_sql() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    // The ways to write or run a query with diesel.
    const QUERIES: [&str; 9] = [
        "sql_query",
        "insert_into",
        "diesel::update",
        "diesel::delete",
        "diesel::select",
        "batch_execute",
        "RunQueryDsl",
        "QueryDsl",
        "schema::",
    ];
    let mut checked = 0;
    for crate_dir in [
        "crates/api/src",
        "crates/server/src",
        "crates/seed/src",
        "crates/import/src",
        "xtask/src",
    ] {
        for (path, text) in sources(&root.join(crate_dir)) {
            checked += 1;
            for query in QUERIES {
                assert!(
                    !text.contains(query),
                    "{} uses {query}: SQL belongs in crates/db",
                    path.display()
                );
            }
        }
    }
    assert!(checked > 20, "only {checked} files read");
}
