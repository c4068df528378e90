//! `cargo xtask bench`: runs the SDK's benchmarks, adds the compile-cost figures, prints every
//! figure with its target and the last recorded run, and writes BENCHMARKS.md.

use std::collections::BTreeMap;
use std::fs;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::project_root;

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Print the figures without writing BENCHMARKS.md.
    #[arg(long)]
    no_write: bool,
    /// Skip the clean build (the slowest figure).
    #[arg(long)]
    skip_clean_build: bool,
    /// The poller's figures alone, on a tenth of the events (CI): every store per event and
    /// batched, and the takeover time. Fails when the benchmark fails or a store's figures are
    /// missing (never on speed); writes nothing.
    #[arg(long)]
    short: bool,
}

/// The figures `--short` must print: every store in both modes, and the takeover.
const SHORT_FIGURES: &[&str] = &[
    "pages.poller_events_per_s",
    "poller.memory_batched_events_per_s",
    "poller.file_per_event_events_per_s",
    "poller.file_batched_events_per_s",
    "poller.postgres_per_event_events_per_s",
    "poller.postgres_batched_events_per_s",
    "poller.postgres_takeover_ms_median_of_5",
];

const MARK: &str = "<!-- figures: ";

/// (figure, target, how the target reads) for the figures that have one.
const TARGETS: &[(&str, f64, &str)] = &[
    ("decode.ratio_typed_over_value_time", 1.0, "<= 1.00"),
    (
        "calls.c1.get_user.ratio_sdk_over_baseline_time",
        1.10,
        "<= 1.10",
    ),
    (
        "calls.c1.create_room.ratio_sdk_over_baseline_time",
        1.10,
        "<= 1.10",
    ),
    (
        "calls.c64.get_user.ratio_sdk_over_baseline_time",
        1.10,
        "<= 1.10",
    ),
    (
        "calls.c64.create_room.ratio_sdk_over_baseline_time",
        1.10,
        "<= 1.10",
    ),
    ("pages.room_stream_events_per_s", -100_000.0, ">= 100000"),
    ("pages.poller_events_per_s", -100_000.0, ">= 100000"),
    ("poller.file_batched_events_per_s", -100_000.0, ">= 100000"),
    (
        "poller.postgres_batched_events_per_s",
        -20_000.0,
        ">= 20000",
    ),
    (
        "poller.postgres_takeover_ms_median_of_5",
        5_000.0,
        "<= 5000",
    ),
    ("regen.real_ms", 100.0, "< 100"),
    ("regen.ratio_x100_over_x10", 12.0, "<= 12"),
    ("proxy.added_median_ms", 1.0, "< 1"),
    ("docs_parse.mdx_200kb_ms", 100.0, "< 100"),
    ("docs_parse.ratio_2000kb_over_200kb", 15.0, "<= 15"),
    ("deps.default_crates", 105.0, "<= 105"),
];

