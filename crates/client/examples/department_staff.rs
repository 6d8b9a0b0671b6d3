//! Another program of the hospital listing a department's staff:
//!
//! ```text
//! DIRECTORY_USERNAME=admin DIRECTORY_PASSWORD=... \
//!     cargo run -p directory-client --example department_staff -- http://127.0.0.1:8080 1
//! ```
//!
//! The password comes from the environment, never from the command line
//! (where other users of the host could read it in the process list).

use directory_client::{Client, StaffQuery};
use directory_domain::DepartmentId;
use futures_util::TryStreamExt;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(base_url), Some(department)) = (args.next(), args.next()) else {
        eprintln!(
            "usage: department_staff BASE_URL DEPARTMENT_ID (with DIRECTORY_USERNAME and DIRECTORY_PASSWORD set)"
        );
        return ExitCode::from(2);
    };
    let Ok(department) = department.parse().map(DepartmentId) else {
        eprintln!("DEPARTMENT_ID must be a number, not {department:?}");
        return ExitCode::from(2);
    };
    match list(&base_url, department).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn list(base_url: &str, department: DepartmentId) -> Result<(), directory_client::Error> {
    let username = std::env::var("DIRECTORY_USERNAME").unwrap_or_else(|_| "admin".into());
    let password = std::env::var("DIRECTORY_PASSWORD").unwrap_or_default();
    let client = Client::new(base_url)?.login(&username, &password).await?;
    let name = client.get_department(department).await?.name;
    let query = StaffQuery {
        department_id: Some(department),
        active: Some(true),
        limit: Some(200),
        ..StaffQuery::default()
    };
    let mut staff = std::pin::pin!(client.stream(query));
    let mut count = 0;
    while let Some(member) = staff.try_next().await? {
        count += 1;
        println!(
            "{}\t{}\t{}\t{}",
            member.employee_id, member.full_name, member.designation_name, member.email
        );
    }
    println!("{count} active staff in {name}");
    client.logout().await
}
