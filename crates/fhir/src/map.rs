//! The directory's records as FHIR resources (docs/FHIR.md is the table).

use crate::ids::Key;
use crate::model::{
    Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier, Location, Meta,
    Organization, Period, Practitioner, PractitionerRole, Reference,
};
use chrono::{DateTime, NaiveDate, Utc};
use directory_domain::{
    Audit, Building, Department, Floor, OperatingTheatre, Staff, StaffId, Unit,
};

/// Code systems of the directory's own codes. They are URNs: stable names
/// that no one resolves, as FHIR allows for a local code system.
pub mod systems {
    /// A department's kind, and `unit` and `hospital`.
    pub const ORGANIZATION_KIND: &str = "urn:hospital-directory:organization-kind";
    /// `building`, `floor`, `operating-theatre`.
    pub const LOCATION_KIND: &str = "urn:hospital-directory:location-kind";
    /// A designation's id.
    pub const DESIGNATION: &str = "urn:hospital-directory:designation";
    /// A cadre's id.
    pub const CADRE: &str = "urn:hospital-directory:cadre";
    /// What a PractitionerRole records: `post`, `works-in`, `head`.
    pub const ASSIGNMENT: &str = "urn:hospital-directory:assignment";
    /// HL7's organization types (`prov`, `dept`).
    pub const ORGANIZATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/organization-type";
    /// HL7's location physical types (`bu`, `lvl`, `ro`).
    pub const PHYSICAL_TYPE: &str = "http://terminology.hl7.org/CodeSystem/location-physical-type";
}

/// What the view takes from the server's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The root Organization's name.
    pub hospital_name: String,
    /// The `system` of a Practitioner's employee id.
    pub employee_id_system: String,
    /// When these settings were loaded: the root Organization's
    /// `lastUpdated`, since it is not stored in the database.
    pub loaded_at: DateTime<Utc>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            hospital_name: "Hospital".into(),
            employee_id_system: "urn:hospital-directory:employee-id".into(),
            loaded_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

fn meta(audit: &Audit) -> Meta {
    Meta {
        version_id: audit.version.to_string(),
        last_updated: audit.updated_at,
    }
}

fn coding(system: &str, code: impl Into<String>, display: Option<&str>) -> Coding {
    Coding {
        system: system.into(),
        code: code.into(),
        display: display.map(str::to_owned),
    }
}

fn concept(codings: Vec<Coding>) -> CodeableConcept {
    CodeableConcept {
        coding: codings,
        text: None,
    }
}

/// A reference, with the name it shows if there is one (FHIR strings are
/// never empty).
fn reference(key: Key, display: Option<&str>) -> Reference {
    Reference {
        reference: key.reference(),
        display: display.filter(|d| !d.is_empty()).map(str::to_owned),
    }
}

fn alias(abbr: Option<&String>) -> Vec<String> {
    abbr.cloned().into_iter().collect()
}

/// The root Organization: the hospital, from the configuration.
pub fn hospital(settings: &Settings) -> Organization {
    Organization {
        id: Key::Hospital.to_string(),
        meta: Meta {
            version_id: "1".into(),
            last_updated: settings.loaded_at,
        },
        active: true,
        type_: vec![concept(vec![
            coding(
                systems::ORGANIZATION_TYPE,
                "prov",
                Some("Healthcare Provider"),
            ),
            coding(systems::ORGANIZATION_KIND, "hospital", Some("Hospital")),
        ])],
        name: settings.hospital_name.clone(),
        alias: Vec::new(),
        part_of: None,
    }
}

fn hospital_reference(settings: &Settings) -> Reference {
    reference(Key::Hospital, Some(&settings.hospital_name))
}

/// A department, centre or facility: part of the hospital.
pub fn department(department: &Department, settings: &Settings) -> Organization {
    let kind = department.kind.as_str();
    Organization {
        id: Key::Department(department.id.0).to_string(),
        meta: meta(&department.audit),
        active: department.active,
        type_: vec![concept(vec![
            coding(
                systems::ORGANIZATION_TYPE,
                "dept",
                Some("Hospital Department"),
            ),
            coding(systems::ORGANIZATION_KIND, kind, None),
        ])],
        name: department.name.clone(),
        alias: alias(department.abbr.as_ref()),
        part_of: Some(hospital_reference(settings)),
    }
}

