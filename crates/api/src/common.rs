//! Small helpers every resource module shares: paging, sorting, expand,
//! Location headers. A bad parameter is a [`DomainError`], which reads and
//! writes alike answer with 400.

use directory_db::query::SortField;
use directory_db::{Page, Sort};
use directory_domain::DomainError;

pub const PREFIX: &str = "/api/v1";

pub fn parse_page(limit: Option<i64>, offset: Option<i64>) -> Result<Page, DomainError> {
    Page::new(limit, offset)
}

pub fn parse_sort<F: SortField>(sort: Option<&str>) -> Result<Option<Sort<F>>, DomainError> {
    sort.filter(|s| !s.is_empty())
        .map(|s| s.parse::<Sort<F>>())
        .transpose()
}

/// Which periods a list of heads or works-in departments shows: those in
/// force today (the hospital's), on `as_of`, or every one with `history`.
pub fn in_force(
    as_of: Option<chrono::NaiveDate>,
    history: Option<bool>,
    today: chrono::NaiveDate,
) -> Result<directory_domain::InForce, DomainError> {
    match (as_of, history.unwrap_or(false)) {
        (Some(_), true) => Err(DomainError::field(
            "history",
            "cannot be combined with as_of",
        )),
        (_, true) => Ok(directory_domain::InForce::Ever),
        (day, false) => Ok(directory_domain::InForce::On(day.unwrap_or(today))),
    }
}

/// Parses `expand=a,b` against the relations a resource offers.
pub fn parse_expand(value: Option<&str>, allowed: &[&str]) -> Result<Vec<String>, DomainError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut wanted = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !allowed.contains(&part) {
            return Err(DomainError::field(
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

/// A search text (`q`): any characters but control characters, which no
/// stored text holds (the document says so with a pattern). A NUL in a
/// search reached PostgreSQL's and SQLite's search and failed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(pub String);

impl poem_openapi::types::Type for Search {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> std::borrow::Cow<'static, str> {
        "string(search)".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                pattern: Some(directory_domain::validate::SEARCH_PATTERN.to_owned()),
                ..poem_openapi::registry::MetaSchema::new("string")
            },
        ))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl poem_openapi::types::ParseFromParameter for Search {
    fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
        use directory_domain::validate::Characters;
        if value.chars().all(|c| Characters::SingleLine.allows(c)) {
            Ok(Self(value.to_owned()))
        } else {
            Err(poem_openapi::types::ParseError::custom(
                "must not contain control characters",
            ))
        }
    }
}
