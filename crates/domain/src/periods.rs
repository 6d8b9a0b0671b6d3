//! Dated assignments: a department's or a unit's heads and the departments
//! a staff member also works in, each in force over a period of days. Days
//! are the hospital's (its `timezone`); an end date is the last day in
//! force, as a staff member's is.

use crate::{DepartmentId, DomainError, StaffId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The days an assignment is in force: from `start_date` to `end_date`,
/// both included; no end date, open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Period {
    /// The first day in force.
    pub start_date: NaiveDate,
    /// The last day in force; null while open.
    pub end_date: Option<NaiveDate>,
}

impl Period {
    /// Whether it is in force on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.start_date <= day && self.end_date.is_none_or(|end| end >= day)
    }

    /// Whether the two share a day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.start_date <= other.end_date.unwrap_or(NaiveDate::MAX)
            && other.start_date <= self.end_date.unwrap_or(NaiveDate::MAX)
    }
}

/// The body of a PUT that assigns: both dates may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct PeriodRequest {
    /// The first day in force; today (the hospital's) if left out.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// The last day in force; open if left out.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
}

impl PeriodRequest {
    /// The period asked for, starting `today` unless a start is given; an
    /// end before the start is refused.
    pub fn validated(self, today: NaiveDate) -> Result<Period, DomainError> {
        let start_date = self.start_date.unwrap_or(today);
        if let Some(end) = self.end_date
            && end < start_date
        {
            return Err(DomainError::field(
                "end_date",
                format!("must not be before start_date ({start_date})"),
            ));
        }
        Ok(Period {
            start_date,
            end_date: self.end_date,
        })
    }
}

/// Which assignments a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InForce {
    /// Those in force on this day.
    On(NaiveDate),
    /// Every one, past, present and future.
    Ever,
}

/// A head of a department or a unit, over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Headship {
    /// The head's staff id.
    pub staff_id: StaffId,
    /// Their full name.
    pub full_name: String,
    /// Their designation's name.
    pub designation_name: String,
    /// The first day in force.
    pub start_date: NaiveDate,
    /// The last day in force; null while open.
    pub end_date: Option<NaiveDate>,
}

/// A department a staff member also works in, over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct WorksIn {
    /// The department's id.
    pub department_id: DepartmentId,
    /// The department's name.
    pub department_name: String,
    /// The first day in force.
    pub start_date: NaiveDate,
    /// The last day in force; null while open.
    pub end_date: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    #[test]
    fn the_end_date_is_the_last_day_in_force() {
        let period = Period {
            start_date: day(2),
            end_date: Some(day(5)),
        };
        assert!(!period.in_force_on(day(1)));
        assert!(period.in_force_on(day(2)));
        assert!(period.in_force_on(day(5)));
        assert!(!period.in_force_on(day(6)));
        let open = Period {
            start_date: day(2),
            end_date: None,
        };
        assert!(open.in_force_on(day(31)));
    }

    #[test]
    fn periods_that_share_a_day_overlap() {
        let march_2_to_5 = Period {
            start_date: day(2),
            end_date: Some(day(5)),
        };
        let from = |d, end: Option<u32>| Period {
            start_date: day(d),
            end_date: end.map(day),
        };
        assert!(march_2_to_5.overlaps(&from(5, Some(9))));
        assert!(march_2_to_5.overlaps(&from(1, None)));
        assert!(!march_2_to_5.overlaps(&from(6, None)));
        assert!(!from(6, None).overlaps(&march_2_to_5));
        assert!(from(6, None).overlaps(&from(20, None)));
    }

    #[test]
    fn a_request_starts_today_and_may_not_end_before_it_starts() {
        let today = day(10);
        let asked = PeriodRequest::default().validated(today).unwrap();
        assert_eq!((asked.start_date, asked.end_date), (today, None));
        let err = PeriodRequest {
            start_date: None,
            end_date: Some(day(9)),
        }
        .validated(today)
        .unwrap_err();
        assert_eq!(err.errors()[0].field, "end_date");
        let same_day = PeriodRequest {
            start_date: Some(day(9)),
            end_date: Some(day(9)),
        };
        assert!(same_day.validated(today).is_ok());
    }
}
