//! `cargo xtask diff-semver-check`: the diff's Rust verdict on every fixture pair, compared with
//! cargo-semver-checks', the ecosystem's tool.
//!
//! For each pair `tests/fixtures/diff/<name>/{base,head}.yaml` the diff says whether code built on
//! the base's crate may stop compiling against the head's (some change is `rust_breaking`). For the
//! other verdict each side's crate is built for real: a scratch copy of `classroom-api` in
//! `target/xtask-semver/ws/` gets the side's generated files, rustdoc writes its JSON
//! (`RUSTC_BOOTSTRAP=1 cargo rustdoc --output-format json`, offline, one target dir for every
//! build), and `cargo semver-checks check-release --baseline-rustdoc B --current-rustdoc H` judges
//! the pair: breaking when a check that needs a major release fails.
//!
//! The scratch crate is `classroom-api` without its default features and without `widgets`
//! (hand-written views over the real spec's event payloads, which a fixture does not have). The
//! hand-written modules name a few generated types (`Region`, `UserRole`, `ErrorCode`); a fixture
//! that lacks them gets the real spec's, the same on both sides, so they add no difference.
//!
//! Disagreements explained in `xtask/semver-known-differences.md` are reported, not failed; an
//! unexplained one, or an explained pair that agrees now, exits 1.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use classroom_codegen::Spec;
use classroom_codegen::diff;
use serde_json::Value;

use crate::project_root;

/// The file that explains known disagreements.
const KNOWN: &str = "xtask/semver-known-differences.md";

/// The version of cargo-semver-checks the cross-check was written against (its rustdoc JSON
/// format must match the toolchain's: 0.51 reads format 57, rustc 1.95's).
const TOOL_VERSION: &str = "0.51.0";

/// Arguments of `cargo xtask diff-semver-check`.
#[derive(clap::Args)]
pub struct Args {
    /// Only the fixture pairs whose folder name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// The cargo-semver-checks binary [default: `cargo-semver-checks` on PATH].
    #[arg(long, value_name = "PATH")]
    tool: Option<PathBuf>,
    /// The explained disagreements [default: xtask/semver-known-differences.md].
    #[arg(long, value_name = "FILE")]
    known: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let root = project_root();
    let tool = args
        .tool
        .clone()
        .unwrap_or_else(|| PathBuf::from("cargo-semver-checks"));
    check_tool(&tool)?;
    let known_path = args.known.clone().unwrap_or_else(|| root.join(KNOWN));
    let known_text = fs::read_to_string(&known_path)
        .with_context(|| format!("cannot read {}", known_path.display()))?;
    let known = parse_known(&known_text).with_context(|| {
        format!(
            "{} is not a table of known differences",
            known_path.display()
        )
    })?;

    let pairs = fixture_pairs(&root, args.filter.as_deref())?;
    if pairs.is_empty() {
        bail!("no fixture pair matches the filter");
    }
    let support = Support::from_spec(&root.join("spec/classroom.yaml"))?;
    let scratch = Scratch::prepare(&root)?;
    let mut rows = Vec::new();
    for pair in &pairs {
        let ours = ours(pair)?;
        let base_json = scratch.rustdoc(&support.crate_files(&pair.base)?)?;
        let head_json = scratch.rustdoc(&support.crate_files(&pair.head)?)?;
        let theirs = theirs(&tool, &base_json, &head_json)
            .with_context(|| format!("cargo-semver-checks on the pair {}", pair.name))?;
        eprintln!(
            "{}: ours {}, theirs {}",
            pair.name,
            verdict(ours.breaking),
            verdict(theirs.breaking)
        );
        rows.push(Row {
            pair: pair.name.clone(),
            ours,
            theirs,
        });
    }
    let outcome = judge(&rows, &known);
    print!("{}", render(&rows, &known, &outcome));
    Ok(if outcome.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One fixture pair: its folder name and both specs' texts.
struct Pair {
    name: String,
    base: Side,
    head: Side,
}

/// A spec's text and its name in messages.
struct Side {
    text: String,
    file: String,
}

fn fixture_pairs(root: &Path, filter: Option<&str>) -> Result<Vec<Pair>> {
    let dir = root.join("tests/fixtures/diff");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("base.yaml").is_file() && e.path().join("head.yaml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| filter.is_none_or(|f| n.contains(f)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let side = |s: &str| -> Result<Side> {
                let file = format!("tests/fixtures/diff/{name}/{s}.yaml");
                let text = fs::read_to_string(root.join(&file))
                    .with_context(|| format!("cannot read {file}"))?;
                Ok(Side { text, file })
            };
            Ok(Pair {
                base: side("base")?,
                head: side("head")?,
                name,
            })
        })
        .collect()
}

