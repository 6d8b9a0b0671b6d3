//! The CSV export: the import's columns, written a page at a time, with
//! cells a spreadsheet would run as formulas made inert.

use crate::Column;
use directory_domain::Staff;

/// The characters that make a spreadsheet read a cell as a formula (OWASP,
/// "CSV injection").
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` is a phone number as the directory stores it (`+` and
/// digits): a spreadsheet reads it as a number, not a formula, and a
/// guard would make every international number look odd.
fn plain_phone(text: &str) -> bool {
    text.strip_prefix('+')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether [`unguard`] would take a leading `'` off `text`: it is the
/// guard when a trigger (or another `'`) follows it.
fn guarded(text: &str) -> bool {
    text.strip_prefix('\'')
        .is_some_and(|rest| rest.starts_with(TRIGGERS) || rest.starts_with('\''))
}

/// `text` as an exported cell: with a leading `'` if a spreadsheet would
/// run it as a formula, or if it starts like a guarded cell already (so
/// that [`unguard`] gives back exactly `text`).
pub fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    if (text.starts_with(TRIGGERS) && !plain_phone(text)) || guarded(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A cell as imported: the export's guard taken off, once.
pub fn unguard(text: &str) -> &str {
    if guarded(text) { &text[1..] } else { text }
}

/// A small file the API documents as its example body, and accepts as
/// it is on a freshly seeded directory.
pub const EXAMPLE: &str = "employee_id,full_name,email,mobile,department,unit,designation,cadre,supervisor_employee_id,end_date,office_address\r\n\
E1001,Dr Meera Iyer,meera.iyer@hospital.example.org,+91 98100 00101,RPC,U-1,Prof,Faculty,,,\"Block A, Room 4\"\r\n\
E1002,Vikram Sen,vikram.sen@hospital.example.org,9810000102,Anaesthesiology,,Senior Resident,Residents,E1001,2027-03-31,\r\n";

/// The header row, as the template gives it.
pub fn template() -> String {
    let mut line = Column::ALL.map(Column::name).join(",");
    line.push_str("\r\n");
    line
}

/// Staff members' rows in the import's columns; `supervisor` is their
/// supervisor's employee id.
pub struct Rows {
    writer: csv::Writer<Vec<u8>>,
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(64 * 1024))
}

impl Default for Rows {
    fn default() -> Self {
        Self::new()
    }
}

impl Rows {
    /// A writer whose first rows are the header.
    pub fn new() -> Self {
        let mut rows = Self { writer: writer() };
        rows.write_record(Column::ALL.map(Column::name).map(Into::into));
        rows
    }

    /// Adds one staff member.
    pub fn push(&mut self, staff: &Staff, supervisor: Option<&str>) {
        let end_date = staff.end_date.map(|d| d.to_string());
        let cells: [&str; 15] = Column::ALL.map(|column| match column {
            Column::EmployeeId => staff.employee_id.as_str(),
            Column::FullName => &staff.full_name,
            Column::Email => &staff.email,
            Column::Mobile => &staff.mobile,
            Column::Department => &staff.department_name,
            Column::Unit => staff.unit_name.as_deref().unwrap_or(""),
            Column::Designation => &staff.designation_name,
            Column::Cadre => &staff.cadre_name,
            Column::SupervisorEmployeeId => supervisor.unwrap_or(""),
            Column::EndDate => end_date.as_deref().unwrap_or(""),
            Column::OfficeAddress => staff.office_address.as_deref().unwrap_or(""),
            Column::Email2 => staff.email2.as_deref().unwrap_or(""),
            Column::Email3 => staff.email3.as_deref().unwrap_or(""),
            Column::Mobile2 => staff.mobile2.as_deref().unwrap_or(""),
            Column::Mobile3 => staff.mobile3.as_deref().unwrap_or(""),
        });
        self.write_record(cells.map(guard));
    }

    fn write_record(&mut self, cells: [std::borrow::Cow<'_, str>; 15]) {
        // Writing to a Vec cannot fail.
        let _ = self.writer.write_record(cells.iter().map(|c| c.as_bytes()));
    }

    /// The bytes written since the last take.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.writer, writer())
            .into_inner()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_guarded_and_phone_numbers_are_not() {
        assert_eq!(guard("=1+2"), "'=1+2");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("-2"), "'-2");
        assert_eq!(guard("+1-2"), "'+1-2");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("+919876543210"), "+919876543210");
        assert_eq!(guard("Asha"), "Asha");
        assert_eq!(guard("'Tis"), "'Tis");
    }

    #[test]
    fn guard_then_unguard_is_the_identity() {
        for text in [
            "=1", "'=1", "''", "'", "'a", "+", "+91", "-", "plain", "''=x", "@", "\rx",
        ] {
            assert_eq!(unguard(&guard(text)), text, "{text:?}");
        }
    }

    #[test]
    fn the_template_is_the_header() {
        assert!(template().starts_with("employee_id,full_name,email,mobile,department,unit,"));
        assert!(template().ends_with("mobile3\r\n"));
    }
}
