//! The fuzz targets (`fuzz/`, cargo-fuzz on nightly) run on stable: each target's body
//! (`classroom_tests::fuzz_targets`) gets every seed of `fuzz/corpus/<target>/`, then proptest
//! inputs: mutations of the seeds and random bytes. No input may panic, take longer than
//! [`PER_INPUT`], or push the process's peak memory past [`PEAK_MEMORY`].
//!
//! `FUZZ_CASES` (default 48) sets the generated inputs per target and `FUZZ_SECONDS` (default
//! 20) the time after which a target stops generating; `.ci/run` runs more of them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use classroom_tests::fuzz_targets::TARGETS;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// The longest one input may take (debug build, shared machine).
const PER_INPUT: Duration = Duration::from_secs(20);
/// The highest peak resident memory of the test process, in kB.
const PEAK_MEMORY: u64 = 1024 * 1024;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).expect("a seed"))
        .collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The process's peak resident memory in kB (`VmHWM`), where `/proc` has it.
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Text that tends to reach edge cases, inserted by mutations.
const TOKENS: &[&str] = &[
    "-9223372036854775808",
    "18446744073709551615",
    "1e400",
    "null",
    "\"",
    "{",
    "[",
    "]",
    "}",
    "&a ",
    "*a",
    "$ref",
    "..",
    "%2e",
    "\n",
    ":",
    "\u{0}",
    "\u{feff}",
    "007",
    "006",
    "接入点：",
    "Method: ",
    "|",
    "---8<---",
];

/// Applies `ops` (kind, position, value) to a copy of `seed`.
fn mutate(seed: &[u8], ops: &[(u8, u32, u8)]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(kind, pos, value) in ops {
        let at = if out.is_empty() {
            0
        } else {
            pos as usize % (out.len() + 1)
        };
        match kind {
            0 if at < out.len() => out[at] ^= value.max(1),
            1 => out.insert(at, value),
            2 => {
                let end = (at + usize::from(value)).min(out.len());
                out.drain(at..end);
            }
            3 => {
                let end = (at + usize::from(value)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            4 => {
                let token = TOKENS[usize::from(value) % TOKENS.len()];
                out.splice(at..at, token.bytes());
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Runs `input` through `target`, checking its time.
fn run_one(name: &str, target: fn(&[u8]), input: &[u8]) {
    let started = Instant::now();
    target(input);
    let took = started.elapsed();
    assert!(
        took < PER_INPUT,
        "{name}: an input of {} bytes took {took:?}",
        input.len()
    );
}

#[track_caller]
fn check(name: &str) {
    let target = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {name}"));
    let seeds = seeds(name);
    assert!(!seeds.is_empty(), "fuzz/corpus/{name} has no seed");
    for seed in &seeds {
        run_one(name, target, seed);
    }
    let budget = Duration::from_secs(env_number("FUZZ_SECONDS", 20));
    let started = Instant::now();
    let cases = u32::try_from(env_number("FUZZ_CASES", 48)).unwrap_or(u32::MAX);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    });
    let n = seeds.len();
    let originals = seeds.clone();
    let strategy = prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        4 => (0..n, proptest::collection::vec((0u8..6, any::<u32>(), any::<u8>()), 1..12))
            .prop_map(move |(i, ops)| mutate(&originals[i], &ops)),
    ];
    let result = runner.run(&strategy, |input| {
        if started.elapsed() <= budget {
            run_one(name, target, &input);
        }
        Ok(())
    });
    result.unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Some(peak) = peak_memory_kb() {
        assert!(peak < PEAK_MEMORY, "{name}: peak memory {peak} kB");
    }
}

#[test]
fn response() {
    check("response");
}

#[test]
fn event() {
    check("event");
}

#[test]
fn token() {
    check("token");
}

#[test]
fn spec() {
    check("spec");
}

#[test]
fn docs() {
    check("docs");
}

#[test]
fn diff() {
    check("diff");
}

#[test]
fn proxy() {
    check("proxy");
}

/// Regressions the seeds hold, checked for their exact outcome.
#[test]
fn a_zlib_bomb_token_is_refused_within_a_bound() {
    let bomb = std::fs::read_to_string(corpus_dir("token").join("zlib-bomb.txt")).unwrap();
    let started = Instant::now();
    let err = classroom_api::token::parse(&bomb).unwrap_err();
    assert!(err.to_string().contains("exceeds"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_alias_bomb_spec_is_a_located_error() {
    let text = std::fs::read_to_string(corpus_dir("spec").join("alias-bomb.yaml")).unwrap();
    let err = classroom_codegen::generate(&text, "alias-bomb.yaml").unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("alias bomb"), "{shown}");
    assert!(err.diagnostics[0].line.is_some(), "{shown}");
}

#[test]
fn an_enum_value_of_i64_min_generates() {
    let text = std::fs::read_to_string(corpus_dir("spec").join("enum-i64-min.yaml")).unwrap();
    let generated = classroom_codegen::generate(&text, "enum-i64-min.yaml").unwrap();
    let types = &generated.files["types.rs"];
    assert!(types.contains("Minus9223372036854775808"), "{types}");
}
