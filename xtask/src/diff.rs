//! `cargo xtask diff`: what changed in the HTTP API and in the generated Rust API between two specs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use classroom_codegen::Spec;
use classroom_codegen::diff::{self, AcceptFile, Ci, Date, FailOn, Level, Report, SurfaceCache};

use crate::{display_path, project_root};

/// The spec's path inside the repository, for `git show REV:PATH`.
const SPEC: &str = "spec/classroom.yaml";

/// The accept file's path inside the repository.
const ACCEPT: &str = "spec/diff-accept.yaml";

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
    /// Exit 1 when a change that is not accepted is caught by one of these (repeat, or separate
    /// with commas), or when the accept file has an expired or unmatched entry.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "breaking")]
    fail_on: Vec<Gate>,
    /// Changes accepted on purpose, with reasons [default: spec/diff-accept.yaml, if it exists].
    #[arg(long, value_name = "FILE")]
    accept: Option<PathBuf>,
    /// The day expiry dates are compared with [default: today, UTC], as YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
    /// Load and compare both specs, and generate and read both crates, even when
    /// target/xtask-diff-cache/ holds the report of the same pair or the crates.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// For a pull-request comment.
    Markdown,
    /// For tools: stable rule ids.
    Json,
    /// For a terminal.
    Text,
    /// GitHub Actions workflow commands: annotations on the spec's lines.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// The Keep-a-Changelog section for the release.
    Changelog,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Gate {
    /// Changes that break HTTP clients.
    Breaking,
    /// Also changes that may break them.
    Warning,
    /// Any change.
    Info,
    /// Changes that can break code built on the generated crate, whatever their HTTP level.
    RustBreaking,
}

impl Gate {
    fn to_fail_on(self) -> FailOn {
        match self {
            Gate::Breaking => FailOn::Level(Level::Breaking),
            Gate::Warning => FailOn::Level(Level::Warning),
            Gate::Info => FailOn::Level(Level::Info),
            Gate::RustBreaking => FailOn::RustBreaking,
        }
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let mut timings = Timings::from_env();
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
    timings.lap("read both specs");
    let cache = FileCache::new(&root).filter(|_| !args.no_cache);
    // The same pair of specs seen before: its report, without loading either.
    let key = diff::report_key((&base.1, &base.0), (&head.1, &head.0));
    let cached = cache
        .as_ref()
        .and_then(|c| c.get(&key))
        .and_then(|text| Report::from_cache(&text));
    timings.lap("report cache lookup");
    let mut report = match cached {
        Some(report) => report,
        None => {
            let report = compare(&base, &head, cache.as_ref(), &mut timings)?;
            if let Some(c) = &cache {
                c.put(&key, &report.to_cache());
            }
            report
        }
    };
    if let Some(accept) = read_accept(&root, args.accept.as_deref())? {
        let today = match &args.today {
            Some(d) => {
                Date::parse(d).with_context(|| format!("`--today {d}` is not YYYY-MM-DD"))?
            }
            None => today(),
        };
        report.accept(&accept, today);
    }
    timings.lap("accept file");
    let gates: Vec<FailOn> = args.fail_on.iter().map(|g| g.to_fail_on()).collect();
    let ci = Ci {
        gates: &gates,
        spec_path: SPEC,
    };
    print!(
        "{}",
        match args.format {
            Format::Markdown => report.to_markdown(),
            Format::Json => report.to_json(),
            Format::Text => report.to_text(),
            Format::Github => report.to_github(ci),
            Format::Sarif => report.to_sarif(ci),
            Format::Junit => report.to_junit(ci),
            Format::Changelog => report.to_changelog(),
        }
    );
    timings.lap("render and print");
    timings.finish();
    Ok(if report.fails_on(&gates) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads both specs (at once, one thread each) and compares them.
fn compare(
    base: &(String, String),
    head: &(String, String),
    cache: Option<&FileCache>,
    timings: &mut Timings,
) -> Result<Report> {
    let load = |(text, name): &(String, String)| {
        Spec::load(text, name).map_err(|e| anyhow::anyhow!("{e}"))
    };
    let (base, head) = std::thread::scope(|scope| {
        let b = scope.spawn(|| load(base));
        let h = load(head);
        (
            b.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("panicked"))),
            h,
        )
    });
    let base = base.context("the base spec does not load")?;
    let head = head.context("the head spec does not load")?;
    timings.lap("load both specs (parallel)");
    let report = match cache {
        Some(cache) => diff::diff_cached(&base, &head, cache),
        None => diff::diff(&base, &head),
    };
    timings.lap("diff (surfaces and HTTP walk)");
    // The two loaded specs are large trees that the process is about to give back whole; freeing
    // them node by node takes a noticeable part of a run in a debug build.
    std::mem::forget((base, head));
    Ok(report)
}

/// The accept file: `--accept FILE`, else `spec/diff-accept.yaml` when it exists.
fn read_accept(root: &Path, path: Option<&Path>) -> Result<Option<AcceptFile>> {
    let (path, shown) = match path {
        Some(p) => (
            p.to_path_buf(),
            display_path(&fs::canonicalize(p).unwrap_or(p.to_path_buf())),
        ),
        None => {
            let p = root.join(ACCEPT);
            if !p.is_file() {
                return Ok(None);
            }
            (p, ACCEPT.to_owned())
        }
    };
    let text = fs::read_to_string(&path)
        .with_context(|| format!("cannot read the accept file {}", path.display()))?;
    let file = AcceptFile::parse(&text, &shown)?;
    Ok(Some(file))
}

/// The Rust side of specs seen before, and the reports of pairs seen before, in
/// `target/xtask-diff-cache/<build>/`: one file per spec content (per pair's names and contents),
/// in a folder per build of this program, so that a changed generator or diff never reads what an
/// older one wrote.
struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    fn new(root: &Path) -> Option<FileCache> {
        let exe = std::env::current_exe().ok()?;
        let meta = fs::metadata(exe).ok()?;
        let built = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        let dir = root.join("target/xtask-diff-cache").join(format!(
            "{}-{}",
            built.as_nanos(),
            meta.len()
        ));
        Some(FileCache { dir })
    }
}

