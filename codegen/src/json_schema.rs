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

/// The spec as the documents list it: the open forms that admit, in answers, what the SDK
/// tolerates beyond the documents are closed again, for the checks that compare a server or a
/// document with the documented values (docs-check, the emulator's conformance, the examples).
///
/// - An open enum, `anyOf: [{$ref: E}, {type: integer}, {type: string, pattern}]` (E an enum
///   component, the other members plain integers or strings), becomes `$ref: E`.
/// - An integer that may come as a decimal string, `anyOf: [{type: integer}, {type: string,
///   pattern}]`, becomes `type: integer`.
///
/// The schema keeps its other keywords (its `description`).
/// - A `oneOf` of components with a `cmd` loses the members whose `cmd` lists no values
///   (`UnknownEvent`, the catch-all of the event union).
pub fn documented_only(spec: &mut Value) {
    let schemas = spec["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let enums: Vec<String> = schemas
        .iter()
        .filter(|(_, s)| s.get("enum").is_some() || s.get("x-enum-varnames").is_some())
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect();
    let cmd = |reference: &Value| -> Option<Value> {
        let name = reference["$ref"]
            .as_str()?
            .strip_prefix("#/components/schemas/")?;
        let schema = schemas.get(name)?;
        std::iter::once(schema)
            .chain(schema["allOf"].as_array().into_iter().flatten())
            .find_map(|s| s["properties"].get("cmd").cloned())
    };
    let mut catch_alls = Vec::new();
    for schema in schemas.values() {
        let Some(members) = schema["oneOf"].as_array() else {
            continue;
        };
        let cmds: Vec<Option<Value>> = members.iter().map(cmd).collect();
        if cmds.iter().flatten().any(|c| c.get("enum").is_some()) {
            for (member, c) in members.iter().zip(&cmds) {
                if c.as_ref().is_some_and(|c| c.get("enum").is_none()) {
                    catch_alls.push(member.clone());
                }
            }
        }
    }
    close(spec, &enums, &catch_alls);
}

fn close(value: &mut Value, enums: &[String], catch_alls: &[Value]) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(|v| close(v, enums, catch_alls));
            if let Some(Value::Array(members)) = map.get_mut("oneOf") {
                members.retain(|m| !catch_alls.contains(m));
            }
            let first = match map.get("anyOf") {
                Some(Value::Array(members)) => match members.as_slice() {
                    [first, rest @ ..]
                        if !rest.is_empty()
                            && rest.iter().all(|m| plain(m, &["integer", "string"]))
                            && (first["$ref"]
                                .as_str()
                                .is_some_and(|r| enums.iter().any(|e| e == r))
                                || plain(first, &["integer"])) =>
                    {
                        Some(first.clone())
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(Value::Object(first)) = first {
                map.remove("anyOf");
                for (key, value) in first {
                    map.entry(key).or_insert(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| close(v, enums, catch_alls)),
        _ => {}
    }
}

/// A plain schema of one of `types`: only `type`, `format`, `pattern` and `description`.
fn plain(schema: &Value, types: &[&str]) -> bool {
    schema.as_object().is_some_and(|m| {
        m.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| types.contains(&t))
            && m.keys()
                .all(|k| matches!(k.as_str(), "type" | "format" | "pattern" | "description"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_forms_are_closed_to_the_documented_values() {
        let mut spec = json!({"components": {"schemas": {
            "State": {"type": "integer", "enum": [0, 1]},
            "Kind": {"anyOf": [{"type": "integer", "enum": [1]}, {"type": "string", "pattern": "^1$"}]},
            "Answer": {"properties": {
                "state": {"description": "d", "anyOf": [{"$ref": "#/components/schemas/State"},
                          {"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]},
                "n": {"anyOf": [{"type": "integer", "format": "int64"},
                                {"type": "string", "pattern": "^[0-9]+$"}]},
                "both": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}},
            "Event": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/Other"}]},
            "A": {"allOf": [{"type": "object"}, {"properties": {"cmd": {"enum": [1]}}}]},
            "Other": {"allOf": [{"type": "object"}, {"properties": {"cmd": {"not": {"enum": [1]}}}}]}
        }}});
        let kind = spec["components"]["schemas"]["Kind"].clone();
        documented_only(&mut spec);
        let schemas = &spec["components"]["schemas"];
        assert_eq!(
            schemas["Answer"]["properties"]["state"],
            json!({"description": "d", "$ref": "#/components/schemas/State"})
        );
        assert_eq!(
            schemas["Answer"]["properties"]["n"],
            json!({"type": "integer", "format": "int64"})
        );
        // Neither an enum's own forms nor a union of two scalars is an open form.
        assert_eq!(schemas["Kind"], kind);
        assert_eq!(
            schemas["Answer"]["properties"]["both"]["anyOf"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        assert_eq!(
            schemas["Event"],
            json!({"oneOf": [{"$ref": "#/components/schemas/A"}]})
        );
    }

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