/// A unit: part of its department.
pub fn unit(unit: &Unit, department_name: &str) -> Organization {
    Organization {
        id: Key::Unit(unit.id.0).to_string(),
        meta: meta(&unit.audit),
        active: true,
        type_: vec![concept(vec![
            coding(
                systems::ORGANIZATION_TYPE,
                "dept",
                Some("Hospital Department"),
            ),
            coding(systems::ORGANIZATION_KIND, "unit", Some("Unit")),
        ])],
        name: unit.name.clone(),
        alias: alias(unit.abbr.as_ref()),
        part_of: Some(reference(
            Key::Department(unit.department_id.0),
            Some(department_name),
        )),
    }
}

fn location(
    key: Key,
    audit: &Audit,
    name: &str,
    abbr: Option<&String>,
    description: Option<String>,
    (physical, physical_display, kind): (&str, &str, &str),
    part_of: Option<Reference>,
    settings: &Settings,
) -> Location {
    Location {
        id: key.to_string(),
        meta: meta(audit),
        status: "active",
        name: name.to_owned(),
        alias: alias(abbr),
        description,
        mode: "instance",
        type_: vec![concept(vec![coding(systems::LOCATION_KIND, kind, None)])],
        physical_type: concept(vec![coding(
            systems::PHYSICAL_TYPE,
            physical,
            Some(physical_display),
        )]),
        managing_organization: hospital_reference(settings),
        part_of,
    }
}

pub fn building(building: &Building, settings: &Settings) -> Location {
    location(
        Key::Building(building.id.0),
        &building.audit,
        &building.name,
        building.abbr.as_ref(),
        None,
        ("bu", "Building", "building"),
        None,
        settings,
    )
}

pub fn floor(floor: &Floor, building_name: &str, settings: &Settings) -> Location {
    location(
        Key::Floor(floor.id.0),
        &floor.audit,
        &floor.name,
        floor.abbr.as_ref(),
        Some(format!("Level {}", floor.level)),
        ("lvl", "Level", "floor"),
        Some(reference(
            Key::Building(floor.building_id.0),
            Some(building_name),
        )),
        settings,
    )
}

pub fn theatre(theatre: &OperatingTheatre, floor_name: &str, settings: &Settings) -> Location {
    let tables = match theatre.table_count {
        1 => "1 operating table".to_owned(),
        n => format!("{n} operating tables"),
    };
    location(
        Key::Theatre(theatre.id.0),
        &theatre.audit,
        &theatre.name,
        theatre.abbr.as_ref(),
        Some(format!("Operating theatre, {tables}")),
        ("ro", "Room", "operating-theatre"),
        Some(reference(Key::Floor(theatre.floor_id.0), Some(floor_name))),
        settings,
    )
}

/// A staff member's contact points: the first email and phone rank 1.
fn telecom(staff: &Staff) -> Vec<ContactPoint> {
    let mut points = Vec::new();
    let emails = [
        Some(&staff.email),
        staff.email2.as_ref(),
        staff.email3.as_ref(),
    ];
    for (rank, email) in (1..).zip(emails.into_iter().flatten()) {
        points.push(ContactPoint {
            system: "email",
            value: email.clone(),
            use_: "work",
            rank,
        });
    }
    let phones = [
        Some(&staff.mobile),
        staff.mobile2.as_ref(),
        staff.mobile3.as_ref(),
    ];
    for (rank, phone) in (1..).zip(phones.into_iter().flatten()) {
        points.push(ContactPoint {
            system: "phone",
            value: phone.clone(),
            use_: "mobile",
            rank,
        });
    }
    points
}

/// Whether a staff member is in post on `today`: active, and not past
/// their end date.
fn in_post(staff: &Staff, today: NaiveDate) -> bool {
    staff.active && staff.end_date.is_none_or(|end| end >= today)
}

pub fn practitioner(staff: &Staff, settings: &Settings, today: NaiveDate) -> Practitioner {
    Practitioner {
        id: Key::Staff(staff.id.0).to_string(),
        meta: meta(&staff.audit),
        identifier: vec![Identifier {
            use_: "official",
            system: settings.employee_id_system.clone(),
            value: staff.employee_id.clone(),
        }],
        active: in_post(staff, today),
        name: vec![HumanName {
            use_: "official",
            text: staff.full_name.clone(),
        }],
        telecom: telecom(staff),
        address: staff
            .office_address
            .iter()
            .map(|text| Address {
                use_: "work",
                text: text.clone(),
            })
            .collect(),
    }
}

/// The designation, with the cadre as a second coding.
fn post_code(staff: &Staff) -> CodeableConcept {
    CodeableConcept {
        coding: vec![
            coding(
                systems::DESIGNATION,
                staff.designation_id.0.to_string(),
                Some(&staff.designation_name),
            ),
            coding(
                systems::CADRE,
                staff.cadre_id.0.to_string(),
                Some(&staff.cadre_name),
            ),
        ],
        text: Some(staff.designation_name.clone()),
    }
}