/// The diff's Rust verdict on a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ours {
    breaking: bool,
    /// The rules of the changes that break Rust code.
    rules: Vec<String>,
}

fn ours(pair: &Pair) -> Result<Ours> {
    let load = |s: &Side| Spec::load(&s.text, &s.file).map_err(|e| anyhow::anyhow!("{e}"));
    let report = diff::diff(&load(&pair.base)?, &load(&pair.head)?);
    let mut rules: Vec<String> = report
        .changes
        .iter()
        .filter(|c| c.rust_breaking)
        .map(|c| c.rule.to_owned())
        .collect();
    rules.dedup();
    Ok(Ours {
        breaking: !rules.is_empty(),
        rules,
    })
}

/// cargo-semver-checks' verdict on a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Theirs {
    breaking: bool,
    /// How many failed checks need a major release, and how many a minor one.
    major: usize,
    minor: usize,
    /// The checks that failed.
    checks: Vec<String>,
}

fn check_tool(tool: &Path) -> Result<()> {
    let out = Command::new(tool)
        .args(["semver-checks", "--version"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let version = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            eprintln!("using {version} ({})", tool.display());
            Ok(())
        }
        Ok(o) => bail!(
            "`{} semver-checks --version` failed: {}",
            tool.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => bail!(
            "cannot run {} ({e}): cargo-semver-checks is not installed. Install it with \
             `cargo install cargo-semver-checks@{TOOL_VERSION} --locked` (it builds from source: \
             many minutes), then run this again, or pass `--tool PATH`",
            tool.display()
        ),
    }
}

fn theirs(tool: &Path, base: &Path, head: &Path) -> Result<Theirs> {
    let out = Command::new(tool)
        .args(["semver-checks", "check-release", "--color", "never"])
        .arg("--baseline-rustdoc")
        .arg(base)
        .arg("--current-rustdoc")
        .arg(head)
        .output()
        .context("cannot run cargo-semver-checks")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    parse_theirs(&text, out.status.success())
}

/// Reads cargo-semver-checks' report: a `--- failure CHECK: ... ---` block per failed check and a
/// closing `Summary` line, `no semver update required` or `semver requires new major version:
/// 2 major and 0 minor checks failed`. Breaking means a failed check that needs a major release.
/// A report without its summary is an error, not a verdict.
fn parse_theirs(text: &str, success: bool) -> Result<Theirs> {
    let checks: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("--- failure "))
        .map(|rest| rest.split(':').next().unwrap_or(rest).trim().to_owned())
        .collect();
    let Some(summary) = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Summary"))
    else {
        bail!("its report has no summary:\n{text}");
    };
    let (major, minor) = if summary.contains("no semver update required") {
        (0, 0)
    } else {
        let words: Vec<&str> = summary.split_whitespace().collect();
        let count = |kind: &str| {
            words
                .windows(2)
                .filter(|w| w[1] == kind)
                .find_map(|w| w[0].parse::<usize>().ok())
        };
        match (count("major"), count("minor")) {
            (Some(major), Some(minor)) => (major, minor),
            _ => bail!("its summary is not one this command reads: `Summary{summary}`"),
        }
    };
    if success && major > 0 {
        bail!("it passed yet reports {major} major failures:\n{text}");
    }
    if major + minor != checks.len() {
        bail!(
            "its summary counts {} failed checks, its report lists {}:\n{text}",
            major + minor,
            checks.len()
        );
    }
    Ok(Theirs {
        breaking: major > 0,
        major,
        minor,
        checks,
    })
}

fn verdict(breaking: bool) -> &'static str {
    if breaking { "breaking" } else { "not breaking" }
}

/// One explained disagreement.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    ours: bool,
    theirs: bool,
    why: String,
}

