//! Staff members: the people of the directory, and the rules that tie them
//! to departments, units, designations and supervisors.

use crate::limits::{EMAIL_MAX, EMPLOYEE_ID_MAX, FULL_NAME_MAX, OFFICE_ADDRESS_MAX};
use crate::validate::Checker;
use crate::{
    AccountId, Audit, CadreId, DepartmentId, DesignationId, DomainError, Patch, StaffId, UnitId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A staff member as the API returns them: with the names of their
/// department, unit, designation and cadre, so a list needs no second lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Staff {
    /// The staff member's id.
    pub id: StaffId,
    /// The name as the directory shows it (`Dr Asha Rao`).
    pub full_name: String,
    /// The hospital's employee number, unique to the staff member.
    pub employee_id: String,
    /// The main email address, unique whatever the case.
    pub email: String,
    /// The main phone number, as digits with an optional leading `+`.
    pub mobile: String,
    /// A second email address, if any.
    pub email2: Option<String>,
    /// A third email address, if any.
    pub email3: Option<String>,
    /// A second phone number, if any.
    pub mobile2: Option<String>,
    /// A third phone number, if any.
    pub mobile3: Option<String>,
    /// Where to find them, if recorded; may span several lines.
    pub office_address: Option<String>,
    /// The department they belong to.
    pub department_id: DepartmentId,
    /// The department's name.
    pub department_name: String,
    /// Their unit within that department, if any.
    pub unit_id: Option<UnitId>,
    /// The unit's name, if they have a unit.
    pub unit_name: Option<String>,
    /// Their designation: the post they hold.
    pub designation_id: DesignationId,
    /// The designation's name.
    pub designation_name: String,
    /// Always the designation's cadre; not stored on the staff member.
    pub cadre_id: CadreId,
    /// The cadre's name.
    pub cadre_name: String,
    /// The staff member they report to, if any.
    pub supervisor_id: Option<StaffId>,
    /// Last working day; the accounts stop working the day after.
    pub end_date: Option<NaiveDate>,
    /// Whether they are current; inactive staff are kept, not deleted.
    pub active: bool,
    /// When they were deactivated, if they are inactive.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// The account that deactivated them, if any.
    pub deactivated_by: Option<AccountId>,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to add a staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// The name as the directory shows it (`Dr Asha Rao`).
    pub full_name: String,
    /// The hospital's employee number, unique to the staff member.
    pub employee_id: String,
    /// The main email address, unique whatever the case.
    pub email: String,
    /// The main phone number: 7 to 15 digits with an optional leading `+`;
    /// spaces, dashes, dots and brackets are dropped.
    pub mobile: String,
    /// A second email address, if any.
    #[serde(default)]
    pub email2: Option<String>,
    /// A third email address, if any.
    #[serde(default)]
    pub email3: Option<String>,
    /// A second phone number, if any.
    #[serde(default)]
    pub mobile2: Option<String>,
    /// A third phone number, if any.
    #[serde(default)]
    pub mobile3: Option<String>,
    /// Where to find them, if recorded; may span several lines.
    #[serde(default)]
    pub office_address: Option<String>,
    /// The department they belong to.
    pub department_id: DepartmentId,
    /// Their unit, which must be one of the department's, if any.
    #[serde(default)]
    pub unit_id: Option<UnitId>,
    /// Their designation: the post they hold.
    pub designation_id: DesignationId,
    /// The staff member they report to, if any.
    #[serde(default)]
    pub supervisor_id: Option<StaffId>,
    /// Last working day, if known; the accounts stop working the day after.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
}

impl NewStaff {
    /// Tidies the fields (names trimmed and folded, emails trimmed, phone
    /// numbers normalised, a blank optional field dropped) and checks every
    /// rule; the error lists each broken one. The rules that need the
    /// database are [`check_unit_department`] and [`check_supervisor`].
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let staff = Self {
            full_name: c.text("full_name", &self.full_name, FULL_NAME_MAX),
            employee_id: c.text("employee_id", &self.employee_id, EMPLOYEE_ID_MAX),
            email: c.email("email", &self.email, EMAIL_MAX),
            mobile: c.mobile("mobile", &self.mobile),
            email2: c.opt_email("email2", self.email2.as_deref(), EMAIL_MAX),
            email3: c.opt_email("email3", self.email3.as_deref(), EMAIL_MAX),
            mobile2: c.opt_mobile("mobile2", self.mobile2.as_deref()),
            mobile3: c.opt_mobile("mobile3", self.mobile3.as_deref()),
            office_address: c.opt_free_text(
                "office_address",
                self.office_address.as_deref(),
                OFFICE_ADDRESS_MAX,
            ),
            ..self
        };
        c.positive_id("department_id", staff.department_id.0);
        c.positive_id("designation_id", staff.designation_id.0);
        if let Some(unit) = staff.unit_id {
            c.positive_id("unit_id", unit.0);
        }
        c.finish()?;
        Ok(staff)
    }
}

