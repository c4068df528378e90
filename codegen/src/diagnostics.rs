//! Errors in a spec: each names the file, the place (JSON pointer and line) and what to change.

use std::fmt;

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// JSON pointer of the offending node (`""` for the whole document).
    pub pointer: String,
    /// 1-based line of that node in the spec file, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to change, when there is an obvious fix.
    pub hint: Option<String>,
}

/// Every problem that stops generation, for one spec file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// The spec file's name as given to the generator.
    pub file: String,
    /// The problems, in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        write!(
            f,
            "{}: {n} problem{} in the spec",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n{}", self.file)?;
            if let Some(line) = d.line {
                write!(f, ":{line}")?;
            }
            let pointer = if d.pointer.is_empty() {
                "/"
            } else {
                &d.pointer
            };
            write!(f, ": at {pointer}: {}", d.message)?;
            if let Some(hint) = &d.hint {
                write!(f, "\n  help: {hint}")?;
            }
        }
        Ok(())
    }
}