fn assignment_code(code: &str, display: &str) -> CodeableConcept {
    concept(vec![coding(systems::ASSIGNMENT, code, Some(display))])
}

/// A staff member's own post: their unit (or else department),
/// designation and cadre.
pub fn post(staff: &Staff, today: NaiveDate) -> PractitionerRole {
    let organization = match (staff.unit_id, &staff.unit_name) {
        (Some(unit), Some(name)) => reference(Key::Unit(unit.0), Some(name)),
        _ => reference(
            Key::Department(staff.department_id.0),
            Some(&staff.department_name),
        ),
    };
    PractitionerRole {
        id: Key::Post(staff.id.0).to_string(),
        meta: meta(&staff.audit),
        active: in_post(staff, today),
        period: staff.end_date.map(|end| Period {
            start: None,
            end: Some(end),
        }),
        practitioner: reference(Key::Staff(staff.id.0), Some(&staff.full_name)),
        organization,
        code: vec![post_code(staff), assignment_code("post", "Post")],
    }
}

/// What a dated assignment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentKind {
    WorksIn,
    DepartmentHead,
    UnitHead,
}

impl AssignmentKind {
    /// The key of this kind's period with row `id`.
    pub fn key(self, id: i32) -> Key {
        match self {
            Self::WorksIn => Key::WorksIn(id),
            Self::DepartmentHead => Key::DepartmentHead(id),
            Self::UnitHead => Key::UnitHead(id),
        }
    }
}

/// A works-in or head period, with what its PractitionerRole shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub kind: AssignmentKind,
    /// The period's row id.
    pub id: i32,
    pub staff: Staff,
    /// The department or unit.
    pub organization_id: i32,
    pub organization_name: String,
    pub period: directory_domain::Period,
    /// The row's version and when it last changed.
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl Assignment {
    pub fn key(&self) -> Key {
        self.kind.key(self.id)
    }

    pub fn staff_id(&self) -> StaffId {
        self.staff.id
    }
}

pub fn assignment(assignment: &Assignment, today: NaiveDate) -> PractitionerRole {
    let staff = &assignment.staff;
    period_role(
        assignment.kind,
        assignment.id,
        (staff.id.0, Some(staff)),
        (assignment.organization_id, &assignment.organization_name),
        assignment.period,
        Meta {
            version_id: assignment.version.to_string(),
            last_updated: assignment.updated_at,
        },
        today,
    )
}

/// A works-in or head period as the trail recorded one change to it: its
/// row, the two ids and the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodLink {
    pub kind: AssignmentKind,
    pub id: i32,
    pub staff_id: i32,
    /// The department or unit.
    pub organization_id: i32,
    pub period: directory_domain::Period,
}

/// A period's PractitionerRole as one change left it (a `_history`
/// version). The trail's record of a link holds no staff record, so the
/// staff member's designation of that day is not known: the code names
/// the assignment alone, and `active` is whether the period is in force
/// today.
pub fn period_version(
    link: &PeriodLink,
    version: i32,
    at: DateTime<Utc>,
    today: NaiveDate,
) -> PractitionerRole {
    period_role(
        link.kind,
        link.id,
        (link.staff_id, None),
        (link.organization_id, ""),
        link.period,
        Meta {
            version_id: version.to_string(),
            last_updated: at,
        },
        today,
    )
}

