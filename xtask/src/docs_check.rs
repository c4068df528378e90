//! `cargo xtask docs-check`: what the vendor's documents say that the spec does not, and the reverse.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use classroom_codegen::Spec;
use classroom_codegen::docs::{self, DocModel, Exceptions, Format};

use crate::{display_path, project_root};

/// Arguments of `cargo xtask docs-check`.
#[derive(clap::Args)]
pub struct Args {
    /// The vendor documents to read, in any format (Markdown, MDX, plain text) and language, told
    /// from the content (default: every file in spec/docs/, the documents the spec was written
    /// from). What the spec has that no document names is reported against the documents given.
    #[arg(value_name = "DOC")]
    docs: Vec<PathBuf>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// The spec to compare with.
    #[arg(long, value_name = "PATH")]
    spec: Option<PathBuf>,
    /// Print, beside each missing operation, field, enum value or event, a draft YAML fragment for
    /// the spec and where it goes (also in the JSON output, as `suggestions`).
    #[arg(long)]
    suggest: bool,
    /// The deliberate differences (default: spec/docs-check-exceptions.yaml).
    #[arg(long, value_name = "PATH")]
    exceptions: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Text,
    Markdown,
    Json,
}

/// Exit 0 when nothing is missing, 1 when something is (or a document holds no operation); a file
/// that cannot be read (missing, not UTF-8) is an error (exit 2).
pub fn run(args: &Args) -> Result<ExitCode> {
    let root = project_root();
    let spec_path = args
        .spec
        .clone()
        .unwrap_or_else(|| root.join("spec/classroom.yaml"));
    let text = fs::read_to_string(&spec_path)
        .with_context(|| format!("cannot read the spec {}", spec_path.display()))?;
    let spec = Spec::load(&text, &display_path(&spec_path)).map_err(|e| anyhow::anyhow!("{e}"))?;

    let exceptions_path = args
        .exceptions
        .clone()
        .unwrap_or_else(|| root.join("spec/docs-check-exceptions.yaml"));
    let exceptions = match fs::read_to_string(&exceptions_path) {
        Ok(text) => {
            Exceptions::parse(&text, &display_path(&exceptions_path)).map_err(anyhow::Error::msg)?
        }
        Err(_) if args.exceptions.is_none() && !exceptions_path.exists() => Exceptions::default(),
        Err(e) => bail!("cannot read {}: {e}", exceptions_path.display()),
    };

    let paths = if args.docs.is_empty() {
        default_docs(&root.join("spec/docs"))?
    } else {
        args.docs.clone()
    };
    let mut model = DocModel::default();
    // A text in which no operation is found is reported and makes the run fail (exit 1), but the
    // other documents are still checked: exit 2 is for files that cannot be read at all.
    let mut unread = Vec::new();
    for path in &paths {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the document {}", path.display()))?;
        match docs::parse(&display_path(path), &text) {
            Ok(m) => model.merge(m),
            Err(e) => unread.push(e),
        }
    }
    for e in &unread {
        eprintln!("docs-check: {e}");
    }
    if model.documents.is_empty() {
        return Ok(ExitCode::from(1));
    }

    let mut findings = docs::check(&model, &spec, &exceptions);
    if args.suggest {
        docs::suggest(&model, &spec, &mut findings);
    }
    let format = match args.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Json => Format::Json,
    };
    print!("{}", docs::render(&model, &findings, &spec.file, format));
    Ok(
        if !unread.is_empty() || findings.iter().any(|f| f.is_open()) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// The documents kept in the project, sorted by name.
fn default_docs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("no document in {}", dir.display());
    }
    Ok(paths)
}
