//! `cargo xtask diff` keeps the report of a pair of specs in `target/xtask-diff-cache/`: a second
//! run of the same pair prints it without comparing again, another pair or `--no-cache` does not
//! read it, and the accept file still applies to a cached report.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn xtask(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("xtask runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fixture(pair: &str, side: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../tests/fixtures/diff/{pair}/{side}.yaml"))
}

/// A checkout with a spec and the two sides of a fixture pair, and nothing cached.
fn checkout(pair: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    fs::create_dir_all(dir.path().join("spec")).unwrap();
    fs::copy(
        fixture(pair, "head"),
        dir.path().join("spec/classroom.yaml"),
    )
    .unwrap();
    fs::copy(fixture(pair, "base"), dir.path().join("base.yaml")).unwrap();
    fs::copy(fixture(pair, "head"), dir.path().join("head.yaml")).unwrap();
    dir
}

/// The cached reports in the checkout.
fn reports(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for build in fs::read_dir(root.join("target/xtask-diff-cache"))
        .into_iter()
        .flatten()
    {
        for file in fs::read_dir(build.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("report-")
            {
                out.push(path);
            }
        }
    }
    out
}

/// The diff of the checkout's two sides, as JSON.
const JSON_DIFF: [&str; 7] = [
    "diff",
    "--base",
    "base.yaml",
    "--head",
    "head.yaml",
    "--format",
    "json",
];

#[test]
fn a_pair_seen_before_is_printed_from_its_cached_report() {
    let dir = checkout("operation-removed");
    let root = dir.path();
    let args = JSON_DIFF;
    let (code, first, stderr) = xtask(root, &args);
    assert_eq!(code, 1, "operation-removed is breaking\n{stderr}");
    let cached = reports(root);
    assert_eq!(cached.len(), 1, "{cached:?}");
    let (code, second, _) = xtask(root, &args);
    assert_eq!((code, &second), (1, &first));

    // The second run read the cache: a mark planted in it shows, and `--no-cache` does not see it.
    let text = fs::read_to_string(&cached[0]).unwrap();
    let planted = text.replace("is removed", "is removed (from the cache)");
    assert_ne!(planted, text);
    fs::write(&cached[0], planted).unwrap();
    let (_, third, _) = xtask(root, &args);
    assert!(third.contains("(from the cache)"), "{third}");
    let mut fresh = args.to_vec();
    fresh.push("--no-cache");
    let (_, uncached, _) = xtask(root, &fresh);
    assert_eq!(uncached, first);

    // A cached report that does not read back is compared again, and replaced.
    fs::write(&cached[0], "{\"base\": 1}").unwrap();
    let (_, fourth, _) = xtask(root, &args);
    assert_eq!(fourth, first);
    assert_eq!(reports(root).len(), 1);
    assert!(
        fs::read_to_string(&cached[0])
            .unwrap()
            .contains("operation-removed")
    );
}

#[test]
fn the_accept_file_applies_to_a_cached_report() {
    let dir = checkout("operation-removed");
    let root = dir.path();
    let args = JSON_DIFF;
    let (code, first, stderr) = xtask(root, &args);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&first).unwrap();
    let breaking: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["level"] == "breaking")
        .map(|c| c["fingerprint"].as_str().unwrap())
        .collect();
    assert!(!breaking.is_empty(), "{first}");
    let mut accept = String::from("accept:\n");
    for fp in &breaking {
        accept.push_str(&format!(
            "  - fingerprint: {fp}\n    reason: removed on purpose\n"
        ));
    }
    fs::write(root.join("spec/diff-accept.yaml"), accept).unwrap();
    // The report comes from the cache; the accept file, read anew, makes the run pass.
    let (code, second, stderr) = xtask(root, &args);
    assert_eq!(code, 0, "{second}\n{stderr}");
    assert!(second.contains("removed on purpose"), "{second}");
    assert_eq!(reports(root).len(), 1);
}

#[test]
fn the_folders_of_older_builds_are_removed() {
    let dir = checkout("operation-removed");
    let root = dir.path();
    let old = root.join("target/xtask-diff-cache/1-2");
    fs::create_dir_all(&old).unwrap();
    fs::write(old.join("report-stale.json"), "{}").unwrap();
    let (_, _, stderr) = xtask(
        root,
        &["diff", "--base", "base.yaml", "--head", "head.yaml"],
    );
    assert!(
        !old.exists(),
        "an older build's cache is left behind\n{stderr}"
    );
    assert_eq!(reports(root).len(), 1, "this build's report is written");
}
