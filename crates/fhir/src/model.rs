//! The FHIR R4 elements the directory serves, written by hand.
//!
//! Only what the four resources, the Bundle, the OperationOutcome and the
//! CapabilityStatement use: a generated R4 model (`fhirbolt`'s `r4`,
//! `fhir-sdk`) holds every resource and data type of the specification
//! (a debug build of `fhirbolt` 0.4 with `r4` alone took 2 min 8 s on the
//! two-core build machine, 2026-12-02) for the seven shapes used here. The field names and shapes are checked against the
//! specification by `fhir.resources` in `.ci/run`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A FHIR instant, always UTC with a `Z`.
fn instant<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    directory_domain::audit::serialize_utc(at, serializer)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub version_id: String,
    #[serde(serialize_with = "instant")]
    pub last_updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identifier {
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub system: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HumanName {
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactPoint {
    /// `phone` or `email`.
    pub system: &'static str,
    pub value: String,
    /// `work` or `mobile`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// 1 for the first of its kind.
    pub rank: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// `{type}/{id}`, relative to the base.
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coding {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeableConcept {
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// The last day in force, as the directory's end dates are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub meta: Meta,
    pub active: bool,
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub id: String,
    pub meta: Meta,
    /// Always `active`: the directory deletes what no longer exists.
    pub status: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Always `instance`: each is one real place.
    pub mode: &'static str,
    #[serde(rename = "type")]
    pub type_: Vec<CodeableConcept>,
    pub physical_type: CodeableConcept,
    pub managing_organization: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Practitioner {
    pub id: String,
    pub meta: Meta,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    pub name: Vec<HumanName>,
    pub telecom: Vec<ContactPoint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PractitionerRole {
    pub id: String,
    pub meta: Meta,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub practitioner: Reference,
    pub organization: Reference,
    pub code: Vec<CodeableConcept>,
}

/// Any resource the view serves, tagged with its `resourceType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    Organization(Organization),
    Location(Location),
    Practitioner(Practitioner),
    PractitionerRole(PractitionerRole),
}

impl Resource {
    pub fn meta(&self) -> &Meta {
        match self {
            Self::Organization(r) => &r.meta,
            Self::Location(r) => &r.meta,
            Self::Practitioner(r) => &r.meta,
            Self::PractitionerRole(r) => &r.meta,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Self::Organization(r) => &r.id,
            Self::Location(r) => &r.id,
            Self::Practitioner(r) => &r.id,
            Self::PractitionerRole(r) => &r.id,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Organization(_) => "Organization",
            Self::Location(_) => "Location",
            Self::Practitioner(_) => "Practitioner",
            Self::PractitionerRole(_) => "PractitionerRole",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleLink {
    pub relation: &'static str,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntrySearch {
    /// `match` or `include`.
    pub mode: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryRequest {
    pub method: &'static str,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryResponse {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_instant"
    )]
    pub last_modified: Option<DateTime<Utc>>,
}

fn optional_instant<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => instant(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// Absolute, ending in `{type}/{id}`.
    pub full_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<EntrySearch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<EntryRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<EntryResponse>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename = "Bundle")]
pub struct Bundle {
    #[serde(rename = "type")]
    pub type_: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub link: Vec<BundleLink>,
    /// Left out when empty: FHIR JSON has no empty arrays.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub severity: &'static str,
    pub code: &'static str,
    pub diagnostics: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename = "OperationOutcome")]
pub struct OperationOutcome {
    pub issue: Vec<Issue>,
}

impl OperationOutcome {
    pub fn error(code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            issue: vec![Issue {
                severity: "error",
                code,
                diagnostics: diagnostics.into(),
            }],
        }
    }
}
