//! The lists' query parameters as structs: a filter the server does not
//! know cannot be written, and `None` leaves a parameter out.

use crate::Page;
use directory_domain::{
    Account, Building, Cadre, CadreId, Department, DepartmentId, DepartmentKind, Designation,
    DesignationId, Floor, OperatingTheatre, Role, RoleId, Staff, StaffId, UnitId,
};
use directory_domain::{BuildingId, FloorId, Unit};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A query of a top-level list: where it is and what it lists, and how to
/// move it on to the next page.
pub trait ListQuery: Serialize + Clone {
    /// What the list holds.
    type Item: DeserializeOwned;
    /// The list's path below the server's base URL.
    const PATH: &'static str;

    /// Moves the query on past `page`; false when that was the last page.
    fn advance(&mut self, page: &Page<Self::Item>) -> bool;
}

/// Paging by offset: the next page starts where this one ended.
fn advance_by_offset<T>(offset: &mut Option<i64>, page: &Page<T>) -> bool {
    let next = page.offset + page.items.len() as i64;
    *offset = Some(next);
    !page.items.is_empty() && next < page.total
}

/// A query struct: the paging every list takes, then its own filters.
macro_rules! query_struct {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct $name {
            /// Page size, 1 to 200; the server's default (50) when `None`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub limit: Option<i64>,
            /// Rows to skip.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub offset: Option<i64>,
            /// A field to sort by, `-` before it for descending (the
            /// operation's description in the API lists the fields).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub sort: Option<String>,
            $(
                $(#[$field_meta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}

/// Query structs of lists paged by offset.
macro_rules! queries {
    ($(
        $(#[$meta:meta])*
        $name:ident => $item:ty, $path:literal { $($fields:tt)* }
    )*) => {$(
        query_struct! { $(#[$meta])* $name { $($fields)* } }

        impl ListQuery for $name {
            type Item = $item;
            const PATH: &'static str = $path;

            fn advance(&mut self, page: &Page<$item>) -> bool {
                advance_by_offset(&mut self.offset, page)
            }
        }
    )*};
}

queries! {
    /// `listDepartments`.
    DepartmentQuery => Department, "api/v1/departments" {
        /// Only departments of this kind.
        kind: DepartmentKind,
        /// Only active (`true`) or inactive (`false`) departments.
        active: bool,
        /// A case-insensitive search in name and abbreviation.
        q: String,
    }
    /// `listUnits`.
    UnitQuery => Unit, "api/v1/units" {
        /// Only units of this department.
        department_id: DepartmentId,
        /// A case-insensitive search in name and abbreviation.
        q: String,
    }
    /// `listCadres`.
    CadreQuery => Cadre, "api/v1/cadres" {
        /// A case-insensitive search in the name.
        q: String,
    }
    /// `listDesignations`.
    DesignationQuery => Designation, "api/v1/designations" {
        /// Only designations in this cadre.
        cadre_id: CadreId,
        /// A case-insensitive search in name and abbreviation.
        q: String,
    }
    /// `listRoles`.
    RoleQuery => Role, "api/v1/roles" {
        /// A case-insensitive search in the name.
        q: String,
    }
    /// `listAccounts`.
    AccountQuery => Account, "api/v1/accounts" {
        /// Only the account of this staff member.
        staff_id: StaffId,
        /// Only accounts that have this role.
        role_id: RoleId,
        /// Only active (`true`) or inactive (`false`) accounts.
        active: bool,
        /// A case-insensitive search in the username.
        q: String,
    }
    /// `listBuildings`.
    BuildingQuery => Building, "api/v1/buildings" {
        /// A case-insensitive search in name and abbreviation.
        q: String,
    }
    /// `listFloors`.
    FloorQuery => Floor, "api/v1/floors" {
        /// Only floors of this building.
        building_id: BuildingId,
    }
    /// `listOperatingTheatres`.
    OperatingTheatreQuery => OperatingTheatre, "api/v1/operating-theatres" {
        /// Only operating theatres on this floor.
        floor_id: FloorId,
    }
}

query_struct! {
    /// `listStaff`: filters combine with AND.
    StaffQuery {
        /// Only staff with a greater id: keyset paging in the default order.
        after: StaffId,
        /// Only staff members of this department.
        department_id: DepartmentId,
        /// Only staff members of this unit.
        unit_id: UnitId,
        /// Only staff members with this designation.
        designation_id: DesignationId,
        /// Only staff members whose designation is in this cadre.
        cadre_id: CadreId,
        /// Only active (`true`) or inactive (`false`) staff members.
        active: bool,
        /// A case-insensitive search in name, email and employee id.
        q: String,
    }
}

impl ListQuery for StaffQuery {
    type Item = Staff;
    const PATH: &'static str = "api/v1/staff";

    /// In the default order by keyset (`after` the page's last id), which
    /// costs the same at any depth and is stable under inserts; sorted or
    /// offset queries by offset.
    fn advance(&mut self, page: &Page<Staff>) -> bool {
        if self.sort.is_some() || self.offset.is_some() {
            return advance_by_offset(&mut self.offset, page);
        }
        let Some(last) = page.items.last() else {
            return false;
        };
        self.after = Some(last.id);
        page.items.len() as i64 >= page.limit
    }
}

query_struct! {
    /// The paging of a list below one record (a department's units, a
    /// floor's theatres).
    PageQuery {}
}