/// A period's PractitionerRole from its parts; the staff member's record,
/// when at hand, gives the post's code, the practitioner's display, and
/// whether they are in post.
fn period_role(
    kind: AssignmentKind,
    id: i32,
    (staff_id, staff): (i32, Option<&Staff>),
    (organization_id, organization_name): (i32, &str),
    period: directory_domain::Period,
    meta: Meta,
    today: NaiveDate,
) -> PractitionerRole {
    let (organization, code) = match kind {
        AssignmentKind::WorksIn => (
            Key::Department(organization_id),
            assignment_code("works-in", "Works in"),
        ),
        AssignmentKind::DepartmentHead => (
            Key::Department(organization_id),
            assignment_code("head", "Head"),
        ),
        AssignmentKind::UnitHead => (Key::Unit(organization_id), assignment_code("head", "Head")),
    };
    PractitionerRole {
        id: kind.key(id).to_string(),
        meta,
        active: staff.is_none_or(|staff| in_post(staff, today)) && period.in_force_on(today),
        period: Some(Period {
            start: Some(period.start_date),
            end: period.end_date,
        }),
        practitioner: reference(Key::Staff(staff_id), staff.map(|s| s.full_name.as_str())),
        organization: reference(organization, Some(organization_name)),
        code: staff.map(post_code).into_iter().chain([code]).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(unit: Option<i32>, active: bool, end_date: Option<&str>) -> Staff {
        serde_json::from_value(serde_json::json!({
            "id": 7, "full_name": "Asha Rao", "employee_id": "E7",
            "email": "asha@example.org", "mobile": "+919810000001",
            "email2": null, "email3": null, "mobile2": "+919810000002", "mobile3": null,
            "office_address": null,
            "department_id": 1, "department_name": "Ophthalmology",
            "unit_id": unit, "unit_name": unit.map(|_| "Cornea"),
            "designation_id": 3, "designation_name": "Professor",
            "cadre_id": 2, "cadre_name": "Faculty",
            "supervisor_id": null, "end_date": end_date, "active": active,
            "deactivated_at": null, "deactivated_by": null,
            "created_at": "2026-01-01T00:00:00Z", "created_by": null,
            "updated_at": "2026-02-01T00:00:00Z", "updated_by": null, "version": 4
        }))
        .unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_post_is_in_the_unit_when_there_is_one_else_the_department() {
        let today = day("2026-06-01");
        let in_unit = post(&staff(Some(4), true, None), today);
        assert_eq!(in_unit.id, "post-7");
        assert_eq!(in_unit.organization.reference, "Organization/unit-4");
        assert_eq!(in_unit.meta.version_id, "4");
        let in_department = post(&staff(None, true, None), today);
        assert_eq!(in_department.organization.reference, "Organization/dept-1");
        // The designation with its cadre, then what the role is.
        let codes: Vec<&str> = in_department
            .code
            .iter()
            .flat_map(|c| c.coding.iter().map(|c| c.code.as_str()))
            .collect();
        assert_eq!(codes, ["3", "2", "post"]);
    }

    #[test]
    fn a_practitioner_past_the_end_date_or_deactivated_is_not_active() {
        let settings = Settings {
            hospital_name: "Hospital".into(),
            employee_id_system: "urn:test".into(),
            loaded_at: Utc::now(),
        };
        let today = day("2026-06-01");
        assert!(practitioner(&staff(None, true, Some("2026-06-01")), &settings, today).active);
        assert!(!practitioner(&staff(None, true, Some("2026-05-31")), &settings, today).active);
        assert!(!practitioner(&staff(None, false, None), &settings, today).active);
        let asha = practitioner(&staff(None, true, None), &settings, today);
        let phones: Vec<(&str, u32)> = asha
            .telecom
            .iter()
            .filter(|t| t.system == "phone")
            .map(|t| (t.value.as_str(), t.rank))
            .collect();
        assert_eq!(phones, [("+919810000001", 1), ("+919810000002", 2)]);
    }

    #[test]
    fn a_period_is_active_only_while_in_force_and_its_staff_member_in_post() {
        let period = directory_domain::Period {
            start_date: day("2026-05-01"),
            end_date: Some(day("2026-05-31")),
        };
        let of = |staff: Staff| Assignment {
            kind: AssignmentKind::UnitHead,
            id: 9,
            staff,
            organization_id: 4,
            organization_name: "Cornea".into(),
            period,
            version: 2,
            updated_at: Utc::now(),
        };
        let headship = assignment(&of(staff(None, true, None)), day("2026-05-31"));
        assert_eq!(headship.id, "uhead-9");
        assert_eq!(headship.organization.reference, "Organization/unit-4");
        assert!(headship.active);
        assert!(!assignment(&of(staff(None, true, None)), day("2026-06-01")).active);
        assert!(!assignment(&of(staff(None, false, None)), day("2026-05-15")).active);
    }

    #[test]
    fn a_period_version_from_the_trail_names_the_assignment_alone() {
        let link = PeriodLink {
            kind: AssignmentKind::WorksIn,
            id: 5,
            staff_id: 7,
            organization_id: 2,
            period: directory_domain::Period {
                start_date: day("2026-05-01"),
                end_date: None,
            },
        };
        let version = period_version(&link, 3, Utc::now(), day("2026-06-01"));
        assert_eq!(version.id, "works-5");
        assert_eq!(version.meta.version_id, "3");
        assert_eq!(version.practitioner.reference, "Practitioner/7");
        assert_eq!(version.practitioner.display, None);
        assert_eq!(version.organization.reference, "Organization/dept-2");
        assert_eq!(version.code.len(), 1);
        assert_eq!(version.code[0].coding[0].code, "works-in");
        assert!(version.active);
    }
}
