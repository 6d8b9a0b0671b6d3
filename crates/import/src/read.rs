//! Reading a CSV or XLSX file into rows of cells by column.

use crate::export::unguard;
use crate::{CellError, Column, ImportError};
use calamine::{Data, Reader, Xlsx};

/// The two kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 text, RFC 4180 quoting; a BOM and CRLF line ends are fine.
    Csv,
    /// An Excel workbook; its first sheet is read.
    Xlsx,
}

impl Format {
    /// The media type of each format.
    pub const CSV_TYPE: &'static str = "text/csv";
    pub const XLSX_TYPE: &'static str =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// The format a file name's extension says, for the command line.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// One data row: its number as a spreadsheet shows it, and its cells by
/// column. The cells' text is one string, each column's the span up to
/// its end: a 100,000-row file takes a third of the memory of a string
/// per cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u32,
    text: Box<str>,
    ends: [u32; 15],
}

impl Row {
    /// The cell of `column`: `None` when empty, or the file lacks it.
    pub fn get(&self, column: Column) -> Option<&str> {
        let i = column.index();
        let start = if i == 0 { 0 } else { self.ends[i - 1] } as usize;
        let end = self.ends[i] as usize;
        (end > start).then(|| &self.text[start..end])
    }

    fn new(number: u32, cells: &[Option<std::borrow::Cow<'_, str>>; 15]) -> Self {
        let mut text = String::with_capacity(cells.iter().flatten().map(|c| c.len()).sum());
        let mut ends = [0u32; 15];
        for (end, cell) in ends.iter_mut().zip(cells) {
            if let Some(cell) = cell {
                text.push_str(cell);
            }
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Self {
            number,
            text: text.into_boxed_str(),
            ends,
        }
    }
}

/// A file read: which columns it has, its data rows, and the cells that
/// could not be read at all (an Excel error value, a cell under no header).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    present: [bool; 15],
    pub rows: Vec<Row>,
    pub(crate) unreadable: Vec<CellError>,
}

impl Sheet {
    /// Whether the file has this column (an optional column left out is
    /// left as it is on existing staff).
    pub fn has(&self, column: Column) -> bool {
        self.present[column.index()]
    }
}

/// Reads `bytes` as `format`: the header row, then every non-blank row.
/// A file that is not what it claims, or whose header is wrong, is an
/// error naming the problem; bad cells are left for [`crate::import`].
pub fn read(bytes: &[u8], format: Format) -> Result<Sheet, ImportError> {
    match format {
        Format::Csv => read_csv(bytes),
        Format::Xlsx => read_xlsx(bytes),
    }
}

/// What the header row says: each position's column (`None`: no name).
struct Header {
    columns: Vec<Option<Column>>,
    present: [bool; 15],
}

fn header<'a>(cells: impl Iterator<Item = &'a str>) -> Result<Header, ImportError> {
    let mut columns = Vec::new();
    let mut present = [false; 15];
    let (mut unknown, mut repeated) = (Vec::new(), Vec::new());
    for cell in cells {
        let name = unguard(cell.trim());
        if name.is_empty() {
            columns.push(None);
            continue;
        }
        match Column::from_header(name) {
            Some(column) if present[column.index()] => {
                repeated.push(column.name().to_owned());
                columns.push(None);
            }
            Some(column) => {
                present[column.index()] = true;
                columns.push(Some(column));
            }
            None => {
                unknown.push(name.to_owned());
                columns.push(None);
            }
        }
    }
    if columns.iter().all(Option::is_none) && unknown.is_empty() {
        return Err(ImportError::File(
            "the first row must name the columns (download GET /api/v1/staff/import-template.csv)"
                .into(),
        ));
    }
    let missing: Vec<&'static str> = Column::ALL
        .into_iter()
        .filter(|c| c.required() && !present[c.index()])
        .map(Column::name)
        .collect();
    if !unknown.is_empty() || !missing.is_empty() || !repeated.is_empty() {
        return Err(ImportError::Columns {
            unknown,
            missing,
            repeated,
        });
    }
    Ok(Header { columns, present })
}