fn met(value: f64, target: f64) -> bool {
    if target < 0.0 {
        value >= -target
    } else {
        value <= target
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let root = project_root();
    let started = Instant::now();
    let mut figures: BTreeMap<String, f64> = BTreeMap::new();

    eprintln!("running the SDK benchmarks (release build)...");
    // The poller's Postgres figures need a database: a throwaway cluster when none is given and
    // the server is installed.
    let with_postgres =
        std::env::var_os("CLASSROOM_TEST_DATABASE_URL").is_none() && postgres_installed();
    let bench = if with_postgres {
        eprintln!("(with a throwaway Postgres: .ci/with-postgres)");
        let mut c = Command::new(root.join(".ci/with-postgres"));
        c.arg(env!("CARGO"));
        c
    } else {
        Command::new(env!("CARGO"))
    };
    if args.short {
        return short(bench, &root, started);
    }
    figures.extend(bench_figures(bench, &root, "classroom-tests", "sdk", &[])?);

    eprintln!("running the validating proxy's benchmark (release build)...");
    figures.extend(bench_figures(
        Command::new(env!("CARGO")),
        &root,
        "classroom-emulator",
        "proxy",
        &[],
    )?);

    // Compile cost for users.
    let generated = root.join("classroom-api/src/generated");
    let mut lines = 0usize;
    for entry in fs::read_dir(&generated)? {
        lines += fs::read_to_string(entry?.path())?.lines().count();
    }
    figures.insert("compile.generated_lines".into(), lines as f64);
    figures.insert("deps.default_crates".into(), default_crates(&root)? as f64);
    if !args.skip_clean_build {
        eprintln!("clean build of classroom-api (dependencies included)...");
        let dir = root.join("target/bench-clean");
        let _ = fs::remove_dir_all(&dir);
        let secs = timed(&mut cargo_build(&root, &dir, false))?;
        figures.insert("compile.clean_build_s".into(), secs);
        eprintln!("clean build of the library alone, debug then release...");
        let secs = library_alone(&root, &dir, false)?;
        figures.insert("compile.lib_alone_debug_s".into(), secs);
        timed(&mut cargo_build(&root, &dir, true))?;
        let secs = library_alone(&root, &dir, true)?;
        figures.insert("compile.lib_alone_release_s".into(), secs);
        let _ = fs::remove_dir_all(&dir);
    }
    eprintln!("incremental check after touching a generated file...");
    timed(Command::new(env!("CARGO")).current_dir(&root).args([
        "check",
        "-q",
        "-p",
        "classroom-api",
    ]))?;
    let types = generated.join("types.rs");
    let text = fs::read(&types)?;
    fs::write(&types, &text)?;
    let secs = timed(Command::new(env!("CARGO")).current_dir(&root).args([
        "check",
        "-q",
        "-p",
        "classroom-api",
    ]))?;
    figures.insert("compile.check_after_touch_s".into(), secs);

    let bench_md = root.join("BENCHMARKS.md");
    let old_doc = fs::read_to_string(&bench_md).ok();
    let previous: BTreeMap<String, f64> = old_doc
        .as_deref()
        .and_then(|t| {
            let start = t.find(MARK)? + MARK.len();
            let end = start + t[start..].find(" -->")?;
            serde_json::from_str(&t[start..end]).ok()
        })
        .unwrap_or_default();
    let table = render(&figures, &previous);
    println!("{table}");
    let missed: Vec<&str> = TARGETS
        .iter()
        .filter(|(k, t, _)| figures.get(*k).is_some_and(|v| !met(*v, *t)))
        .map(|(k, _, _)| *k)
        .collect();
    if !missed.is_empty() {
        println!("targets missed: {}", missed.join(", "));
    }
    eprintln!("done in {:.0} s", started.elapsed().as_secs_f64());
    if !args.no_write {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let doc = format!(
            "# Benchmarks\n\nThe latest figures of `cargo xtask bench`, on a machine with {cores} cores.\n\
             Every SDK figure is measured against its baseline in the same run (plain reqwest and serde_json for calls, \
             `serde_json::Value` for decoding); a ratio of time below 1 means the SDK is faster.\n\
             The column \"last\" is the run recorded before this one.\n\n{table}\n{MARK}{} -->\n{}",
            serde_json::to_string(&figures)?,
            old_doc
                .as_deref()
                .map(hand_written)
                .filter(|notes| !notes.is_empty())
                .map(|notes| format!("\n{notes}"))
                .unwrap_or_default(),
        );
        fs::write(&bench_md, doc)?;
        eprintln!("wrote BENCHMARKS.md");
    }
    Ok(ExitCode::SUCCESS)
}

/// What follows the figures' comment in BENCHMARKS.md: notes written by hand (how a figure was
/// measured, what moves it), which a run keeps.
fn hand_written(doc: &str) -> &str {
    doc.find(MARK)
        .and_then(|start| {
            doc[start..]
                .find(" -->")
                .map(|end| start + end + " -->".len())
        })
        .map_or("", |end| doc[end..].trim_start_matches('\n'))
}

/// `--short`: the poller's figures on a tenth of the events, printed with their targets (not
/// enforced: CI runs on a shared machine); an error when the benchmark fails or a figure is
/// missing.
fn short(bench: Command, root: &std::path::Path, started: Instant) -> Result<ExitCode> {
    let figures = bench_figures(
        bench,
        root,
        "classroom-tests",
        "sdk",
        &["poller", "--short"],
    )?;
    println!("{}", render(&figures, &BTreeMap::new()));
    let missing: Vec<&str> = SHORT_FIGURES
        .iter()
        .copied()
        .filter(|k| !figures.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the poller benchmark printed no {} (is CLASSROOM_TEST_DATABASE_URL set, or Postgres installed?)",
            missing.join(", ")
        );
    }
    eprintln!("done in {:.0} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// The crates a user's default build of `classroom-api` compiles, itself included: the distinct
/// lines of `cargo tree -p classroom-api -e normal --prefix none`, a repeated crate's `(*)` mark
/// removed.
fn default_crates(root: &std::path::Path) -> Result<usize> {
    let out = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "tree",
            "-q",
            "-p",
            "classroom-api",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .context("cannot run cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let crates: std::collections::BTreeSet<&str> = std::str::from_utf8(&out.stdout)?
        .lines()
        .map(|l| l.trim_end_matches(" (*)"))
        .filter(|l| !l.is_empty())
        .collect();
    Ok(crates.len())
}

/// `cargo build -q -p classroom-api` into `dir` (default features, as a user builds it).
fn cargo_build(root: &std::path::Path, dir: &std::path::Path, release: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root)
        .args(["build", "-q", "-p", "classroom-api", "--target-dir"])
        .arg(dir);
    if release {
        cmd.arg("--release");
    }
    cmd
}

/// The seconds a build of the library takes once its dependencies are built: its own artifacts
/// removed with `cargo clean -p`, then built again.
fn library_alone(root: &std::path::Path, dir: &std::path::Path, release: bool) -> Result<f64> {
    let mut clean = Command::new(env!("CARGO"));
    clean
        .current_dir(root)
        .args(["clean", "-q", "-p", "classroom-api", "--target-dir"])
        .arg(dir);
    if release {
        clean.arg("--release");
    }
    timed(&mut clean)?;
    timed(&mut cargo_build(root, dir, release))
}

/// Whether the Postgres server binaries are there (Debian's layout, or `pg_ctl` on the path).
fn postgres_installed() -> bool {
    let debian = fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().any(|d| d.path().join("bin/pg_ctl").exists()))
        .unwrap_or(false);
    debian
        || std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("pg_ctl").exists()))
}

