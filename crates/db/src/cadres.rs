//! Cadres: the groups designations belong to.

use crate::connection::MultiBackend;
use crate::query::{page_of, sort_fields};
use crate::schema::{cadres, designations};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now};
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{Cadre, CadreId, CadrePatch, NewCadre};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = cadres)]
pub(crate) struct CadreRow {
    id: i32,
    name: String,
    #[diesel(embed)]
    audit: AuditColumns<cadres::table>,
}

impl From<CadreRow> for Cadre {
    fn from(row: CadreRow) -> Self {
        Cadre {
            id: CadreId(row.id),
            name: row.name,
            audit: row.audit.into(),
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
    versioned::create(conn, actor, |conn| {
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
    let rows = page_of!(conn, CadreRow, filtered_cadres(q), page, sort, cadres::id, {
        CadreSort::Name => cadres::name_key,
        CadreSort::CreatedAt => cadres::created_at,
    });
    Ok(rows.map(Cadre::from))
}

pub fn update_cadre(
    conn: &mut DbConnection,
    id: CadreId,
    expected_version: Option<i32>,
    patch: &CadrePatch,
    actor: Actor,
) -> DbResult<Cadre> {
    let target = Target::new("cadre", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_cadre(c, id),
        |conn, before| {
            let name = patch.name.as_set();
            Ok(diesel::update(at_version!(cadres, target, before))
                .set((
                    name.map(|n| cadres::name.eq(n.clone())),
                    name.map(|n| cadres::name_key.eq(unique_key(n))),
                    touched!(cadres, actor),
                ))
                .execute(conn)?)
        },
    )
}

/// A cadre with designations cannot go: move or delete them first.
pub fn delete_cadre(
    conn: &mut DbConnection,
    id: CadreId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("cadre", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_cadre(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [designations::cadre_id],
                "cadre {id} still has {designations} designations"
            );
            Ok(diesel::delete(at_version!(cadres, target, before)).execute(conn)?)
        },
    )
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
