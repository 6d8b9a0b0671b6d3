//! Operating theatres on a floor.

use crate::connection::MultiBackend;
use crate::floors::floor_row;
use crate::query::{page_of, sort_fields};
use crate::schema::operating_theatres;
use crate::versioned::{self, AuditColumns, Target, at_version, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, now};
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{
    FloorId, NewOperatingTheatre, OperatingTheatre, OperatingTheatreId, OperatingTheatrePatch,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = operating_theatres)]
struct TheatreRow {
    id: i32,
    floor_id: i32,
    name: String,
    abbr: Option<String>,
    table_count: i32,
    #[diesel(embed)]
    audit: AuditColumns<operating_theatres::table>,
}

impl From<TheatreRow> for OperatingTheatre {
    fn from(row: TheatreRow) -> Self {
        OperatingTheatre {
            id: OperatingTheatreId(row.id),
            floor_id: FloorId(row.floor_id),
            name: row.name,
            abbr: row.abbr,
            table_count: row.table_count,
            audit: row.audit.into(),
        }
    }
}

sort_fields!(
    /// How operating theatre lists may be ordered.
    TheatreSort { Name => "name", FloorId => "floor_id", TableCount => "table_count", CreatedAt => "created_at" }
);

#[derive(Debug, Clone, Default)]
pub struct TheatreFilter {
    pub floor_id: Option<FloorId>,
}

fn theatre_row(conn: &mut DbConnection, id: OperatingTheatreId) -> DbResult<TheatreRow> {
    operating_theatres::table
        .find(id.0)
        .select(TheatreRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("operating theatre", id))
}

pub fn get_theatre(conn: &mut DbConnection, id: OperatingTheatreId) -> DbResult<OperatingTheatre> {
    theatre_row(conn, id).map(OperatingTheatre::from)
}

pub fn create_theatre(
    conn: &mut DbConnection,
    new: &NewOperatingTheatre,
    actor: Actor,
) -> DbResult<OperatingTheatre> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    versioned::create(conn, actor, |conn| {
        crate::referenced(floor_row(conn, new.floor_id), "floor_id", || {
            format!("floor {} does not exist", new.floor_id)
        })?;
        diesel::insert_into(operating_theatres::table)
            .values((
                operating_theatres::floor_id.eq(new.floor_id.0),
                operating_theatres::name.eq(&new.name),
                operating_theatres::name_key.eq(&key),
                operating_theatres::abbr.eq(new.abbr.as_deref()),
                operating_theatres::table_count.eq(new.table_count),
                operating_theatres::created_at.eq(at),
                operating_theatres::created_by.eq(by),
                operating_theatres::updated_at.eq(at),
                operating_theatres::updated_by.eq(by),
                operating_theatres::version.eq(1),
            ))
            .execute(conn)?;
        Ok(operating_theatres::table
            .filter(operating_theatres::floor_id.eq(new.floor_id.0))
            .filter(operating_theatres::name_key.eq(&key))
            .select(TheatreRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_theatres(
    filter: &TheatreFilter,
) -> operating_theatres::BoxedQuery<'static, MultiBackend> {
    let mut query = operating_theatres::table.into_boxed();
    if let Some(floor) = filter.floor_id {
        query = query.filter(operating_theatres::floor_id.eq(floor.0));
    }
    query
}

pub fn list_theatres(
    conn: &mut DbConnection,
    filter: &TheatreFilter,
    sort: Option<Sort<TheatreSort>>,
    page: Page,
) -> DbResult<Paged<OperatingTheatre>> {
    let rows = page_of!(conn, TheatreRow, filtered_theatres(filter), page, sort, operating_theatres::id, {
        TheatreSort::Name => operating_theatres::name_key,
        TheatreSort::FloorId => operating_theatres::floor_id,
        TheatreSort::TableCount => operating_theatres::table_count,
        TheatreSort::CreatedAt => operating_theatres::created_at,
    });
    Ok(rows.map(OperatingTheatre::from))
}

pub fn update_theatre(
    conn: &mut DbConnection,
    id: OperatingTheatreId,
    expected_version: Option<i32>,
    patch: &OperatingTheatrePatch,
    actor: Actor,
) -> DbResult<OperatingTheatre> {
    let target = Target::new("operating theatre", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_theatre(c, id),
        |conn, before| {
            let name = patch.name.as_set();
            let abbr = patch.abbr.clone().into_nullable();
            let tables = patch.table_count.as_set();
            Ok(
                diesel::update(at_version!(operating_theatres, target, before))
                    .set((
                        name.map(|n| operating_theatres::name.eq(n.clone())),
                        name.map(|n| operating_theatres::name_key.eq(unique_key(n))),
                        abbr.map(|a| operating_theatres::abbr.eq(a)),
                        tables.map(|t| operating_theatres::table_count.eq(*t)),
                        touched!(operating_theatres, actor),
                    ))
                    .execute(conn)?,
            )
        },
    )
}

pub fn delete_theatre(
    conn: &mut DbConnection,
    id: OperatingTheatreId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("operating theatre", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_theatre(c, id),
        |conn, before| {
            Ok(diesel::delete(at_version!(operating_theatres, target, before)).execute(conn)?)
        },
    )
}

/// The theatre on this floor with this name (ignoring case), if any.
pub fn find_theatre_by_name(
    conn: &mut DbConnection,
    floor: FloorId,
    name: &str,
) -> DbResult<Option<OperatingTheatre>> {
    Ok(operating_theatres::table
        .filter(operating_theatres::floor_id.eq(floor.0))
        .filter(operating_theatres::name_key.eq(unique_key(name)))
        .select(TheatreRow::as_select())
        .first(conn)
        .optional()?
        .map(OperatingTheatre::from))
}
