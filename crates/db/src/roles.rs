//! Functional roles and the permissions they grant.

use crate::account_managers::keeping_an_account_manager;
use crate::connection::MultiBackend;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{account_roles, role_permissions, roles};
use crate::versioned::{self, Target, touched};
use crate::{
    Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, like_pattern, now, version_is,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{NewRole, Permission, Role, RoleId, RolePatch};
use std::collections::BTreeMap;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = roles)]
pub(crate) struct RoleRow {
    id: i32,
    name: String,
    description: Option<String>,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

sort_fields!(
    /// How role lists may be ordered.
    RoleSort { Name => "name", CreatedAt => "created_at" }
);

pub(crate) fn role_row(conn: &mut DbConnection, id: RoleId) -> DbResult<RoleRow> {
    roles::table
        .find(id.0)
        .select(RoleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("role", id))
}

/// Turns rows into roles, loading all their permissions in one query.
fn with_permissions(conn: &mut DbConnection, rows: Vec<RoleRow>) -> DbResult<Vec<Role>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i32, String)> = role_permissions::table
        .filter(role_permissions::role_id.eq_any(ids))
        .select((role_permissions::role_id, role_permissions::permission))
        .load(conn)?;
    let mut by_role: BTreeMap<i32, Vec<Permission>> = BTreeMap::new();
    for (role, permission) in pairs {
        // An unknown permission (from a newer version) is skipped, not fatal.
        if let Ok(permission) = permission.parse() {
            by_role.entry(role).or_default().push(permission);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut permissions = by_role.remove(&row.id).unwrap_or_default();
            permissions.sort();
            Role {
                id: RoleId(row.id),
                name: row.name,
                description: row.description,
                permissions,
                audit: audit(
                    row.created_at,
                    row.created_by,
                    row.updated_at,
                    row.updated_by,
                    row.version,
                ),
            }
        })
        .collect())
}

pub fn get_role(conn: &mut DbConnection, id: RoleId) -> DbResult<Role> {
    let row = role_row(conn, id)?;
    Ok(with_permissions(conn, vec![row])?.remove(0))
}

pub fn find_role_by_name(conn: &mut DbConnection, name: &str) -> DbResult<Option<Role>> {
    let row = roles::table
        .filter(roles::name_key.eq(unique_key(name)))
        .select(RoleRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(with_permissions(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

fn replace_permissions(
    conn: &mut DbConnection,
    role: i32,
    permissions: &[Permission],
) -> DbResult<()> {
    diesel::delete(role_permissions::table.filter(role_permissions::role_id.eq(role)))
        .execute(conn)?;
    for permission in permissions {
        diesel::insert_into(role_permissions::table)
            .values((
                role_permissions::role_id.eq(role),
                role_permissions::permission.eq(permission.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create_role(conn: &mut DbConnection, new: &NewRole, actor: Actor) -> DbResult<Role> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    crate::write_transaction(conn, |conn| {
        diesel::insert_into(roles::table)
            .values((
                roles::name.eq(&new.name),
                roles::name_key.eq(&key),
                roles::description.eq(new.description.as_deref()),
                roles::created_at.eq(at),
                roles::created_by.eq(by),
                roles::updated_at.eq(at),
                roles::updated_by.eq(by),
                roles::version.eq(1),
            ))
            .execute(conn)?;
        let id: i32 = roles::table
            .filter(roles::name_key.eq(&key))
            .select(roles::id)
            .first(conn)?;
        replace_permissions(conn, id, &new.permissions)?;
        get_role(conn, RoleId(id))
    })
}

fn filtered_roles(q: Option<&str>) -> roles::BoxedQuery<'static, MultiBackend> {
    let mut query = roles::table.into_boxed();
    if let Some(q) = q {
        query = query.filter(roles::name_key.like(like_pattern(q)));
    }
    query
}

pub fn list_roles(
    conn: &mut DbConnection,
    q: Option<&str>,
    sort: Option<Sort<RoleSort>>,
    page: Page,
) -> DbResult<Paged<Role>> {
    let total = filtered_roles(q).count().get_result(conn)?;
    let rows: Vec<RoleRow> = apply_sort!(filtered_roles(q), sort, roles::id, {
        RoleSort::Name => roles::name_key,
        RoleSort::CreatedAt => roles::created_at,
    })
    .select(RoleRow::as_select())
    .limit(page.limit)
    .offset(page.offset)
    .load(conn)?;
    Ok(Paged {
        items: with_permissions(conn, rows)?,
        total,
    })
}

pub fn update_role(
    conn: &mut DbConnection,
    id: RoleId,
    expected_version: Option<i32>,
    patch: &RolePatch,
    actor: Actor,
) -> DbResult<Role> {
    crate::write_transaction(conn, |conn| {
        if patch.permissions.as_set().is_some() {
            keeping_an_account_manager(conn, |conn| {
                change_role(conn, id, expected_version, patch, actor)
            })
        } else {
            change_role(conn, id, expected_version, patch, actor)
        }
    })
}

fn change_role(
    conn: &mut DbConnection,
    id: RoleId,
    expected_version: Option<i32>,
    patch: &RolePatch,
    actor: Actor,
) -> DbResult<Role> {
    let current = role_row(conn, id)?;
    let target = Target::new("role", id.0, expected_version);
    let write = |conn: &mut DbConnection| {
        let name = patch.name.as_set();
        Ok(diesel::update(roles::table.find(id.0).filter(version_is(
            roles::version,
            expected_version,
            current.version,
        )))
        .set((
            name.map(|n| roles::name.eq(n.clone())),
            name.map(|n| roles::name_key.eq(unique_key(n))),
            patch
                .description
                .clone()
                .into_nullable()
                .map(|d| roles::description.eq(d)),
            touched!(roles, actor),
        ))
        .execute(conn)?)
    };
    let reread = |conn: &mut DbConnection| Ok(role_row(conn, id)?.version);
    versioned::update(conn, target, current.version, write, reread)?;
    if let Some(permissions) = patch.permissions.as_set() {
        replace_permissions(conn, id.0, permissions)?;
    }
    get_role(conn, id)
}

/// A role still assigned to accounts cannot go.
pub fn delete_role(
    conn: &mut DbConnection,
    id: RoleId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = role_row(conn, id)?;
        let target = Target::new("role", id.0, expected_version);
        versioned::delete(conn, target, current.version, |conn| {
            let count: i64 = account_roles::table
                .filter(account_roles::role_id.eq(id.0))
                .count()
                .get_result(conn)?;
            if count > 0 {
                return Err(DbError::blocked(format!(
                    "role {id} is still assigned to {count} accounts"
                )));
            }
            Ok(diesel::delete(roles::table.find(id.0)).execute(conn)?)
        })
    })
}
