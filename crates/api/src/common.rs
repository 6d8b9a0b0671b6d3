//! Small helpers every resource module shares: paging, sorting, expand,
//! Location headers.

use crate::error::ApiError;
use directory_db::query::SortField;
use directory_db::{Page, Sort};

pub const PREFIX: &str = "/api/v1";

pub fn parse_page(limit: Option<i64>, offset: Option<i64>) -> Result<Page, ApiError> {
    Ok(Page::new(limit, offset)?)
}

pub fn parse_sort<F: SortField>(sort: Option<&str>) -> Result<Option<Sort<F>>, ApiError> {
    sort.filter(|s| !s.is_empty())
        .map(|s| s.parse::<Sort<F>>())
        .transpose()
        .map_err(ApiError::from)
}

/// Parses `expand=a,b` against the relations a resource offers.
pub fn parse_expand(value: Option<&str>, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut wanted = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !allowed.contains(&part) {
            return Err(ApiError::field(
                "expand",
                format!("unknown relation {part:?}; use {}", allowed.join(", ")),
            ));
        }
        wanted.push(part.to_owned());
    }
    Ok(wanted)
}

pub fn location(collection: &str, id: impl std::fmt::Display) -> String {
    format!("{PREFIX}/{collection}/{id}")
}
