//! Project tasks: `cargo xtask codegen [--check] [--spec PATH] [--out DIR]`,
//! `cargo xtask docs-check [DOC ...] [--format text|markdown|json]`, `cargo xtask bench`,
//! `cargo xtask diff [--base REV|FILE] [--head REV|FILE] [--format F] [--fail-on GATE,..] [--accept FILE]`.

mod bench;
mod codegen;
mod diff;
mod docs_check;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(args) => codegen::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::DocsCheck(args) => docs_check::run(&args),
        Command::Diff(args) => diff::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root, from this crate's manifest directory (never the current directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A path as shown in messages: relative to the root when inside it.
pub fn display_path(path: &Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
