//! Project tasks: `cargo xtask codegen [--check] [--spec PATH] [--out DIR]`,
//! `cargo xtask docs-check [DOC ...] [--format text|markdown|json]`, `cargo xtask bench`,
//! `cargo xtask diff [--base REV|FILE] [--head REV|FILE] [--format F] [--fail-on GATE,..] [--accept FILE]`,
//! `cargo xtask diff-semver-check [--filter TEXT] [--tool PATH]`.

mod bench;
mod codegen;
mod diff;
mod docs_check;
mod semver_check;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "Tasks of the classroom-api workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate `classroom-api/src/generated/` from `spec/classroom.yaml`.
    Codegen(codegen::Args),
    /// Run the benchmarks and write BENCHMARKS.md.
    Bench(bench::Args),
    /// Compare the vendor's documents with the spec: what is documented but missing, and the reverse.
    DocsCheck(docs_check::Args),
    /// Explain what changed between two specs, for HTTP clients and for the Rust crate.
    Diff(diff::Args),
    /// Compare the diff's Rust verdict on every fixture pair with cargo-semver-checks'.
    DiffSemverCheck(semver_check::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(args) => codegen::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::DocsCheck(args) => docs_check::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::DiffSemverCheck(args) => semver_check::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// The project root: the nearest folder, from the current directory up, with a workspace
/// `Cargo.toml` and `spec/classroom.yaml`. Not the compile-time path of this crate: with a
/// `CARGO_TARGET_DIR` shared by two clones, one binary serves both, and a compile-time path
/// would make `cargo xtask` in one clone read and write the other. Exits with a message when
/// run outside a checkout.
pub fn project_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let found = std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))
            .and_then(|dir| {
                find_root(&dir).ok_or_else(|| {
                    format!(
                        "{} is not inside a classroom-api checkout (no workspace Cargo.toml with \
                         spec/classroom.yaml in it or above it): run cargo xtask from the project",
                        dir.display()
                    )
                })
            });
        match found {
            Ok(root) => root,
            Err(message) => {
                eprintln!("error: {message}");
                std::process::exit(2)
            }
        }
    })
    .clone()
}

/// The nearest ancestor of `start` (itself included) that is the project root.
fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
}

fn is_root(dir: &Path) -> bool {
    dir.join("spec/classroom.yaml").is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|manifest| manifest.lines().any(|l| l.trim() == "[workspace]"))
}

/// A path as shown in messages: relative to the root when inside it.
pub fn display_path(path: &Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
