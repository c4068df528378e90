//! The findings as text (for a terminal), Markdown (for a pull request) or JSON (for tools).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use super::{DocModel, Finding, Kind};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One finding per line, `doc:line: kind [operation]: message`, then the spec location.
    Text,
    /// A table per section.
    Markdown,
    /// `{"findings": [...], "exceptions": [...], "partial_examples": [...], "summary": {...}}`.
    Json,
}

/// Renders the findings of a check of `docs` against the spec named `spec_file`.
pub fn render(docs: &DocModel, findings: &[Finding], spec_file: &str, format: Format) -> String {
    let open: Vec<&Finding> = findings.iter().filter(|f| f.is_open()).collect();
    let excepted: Vec<&Finding> = findings.iter().filter(|f| !f.is_open()).collect();
    match format {
        Format::Text => text(docs, &open, &excepted, spec_file),
        Format::Markdown => markdown(docs, &open, &excepted, spec_file),
        Format::Json => {
            let mut by_kind = BTreeMap::new();
            for f in &open {
                *by_kind.entry(f.kind.id()).or_insert(0usize) += 1;
            }
            let partial: Vec<_> = partial_examples(docs)
                .into_iter()
                .map(|(doc, line, operation, skipped)| {
                    json!({"doc": doc, "line": line, "operation": operation, "skipped": skipped})
                })
                .collect();
            let value = json!({
                "findings": open,
                "exceptions": excepted,
                "partial_examples": partial,
                "summary": {
                    "documents": docs.documents.iter().map(|d| &d.name).collect::<Vec<_>>(),
                    "spec": spec_file,
                    "missing": open.len(),
                    "by_kind": by_kind,
                    "exceptions": excepted.len(),
                },
            });
            let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
            out.push('\n');
            out
        }
    }
}

/// The examples read in part: (document, line, section title or `common`, what was skipped).
fn partial_examples(docs: &DocModel) -> Vec<(&str, usize, &str, String)> {
    docs.examples
        .iter()
        .filter(|e| e.json.is_ok())
        .filter_map(|e| {
            let skipped = e.skipped.describe();
            let title = e
                .operation
                .and_then(|i| docs.operations.get(i))
                .map_or("common", |o| o.title.as_str());
            (!skipped.is_empty()).then_some((e.doc.as_str(), e.line, title, skipped))
        })
        .collect()
}

/// `2 findings (1 request-field-missing, 1 error-code-missing)`, or `nothing missing`.
fn counts(open: &[&Finding]) -> String {
    if open.is_empty() {
        return "nothing missing".to_owned();
    }
    let parts: Vec<String> = Kind::ALL
        .iter()
        .filter_map(|k| {
            let n = open.iter().filter(|f| f.kind == *k).count();
            (n > 0).then(|| format!("{n} {k}"))
        })
        .collect();
    format!("{} ({})", plural(open.len(), "finding"), parts.join(", "))
}

fn checked(docs: &DocModel) -> String {
    format!(
        "checked {} ({}, {}, {}, {}, {})",
        plural(docs.documents.len(), "document"),
        plural(docs.operations.len(), "operation"),
        plural(docs.field_count(), "field"),
        plural(docs.events.len(), "event"),
        plural(docs.error_codes.len(), "status code"),
        plural(docs.examples.len(), "example"),
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn spec_place(f: &Finding, spec_file: &str) -> String {
    match f.spec_line {
        Some(line) => format!("{spec_file}:{line} {}", f.spec_pointer),
        None if f.spec_pointer.is_empty() => String::new(),
        None => format!("{spec_file} {}", f.spec_pointer),
    }
}

fn text(docs: &DocModel, open: &[&Finding], excepted: &[&Finding], spec_file: &str) -> String {
    let mut out = String::new();
    for f in open {
        let op = if f.operation.is_empty() {
            String::new()
        } else {
            format!(" [{}]", f.operation)
        };
        let _ = writeln!(out, "{}:{}: {}{op}: {}", f.doc, f.line, f.kind, f.message);
        let place = spec_place(f, spec_file);
        if !place.is_empty() {
            let _ = writeln!(out, "    spec: {place}");
        }
        for s in &f.suggestions {
            let _ = writeln!(out, "    suggest: add at {}:", s.at);
            for line in s.yaml.lines() {
                let _ = writeln!(out, "        {line}");
            }
        }
    }
    if !excepted.is_empty() {
        if !open.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} (the spec differs on purpose; see spec/docs-check-exceptions.yaml):",
            plural(excepted.len(), "recorded exception")
        );
        for f in excepted {
            let _ = writeln!(out, "    {}:{}: {} `{}`", f.doc, f.line, f.kind, f.key);
        }
    }
    let partial = partial_examples(docs);
    if !partial.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} read in part (what is there is checked; what was skipped is not):",
            plural(partial.len(), "example")
        );
        for (doc, line, title, skipped) in partial {
            let _ = writeln!(out, "    {doc}:{line}: [{title}] skipped {skipped}");
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "docs-check: {}; {}.", counts(open), checked(docs));
    out
}

/// A table cell: no pipes, no line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(docs: &DocModel, open: &[&Finding], excepted: &[&Finding], spec_file: &str) -> String {
    let mut out = String::from("# docs-check\n\n");
    let _ = writeln!(out, "{}; {}.\n", capitalized(&counts(open)), checked(docs));
    if !open.is_empty() {
        out.push_str(
            "| Document | Kind | Operation | Finding | Spec |\n| --- | --- | --- | --- | --- |\n",
        );
        for f in open {
            let _ = writeln!(
                out,
                "| {}:{} | `{}` | {} | {} | {} |",
                cell(&f.doc),
                f.line,
                f.kind,
                cell(&f.operation),
                cell(&f.message),
                cell(&spec_place(f, spec_file))
            );
        }
        out.push('\n');
    }
    let partial = partial_examples(docs);
    if !partial.is_empty() {
        out.push_str(
            "## Examples read in part\n\n| Document | Section | Skipped |\n| --- | --- | --- |\n",
        );
        for (doc, line, title, skipped) in partial {
            let _ = writeln!(
                out,
                "| {}:{line} | {} | {} |",
                cell(doc),
                cell(title),
                cell(&skipped)
            );
        }
        out.push('\n');
    }
    if !excepted.is_empty() {
        out.push_str("## Recorded exceptions\n\n");
        out.push_str("| Document | Kind | Key | Reason |\n| --- | --- | --- | --- |\n");
        for f in excepted {
            let _ = writeln!(
                out,
                "| {}:{} | `{}` | `{}` | {} |",
                cell(&f.doc),
                f.line,
                f.kind,
                cell(&f.key),
                cell(f.exception.as_deref().unwrap_or_default())
            );
        }
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
