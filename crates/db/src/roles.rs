//! Functional roles and the permissions they grant.

use crate::account_managers::keeping_an_account_manager_if;
use crate::connection::MultiBackend;
use crate::query::{page_of, sort_fields};
use crate::schema::{account_roles, role_permissions, roles};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now};
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
    #[diesel(embed)]
    audit: AuditColumns<roles::table>,
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
                audit: row.audit.into(),
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
    versioned::create(conn, actor, |conn| {
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
    let rows = page_of!(conn, RoleRow, filtered_roles(q), page, sort, roles::id, {
        RoleSort::Name => roles::name_key,
        RoleSort::CreatedAt => roles::created_at,
    });
    rows.try_map_all(|rows| with_permissions(conn, rows))
}

pub fn update_role(
    conn: &mut DbConnection,
    id: RoleId,
    expected_version: Option<i32>,
    patch: &RolePatch,
    actor: Actor,
) -> DbResult<Role> {
    let target = Target::new("role", id.0, expected_version, actor);
    let change = |conn: &mut DbConnection| {
        versioned::update(
            conn,
            target,
            |c| get_role(c, id),
            |conn, before| {
                let name = patch.name.as_set();
                let description = patch.description.clone().into_nullable();
                let changed = diesel::update(at_version!(roles, target, before))
                    .set((
                        name.map(|n| roles::name.eq(n.clone())),
                        name.map(|n| roles::name_key.eq(unique_key(n))),
                        description.map(|d| roles::description.eq(d)),
                        touched!(roles, actor),
                    ))
                    .execute(conn)?;
                if let (1.., Some(permissions)) = (changed, patch.permissions.as_set()) {
                    replace_permissions(conn, id.0, permissions)?;
                }
                Ok(changed)
            },
        )
    };
    crate::write_transaction(conn, |conn| {
        keeping_an_account_manager_if(patch.permissions.as_set().is_some(), conn, change)
    })
}

/// A role still assigned to accounts cannot go.
pub fn delete_role(
    conn: &mut DbConnection,
    id: RoleId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("role", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_role(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [account_roles::role_id],
                "role {id} is still assigned to {account_roles} accounts"
            );
            Ok(diesel::delete(at_version!(roles, target, before)).execute(conn)?)
        },
    )
}
