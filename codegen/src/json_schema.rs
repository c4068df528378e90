//! The spec's schemas as JSON Schema (2019-09), for validating JSON against them.

use serde_json::{Map, Value, json};

/// Turns OpenAPI 3.0's `nullable: true`, everywhere in `value`, into JSON Schema: an added `null`
/// type (and `null` enum value), or an `anyOf` with `null`. Everything else of the 3.0 schema
/// dialect the spec uses is already JSON Schema; `$ref`s stay resolvable against the document.
pub fn admit_null(value: &mut Value) {
    match value {
        Value::Object(map) => admit_null_in(map),
        Value::Array(items) => items.iter_mut().for_each(admit_null),
        _ => {}
    }
}

fn admit_null_in(map: &mut Map<String, Value>) {
    map.values_mut().for_each(admit_null);
    if map.get("nullable") != Some(&Value::Bool(true)) {
        return;
    }
    map.remove("nullable");
    if let Some(Value::String(ty)) = map.get("type").cloned() {
        map.insert("type".into(), json!([ty, "null"]));
        if let Some(Value::Array(values)) = map.get_mut("enum") {
            values.push(Value::Null);
        }
    } else {
        let inner = Value::Object(std::mem::take(map));
        map.insert("anyOf".into(), json!([{"type": "null"}, inner]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_types_and_refs() {
        let mut v = json!({"a": {"type": "string", "nullable": true, "enum": ["x"]},
                           "b": {"$ref": "#/x", "nullable": true}, "c": {"type": "integer"}});
        admit_null(&mut v);
        assert_eq!(
            v,
            json!({"a": {"type": ["string", "null"], "enum": ["x", null]},
                   "b": {"anyOf": [{"type": "null"}, {"$ref": "#/x"}]}, "c": {"type": "integer"}})
        );
    }
}
