//! FHIR ids: strings unique within a resource type and stable, made from
//! the table a record lives in and its id (`dept-1`, `unit-3`, `ot-2`).

use std::fmt;
use std::str::FromStr;

/// The resource types the view serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Organization,
    Location,
    Practitioner,
    PractitionerRole,
}

impl ResourceType {
    pub const ALL: [Self; 4] = [
        Self::Organization,
        Self::Location,
        Self::Practitioner,
        Self::PractitionerRole,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organization => "Organization",
            Self::Location => "Location",
            Self::Practitioner => "Practitioner",
            Self::PractitionerRole => "PractitionerRole",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResourceType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
    }
}

/// Which record a FHIR resource shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// The root Organization: the hospital itself (from the configuration).
    Hospital,
    Department(i32),
    Unit(i32),
    Building(i32),
    Floor(i32),
    Theatre(i32),
    Staff(i32),
    /// A staff member's own post (their department or unit, designation
    /// and cadre): PractitionerRole `post-{staff id}`.
    Post(i32),
    /// A works-in period (`staff_works_in.id`).
    WorksIn(i32),
    /// A department head period (`department_heads.id`).
    DepartmentHead(i32),
    /// A unit head period (`unit_heads.id`).
    UnitHead(i32),
}

/// The prefix of each kind of id, with the type it belongs to.
const PREFIXES: [(&str, ResourceType); 9] = [
    ("dept-", ResourceType::Organization),
    ("unit-", ResourceType::Organization),
    ("bldg-", ResourceType::Location),
    ("floor-", ResourceType::Location),
    ("ot-", ResourceType::Location),
    ("post-", ResourceType::PractitionerRole),
    ("works-", ResourceType::PractitionerRole),
    ("dhead-", ResourceType::PractitionerRole),
    ("uhead-", ResourceType::PractitionerRole),
];

/// The root Organization's id.
pub const HOSPITAL_ID: &str = "hospital";

impl Key {
    /// The resource type that shows this record.
    pub fn resource_type(self) -> ResourceType {
        match self {
            Self::Hospital | Self::Department(_) | Self::Unit(_) => ResourceType::Organization,
            Self::Building(_) | Self::Floor(_) | Self::Theatre(_) => ResourceType::Location,
            Self::Staff(_) => ResourceType::Practitioner,
            Self::Post(_) | Self::WorksIn(_) | Self::DepartmentHead(_) | Self::UnitHead(_) => {
                ResourceType::PractitionerRole
            }
        }
    }

    /// The key an id names within a type; `None` for an id that no record
    /// could have (the answer is 404 either way).
    pub fn parse(resource: ResourceType, id: &str) -> Option<Self> {
        if resource == ResourceType::Organization && id == HOSPITAL_ID {
            return Some(Self::Hospital);
        }
        if resource == ResourceType::Practitioner {
            return number(id).map(Self::Staff);
        }
        let (prefix, _) = PREFIXES
            .iter()
            .find(|(prefix, ty)| *ty == resource && id.starts_with(prefix))?;
        let n = number(&id[prefix.len()..])?;
        Some(match *prefix {
            "dept-" => Self::Department(n),
            "unit-" => Self::Unit(n),
            "bldg-" => Self::Building(n),
            "floor-" => Self::Floor(n),
            "ot-" => Self::Theatre(n),
            "post-" => Self::Post(n),
            "works-" => Self::WorksIn(n),
            "dhead-" => Self::DepartmentHead(n),
            _ => Self::UnitHead(n),
        })
    }

    /// `Organization/dept-1`: a reference relative to the base.
    pub fn reference(self) -> String {
        format!("{}/{self}", self.resource_type())
    }
}

/// A positive id in canonical form (no sign, no leading zero), so each
/// record has exactly one FHIR id.
fn number(text: &str) -> Option<i32> {
    if text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n > 0)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hospital => f.write_str(HOSPITAL_ID),
            Self::Department(n) => write!(f, "dept-{n}"),
            Self::Unit(n) => write!(f, "unit-{n}"),
            Self::Building(n) => write!(f, "bldg-{n}"),
            Self::Floor(n) => write!(f, "floor-{n}"),
            Self::Theatre(n) => write!(f, "ot-{n}"),
            Self::Staff(n) => write!(f, "{n}"),
            Self::Post(n) => write!(f, "post-{n}"),
            Self::WorksIn(n) => write!(f, "works-{n}"),
            Self::DepartmentHead(n) => write!(f, "dhead-{n}"),
            Self::UnitHead(n) => write!(f, "uhead-{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_reads_back_from_its_id() {
        let keys = [
            Key::Hospital,
            Key::Department(1),
            Key::Unit(30),
            Key::Building(2),
            Key::Floor(4),
            Key::Theatre(5),
            Key::Staff(12),
            Key::Post(12),
            Key::WorksIn(7),
            Key::DepartmentHead(8),
            Key::UnitHead(9),
        ];
        for key in keys {
            assert_eq!(Key::parse(key.resource_type(), &key.to_string()), Some(key));
        }
    }

    #[test]
    fn an_id_belongs_to_one_type_and_one_spelling() {
        assert_eq!(Key::parse(ResourceType::Location, "dept-1"), None);
        assert_eq!(Key::parse(ResourceType::Organization, "dept-01"), None);
        assert_eq!(Key::parse(ResourceType::Organization, "dept-0"), None);
        assert_eq!(Key::parse(ResourceType::Organization, "dept-+1"), None);
        assert_eq!(Key::parse(ResourceType::Practitioner, "staff-1"), None);
        assert_eq!(Key::parse(ResourceType::Practitioner, "99999999999"), None);
        assert_eq!(Key::parse(ResourceType::PractitionerRole, "hospital"), None);
    }
}
