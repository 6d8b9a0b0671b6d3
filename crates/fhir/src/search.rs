//! Search parameters, parsed into what a search asks for: a typed query
//! the db crate answers, with no SQL here and no HTTP.

use crate::ids::{Key, ResourceType};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// The page size when `_count` is not given, and the largest allowed.
pub const DEFAULT_COUNT: i64 = 50;
pub const MAX_COUNT: i64 = 200;

/// A bad parameter value, or (strict handling) an unknown parameter: 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchError(pub String);

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(message: impl Into<String>) -> SearchError {
    SearchError(message.into())
}

/// How a string parameter matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    /// Some word of the text starts with this, ignoring case (FHIR's
    /// default is the whole text; the start of any word finds "Rao" in
    /// "Asha Rao", as a person searching for a name expects).
    StartsWithWord(String),
    /// The text contains this, ignoring case (`:contains`).
    Contains(String),
    /// The text is exactly this, case and all (`:exact`).
    Exact(String),
}

impl TextMatch {
    /// Whether `text` matches (for the small tables matched in memory).
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Self::StartsWithWord(part) => {
                // A word begins at the start or after anything that is not
                // a letter, digit or mark (Rust's alphanumeric takes in the
                // marks that are alphabetic, like Devanagari vowel signs):
                // the rule of the databases' word index and patterns.
                let text = text.to_lowercase();
                let part = part.to_lowercase();
                let mut previous: Option<char> = None;
                for (at, c) in text.char_indices() {
                    if previous.is_none_or(|p| !p.is_alphanumeric())
                        && text[at..].starts_with(&part)
                    {
                        return true;
                    }
                    previous = Some(c);
                }
                false
            }
            Self::Contains(part) => text.to_lowercase().contains(&part.to_lowercase()),
            Self::Exact(whole) => text == whole,
        }
    }
}

/// A token parameter: `[system|]code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// `None`: any system; `Some("")`: no system (`|code`).
    pub system: Option<String>,
    pub code: String,
}

impl Token {
    fn parse(value: &str) -> Result<Self, SearchError> {
        let (system, code) = match value.split_once('|') {
            Some((system, code)) => (Some(system.to_owned()), code),
            None => (None, value),
        };
        if code.is_empty() {
            return Err(bad(format!("{value:?} names no code")));
        }
        Ok(Self {
            system,
            code: code.to_owned(),
        })
    }

    /// Whether a coding `(system, code)` matches.
    pub fn matches(&self, system: &str, code: &str) -> bool {
        self.system.as_deref().is_none_or(|s| s == system) && self.code == code
    }
}

/// A comparison prefix of a date parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

/// `_lastUpdated`: an instant range. A date or a dateTime to the second
/// is the range of instants it covers; the prefix compares that range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstantBound {
    pub prefix: Prefix,
    /// The first instant the value covers, and the first after it.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl InstantBound {
    pub fn matches(&self, at: DateTime<Utc>) -> bool {
        match self.prefix {
            Prefix::Eq => self.start <= at && at < self.end,
            Prefix::Gt => at >= self.end,
            Prefix::Ge => at >= self.start,
            Prefix::Lt => at < self.start,
            Prefix::Le => at < self.end,
        }
    }
}

/// `date` on PractitionerRole: the period and the day compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayBound {
    pub prefix: Prefix,
    pub day: NaiveDate,
}

impl DayBound {
    /// Whether a period from `start` to `end` (inclusive, open if none)
    /// matches: `eq` in force that day, `ge`/`gt` in force on or after
    /// it, `le`/`lt` on or before it.
    pub fn matches(&self, start: Option<NaiveDate>, end: Option<NaiveDate>) -> bool {
        let starts_by = |day: NaiveDate| start.is_none_or(|s| s <= day);
        let lasts_to = |day: NaiveDate| end.is_none_or(|e| e >= day);
        match self.prefix {
            Prefix::Eq => starts_by(self.day) && lasts_to(self.day),
            Prefix::Ge => lasts_to(self.day),
            Prefix::Gt => self.day.succ_opt().is_some_and(lasts_to),
            Prefix::Le => starts_by(self.day),
            Prefix::Lt => self.day.pred_opt().is_some_and(starts_by),
        }
    }
}

