//! The columns of an import file and of an export.

/// A column of the staff file, by its header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    EmployeeId,
    FullName,
    Email,
    Mobile,
    Department,
    Unit,
    Designation,
    Cadre,
    SupervisorEmployeeId,
    EndDate,
    OfficeAddress,
    Email2,
    Email3,
    Mobile2,
    Mobile3,
}

impl Column {
    /// Every column, in the order the export and the template write them.
    pub const ALL: [Column; 15] = [
        Column::EmployeeId,
        Column::FullName,
        Column::Email,
        Column::Mobile,
        Column::Department,
        Column::Unit,
        Column::Designation,
        Column::Cadre,
        Column::SupervisorEmployeeId,
        Column::EndDate,
        Column::OfficeAddress,
        Column::Email2,
        Column::Email3,
        Column::Mobile2,
        Column::Mobile3,
    ];

    /// The header name.
    pub fn name(self) -> &'static str {
        match self {
            Column::EmployeeId => "employee_id",
            Column::FullName => "full_name",
            Column::Email => "email",
            Column::Mobile => "mobile",
            Column::Department => "department",
            Column::Unit => "unit",
            Column::Designation => "designation",
            Column::Cadre => "cadre",
            Column::SupervisorEmployeeId => "supervisor_employee_id",
            Column::EndDate => "end_date",
            Column::OfficeAddress => "office_address",
            Column::Email2 => "email2",
            Column::Email3 => "email3",
            Column::Mobile2 => "mobile2",
            Column::Mobile3 => "mobile3",
        }
    }

    /// Required as for `POST /staff`: a file without the column is refused,
    /// a row with the cell empty is a bad cell.
    pub fn required(self) -> bool {
        matches!(
            self,
            Column::EmployeeId
                | Column::FullName
                | Column::Email
                | Column::Mobile
                | Column::Department
                | Column::Designation
        )
    }

    /// Its position in [`Column::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The column a header cell names: ignoring case, surrounding space,
    /// and spaces or dashes in place of underscores (`Employee ID`).
    pub fn from_header(header: &str) -> Option<Column> {
        let name: String = header
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The field of `NewStaff` a validation error names for this column.
    pub(crate) fn from_field(field: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_ignoring_case_spaces_and_dashes() {
        assert_eq!(
            Column::from_header(" Employee ID "),
            Some(Column::EmployeeId)
        );
        assert_eq!(
            Column::from_header("supervisor-employee-id"),
            Some(Column::SupervisorEmployeeId)
        );
        assert_eq!(Column::from_header("EMAIL2"), Some(Column::Email2));
        assert_eq!(Column::from_header("phone"), None);
    }

    #[test]
    fn all_is_in_index_order() {
        for (i, c) in Column::ALL.into_iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }
}
