//! `cargo xtask diff`: what changed in the HTTP API and in the generated Rust API between two specs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use classroom_codegen::Spec;
use classroom_codegen::diff::{self, Level};

use crate::{display_path, project_root};

/// The spec's path inside the repository, for `git show REV:PATH`.
const SPEC: &str = "spec/classroom.yaml";

/// Arguments of `cargo xtask diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The old spec: a git revision or a file [default: the merge base of `main` and `HEAD`].
    #[arg(long, value_name = "REV|FILE")]
    base: Option<String>,
    /// The new spec: a git revision or a file [default: the working tree's spec/classroom.yaml].
    #[arg(long, value_name = "REV|FILE")]
    head: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
    /// Exit 1 when a change at this level or above is found.
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    fail_on: FailOn,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// For a pull-request comment.
    Markdown,
    /// For tools: stable rule ids.
    Json,
    /// For a terminal.
    Text,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    /// Changes that break HTTP clients.
    Breaking,
    /// Also changes that may break them.
    Warning,
    /// Any change.
    Info,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let root = project_root();
    let base = match &args.base {
        Some(side) => read_side(&root, side)?,
        None => {
            let rev = merge_base(&root)?;
            read_side(&root, &rev)?
        }
    };
    let head = match &args.head {
        Some(side) => read_side(&root, side)?,
        None => {
            let path = root.join(SPEC);
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read the spec {}", path.display()))?;
            (text, format!("{SPEC} (working tree)"))
        }
    };
    let load = |(text, name): &(String, String)| {
        Spec::load(text, name).map_err(|e| anyhow::anyhow!("{e}"))
    };
    let base = load(&base).context("the base spec does not load")?;
    let head = load(&head).context("the head spec does not load")?;
    let report = diff::diff(&base, &head);
    print!(
        "{}",
        match args.format {
            Format::Markdown => report.to_markdown(),
            Format::Json => report.to_json(),
            Format::Text => report.to_text(),
        }
    );
    let level = match args.fail_on {
        FailOn::Breaking => Level::Breaking,
        FailOn::Warning => Level::Warning,
        FailOn::Info => Level::Info,
    };
    Ok(if report.fails(level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A spec's text and its name in messages, from a file or from `git show REV:spec/classroom.yaml`.
fn read_side(root: &Path, side: &str) -> Result<(String, String)> {
    let path = PathBuf::from(side);
    if path.is_file() {
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read the spec {}", path.display()))?;
        let shown = fs::canonicalize(&path)
            .map(|p| display_path(&p))
            .unwrap_or_else(|_| side.to_owned());
        return Ok((text, shown));
    }
    let out = git(root, &["show", &format!("{side}:{SPEC}")]).with_context(|| {
        format!("`{side}` is neither a file nor a git revision that has {SPEC}")
    })?;
    let short = git(root, &["rev-parse", "--short", side])
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| side.to_owned());
    let name = if side.starts_with(&short) {
        format!("{SPEC}@{short}")
    } else {
        format!("{SPEC}@{side} ({short})")
    };
    Ok((out, name))
}

/// `git merge-base main HEAD`, else `main`.
fn merge_base(root: &Path) -> Result<String> {
    if let Ok(rev) = git(root, &["merge-base", "main", "HEAD"]) {
        return Ok(rev.trim().to_owned());
    }
    if git(root, &["rev-parse", "--verify", "--quiet", "main^{commit}"]).is_ok() {
        return Ok("main".to_owned());
    }
    bail!("no base to compare with: there is no `main` branch here; pass `--base REV|FILE`")
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("git printed something that is not UTF-8")
}