/// A partial update; `active` changes only through deactivate/reactivate,
/// which record who and when.
///
/// A field left out stays as it is and a value replaces it; `null` removes
/// an optional value (`email2`, `email3`, `mobile2`, `mobile3`,
/// `office_address`, `unit_id`, `supervisor_id`, `end_date`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    /// Changes the full name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub full_name: Patch<String>,
    /// Changes the employee number.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub employee_id: Patch<String>,
    /// Changes the main email address.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub email: Patch<String>,
    /// Changes the main phone number.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub mobile: Patch<String>,
    /// Changes the second email address.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub email2: Patch<String>,
    /// Changes the third email address.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub email3: Patch<String>,
    /// Changes the second phone number.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub mobile2: Patch<String>,
    /// Changes the third phone number.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub mobile3: Patch<String>,
    /// Changes the office address.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub office_address: Patch<String>,
    /// Moves them to another department.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub department_id: Patch<DepartmentId>,
    /// Changes their unit, which must be one of the department's.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub unit_id: Patch<UnitId>,
    /// Changes their designation.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub designation_id: Patch<DesignationId>,
    /// Changes whom they report to; refused if that would make a cycle.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub supervisor_id: Patch<StaffId>,
    /// Changes their last working day.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub end_date: Patch<NaiveDate>,
}

impl StaffPatch {
    /// Tidies and checks the fields given as [`NewStaff::validated`] does,
    /// refusing `null` for a required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let email = match &self.email {
            Patch::Set(email) => Patch::Set(c.email("email", email, EMAIL_MAX)),
            other => c.patch_required("email", other),
        };
        let mobile = match &self.mobile {
            Patch::Set(mobile) => Patch::Set(c.mobile("mobile", mobile)),
            other => c.patch_required("mobile", other),
        };
        let opt_email = |c: &mut Checker, field: &str, value: &Patch<String>| match value {
            Patch::Set(v) => c.opt_email(field, Some(v), EMAIL_MAX).into(),
            other => other.clone(),
        };
        let opt_mobile = |c: &mut Checker, field: &str, value: &Patch<String>| match value {
            Patch::Set(v) => c.opt_mobile(field, Some(v)).into(),
            other => other.clone(),
        };
        let patch = Self {
            full_name: c.patch_text("full_name", &self.full_name, FULL_NAME_MAX),
            employee_id: c.patch_text("employee_id", &self.employee_id, EMPLOYEE_ID_MAX),
            email,
            mobile,
            email2: opt_email(&mut c, "email2", &self.email2),
            email3: opt_email(&mut c, "email3", &self.email3),
            mobile2: opt_mobile(&mut c, "mobile2", &self.mobile2),
            mobile3: opt_mobile(&mut c, "mobile3", &self.mobile3),
            office_address: c.patch_free_text(
                "office_address",
                &self.office_address,
                OFFICE_ADDRESS_MAX,
            ),
            department_id: c.patch_required("department_id", &self.department_id),
            unit_id: self.unit_id,
            designation_id: c.patch_required("designation_id", &self.designation_id),
            supervisor_id: self.supervisor_id,
            end_date: self.end_date,
        };
        c.finish()?;
        Ok(patch)
    }
}

/// A staff member's unit must be one of their department's units.
pub fn check_unit_department(
    unit: UnitId,
    unit_department: DepartmentId,
    staff_department: DepartmentId,
) -> Result<(), DomainError> {
    if unit_department == staff_department {
        Ok(())
    } else {
        Err(DomainError::field(
            "unit_id",
            format!("unit {unit} belongs to department {unit_department}, not {staff_department}"),
        ))
    }
}