/// The rows `| pair | ours | theirs | why |` of the markdown table in the known-differences file;
/// `ours` and `theirs` are `breaking` or `not breaking`. Other lines are prose.
fn parse_known(text: &str) -> Result<BTreeMap<String, Known>> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        // Names may be written as code; the explanation is kept as written.
        let cells: Vec<&str> = line
            .trim_matches('|')
            .split('|')
            .enumerate()
            .map(|(i, c)| {
                if i < 3 {
                    c.trim().trim_matches('`')
                } else {
                    c.trim()
                }
            })
            .collect();
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
            || cells.first() == Some(&"pair")
        {
            continue;
        }
        let [pair, ours, theirs, why] = cells.as_slice() else {
            bail!(
                "line {}: a row has four cells (pair | ours | theirs | why), this one {}",
                n + 1,
                cells.len()
            );
        };
        let level = |s: &str| match s {
            "breaking" => Ok(true),
            "not breaking" => Ok(false),
            other => Err(anyhow::anyhow!(
                "line {}: `{other}` is neither `breaking` nor `not breaking`",
                n + 1
            )),
        };
        let (ours, theirs) = (level(ours)?, level(theirs)?);
        if ours == theirs {
            bail!("line {}: `{pair}` lists no disagreement", n + 1);
        }
        if why.is_empty() {
            bail!("line {}: `{pair}` has no explanation", n + 1);
        }
        if out
            .insert(
                (*pair).to_owned(),
                Known {
                    ours,
                    theirs,
                    why: (*why).to_owned(),
                },
            )
            .is_some()
        {
            bail!("line {}: `{pair}` is listed twice", n + 1);
        }
    }
    Ok(out)
}

struct Row {
    pair: String,
    ours: Ours,
    theirs: Theirs,
}

/// What the rows say against the known differences.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    agree: usize,
    explained: Vec<String>,
    unexplained: Vec<String>,
    /// Listed pairs that agree now, or disagree the other way.
    stale: Vec<String>,
}

impl Outcome {
    fn failed(&self) -> bool {
        !self.unexplained.is_empty() || !self.stale.is_empty()
    }
}

fn judge(rows: &[Row], known: &BTreeMap<String, Known>) -> Outcome {
    let mut o = Outcome::default();
    for r in rows {
        let listed = known.get(&r.pair);
        if r.ours.breaking == r.theirs.breaking {
            o.agree += 1;
            if listed.is_some() {
                o.stale.push(r.pair.clone());
            }
            continue;
        }
        match listed {
            Some(k) if k.ours == r.ours.breaking && k.theirs == r.theirs.breaking => {
                o.explained.push(r.pair.clone());
            }
            Some(_) => o.stale.push(r.pair.clone()),
            None => o.unexplained.push(r.pair.clone()),
        }
    }
    o
}

fn render(rows: &[Row], known: &BTreeMap<String, Known>, o: &Outcome) -> String {
    let mut s =
        String::from("| pair | ours | theirs | agree? |\n|------|------|--------|--------|\n");
    for r in rows {
        let ours = if r.ours.rules.is_empty() {
            verdict(r.ours.breaking).to_owned()
        } else {
            format!("{} ({})", verdict(r.ours.breaking), r.ours.rules.join(", "))
        };
        let theirs = if r.theirs.checks.is_empty() {
            verdict(r.theirs.breaking).to_owned()
        } else {
            format!(
                "{} ({} major, {} minor: {})",
                verdict(r.theirs.breaking),
                r.theirs.major,
                r.theirs.minor,
                r.theirs.checks.join(", ")
            )
        };
        let agree = if r.ours.breaking == r.theirs.breaking {
            "yes"
        } else if o.explained.contains(&r.pair) {
            "no, explained"
        } else {
            "NO"
        };
        s.push_str(&format!("| {} | {ours} | {theirs} | {agree} |\n", r.pair));
    }
    s.push_str(&format!(
        "\n{} of {} pairs agree; {} disagree with an explanation in {KNOWN}; {} disagree without one.\n",
        o.agree,
        rows.len(),
        o.explained.len(),
        o.unexplained.len()
    ));
    for p in &o.explained {
        if let Some(k) = known.get(p) {
            s.push_str(&format!("- {p}: {}\n", k.why));
        }
    }
    for p in &o.unexplained {
        s.push_str(&format!(
            "error: {p}: the verdicts differ and {KNOWN} does not explain why\n"
        ));
    }
    for p in &o.stale {
        s.push_str(&format!(
            "error: {p}: {KNOWN} explains a disagreement that this run does not show; update the file\n"
        ));
    }
    s
}

/// The generated types the hand-written modules of the scratch crate name, from the real spec.
struct Support {
    schemas: Vec<(String, Value)>,
    error_codes: Value,
}

/// The schemas whose generated types the hand-written modules use (`client.rs`: `Region`;
/// `token/`: `UserRole`).
const SUPPORT_SCHEMAS: [&str; 2] = ["Region", "UserRole"];

