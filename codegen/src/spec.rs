//! Loading a spec: YAML, references, OpenAPI structure, then the model; every failure located.

use std::collections::BTreeMap;

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::diagnostics::{Diagnostic, SpecError};
use crate::model::{self, Model};
use crate::yaml::{self, escape_token};

/// A loaded, checked spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file name used in messages.
    pub file: String,
    /// The document as JSON.
    pub value: Value,
    /// JSON pointer to 1-based line.
    pub lines: BTreeMap<String, usize>,
    /// The parsed OpenAPI document.
    pub api: OpenAPI,
    /// What the generator reads from it.
    pub model: Model,
}

impl Spec {
    /// Loads and checks a spec given as YAML (or JSON) text; `file` names it in messages.
    pub fn load(text: &str, file: &str) -> Result<Spec, SpecError> {
        let err = |diagnostics: Vec<Diagnostic>| SpecError {
            file: file.to_owned(),
            diagnostics,
        };
        let doc = yaml::parse(text).map_err(|e| {
            err(vec![Diagnostic {
                pointer: String::new(),
                line: Some(e.line),
                message: format!("invalid YAML at column {}: {}", e.col, e.message),
                hint: None,
            }])
        })?;
        let locate = |mut diags: Vec<Diagnostic>| {
            for d in &mut diags {
                if d.line.is_none() {
                    d.line = line_of(&doc.lines, &d.pointer);
                }
            }
            diags.sort_by(|a, b| (a.line, &a.pointer).cmp(&(b.line, &b.pointer)));
            diags.dedup();
            err(diags)
        };
        let mut diags = Vec::new();
        match doc.value.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {}
            Some(v) => diags.push(Diagnostic {
                pointer: "/openapi".into(),
                line: None,
                message: format!("OpenAPI version {v} is not supported"),
                hint: Some("write the spec in OpenAPI 3.0.x (3.0.3); 3.1 is not supported by the generator".into()),
            }),
            None => diags.push(Diagnostic {
                pointer: String::new(),
                line: None,
                message: "this is not an OpenAPI document: `openapi: 3.0.3` is missing".into(),
                hint: None,
            }),
        }
        check_refs(&doc.value, &doc.value, String::new(), &mut diags);
        if !diags.is_empty() {
            return Err(locate(diags));
        }
        let api: OpenAPI = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
            let pointer = path_to_pointer(e.path());
            locate(vec![Diagnostic {
                pointer,
                line: None,
                message: format!("not valid OpenAPI 3.0: {}", e.inner()),
                hint: None,
            }])
        })?;
        let model = model::build(&api).map_err(locate)?;
        Ok(Spec {
            file: file.to_owned(),
            value: doc.value,
            lines: doc.lines,
            api,
            model,
        })
    }

    /// The 1-based line of a JSON pointer (or of its nearest located ancestor).
    pub fn line(&self, pointer: &str) -> Option<usize> {
        line_of(&self.lines, pointer)
    }
}

fn line_of(lines: &BTreeMap<String, usize>, pointer: &str) -> Option<usize> {
    let mut p = pointer;
    loop {
        if let Some(l) = lines.get(p) {
            return Some(*l);
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return None,
        }
    }
}

/// Every local `$ref` must point at something.
fn check_refs(root: &Value, v: &Value, pointer: String, diags: &mut Vec<Diagnostic>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let ok = match r.strip_prefix('#') {
                    Some(target) => root.pointer(target).is_some(),
                    None => false,
                };
                if !ok {
                    diags.push(Diagnostic {
                        pointer: format!("{pointer}/$ref"),
                        line: None,
                        message: if r.starts_with('#') {
                            format!("`$ref: {r}` points at nothing")
                        } else {
                            format!("`$ref: {r}` is not a local reference")
                        },
                        hint: Some("references must be local (`#/components/...`) and name an existing item".into()),
                    });
                }
            }
            for (k, child) in map {
                check_refs(root, child, format!("{pointer}/{}", escape_token(k)), diags);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(root, child, format!("{pointer}/{i}"), diags);
            }
        }
        _ => {}
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape_token(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}