fn split_prefix(value: &str) -> (Prefix, &str) {
    for (text, prefix) in [
        ("eq", Prefix::Eq),
        ("gt", Prefix::Gt),
        ("ge", Prefix::Ge),
        ("lt", Prefix::Lt),
        ("le", Prefix::Le),
    ] {
        if let Some(rest) = value.strip_prefix(text) {
            return (prefix, rest);
        }
    }
    (Prefix::Eq, value)
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn parse_instant_bound(value: &str) -> Result<InstantBound, SearchError> {
    let (prefix, text) = split_prefix(value);
    let wrong = || {
        bad(format!(
            "_lastUpdated {value:?} is not a date (YYYY-MM-DD) or an instant \
             (YYYY-MM-DDThh:mm:ss with a zone), after an optional eq, gt, ge, lt or le"
        ))
    };
    let (start, end) = if let Some(day) = parse_day(text) {
        let start = day.and_time(NaiveTime::MIN).and_utc();
        (start, start + chrono::Duration::days(1))
    } else {
        let at = DateTime::parse_from_rfc3339(text)
            .map_err(|_| wrong())?
            .with_timezone(&Utc);
        let second = at - chrono::Duration::nanoseconds(i64::from(at.timestamp_subsec_nanos()));
        if at == second {
            (second, second + chrono::Duration::seconds(1))
        } else {
            (at, at + chrono::Duration::nanoseconds(1))
        }
    };
    Ok(InstantBound { prefix, start, end })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, SearchError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(format!("{name} must be true or false, not {value:?}"))),
    }
}

/// A reference parameter's value (`Type/id`, or a bare id) as the key it
/// names within `target`; `None` for one no record could have.
fn parse_reference(target: ResourceType, value: &str) -> Option<Key> {
    let id = match value.split_once('/') {
        Some((ty, id)) if ty == target.as_str() => id,
        Some(_) => return None,
        None => value,
    };
    Key::parse(target, id)
}

/// Which included resources a search asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    /// `PractitionerRole:practitioner`
    RolePractitioner,
    /// `PractitionerRole:organization`
    RoleOrganization,
    /// `Organization:partof`
    OrganizationPartOf,
    /// `Location:partof`
    LocationPartOf,
}

impl Include {
    /// The `_include` values each type takes, and `_revinclude`'s.
    const INCLUDES: [(&str, ResourceType, Self); 4] = [
        (
            "PractitionerRole:practitioner",
            ResourceType::PractitionerRole,
            Self::RolePractitioner,
        ),
        (
            "PractitionerRole:organization",
            ResourceType::PractitionerRole,
            Self::RoleOrganization,
        ),
        (
            "Organization:partof",
            ResourceType::Organization,
            Self::OrganizationPartOf,
        ),
        (
            "Location:partof",
            ResourceType::Location,
            Self::LocationPartOf,
        ),
    ];
    const REVINCLUDES: [(&str, ResourceType, Self); 2] = [
        (
            "PractitionerRole:practitioner",
            ResourceType::Practitioner,
            Self::RolePractitioner,
        ),
        (
            "PractitionerRole:organization",
            ResourceType::Organization,
            Self::RoleOrganization,
        ),
    ];

    /// The `_include` values a type's search takes.
    pub fn includes_of(resource: ResourceType) -> Vec<&'static str> {
        Self::INCLUDES
            .iter()
            .filter(|(_, ty, _)| *ty == resource)
            .map(|(name, _, _)| *name)
            .collect()
    }

    /// The `_revinclude` values a type's search takes.
    pub fn revincludes_of(resource: ResourceType) -> Vec<&'static str> {
        Self::REVINCLUDES
            .iter()
            .filter(|(_, ty, _)| *ty == resource)
            .map(|(name, _, _)| *name)
            .collect()
    }
}

