//! Matching and paging of resources already mapped, for the types whose
//! records are few (Organization, Location): every row is read in one
//! query per table, and the query is answered here, on the resources
//! themselves, so a search means what the resource shows.

use crate::ids::{Key, ResourceType};
use crate::model::{CodeableConcept, Location, Organization, Reference};
use crate::search::{Query, Token};

fn codings_match(tokens: &[Token], concepts: &[&CodeableConcept]) -> bool {
    tokens.iter().any(|token| {
        concepts
            .iter()
            .flat_map(|c| c.coding.iter())
            .any(|coding| token.matches(&coding.system, &coding.code))
    })
}

fn key_of(reference: Option<&Reference>, target: ResourceType) -> Option<Key> {
    let (ty, id) = reference?.reference.split_once('/')?;
    (ty == target.as_str())
        .then(|| Key::parse(target, id))
        .flatten()
}

/// What Organization and Location share for matching.
struct Shown<'a> {
    key: Key,
    names: Vec<&'a str>,
    updated: chrono::DateTime<chrono::Utc>,
    part_of: Option<&'a Reference>,
    types: Vec<&'a CodeableConcept>,
}

fn shown_matches(q: &Query, target: ResourceType, shown: &Shown<'_>) -> bool {
    q.ids.as_ref().is_none_or(|ids| ids.contains(&shown.key))
        && q.last_updated.iter().all(|b| b.matches(shown.updated))
        && q.name.iter().all(|any| {
            any.iter()
                .any(|m| shown.names.iter().any(|name| m.matches(name)))
        })
        && q.partof.as_ref().is_none_or(|keys| {
            key_of(shown.part_of, target).is_some_and(|parent| keys.contains(&parent))
        })
        && q.types
            .iter()
            .all(|tokens| codings_match(tokens, &shown.types))
}

pub fn organization_matches(q: &Query, key: Key, org: &Organization) -> bool {
    let mut names = vec![org.name.as_str()];
    names.extend(org.alias.iter().map(String::as_str));
    let shown = Shown {
        key,
        names,
        updated: org.meta.last_updated,
        part_of: org.part_of.as_ref(),
        types: org.type_.iter().collect(),
    };
    shown_matches(q, ResourceType::Organization, &shown)
        && q.active.is_none_or(|active| active == org.active)
}

pub fn location_matches(q: &Query, key: Key, location: &Location) -> bool {
    let mut names = vec![location.name.as_str()];
    names.extend(location.alias.iter().map(String::as_str));
    let mut types: Vec<&CodeableConcept> = location.type_.iter().collect();
    types.push(&location.physical_type);
    let shown = Shown {
        key,
        names,
        updated: location.meta.last_updated,
        part_of: location.part_of.as_ref(),
        types,
    };
    shown_matches(q, ResourceType::Location, &shown)
        && q.status.iter().all(|tokens| {
            tokens.iter().any(|t| {
                t.code == location.status
                    && t.system
                        .as_deref()
                        .is_none_or(|s| s == "http://hl7.org/fhir/location-status")
            })
        })
}

/// One page of matches in key order, after the `cursor` key if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<(Key, T)>,
    /// Every match, on every page.
    pub total: i64,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<Key>,
}

/// Sorts `matches` by key and takes the page after `after`.
pub fn page<T>(mut matches: Vec<(Key, T)>, after: Option<Key>, count: i64) -> Page<T> {
    matches.sort_by_key(|(key, _)| *key);
    let total = i64::try_from(matches.len()).unwrap_or(i64::MAX);
    let count = usize::try_from(count).unwrap_or(0);
    let mut items: Vec<(Key, T)> = matches
        .into_iter()
        .filter(|(key, _)| after.is_none_or(|after| *key > after))
        .take(count + 1)
        .collect();
    let next = if items.len() > count {
        items.truncate(count);
        items.last().map(|(key, _)| *key)
    } else {
        None
    };
    Page { items, total, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_continues_after_its_cursor_whatever_was_added_before_it() {
        let keys = |page: &Page<()>| page.items.iter().map(|(k, _)| *k).collect::<Vec<_>>();
        let rows = |ids: &[i32]| ids.iter().map(|id| (Key::Department(*id), ())).collect();
        let first = page(rows(&[3, 1, 2, 5]), None, 2);
        assert_eq!(keys(&first), [Key::Department(1), Key::Department(2)]);
        assert_eq!(first.total, 4);
        // Rows added while paging (a larger id) come later; none repeats.
        let second = page(rows(&[1, 2, 3, 5, 9]), first.next, 2);
        assert_eq!(keys(&second), [Key::Department(3), Key::Department(5)]);
        let last = page(rows(&[1, 2, 3, 5, 9]), second.next, 2);
        assert_eq!(keys(&last), [Key::Department(9)]);
        assert_eq!(last.next, None);
    }
}
