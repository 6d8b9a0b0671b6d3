//! Reading timestamps quickly on SQLite.
//!
//! SQLite stores a timestamp as text, and diesel reads it by trying up to 18
//! strftime-style formats in turn, each parsed from its format string on
//! every call: 8% of the CPU of a page of 100 staff (two per row). Every
//! timestamp this service writes has one shape, `YYYY-MM-DD HH:MM:SS[.f]`
//! (diesel's own encoding), which [`parse`] reads directly; anything else
//! (rows written by hand, other tools) still goes through diesel's parser.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel::sql_types::Timestamp;

/// A `Timestamp` column read into a `NaiveDateTime`; use it with
/// `#[diesel(deserialize_as = Stamp)]`.
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub(crate) struct Stamp(NaiveDateTime);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> Self {
        stamp.0
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1-9 fraction digits;
/// `None` for any other text.
pub(crate) fn parse(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 19
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b' '
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let value = number(20..bytes.len())?;
            value * 10u32.pow(9 - u32::try_from(digits.len()).ok()?)
        }
        _ => return None,
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)?.and_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        nanos,
    )
}

#[cfg(feature = "sqlite")]
impl FromSql<Timestamp, diesel::sqlite::Sqlite> for Stamp {
    fn from_sql(
        mut value: <diesel::sqlite::Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        if let Some(stamp) = parse(value.read_text()) {
            return Ok(Self(stamp));
        }
        <NaiveDateTime as FromSql<Timestamp, diesel::sqlite::Sqlite>>::from_sql(value).map(Self)
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Timestamp, diesel::pg::Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, diesel::pg::Pg>>::from_sql(value).map(Self)
    }
}

#[cfg(feature = "mysql")]
impl FromSql<Timestamp, diesel::mysql::Mysql> for Stamp {
    fn from_sql(value: diesel::mysql::MysqlValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, diesel::mysql::Mysql>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, crate::connection::MultiBackend> for Stamp {
    fn from_sql(
        value: <crate::connection::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_diesel_writes() {
        for text in [
            "2026-11-27 18:01:57.559704",
            "2026-11-27 18:01:57",
            "2026-11-27 18:01:57.5",
            "1999-01-31 00:00:00.000000001",
        ] {
            let expected = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(parse(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn leaves_other_shapes_to_diesel() {
        for text in [
            "2026-11-27T18:01:57",
            "2026-11-27 18:01",
            "2026-11-27 18:01:57.",
            "2026-11-27 18:01:57.1234567890",
            "2026-11-27 18:01:57+02:00",
            "2026-13-27 18:01:57",
            "2026-02-30 18:01:57",
            "2026-11-27 24:01:57",
            "20x6-11-27 18:01:57",
            "2459000.5",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
