//! Cadres: the groups designations belong to.

use crate::connection::MultiBackend;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{cadres, designations};
use crate::versioned::{self, Target, touched};
use crate::{
    Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, like_pattern, now, version_is,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{Cadre, CadreId, CadrePatch, NewCadre};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = cadres)]
pub(crate) struct CadreRow {
    id: i32,
    name: String,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

impl From<CadreRow> for Cadre {
    fn from(row: CadreRow) -> Self {
        Cadre {
            id: CadreId(row.id),
            name: row.name,
            audit: audit(
                row.created_at,
                row.created_by,
                row.updated_at,
                row.updated_by,
                row.version,
            ),
        }
    }
}

sort_fields!(
    /// How cadre lists may be ordered.
    CadreSort { Name => "name", CreatedAt => "created_at" }
);

pub(crate) fn cadre_row(conn: &mut DbConnection, id: CadreId) -> DbResult<CadreRow> {
    cadres::table
        .find(id.0)
        .select(CadreRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("cadre", id))
}

pub fn get_cadre(conn: &mut DbConnection, id: CadreId) -> DbResult<Cadre> {
    cadre_row(conn, id).map(Cadre::from)
}

pub fn create_cadre(conn: &mut DbConnection, new: &NewCadre, actor: Actor) -> DbResult<Cadre> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    crate::write_transaction(conn, |conn| {
        diesel::insert_into(cadres::table)
            .values((
                cadres::name.eq(&new.name),
                cadres::name_key.eq(&key),
                cadres::created_at.eq(at),
                cadres::created_by.eq(by),
                cadres::updated_at.eq(at),
                cadres::updated_by.eq(by),
                cadres::version.eq(1),
            ))
            .execute(conn)?;
        Ok(cadres::table
            .filter(cadres::name_key.eq(&key))
            .select(CadreRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_cadres(q: Option<&str>) -> cadres::BoxedQuery<'static, MultiBackend> {
    let mut query = cadres::table.into_boxed();
    if let Some(q) = q {
        query = query.filter(cadres::name_key.like(like_pattern(q)));
    }
    query
}

pub fn list_cadres(
    conn: &mut DbConnection,
    q: Option<&str>,
    sort: Option<Sort<CadreSort>>,
    page: Page,
) -> DbResult<Paged<Cadre>> {
    let total = filtered_cadres(q).count().get_result(conn)?;
    let rows: Vec<CadreRow> = apply_sort!(filtered_cadres(q), sort, cadres::id, {
        CadreSort::Name => cadres::name_key,
        CadreSort::CreatedAt => cadres::created_at,
    })
    .select(CadreRow::as_select())
    .limit(page.limit)
    .offset(page.offset)
    .load(conn)?;
    Ok(Paged {
        items: rows.into_iter().map(Cadre::from).collect(),
        total,
    })
}

pub fn update_cadre(
    conn: &mut DbConnection,
    id: CadreId,
    expected_version: Option<i32>,
    patch: &CadrePatch,
    actor: Actor,
) -> DbResult<Cadre> {
    crate::write_transaction(conn, |conn| {
        let current = cadre_row(conn, id)?;
        let target = Target::new("cadre", id.0, expected_version);
        let write = |conn: &mut DbConnection| {
            let name = patch.name.as_set();
            Ok(diesel::update(cadres::table.find(id.0).filter(version_is(
                cadres::version,
                expected_version,
                current.version,
            )))
            .set((
                name.map(|n| cadres::name.eq(n.clone())),
                name.map(|n| cadres::name_key.eq(unique_key(n))),
                touched!(cadres, actor),
            ))
            .execute(conn)?)
        };
        let reread = |conn: &mut DbConnection| Ok(cadre_row(conn, id)?.version);
        versioned::update(conn, target, current.version, write, reread)?;
        get_cadre(conn, id)
    })
}

/// A cadre with designations cannot go: move or delete them first.
pub fn delete_cadre(
    conn: &mut DbConnection,
    id: CadreId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = cadre_row(conn, id)?;
        let target = Target::new("cadre", id.0, expected_version);
        versioned::delete(conn, target, current.version, |conn| {
            let count: i64 = designations::table
                .filter(designations::cadre_id.eq(id.0))
                .count()
                .get_result(conn)?;
            if count > 0 {
                return Err(DbError::blocked(format!(
                    "cadre {id} still has {count} designations"
                )));
            }
            Ok(diesel::delete(cadres::table.find(id.0)).execute(conn)?)
        })
    })
}

/// The cadre with this name (ignoring case), if any.
pub fn find_cadre_by_name(conn: &mut DbConnection, name: &str) -> DbResult<Option<Cadre>> {
    Ok(cadres::table
        .filter(cadres::name_key.eq(unique_key(name)))
        .select(CadreRow::as_select())
        .first(conn)
        .optional()?
        .map(Cadre::from))
}