impl FileCache {
    /// Removes the folders of other builds (best effort: a folder in use elsewhere is only a
    /// cache, and a failed removal is tried again by the next build's first write).
    fn prune_other_builds(&self) {
        let (Some(parent), Some(own)) = (self.dir.parent(), self.dir.file_name()) else {
            return;
        };
        let Ok(entries) = fs::read_dir(parent) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name() != own && entry.path().is_dir() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

impl SurfaceCache for FileCache {
    fn get(&self, key: &str) -> Option<String> {
        fs::read_to_string(self.dir.join(format!("{key}.json"))).ok()
    }

    fn put(&self, key: &str, value: &str) {
        // The first write of this build removes what older builds wrote: nothing reads it again.
        if !self.dir.is_dir() {
            self.prune_other_builds();
        }
        // Written whole under a temporary name, then renamed: a reader never sees half a file.
        if fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let tmp = self.dir.join(format!("{key}.{}.tmp", std::process::id()));
        if fs::write(&tmp, value).is_ok() {
            let _ = fs::rename(&tmp, self.dir.join(format!("{key}.json")));
        }
    }
}

/// Today in UTC.
fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0))
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

/// Phase timings on stderr when `XTASK_TIMINGS` is set: where a run's time goes.
struct Timings {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Timings {
    fn from_env() -> Timings {
        let now = Instant::now();
        Timings {
            on: std::env::var_os("XTASK_TIMINGS").is_some(),
            start: now,
            last: now,
        }
    }

    fn lap(&mut self, phase: &str) {
        let now = Instant::now();
        if self.on {
            eprintln!(
                "timing: {:>7.1} ms  {phase}",
                (now - self.last).as_secs_f64() * 1e3
            );
        }
        self.last = now;
    }

    fn finish(&self) {
        if self.on {
            eprintln!(
                "timing: {:>7.1} ms  total in main's diff::run",
                self.start.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