impl Header {
    /// One data row from its cells, or `None` if every cell is blank.
    fn row<'a>(
        &self,
        number: u32,
        cells: impl Iterator<Item = Cell<'a>>,
        unreadable: &mut Vec<CellError>,
    ) -> Option<Row> {
        let mut row: [Option<std::borrow::Cow<'a, str>>; 15] = Default::default();
        let mut blank = true;
        for (position, cell) in cells.enumerate() {
            let text = match cell {
                Cell::Text(text) => text,
                Cell::Error(message) => {
                    blank = false;
                    if let Some(Some(column)) = self.columns.get(position) {
                        unreadable.push(CellError {
                            row: number,
                            column: column.name().into(),
                            message,
                        });
                    }
                    continue;
                }
            };
            let Some(value) = clean(text) else { continue };
            blank = false;
            match self.columns.get(position) {
                Some(Some(column)) => row[column.index()] = Some(value),
                _ => unreadable.push(CellError {
                    row: number,
                    column: format!("column {}", position + 1),
                    message: "a value under no column name: name the column in the first row, or clear it".into(),
                }),
            }
        }
        (!blank).then(|| Row::new(number, &row))
    }
}

/// A cell as read: text, or a value that cannot be imported.
#[derive(Clone)]
enum Cell<'a> {
    Text(std::borrow::Cow<'a, str>),
    Error(String),
}

/// A cell's value: surrounding space trimmed (a multi-line address keeps
/// its inner lines), the export's formula guard taken off, blank as none.
fn clean(text: std::borrow::Cow<'_, str>) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let trimmed = unguard(text.trim());
    if trimmed.is_empty() {
        return None;
    }
    Some(match text {
        Cow::Borrowed(text) => Cow::Borrowed(unguard(text.trim())),
        Cow::Owned(text) => Cow::Owned(unguard(text.trim()).to_owned()),
    })
}

