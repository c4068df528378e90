//! Generates the `classroom-api` crate from `spec/classroom.yaml`.
//!
//! Pure: a spec's text goes in, files (path → contents) come out; no file IO.
//! [`generate`] is the one entry point; [`Spec::load`] gives the checked model to other tools
//! (`cargo xtask diff`, `cargo xtask docs-check`).

mod diagnostics;
pub mod diff;
mod doc_text;
pub mod docs;
mod emit;
pub mod json_schema;
pub mod model;
mod spec;
pub mod yaml;

use std::collections::BTreeMap;

pub use diagnostics::{Diagnostic, SpecError};
pub use emit::header;
pub use spec::Spec;

/// The generated files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Path relative to `classroom-api/src/generated/` → contents.
    pub files: BTreeMap<String, String>,
}

/// Generates the crate's files from a spec's text; `file` names the spec in messages.
pub fn generate(text: &str, file: &str) -> Result<Generated, SpecError> {
    let spec = Spec::load(text, file)?;
    generate_from(&spec)
}

/// Generates the crate's files from a loaded spec.
pub fn generate_from(spec: &Spec) -> Result<Generated, SpecError> {
    let files = emit::render(&spec.model, &spec.file).map_err(|message| SpecError {
        file: spec.file.clone(),
        diagnostics: vec![Diagnostic {
            pointer: String::new(),
            line: None,
            message: format!("{message} (a bug of the generator: please report it with this spec)"),
            hint: None,
        }],
    })?;
    Ok(Generated { files })
}
