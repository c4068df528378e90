//! `spec/docs-check-exceptions.yaml`: the findings that the spec makes on purpose, each with its
//! reason, and the components that describe the free-form objects of the pop-up quiz and poll tables.

use serde::Deserialize;

use super::Kind;
use crate::yaml;

/// The deliberate differences between the documents and the spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exceptions {
    /// The file name used in findings.
    pub file: String,
    /// The shapes of free-form objects.
    pub shapes: Vec<Shape>,
    /// The recorded exceptions.
    pub exceptions: Vec<Exception>,
}

/// Components that describe a free-form object of the spec for one operation: a documented field
/// below the object must be in one of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The operationId.
    pub operation: String,
    /// The JSON pointer of the free-form object (or of a schema above it).
    pub at: String,
    /// The component schemas that describe it.
    pub schemas: Vec<String>,
    /// Why the spec keeps the object free-form.
    pub reason: String,
    /// The line in the exceptions file.
    pub line: usize,
}

/// A finding that the spec makes on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// The finding's kind.
    pub kind: Kind,
    /// `zh`, `en`, or `spec` for the findings about the spec itself.
    pub doc: String,
    /// The finding's key.
    pub key: String,
    /// For a documented operation that the spec has under another method or path: the operationId
    /// whose fields the section is checked against.
    pub operation: Option<String>,
    /// Why.
    pub reason: String,
    /// The line in the exceptions file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    shapes: Vec<RawShape>,
    #[serde(default)]
    exceptions: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShape {
    operation: String,
    at: String,
    schemas: Vec<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    kind: String,
    doc: String,
    key: String,
    operation: Option<String>,
    reason: String,
}

impl Exceptions {
    /// Reads the exceptions file; `file` names it in findings and messages.
    pub fn parse(text: &str, file: &str) -> Result<Exceptions, String> {
        let doc = yaml::parse(text)
            .map_err(|e| format!("{file}:{}: invalid YAML: {}", e.line, e.message))?;
        let line = |pointer: &str| doc.lines.get(pointer).copied().unwrap_or(1);
        if doc.value.is_null() {
            return Ok(Exceptions {
                file: file.to_owned(),
                ..Exceptions::default()
            });
        }
        let raw: File = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
            let pointer: String = e
                .path()
                .iter()
                .map(|s| format!("/{}", s.to_string().trim_matches(['[', ']'])))
                .collect();
            format!("{file}:{}: {} at {}", line(&pointer), e.inner(), e.path())
        })?;
        let mut exceptions = Vec::new();
        for (i, e) in raw.exceptions.into_iter().enumerate() {
            let at = line(&format!("/exceptions/{i}"));
            let kind = Kind::from_id(&e.kind).ok_or_else(|| {
                let known: Vec<_> = Kind::ALL.iter().map(|k| k.id()).collect();
                format!(
                    "{file}:{at}: unknown kind `{}`; the kinds are {}",
                    e.kind,
                    known.join(", ")
                )
            })?;
            if !matches!(e.doc.as_str(), "zh" | "en" | "spec") {
                return Err(format!(
                    "{file}:{at}: doc is `{}`; write zh, en or spec",
                    e.doc
                ));
            }
            if e.reason.trim().is_empty() {
                return Err(format!("{file}:{at}: an exception needs a reason"));
            }
            exceptions.push(Exception {
                kind,
                doc: e.doc,
                key: e.key,
                operation: e.operation,
                reason: e.reason.split_whitespace().collect::<Vec<_>>().join(" "),
                line: at,
            });
        }
        let shapes = raw
            .shapes
            .into_iter()
            .enumerate()
            .map(|(i, s)| Shape {
                operation: s.operation,
                at: s.at,
                schemas: s.schemas,
                reason: s.reason,
                line: line(&format!("/shapes/{i}")),
            })
            .collect();
        Ok(Exceptions {
            file: file.to_owned(),
            shapes,
            exceptions,
        })
    }

    /// The exception for a finding, if one is recorded.
    pub fn find(&self, kind: Kind, doc: &str, key: &str) -> Option<&Exception> {
        self.exceptions
            .iter()
            .find(|e| e.kind == kind && e.doc == doc && e.key == key)
    }
}