/// The figures a bench binary prints as its last JSON line with `--json`: `cargo bench -p
/// package --bench bench -- [extra]`, run by `cargo` (`cargo`, or a wrapper that runs it).
fn bench_figures(
    mut cargo: Command,
    root: &std::path::Path,
    package: &str,
    bench: &str,
    extra: &[&str],
) -> Result<BTreeMap<String, f64>> {
    let out = cargo
        .current_dir(root)
        .args([
            "bench", "-q", "-p", package, "--bench", bench, "--", "--json",
        ])
        .args(extra)
        .output()
        .context("cannot run cargo bench")?;
    if !out.status.success() {
        bail!(
            "the benchmark {package}/{bench} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("{}")
        .to_owned();
    serde_json::from_str(&line)
        .with_context(|| format!("the output of the benchmark {package}/{bench} is not JSON"))
}

fn timed(cmd: &mut Command) -> Result<f64> {
    let t = Instant::now();
    let status = cmd.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("{cmd:?} failed");
    }
    Ok(t.elapsed().as_secs_f64())
}

fn render(figures: &BTreeMap<String, f64>, previous: &BTreeMap<String, f64>) -> String {
    let mut out = String::from("| figure | value | target | last |\n|---|---:|---|---:|\n");
    for (k, v) in figures {
        let target = TARGETS
            .iter()
            .find(|(name, _, _)| name == k)
            .map_or(String::new(), |(_, t, text)| {
                format!("{text} {}", if met(*v, *t) { "(met)" } else { "(missed)" })
            });
        let last = previous.get(k).map_or("-".to_owned(), |p| fmt(*p));
        out.push_str(&format!("| {k} | {} | {target} | {last} |\n", fmt(*v)));
    }
    out
}

fn fmt(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_the_notes_after_the_figures() {
        let doc =
            format!("# Benchmarks\n\n| table |\n\n{MARK}{{\"a\":1}} -->\n\n## Notes\n\nBy hand.\n");
        assert_eq!(hand_written(&doc), "## Notes\n\nBy hand.\n");
        assert_eq!(hand_written(&format!("{MARK}{{}} -->\n")), "");
        assert_eq!(hand_written("no figures yet"), "");
    }
}