impl Support {
    fn from_spec(path: &Path) -> Result<Support> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the spec {}", path.display()))?;
        let spec = Spec::load(&text, "spec/classroom.yaml").map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut schemas = Vec::new();
        for name in SUPPORT_SCHEMAS {
            let schema = spec
                .value
                .pointer(&format!("/components/schemas/{name}"))
                .with_context(|| format!("spec/classroom.yaml has no schema {name}"))?;
            schemas.push((name.to_owned(), schema.clone()));
        }
        let error_codes = spec
            .value
            .get("x-error-codes")
            .context("spec/classroom.yaml has no x-error-codes")?
            .clone();
        Ok(Support {
            schemas,
            error_codes,
        })
    }

    /// The generated files of a side, with what the scratch crate needs added where missing.
    fn crate_files(&self, side: &Side) -> Result<BTreeMap<String, String>> {
        let spec = Spec::load(&side.text, &side.file).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut value = spec.value;
        let Some(doc) = value.as_object_mut() else {
            bail!("{} is not a mapping", side.file);
        };
        if !doc.contains_key("x-error-codes") {
            doc.insert("x-error-codes".into(), self.error_codes.clone());
        }
        let components = doc
            .entry("components")
            .or_insert_with(|| Value::Object(Default::default()));
        let schemas = components
            .as_object_mut()
            .with_context(|| format!("{}: components is not a mapping", side.file))?
            .entry("schemas")
            .or_insert_with(|| Value::Object(Default::default()))
            .as_object_mut()
            .with_context(|| format!("{}: components.schemas is not a mapping", side.file))?;
        for (name, schema) in &self.schemas {
            if !schemas.contains_key(name) {
                schemas.insert(name.clone(), schema.clone());
            }
        }
        let text = serde_json::to_string(&value)?;
        let generated =
            classroom_codegen::generate(&text, &side.file).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(generated.files)
    }
}

/// The scratch workspace: `target/xtask-semver/ws/`, its target dir and the rustdoc JSON of every
/// crate built, kept by the content of its generated files.
struct Scratch {
    ws: PathBuf,
    target: PathBuf,
    json: PathBuf,
    /// The hand-written sources and manifests, part of every key: a JSON built from other
    /// sources is never reused.
    salt: String,
}

impl Scratch {
    fn prepare(root: &Path) -> Result<Scratch> {
        let top = root.join("target/xtask-semver");
        let ws = top.join("ws");
        let krate = ws.join("classroom-api");
        let src = krate.join("src");
        fs::create_dir_all(&src).with_context(|| format!("cannot create {}", src.display()))?;
        let manifest = fs::read_to_string(root.join("Cargo.toml"))?;
        write_if_changed(&ws.join("Cargo.toml"), &scratch_workspace(&manifest))?;
        write_if_changed(
            &ws.join("Cargo.lock"),
            &fs::read_to_string(root.join("Cargo.lock")).context("cannot read Cargo.lock")?,
        )?;
        let member = scratch_member(&fs::read_to_string(root.join("classroom-api/Cargo.toml"))?);
        write_if_changed(&krate.join("Cargo.toml"), &member)?;
        // The hand-written sources, without `widgets` and the generated folder.
        let mut salt = format!("{TOOL_VERSION}\0{member}\0");
        copy_sources(&root.join("classroom-api/src"), &src, &mut salt)?;
        let lib = fs::read_to_string(src.join("lib.rs"))?;
        let without = lib.replacen("pub mod widgets;\n", "", 1);
        if without == lib {
            bail!(
                "classroom-api/src/lib.rs no longer declares `pub mod widgets;`: update {}",
                file!()
            );
        }
        write_if_changed(&src.join("lib.rs"), &without)?;
        let _ = fs::remove_file(src.join("widgets.rs"));
        Ok(Scratch {
            ws,
            target: top.join("target"),
            json: top.join("json"),
            salt: content_key(&salt),
        })
    }