/// The search parameters of each type beyond the common ones, with their
/// FHIR type, as the CapabilityStatement lists them.
pub const PARAMETERS: [(ResourceType, &str, &str); 17] = [
    (ResourceType::Organization, "name", "string"),
    (ResourceType::Organization, "partof", "reference"),
    (ResourceType::Organization, "type", "token"),
    (ResourceType::Organization, "active", "token"),
    (ResourceType::Location, "name", "string"),
    (ResourceType::Location, "partof", "reference"),
    (ResourceType::Location, "type", "token"),
    (ResourceType::Location, "status", "token"),
    (ResourceType::Practitioner, "name", "string"),
    (ResourceType::Practitioner, "identifier", "token"),
    (ResourceType::Practitioner, "active", "token"),
    (ResourceType::Practitioner, "telecom", "token"),
    (ResourceType::PractitionerRole, "practitioner", "reference"),
    (ResourceType::PractitionerRole, "organization", "reference"),
    (ResourceType::PractitionerRole, "role", "token"),
    (ResourceType::PractitionerRole, "active", "token"),
    (ResourceType::PractitionerRole, "date", "date"),
];

/// The types whose `_history` the change feed answers: all of them.
pub const WITH_HISTORY: [ResourceType; 4] = ResourceType::ALL;

/// The types that answer a search.
pub const SEARCHABLE: [ResourceType; 4] = ResourceType::ALL;

/// The parameters every type takes.
pub const COMMON: [(&str, &str); 3] = [
    ("_id", "token"),
    ("_lastUpdated", "date"),
    ("_count", "number"),
];

/// What a search asks for. Each list is ANDed; within a filter, a
/// comma-separated value ORs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// `_id`: only these (None: any).
    pub ids: Option<Vec<Key>>,
    pub last_updated: Vec<InstantBound>,
    /// `name` (any of them).
    pub name: Vec<Vec<TextMatch>>,
    /// `partof`, `practitioner`, `organization`: the referenced record is
    /// one of these (None: any). A reference no record could have leaves
    /// an empty list, which matches nothing.
    pub partof: Option<Vec<Key>>,
    pub practitioner: Option<Vec<Key>>,
    pub organization: Option<Vec<Key>>,
    /// `type` (Organization, Location), `role` (PractitionerRole),
    /// `identifier`, `telecom`: any of these tokens, per repetition.
    pub types: Vec<Vec<Token>>,
    pub roles: Vec<Vec<Token>>,
    pub identifiers: Vec<Vec<Token>>,
    pub telecoms: Vec<Vec<Token>>,
    pub active: Option<bool>,
    /// Location `status`: only `active` matches anything.
    pub status: Vec<Vec<Token>>,
    pub dates: Vec<DayBound>,
}

/// A whole search: the type, its query, the page and the inclusions.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub resource: ResourceType,
    pub query: Query,
    pub count: i64,
    /// The opaque cursor of a next link: where the previous page ended.
    pub cursor: Option<String>,
    pub include: Vec<Include>,
    pub revinclude: Vec<Include>,
}

/// Parameters any search may carry that change nothing here.
const IGNORED: [&str; 3] = ["_format", "_pretty", "_total"];

