//! Custom properties addressed by key paths: `"a.b.c"` names `{"a": {"b": {"c": ...}}}`.
//!
//! Setting a key path creates the objects on its way and replaces whatever was there (a value
//! that is not an object on the way is replaced by an object). Deleting a key path removes the
//! leaf; a path that names nothing is ignored. A key without a dot is a top-level key. A key path
//! has at most [`MAX_DEPTH`] parts, so that no request can build a value too deep to drop.

use serde_json::{Map, Value};

use crate::reply::Failure;

/// Most parts in a key path.
pub(crate) const MAX_DEPTH: usize = 32;

/// Refuses key paths with more than [`MAX_DEPTH`] parts.
pub(crate) fn check<'a>(paths: impl IntoIterator<Item = &'a String>) -> Result<(), Failure> {
    match paths.into_iter().find(|p| p.split('.').count() > MAX_DEPTH) {
        Some(p) => Err(Failure::bad_request(format!(
            "the key path {:?}... has more than {MAX_DEPTH} parts",
            p.chars().take(40).collect::<String>()
        ))),
        None => Ok(()),
    }
}

/// Sets each key path of `changes` in `target`, after checking them all.
pub(crate) fn set_all(
    target: &mut Map<String, Value>,
    changes: &Map<String, Value>,
) -> Result<(), Failure> {
    check(changes.keys())?;
    for (path, value) in changes {
        set(target, path, value.clone());
    }
    Ok(())
}

/// Sets one key path.
pub(crate) fn set(target: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut map = target;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            return;
        }
        let slot = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else {
            return;
        };
        map = inner;
    }
}

/// Removes one key path; the value removed, if any.
pub(crate) fn delete(target: &mut Map<String, Value>, path: &str) -> Option<Value> {
    match path.split_once('.') {
        None => target.shift_remove(path),
        Some((head, rest)) => match target.get_mut(head) {
            Some(Value::Object(inner)) => delete(inner, rest),
            _ => None,
        },
    }
}

/// Removes each key path; the removed ones with their values, by key path.
pub(crate) fn delete_all(target: &mut Map<String, Value>, paths: &[String]) -> Map<String, Value> {
    let mut removed = Map::new();
    for path in paths {
        if let Some(old) = delete(target, path) {
            removed.insert(path.clone(), old);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn nested_set_and_delete() {
        let mut m = obj(json!({"a": 1, "b": {"c": 2}}));
        set_all(&mut m, &obj(json!({"b.d": 3, "a.x": true, "e": {"f": 1}}))).unwrap();
        assert_eq!(
            Value::Object(m.clone()),
            json!({"a": {"x": true}, "b": {"c": 2, "d": 3}, "e": {"f": 1}})
        );
        let removed = delete_all(&mut m, &["b.c".into(), "nope.x".into(), "e".into()]);
        assert_eq!(Value::Object(removed), json!({"b.c": 2, "e": {"f": 1}}));
        assert_eq!(Value::Object(m), json!({"a": {"x": true}, "b": {"d": 3}}));
    }

    #[test]
    fn deep_paths_are_refused() {
        let mut m = Map::new();
        let deep = vec!["a"; MAX_DEPTH + 1].join(".");
        let mut changes = Map::new();
        changes.insert(deep, json!(1));
        assert!(set_all(&mut m, &changes).is_err());
        assert!(m.is_empty(), "nothing was set");
        let ok = vec!["a"; MAX_DEPTH].join(".");
        changes.clear();
        changes.insert(ok, json!(1));
        assert!(set_all(&mut m, &changes).is_ok());
    }

    #[test]
    fn odd_keys_do_not_panic() {
        let mut m = Map::new();
        for key in ["", ".", "..", "a..b", ".a", "a."] {
            set(&mut m, key, json!(1));
            delete(&mut m, key);
        }
    }
}