    /// The rustdoc JSON of the scratch crate with these generated files.
    fn rustdoc(&self, files: &BTreeMap<String, String>) -> Result<PathBuf> {
        let mut all = String::new();
        for (name, text) in files {
            all.push_str(name);
            all.push('\0');
            all.push_str(text);
            all.push('\0');
        }
        all.push_str(&self.salt);
        let key = content_key(&all);
        let out = self.json.join(format!("{key}.json"));
        if out.is_file() {
            return Ok(out);
        }
        let started = std::time::Instant::now();
        let generated = self.ws.join("classroom-api/src/generated");
        let _ = fs::remove_dir_all(&generated);
        fs::create_dir_all(&generated)?;
        for (name, text) in files {
            fs::write(generated.join(name), text)?;
        }
        let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(&self.ws)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "rustdoc",
                "--offline",
                "--quiet",
                "-p",
                "classroom-api",
                "--lib",
                "--no-default-features",
                "--",
                "-Z",
                "unstable-options",
                "--output-format",
                "json",
                "--cap-lints",
                "allow",
            ])
            .status()
            .context("cannot run cargo rustdoc")?;
        if !status.success() {
            bail!(
                "cargo rustdoc failed on the scratch crate in {}",
                self.ws.display()
            );
        }
        fs::create_dir_all(&self.json)?;
        fs::copy(self.target.join("doc/classroom_api.json"), &out)?;
        eprintln!(
            "built the rustdoc JSON {key} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(out)
    }
}

/// The scratch workspace's manifest: the root's `[workspace.*]` and `[profile.*]` tables, with one
/// member, and without the path dependencies on the other members.
fn scratch_workspace(root_manifest: &str) -> String {
    let mut out = String::from(
        "# Written by `cargo xtask diff-semver-check`.\n[workspace]\nmembers = [\"classroom-api\"]\nresolver = \"2\"\n",
    );
    let mut keep = false;
    for line in root_manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            keep =
                (t.starts_with("[workspace.") || t.starts_with("[profile.")) && t != "[workspace]";
        }
        let other_member = t.contains("path =") && !t.starts_with("classroom-api ");
        if keep && !other_member {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The scratch member's manifest: `[package]`, `[features]`, `[dependencies]` and `[lints]` of
/// classroom-api, at version 1.0.0; no tests, examples, dev-dependencies or docs.rs settings.
fn scratch_member(manifest: &str) -> String {
    let mut out = String::from("# Written by `cargo xtask diff-semver-check`.\n");
    let mut keep = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            keep = matches!(t, "[package]" | "[features]" | "[dependencies]" | "[lints]");
        }
        if t.starts_with("version.workspace") || t.starts_with("version =") {
            // A 1.x version: cargo-semver-checks then names breaking changes `major` plainly,
            // without the 0.x rules.
            out.push_str("version = \"1.0.0\"\n");
        } else if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Copies the `.rs` files of `from` into `to`, folders too, but not `generated/`; adds each
/// file's name and text to `seen`.
fn copy_sources(from: &Path, to: &Path, seen: &mut String) -> Result<()> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(from)
        .with_context(|| format!("cannot read {}", from.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name == "generated" {
                continue;
            }
            fs::create_dir_all(to.join(&name))?;
            copy_sources(&path, &to.join(&name), seen)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path)?;
            seen.push_str(&path.display().to_string());
            seen.push('\0');
            seen.push_str(&text);
            write_if_changed(&to.join(&name), &text)?;
        }
    }
    Ok(())
}