impl Search {
    /// Parses `params` (decoded name and value pairs, in order) for a
    /// search of `resource`. An unknown parameter is ignored, unless
    /// `strict` (`Prefer: handling=strict`), when it is an error.
    pub fn parse(
        resource: ResourceType,
        params: &[(String, String)],
        strict: bool,
    ) -> Result<Self, SearchError> {
        let mut search = Self {
            resource,
            query: Query::default(),
            count: DEFAULT_COUNT,
            cursor: None,
            include: Vec::new(),
            revinclude: Vec::new(),
        };
        let known = |name: &str| {
            PARAMETERS
                .iter()
                .any(|(ty, n, _)| *ty == resource && *n == name)
        };
        for (raw_name, value) in params {
            let (name, modifier) = match raw_name.split_once(':') {
                Some((name, modifier)) => (name, Some(modifier)),
                None => (raw_name.as_str(), None),
            };
            let values = || value.split(',').map(str::trim).filter(|v| !v.is_empty());
            let q = &mut search.query;
            match (name, modifier) {
                ("_count", None) => {
                    // More than the most a page holds is that most, as FHIR
                    // lets a server answer; 0 asks for the total alone.
                    search.count = value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| {
                            bad(format!(
                                "_count must be a whole number of 0 or more, not {value:?}"
                            ))
                        })?
                        .min(MAX_COUNT);
                }
                ("_cursor", None) => search.cursor = Some(value.clone()),
                ("_id", None) => {
                    let keys = values().filter_map(|id| Key::parse(resource, id)).collect();
                    q.ids = Some(keys);
                }
                ("_lastUpdated", None) => q.last_updated.push(parse_instant_bound(value)?),
                ("_include", None) => {
                    let (_, _, include) = Include::INCLUDES
                        .iter()
                        .find(|(name, ty, _)| *name == value && *ty == resource)
                        .ok_or_else(|| {
                            bad(format!(
                                "_include={value} is not supported on {resource}; it takes {}",
                                list_or_none(&Include::includes_of(resource))
                            ))
                        })?;
                    search.include.push(*include);
                }
                ("_revinclude", None) => {
                    let (_, _, include) = Include::REVINCLUDES
                        .iter()
                        .find(|(name, ty, _)| *name == value && *ty == resource)
                        .ok_or_else(|| {
                            bad(format!(
                                "_revinclude={value} is not supported on {resource}; it takes {}",
                                list_or_none(&Include::revincludes_of(resource))
                            ))
                        })?;
                    search.revinclude.push(*include);
                }
                (name, None) if IGNORED.contains(&name) => {}
                ("name", modifier) if known("name") => {
                    let matches = values()
                        .map(|v| match modifier {
                            None => Ok(TextMatch::StartsWithWord(v.to_owned())),
                            Some("contains") => Ok(TextMatch::Contains(v.to_owned())),
                            Some("exact") => Ok(TextMatch::Exact(v.to_owned())),
                            Some(other) => Err(bad(format!(
                                "name:{other} is not supported; use name, name:contains or name:exact"
                            ))),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if matches.is_empty() {
                        return Err(bad("name needs a value"));
                    }
                    q.name.push(matches);
                }
                ("partof", None) if known("partof") => {
                    q.partof = Some(references(q.partof.take(), resource, value));
                }
                ("practitioner", None) if known("practitioner") => {
                    let target = ResourceType::Practitioner;
                    q.practitioner = Some(references(q.practitioner.take(), target, value));
                }
                ("organization", None) if known("organization") => {
                    let target = ResourceType::Organization;
                    q.organization = Some(references(q.organization.take(), target, value));
                }
                ("type", None) if known("type") => q.types.push(tokens(value)?),
                ("role", None) if known("role") => q.roles.push(tokens(value)?),
                ("identifier", None) if known("identifier") => q.identifiers.push(tokens(value)?),
                ("telecom", None) if known("telecom") => q.telecoms.push(tokens(value)?),
                ("status", None) if known("status") => q.status.push(tokens(value)?),
                ("active", None) if known("active") => {
                    let active = parse_bool("active", value)?;
                    if q.active.is_some_and(|a| a != active) {
                        // Both true and false: nothing is both.
                        q.ids = Some(Vec::new());
                    }
                    q.active = Some(active);
                }
                ("date", None) if known("date") => {
                    let (prefix, text) = split_prefix(value);
                    let day = parse_day(text).ok_or_else(|| {
                        bad(format!(
                            "date {value:?} is not a day (YYYY-MM-DD) after an optional eq, gt, ge, lt or le"
                        ))
                    })?;
                    q.dates.push(DayBound { prefix, day });
                }
                _ if strict => {
                    return Err(bad(format!(
                        "{raw_name} is not a search parameter of {resource} that this server supports"
                    )));
                }
                _ => {}
            }
        }
        Ok(search)
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn tokens(value: &str) -> Result<Vec<Token>, SearchError> {
    let tokens = value
        .split(',')
        .filter(|v| !v.is_empty())
        .map(Token::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if tokens.is_empty() {
        return Err(bad("a token parameter needs a value"));
    }
    Ok(tokens)
}

/// A repeated reference parameter ANDs: the keys in both lists.
fn references(before: Option<Vec<Key>>, target: ResourceType, value: &str) -> Vec<Key> {
    let keys: Vec<Key> = value
        .split(',')
        .filter_map(|v| parse_reference(target, v.trim()))
        .collect();
    match before {
        Some(before) => keys.into_iter().filter(|k| before.contains(k)).collect(),
        None => keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(resource: ResourceType, query: &[(&str, &str)]) -> Result<Search, SearchError> {
        let params: Vec<(String, String)> = query
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        Search::parse(resource, &params, false)
    }

    #[test]
    fn names_match_the_start_of_any_word_or_as_modified() {
        assert!(TextMatch::StartsWithWord("rao".into()).matches("Asha Rao"));
        assert!(TextMatch::StartsWithWord("as".into()).matches("Asha Rao"));
        assert!(!TextMatch::StartsWithWord("ha".into()).matches("Asha Rao"));
        assert!(TextMatch::StartsWithWord("brien".into()).matches("Dr. O'Brien"));
        assert!(TextMatch::StartsWithWord("asha r".into()).matches("Asha Rao"));
        assert!(TextMatch::Contains("HA R".into()).matches("Asha Rao"));
        assert!(TextMatch::Exact("Asha Rao".into()).matches("Asha Rao"));
        assert!(!TextMatch::Exact("asha rao".into()).matches("Asha Rao"));
    }

    #[test]
    fn bad_values_are_refused_and_unknown_names_ignored_unless_strict() {
        let p = ResourceType::Practitioner;
        assert!(parse(p, &[("_count", "-1")]).is_err());
        assert!(parse(p, &[("_count", "ten")]).is_err());
        assert_eq!(parse(p, &[("_count", "0")]).unwrap().count, 0);
        assert_eq!(parse(p, &[("_count", "5000")]).unwrap().count, 200);
        assert!(parse(p, &[("active", "yes")]).is_err());
        assert!(parse(p, &[("_lastUpdated", "gt2026-13-01")]).is_err());
        assert!(parse(p, &[("name:sounds-like", "x")]).is_err());
        assert!(parse(p, &[("_include", "Organization:partof")]).is_err());
        assert!(parse(p, &[("colour", "blue")]).is_ok());
        let strict = Search::parse(p, &[("colour".into(), "blue".into())], true);
        assert!(strict.is_err());
        // A parameter of another type is unknown here.
        assert!(Search::parse(p, &[("partof".into(), "x".into())], true).is_err());
    }

    #[test]
    fn last_updated_compares_the_range_a_value_covers() {
        let day = parse_instant_bound("2026-03-02").unwrap();
        let inside = "2026-03-02T23:59:59Z".parse::<DateTime<Utc>>().unwrap();
        let next = "2026-03-03T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(day.matches(inside) && !day.matches(next));
        let after = parse_instant_bound("gt2026-03-02").unwrap();
        assert!(after.matches(next) && !after.matches(inside));
        let before = parse_instant_bound("lt2026-03-03T00:00:00Z").unwrap();
        assert!(before.matches(inside) && !before.matches(next));
        let india = parse_instant_bound("ge2026-03-03T05:30:00+05:30").unwrap();
        assert!(india.matches(next));
    }

    #[test]
    fn a_period_matches_a_date_as_it_is_in_force() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let march = (Some(d("2026-03-01")), Some(d("2026-03-31")));
        let on = |prefix, day: &str| DayBound {
            prefix,
            day: d(day),
        };
        assert!(on(Prefix::Eq, "2026-03-31").matches(march.0, march.1));
        assert!(!on(Prefix::Eq, "2026-04-01").matches(march.0, march.1));
        assert!(on(Prefix::Ge, "2026-03-31").matches(march.0, march.1));
        assert!(!on(Prefix::Gt, "2026-03-31").matches(march.0, march.1));
        assert!(on(Prefix::Le, "2026-03-01").matches(march.0, march.1));
        assert!(!on(Prefix::Lt, "2026-03-01").matches(march.0, march.1));
        assert!(on(Prefix::Gt, "2030-01-01").matches(march.0, None));
    }

    #[test]
    fn references_name_records_of_their_type() {
        let search = parse(
            ResourceType::PractitionerRole,
            &[
                ("practitioner", "Practitioner/3,4"),
                ("organization", "Location/bldg-1"),
            ],
        )
        .unwrap();
        assert_eq!(
            search.query.practitioner,
            Some(vec![Key::Staff(3), Key::Staff(4)])
        );
        assert_eq!(search.query.organization, Some(vec![]));
    }
}