fn read_csv(bytes: &[u8]) -> Result<Sheet, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // A workbook sent as CSV (a client with one media type for every
    // upload) is still a workbook: no CSV starts with a zip's signature.
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        return Err(ImportError::File(format!(
            "the file is not UTF-8 text (line {line} is not): save it as \"CSV UTF-8\""
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.records();
    let first = match records.next() {
        None => {
            return Err(ImportError::File(
                "the file is empty: the first row must name the columns".into(),
            ));
        }
        Some(first) => first.map_err(csv_error)?,
    };
    let header = header(first.iter())?;
    let mut sheet = Sheet {
        present: header.present,
        ..Sheet::default()
    };
    for (i, record) in records.enumerate() {
        let record = record.map_err(csv_error)?;
        let number = u32::try_from(i + 2).unwrap_or(u32::MAX);
        let cells = record
            .iter()
            .map(|c| Cell::Text(std::borrow::Cow::Borrowed(c)));
        if let Some(row) = header.row(number, cells, &mut sheet.unreadable) {
            sheet.rows.push(row);
        }
    }
    Ok(sheet)
}

fn csv_error(error: csv::Error) -> ImportError {
    let at = error
        .position()
        .map(|p| format!(" (line {})", p.line()))
        .unwrap_or_default();
    ImportError::File(format!("the file is not readable as CSV{at}: {error}"))
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet, ImportError> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| {
            ImportError::File(format!("the file is not an Excel workbook (.xlsx): {e}"))
        })?;
    let range = match workbook.worksheet_range_at(0) {
        None => return Err(ImportError::File("the workbook has no sheet".into())),
        Some(range) => range.map_err(|e| {
            ImportError::File(format!("the workbook's first sheet is not readable: {e}"))
        })?,
    };
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let Some(head) = rows.next() else {
        return Err(ImportError::File(
            "the first sheet is empty: its first row must name the columns".into(),
        ));
    };
    // Cells left of the sheet's first used column are blank: pad so that
    // positions match a CSV of the same sheet.
    let pad = usize::try_from(first_column).unwrap_or(0);
    let head: Vec<String> = std::iter::repeat_n(String::new(), pad)
        .chain(head.iter().map(|c| text_of(c).unwrap_or_default()))
        .collect();
    let header = header(head.iter().map(String::as_str))?;
    let mut sheet = Sheet {
        present: header.present,
        ..Sheet::default()
    };
    for (i, cells) in rows.enumerate() {
        let number = first_row.saturating_add(u32::try_from(i + 2).unwrap_or(u32::MAX));
        let cells =
            std::iter::repeat_n(Cell::Text("".into()), pad).chain(cells.iter().map(
                |c| match text_of(c) {
                    Ok(text) => Cell::Text(text.into()),
                    Err(message) => Cell::Error(message),
                },
            ));
        if let Some(row) = header.row(number, cells, &mut sheet.unreadable) {
            sheet.rows.push(row);
        }
    }
    Ok(sheet)
}

/// A workbook cell as the text a CSV of it would hold: whole numbers
/// without `.0` (a phone number or employee id typed as a number), dates
/// as `YYYY-MM-DD` (with the time only if it has one).
fn text_of(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.date().to_string(),
            Some(at) => at.to_string(),
            None => return Err("not a date Excel can give".into()),
        },
        Data::Error(e) => return Err(format!("the cell holds the Excel error {e}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(sheet: &Sheet, row: usize, column: Column) -> Option<&str> {
        sheet.rows[row].get(column)
    }

    const HEAD: &str = "employee_id,full_name,email,mobile,department,designation";

    #[test]
    fn csv_with_bom_crlf_and_quoted_commas_quotes_and_newlines() {
        let text = format!(
            "\u{feff}{HEAD},office_address\r\nE1,\"Rao, Asha \"\"Dr\"\"\",a@x.org,98765 43210,RPC,SR,\"Block A\r\nRoom 4\"\r\n"
        );
        let sheet = read(text.as_bytes(), Format::Csv).unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(cell(&sheet, 0, Column::FullName), Some("Rao, Asha \"Dr\""));
        assert_eq!(
            cell(&sheet, 0, Column::OfficeAddress),
            Some("Block A\r\nRoom 4")
        );
        assert_eq!(sheet.rows[0].number, 2);
        assert!(sheet.has(Column::OfficeAddress) && !sheet.has(Column::Unit));
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_numbers_them_and_blank_rows_skipped() {
        let text = format!(
            "{HEAD}\nE1,A,a@x.org,9876543210,RPC,SR\n,,,,,\nE2,\"B\nC\",b@x.org,9876543211,RPC,SR\nE3,D,d@x.org,9876543212,RPC,SR\n"
        );
        let sheet = read(text.as_bytes(), Format::Csv).unwrap();
        let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [2, 4, 5]);
    }

    #[test]
    fn the_formula_guard_comes_off() {
        let text = format!("{HEAD}\nE1,'=Rao,a@x.org,'+919876543210,RPC,'Tis\n");
        let sheet = read(text.as_bytes(), Format::Csv).unwrap();
        assert_eq!(cell(&sheet, 0, Column::FullName), Some("=Rao"));
        assert_eq!(cell(&sheet, 0, Column::Mobile), Some("+919876543210"));
        assert_eq!(cell(&sheet, 0, Column::Designation), Some("'Tis"));
    }

    #[test]
    fn not_utf8_names_the_line() {
        let mut bytes = format!("{HEAD}\nE1,").into_bytes();
        bytes.extend_from_slice(b"Ra\xE9,a@x.org,1,2,3\n");
        let Err(ImportError::File(message)) = read(&bytes, Format::Csv) else {
            panic!("latin-1 is refused")
        };
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn header_problems_name_the_columns() {
        let Err(ImportError::Columns {
            unknown,
            missing,
            repeated,
        }) = read(
            b"employee_id,full_name,phone,email,email,department\n",
            Format::Csv,
        )
        else {
            panic!("a bad header is refused")
        };
        assert_eq!(unknown, ["phone"]);
        assert_eq!(missing, ["mobile", "designation"]);
        assert_eq!(repeated, ["email"]);
    }

    #[test]
    fn empty_files_and_workbooks_posing_as_csv_are_refused() {
        assert!(matches!(read(b"", Format::Csv), Err(ImportError::File(_))));
        assert!(matches!(
            read(b"PK\x03\x04rest", Format::Csv),
            Err(ImportError::File(_))
        ));
        assert!(matches!(
            read(b"employee_id,full_name", Format::Xlsx),
            Err(ImportError::File(_))
        ));
    }

    #[test]
    fn a_value_under_no_header_is_a_bad_cell() {
        let text = format!("{HEAD}\nE1,A,a@x.org,9876543210,RPC,SR,stray\n");
        let sheet = read(text.as_bytes(), Format::Csv).unwrap();
        assert_eq!(sheet.unreadable.len(), 1);
        assert_eq!(sheet.unreadable[0].column, "column 7");
    }

    #[test]
    fn workbook_numbers_and_dates_read_as_text() {
        assert_eq!(text_of(&Data::Float(9876543210.0)).unwrap(), "9876543210");
        assert_eq!(text_of(&Data::Float(1.5)).unwrap(), "1.5");
        assert_eq!(text_of(&Data::Int(42)).unwrap(), "42");
        let date =
            calamine::ExcelDateTime::new(46112.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(text_of(&Data::DateTime(date)).unwrap(), "2026-03-31");
    }
}