/// Writes only when the contents differ, so that cargo sees no change where there is none.
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if fs::read_to_string(path).is_ok_and(|t| t == text) {
        return Ok(());
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// FNV-1a (64 bits) of a text.
fn content_key(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_differences_are_read_from_the_table() {
        let text = "# Known\n\nProse.\n\n| pair | ours | theirs | why |\n|---|---|---|---|\n\
                    | `a` | breaking | not breaking | `a::b` is not compared. |\n";
        let known = parse_known(text).unwrap();
        assert_eq!(
            known["a"],
            Known {
                ours: true,
                theirs: false,
                why: "`a::b` is not compared.".into()
            }
        );
        for (bad, message) in [
            ("| a | breaking | breaking | x |", "lists no disagreement"),
            ("| a | breaking | not breaking |  |", "has no explanation"),
            ("| a | broken | not breaking | x |", "neither"),
            ("| a | breaking |", "four cells"),
        ] {
            let err = parse_known(bad).unwrap_err().to_string();
            assert!(err.contains(message), "{bad}: {err}");
        }
        let twice = "| a | breaking | not breaking | x |\n| a | breaking | not breaking | y |";
        assert!(
            parse_known(twice)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn the_tools_report_is_read() {
        let report = "    Checking <unknown> v1.0.0 -> v1.0.0 (no change; assume patch)\n\
            --- failure enum_variant_missing: pub enum variant removed or renamed ---\n\n\
            Description:\nA publicly-visible enum has at least one variant that is no longer available.\n\
            --- failure type_method_marked_deprecated: method #[deprecated] added ---\n\
            \n     Summary semver requires new major version: 1 major and 1 minor checks failed\n";
        let t = parse_theirs(report, false).unwrap();
        assert!(t.breaking && t.major == 1 && t.minor == 1);
        assert_eq!(
            t.checks,
            ["enum_variant_missing", "type_method_marked_deprecated"]
        );
        // Only a minor check failed: not breaking.
        let minor = "--- failure type_method_marked_deprecated: method #[deprecated] added ---\n\
            Summary semver requires new minor version: 0 major and 1 minor checks failed\n";
        assert!(!parse_theirs(minor, false).unwrap().breaking);
        let clean = "     Summary no semver update required\n";
        let t = parse_theirs(clean, true).unwrap();
        assert!(!t.breaking && t.checks.is_empty());
        // No summary, a count that does not match, or a pass with major failures: no verdict.
        assert!(parse_theirs("error: rustdoc format v99 is not supported", false).is_err());
        assert!(parse_theirs(&report.replace("1 minor", "2 minor"), false).is_err());
        assert!(parse_theirs(report, true).is_err());
    }

    fn row(pair: &str, ours: bool, theirs: bool) -> Row {
        Row {
            pair: pair.into(),
            ours: Ours {
                breaking: ours,
                rules: Vec::new(),
            },
            theirs: Theirs {
                breaking: theirs,
                major: usize::from(theirs),
                minor: 0,
                checks: Vec::new(),
            },
        }
    }

    #[test]
    fn only_unexplained_or_stale_differences_fail() {
        let known = parse_known(
            "| b | breaking | not breaking | field types |\n| c | breaking | not breaking | gone |",
        )
        .unwrap();
        let rows = [row("a", true, true), row("b", true, false)];
        let o = judge(&rows, &known);
        assert_eq!(o.agree, 1);
        assert_eq!(o.explained, vec!["b".to_owned()]);
        assert!(!o.failed(), "{o:?}");
        // `b` now agrees: the explanation is stale.
        let o = judge(&[row("b", true, true)], &known);
        assert!(o.failed() && o.stale == vec!["b".to_owned()]);
        // `d` disagrees with no explanation.
        let o = judge(&[row("d", false, true)], &known);
        assert!(o.failed() && o.unexplained == vec!["d".to_owned()]);
        let table = render(&[row("d", false, true)], &known, &o);
        assert!(
            table.contains("| d | not breaking | breaking | NO |"),
            "{table}"
        );
        assert!(table.contains("0 of 1 pairs agree"), "{table}");
    }

    #[test]
    fn the_scratch_manifests_keep_what_a_build_needs() {
        let root = "[workspace]\nmembers = [\"codegen\"]\n\n[workspace.package]\nversion = \"0.1.0\"\n\n\
                    [workspace.dependencies]\nserde = \"1\"\nclassroom-api = { path = \"classroom-api\" }\n\
                    classroom-codegen = { path = \"codegen\" }\n\n[profile.dev.package.\"*\"]\ndebug = false\n";
        let ws = scratch_workspace(root);
        assert!(ws.contains("members = [\"classroom-api\"]"), "{ws}");
        assert!(
            ws.contains("serde = \"1\"") && ws.contains("classroom-api = { path"),
            "{ws}"
        );
        assert!(!ws.contains("codegen"), "{ws}");
        assert!(ws.contains("[profile.dev.package.\"*\"]"), "{ws}");
        let member = "[package]\nname = \"classroom-api\"\n\n[package.metadata.docs.rs]\nall-features = true\n\n\
                      [dependencies]\nserde.workspace = true\n\n[dev-dependencies]\nwiremock.workspace = true\n\n\
                      [[test]]\nname = \"x\"\n\n[lints]\nworkspace = true\n";
        let m = scratch_member(member);
        assert!(
            m.contains("name = \"classroom-api\"") && m.contains("serde.workspace"),
            "{m}"
        );
        assert!(
            !m.contains("wiremock") && !m.contains("all-features") && !m.contains("[[test]]"),
            "{m}"
        );
        assert!(m.contains("[lints]\nworkspace = true"), "{m}");
        let versioned = scratch_member("[package]\nname = \"x\"\nversion.workspace = true\n");
        assert!(versioned.contains("version = \"1.0.0\"") && !versioned.contains("workspace"));
    }

    #[test]
    fn a_missing_tool_is_a_clear_error() {
        let err = check_tool(Path::new("/nonexistent/cargo-semver-checks"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cargo install cargo-semver-checks@"), "{err}");
    }
}