/// Refuses a supervisor that would make `staff` their own supervisor, directly
/// or through a chain. `supervisor_of` looks up the current supervisor of a
/// staff member (as stored, before this change).
pub fn check_supervisor(
    staff: Option<StaffId>,
    supervisor: StaffId,
    mut supervisor_of: impl FnMut(StaffId) -> Result<Option<StaffId>, DomainError>,
) -> Result<(), DomainError> {
    let cycle = || DomainError::field("supervisor_id", "would make a supervision cycle");
    let Some(staff) = staff else {
        // A new staff member has no supervisees yet, so no cycle is possible.
        return Ok(());
    };
    let mut seen = HashSet::new();
    let mut current = Some(supervisor);
    while let Some(id) = current {
        if id == staff {
            return Err(cycle());
        }
        if !seen.insert(id) {
            // An existing cycle above us (should not happen); stop walking.
            break;
        }
        current = supervisor_of(id)?;
    }
    Ok(())
}

/// Whether a staff member's employment has ended on `today`: the end date is
/// their last working day.
pub fn employment_ended(end_date: Option<NaiveDate>, today: NaiveDate) -> bool {
    end_date.is_some_and(|end| end < today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn new_staff() -> NewStaff {
        NewStaff {
            full_name: " Dr  Asha   Verma ".into(),
            employee_id: "E1001".into(),
            email: " asha.verma@aiims.example.org ".into(),
            mobile: "+91 98100 00001".into(),
            email2: Some("".into()),
            email3: None,
            mobile2: None,
            mobile3: None,
            office_address: None,
            department_id: DepartmentId(1),
            unit_id: Some(UnitId(2)),
            designation_id: DesignationId(3),
            supervisor_id: None,
            end_date: None,
        }
    }

    #[test]
    fn a_new_staff_member_is_normalised() {
        let s = new_staff().validated().unwrap();
        assert_eq!(s.full_name, "Dr Asha Verma");
        assert_eq!(s.email, "asha.verma@aiims.example.org");
        assert_eq!(s.mobile, "+919810000001");
        assert_eq!(s.email2, None);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let s = NewStaff {
            full_name: "x".repeat(FULL_NAME_MAX + 1),
            email: "not-an-email".into(),
            mobile: "call me".into(),
            email3: Some("also bad".into()),
            department_id: DepartmentId(0),
            ..new_staff()
        };
        let err = s.validated().unwrap_err();
        let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["full_name", "email", "mobile", "email3", "department_id"]
        );
    }

    #[test]
    fn a_patch_cannot_clear_required_fields() {
        let p: StaffPatch =
            serde_json::from_str(r#"{"email":null,"mobile":null,"end_date":null}"#).unwrap();
        let err = p.validated().unwrap_err();
        assert_eq!(err.errors().len(), 2);
        let p: StaffPatch = serde_json::from_str(r#"{"unit_id":null,"end_date":null}"#).unwrap();
        let p = p.validated().unwrap();
        assert_eq!(p.unit_id, Patch::Clear);
        assert_eq!(p.end_date, Patch::Clear);
    }

    #[test]
    fn unit_must_belong_to_the_department() {
        assert!(check_unit_department(UnitId(1), DepartmentId(1), DepartmentId(1)).is_ok());
        let err = check_unit_department(UnitId(1), DepartmentId(2), DepartmentId(1)).unwrap_err();
        assert_eq!(err.errors()[0].field, "unit_id");
    }

    #[test]
    fn supervisor_cycles_are_refused() {
        // 3 reports to 2, 2 reports to 1.
        let chain: HashMap<StaffId, StaffId> =
            [(StaffId(3), StaffId(2)), (StaffId(2), StaffId(1))].into();
        let lookup = |id: StaffId| Ok(chain.get(&id).copied());
        // Self-supervision.
        assert!(check_supervisor(Some(StaffId(1)), StaffId(1), lookup).is_err());
        // 1 under 3 closes the loop 1 -> 3 -> 2 -> 1.
        assert!(check_supervisor(Some(StaffId(1)), StaffId(3), lookup).is_err());
        // 3 under 1 is fine.
        assert!(check_supervisor(Some(StaffId(3)), StaffId(1), lookup).is_ok());
        // A new member can report to anyone.
        assert!(check_supervisor(None, StaffId(3), lookup).is_ok());
    }

    #[test]
    fn employment_ends_the_day_after_the_end_date() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(!employment_ended(None, day(27)));
        assert!(!employment_ended(Some(day(27)), day(27)));
        assert!(employment_ended(Some(day(26)), day(27)));
    }
}
