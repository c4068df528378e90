//! Helpers shared by the workspace tests and benchmarks, and the bodies of the fuzz targets.

pub mod fuzz_targets;

/// The workspace README's Rust snippets, compiled as doctests of this crate (whose
/// dev-dependencies are the crates they use); the crates' READMEs are their own front pages.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct WorkspaceReadme;

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// An instance of a schema of the spec (`spec` is the whole document, for `$ref`s), drawn with `rng` (enums, ranges and formats respected).
pub fn instance(spec: &Value, schema: &Value, rng: &mut StdRng, depth: usize) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = spec
            .pointer(r.trim_start_matches('#'))
            .cloned()
            .unwrap_or(Value::Null);
        return instance(spec, &target, rng, depth);
    }
    if depth > 6 {
        return Value::Null;
    }
    for key in ["allOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let mut out = serde_json::Map::new();
            for p in parts {
                if let Value::Object(m) = instance(spec, p, rng, depth + 1) {
                    out.extend(m);
                }
            }
            return Value::Object(out);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let pick = &parts[rng.random_range(0..parts.len())];
            return instance(spec, pick, rng, depth + 1);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[rng.random_range(0..values.len())].clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") if schema.get("format") == Some(&json!("int32")) => {
            json!(rng.random_range(0..=i32::MAX))
        }
        Some("integer") => json!(rng.random_range(0..2_000_000_000_000i64)),
        Some("number") => json!(rng.random_range(0.0..1000.0)),
        Some("boolean") => json!(rng.random_bool(0.5)),
        Some("string") => json!(format!("s{:x}", rng.random::<u32>())),
        Some("array") => {
            let items = schema
                .get("items")
                .cloned()
                .unwrap_or(json!({"type": "string"}));
            Value::Array(
                (0..rng.random_range(0..4))
                    .map(|_| instance(spec, &items, rng, depth + 1))
                    .collect(),
            )
        }
        _ => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (k, p) in props {
                    if required.contains(&k.as_str()) || rng.random_bool(0.85) {
                        out.insert(k.clone(), instance(spec, p, rng, depth + 1));
                    }
                }
            } else {
                out.insert("key".into(), json!(rng.random::<u16>()));
            }
            Value::Object(out)
        }
    }
}
