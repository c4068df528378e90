//! Custom properties addressed by key paths: `"a.b.c"` names `{"a": {"b": {"c": ...}}}`.
//!
//! Setting a key path creates the objects on its way and replaces whatever was there (a value
//! that is not an object on the way is replaced by an object). Deleting a key path removes the
//! leaf; a path that names nothing is ignored. A key without a dot is a top-level key.

use serde_json::{Map, Value};

/// Sets each key path of `changes` in `target`.
pub(crate) fn set_all(target: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (path, value) in changes {
        set(target, path, value.clone());
    }
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
        set_all(&mut m, &obj(json!({"b.d": 3, "a.x": true, "e": {"f": 1}})));
        assert_eq!(
            Value::Object(m.clone()),
            json!({"a": {"x": true}, "b": {"c": 2, "d": 3}, "e": {"f": 1}})
        );
        let removed = delete_all(&mut m, &["b.c".into(), "nope.x".into(), "e".into()]);
        assert_eq!(Value::Object(removed), json!({"b.c": 2, "e": {"f": 1}}));
        assert_eq!(Value::Object(m), json!({"a": {"x": true}, "b": {"d": 3}}));
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
