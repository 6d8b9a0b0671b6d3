//! Paging and sorting shared by every list query.

use directory_domain::DomainError;
use std::str::FromStr;

/// One page of a list: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 200;

    /// Refuses out-of-range values instead of clamping them silently.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, DomainError> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(DomainError::field(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        if offset < 0 {
            return Err(DomainError::field("offset", "must not be negative"));
        }
        Ok(Self { limit, offset })
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// A list's rows and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> Paged<T> {
    /// The same page with each item turned into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }

    /// The same page with the items turned into others all at once (which
    /// may load what they need in one query) or an error.
    pub fn try_map_all<U, E>(
        self,
        f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>,
    ) -> Result<Paged<U>, E> {
        Ok(Paged {
            items: f(self.items)?,
            total: self.total,
        })
    }
}

/// `name` sorts ascending, `-name` descending; `F` is a resource's own list
/// of sortable fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

/// The fields a resource can be sorted by, with their API names.
pub trait SortField: Copy + Sized + 'static {
    const ALL: &'static [(Self, &'static str)];
}

impl<F: SortField> FromStr for Sort<F> {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        F::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(field, _)| Sort {
                field: *field,
                descending,
            })
            .ok_or_else(|| {
                let names: Vec<_> = F::ALL.iter().map(|(_, n)| *n).collect();
                DomainError::field(
                    "sort",
                    format!("unknown field {name:?}; use one of {}", names.join(", ")),
                )
            })
    }
}

/// Declares a resource's sort fields.
macro_rules! sort_fields {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $api:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),* }

        impl $crate::query::SortField for $name {
            const ALL: &'static [(Self, &'static str)] = &[$((Self::$variant, $api)),*];
        }
    };
}
pub(crate) use sort_fields;

/// Applies a `Sort` to a boxed query: `order_by` the chosen column, then by
/// id so pages are stable.
macro_rules! apply_sort {
    ($query:expr, $sort:expr, $id:expr, { $($variant:path => $column:expr),* $(,)? }) => {{
        let query = $query;
        let query = match $sort {
            $(
                Some($crate::Sort { field: $variant, descending: false }) => query.order_by($column.asc()),
                Some($crate::Sort { field: $variant, descending: true }) => query.order_by($column.desc()),
            )*
            None => query.order_by($id.asc()),
        };
        query.then_order_by($id.asc())
    }};
}
pub(crate) use apply_sort;

/// The one way a list is read: the rows `$query` finds are counted, and one
/// page of them is loaded as `$row`s, sorted as `apply_sort!` sorts.
/// `$query` builds the filtered, boxed query; it is built twice, once for
/// the count and once for the page.
macro_rules! page_of {
    ($conn:expr, $row:ty, $query:expr, $page:expr, $sort:expr, $id:expr,
     { $($variant:path => $column:expr),* $(,)? }) => {{
        let page: $crate::Page = $page;
        let total: i64 = $query.count().get_result($conn)?;
        let rows: Vec<$row> =
            $crate::query::apply_sort!($query, $sort, $id, { $($variant => $column),* })
                .select(<$row>::as_select())
                .limit(page.limit)
                .offset(page.offset)
                .load($conn)?;
        $crate::Paged { items: rows, total }
    }};
}
pub(crate) use page_of;

#[cfg(test)]
mod tests {
    use super::*;

    sort_fields!(TestSort { Name => "name", CreatedAt => "created_at" });

    #[test]
    fn sorts_parse_with_direction() {
        let s: Sort<TestSort> = "-created_at".parse().unwrap();
        assert_eq!(s.field, TestSort::CreatedAt);
        assert!(s.descending);
        let s: Sort<TestSort> = "name".parse().unwrap();
        assert!(!s.descending);
        let err = "colour".parse::<Sort<TestSort>>().unwrap_err();
        assert!(err.to_string().contains("name, created_at"), "{err}");
    }

    #[test]
    fn pages_are_bounded_not_clamped() {
        assert_eq!(Page::new(None, None).unwrap(), Page::default());
        assert!(Page::new(Some(201), None).is_err());
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(Some(10), Some(-1)).is_err());
        assert_eq!(Page::new(Some(200), Some(400)).unwrap().limit, 200);
    }
}

/// SQL written by hand, with bound values, that diesel may keep prepared.
///
/// diesel's `sql()` literal marks every query it appears in as unsafe to
/// cache (its text could change from call to call), so SQLite parsed and
/// planned such a query on every request: 12% of the CPU of a page of staff
/// went to `sqlite3_prepare`. Here the text is `'static` pieces between the
/// binds, the same on every call, so the statement cache keys on it.
#[derive(Debug, Clone)]
pub(crate) struct Fixed<ST> {
    pieces: Vec<Piece>,
    sql_type: std::marker::PhantomData<ST>,
}

#[derive(Debug, Clone)]
enum Piece {
    Sql(&'static str),
    Text(String),
    BigInt(i64),
}

/// A [`Fixed`] fragment of SQL type `ST` starting with `sql`.
pub(crate) fn fixed<ST>(sql: &'static str) -> Fixed<ST> {
    Fixed {
        pieces: vec![Piece::Sql(sql)],
        sql_type: std::marker::PhantomData,
    }
}

impl<ST> Fixed<ST> {
    pub(crate) fn sql(mut self, sql: &'static str) -> Self {
        self.pieces.push(Piece::Sql(sql));
        self
    }

    pub(crate) fn text(mut self, value: String) -> Self {
        self.pieces.push(Piece::Text(value));
        self
    }

    pub(crate) fn big_int(mut self, value: i64) -> Self {
        self.pieces.push(Piece::BigInt(value));
        self
    }
}

mod fixed_impls {
    use super::{Fixed, Piece};
    use diesel::backend::Backend;
    use diesel::expression::{
        AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
        is_aggregate,
    };
    use diesel::query_builder::{AstPass, QueryFragment, QueryId};
    use diesel::serialize::ToSql;
    use diesel::sql_types::{BigInt, HasSqlType, Text};

    impl<ST: TypedExpressionType> Expression for Fixed<ST> {
        type SqlType = ST;
    }

    impl<ST, QS> AppearsOnTable<QS> for Fixed<ST> where Self: Expression {}

    impl<ST, QS> SelectableExpression<QS> for Fixed<ST> where Self: AppearsOnTable<QS> {}

    impl<ST, GB> ValidGrouping<GB> for Fixed<ST> {
        type IsAggregate = is_aggregate::Never;
    }

    impl<ST> QueryId for Fixed<ST> {
        type QueryId = ();
        // Not a type-level id: the cache keys on the SQL text instead.
        const HAS_STATIC_QUERY_ID: bool = false;
    }

    impl<ST, DB> QueryFragment<DB> for Fixed<ST>
    where
        DB: Backend + HasSqlType<Text> + HasSqlType<BigInt>,
        String: ToSql<Text, DB>,
        i64: ToSql<BigInt, DB>,
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
            for piece in &self.pieces {
                match piece {
                    Piece::Sql(sql) => out.push_sql(sql),
                    Piece::Text(value) => out.push_bind_param::<Text, String>(value)?,
                    Piece::BigInt(value) => out.push_bind_param::<BigInt, i64>(value)?,
                }
            }
            Ok(())
        }
    }
}
