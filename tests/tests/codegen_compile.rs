//! The generator's output on every fixture spec compiles: clippy and rustdoc, warnings denied.
//!
//! One scratch crate holds all fixtures, so the check costs one build: a copy of `classroom-api`
//! (its hand-written runtime and the real spec's generated code, which the runtime uses) with one
//! extra module per fixture under `crate::fixtures`. The generated code names its sibling modules
//! from the crate root (`crate::types::Node`); in the copy those paths are moved under the
//! fixture's module (`crate::fixtures::<name>::types::Node`), and nothing else is changed.
//! Each fixture's operations become methods of the one `Client`, so operation ids must be unique
//! across the fixtures and the real spec (checked first, with a message that says which).
//!
//! The scratch workspace and its target directory live under the workspace's target directory
//! (`target/codegen-scratch/`), built `--offline` with the workspace's `Cargo.lock`, so that a
//! second run rebuilds only what changed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory this test was built into (`<target>/debug/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn fixture_specs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("tests/fixtures/specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// A fixture file name as a Rust module name (`one-of.yaml` → `spec_one_of`); the prefix keeps
/// `events.yaml` from naming a module `events` that holds a module `events`.
fn module_name(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    format!("spec_{}", stem.replace(['-', '.'], "_"))
}

/// Writes `contents` unless the file already holds it, so that an unchanged file keeps its
/// modification time and cargo does not rebuild for it.
fn write_if_changed(path: &Path, contents: &str) {
    if fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return;
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// Copies a folder's files (not `target/`, not `except`), each only when it changed.
fn copy_tree(from: &Path, to: &Path, except: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || path == except {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&path, &to.join(&name), except);
        } else {
            let bytes = fs::read(&path).unwrap();
            let dest = to.join(&name);
            if fs::read(&dest).ok().as_deref() != Some(&bytes[..]) {
                fs::create_dir_all(to).unwrap();
                fs::write(&dest, bytes).unwrap();
            }
        }
    }
}

/// The typed ids a generated `ids.rs` defines (`    RoomUuid("roomUuid", 64);`).
fn id_names(ids_rs: &str) -> Vec<String> {
    ids_rs
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (name, rest) = l.split_once('(')?;
            (rest.ends_with(");") && name.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| name.to_owned())
        })
        .collect()
}

/// Moves the generated code's crate-root paths of its own modules under `crate::fixtures::<m>`.
fn relocate(code: &str, module: &str, ids: &[String]) -> String {
    let base = format!("crate::fixtures::{module}");
    let mut out = code.to_owned();
    for sibling in ["types", "events", "operations", "error_codes"] {
        out = out.replace(
            &format!("crate::{sibling}::"),
            &format!("{base}::{sibling}::"),
        );
    }
    for id in ids {
        out = out.replace(&format!("crate::ids::{id}"), &format!("{base}::ids::{id}"));
    }
    out
}

/// The workspace's `Cargo.toml` with `classroom-api` as its only member.
fn scratch_manifest(workspace: &str) -> String {
    let mut out = String::new();
    for line in workspace.lines() {
        let t = line.trim_start();
        if t.starts_with("members =") {
            out.push_str("members = [\"classroom-api\"]\n");
        } else if t.starts_with("exclude =")
            || t.starts_with("classroom-codegen =")
            || t.starts_with("classroom-emulator =")
        {
            continue;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `lib.rs` with a `fixtures` module carrying the same attributes as the `generated` one.
fn scratch_lib(lib: &str) -> String {
    let at = lib
        .find("\nmod generated;")
        .expect("classroom-api/src/lib.rs declares `mod generated;`");
    let attrs_start = lib[..at]
        .rfind("#[rustfmt::skip]")
        .expect("`mod generated;` is `#[rustfmt::skip]`");
    let attrs = &lib[attrs_start..at];
    format!(
        "{lib}\n/// The fixture specs' generated code, one module each.\n{attrs}\npub mod fixtures;\n"
    )
}

/// Runs cargo in the scratch workspace; the output when it fails.
fn cargo(ws: &Path, target: &Path, args: &[&str], rustdocflags: bool) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(ws)
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTC_WORKSPACE_WRAPPER");
    if rustdocflags {
        cmd.env("RUSTDOCFLAGS", "-D warnings");
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo {}` failed in {}:\n{}",
            args.join(" "),
            ws.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Every method name a generated `operations.rs` adds to `Client` (`pub fn name<'a>(` or
/// `pub fn name(&self`).
fn client_methods(operations_rs: &str) -> Vec<String> {
    let Some(at) = operations_rs.find("impl crate::Client {") else {
        return Vec::new();
    };
    operations_rs[at..]
        .lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix("pub fn ")?;
            let end = rest.find(['<', '('])?;
            Some(rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn every_fixture_compiles_with_clippy_and_rustdoc_warnings_denied() {
    let specs = fixture_specs();
    assert!(specs.len() >= 5, "fixture specs missing");
    let real =
        fs::read_to_string(root().join("classroom-api/src/generated/operations.rs")).unwrap();
    let mut owners: BTreeMap<String, String> = client_methods(&real)
        .into_iter()
        .map(|m| (m, "spec/classroom.yaml".to_owned()))
        .collect();
    assert!(owners.len() > 20, "the real spec's methods were not found");

    let scratch = target_dir().join("codegen-scratch");
    let ws = scratch.join("ws");
    let krate = ws.join("classroom-api");
    // `lib.rs` is written below, with the fixtures' module.
    copy_tree(
        &root().join("classroom-api"),
        &krate,
        &root().join("classroom-api/src/lib.rs"),
    );
    write_if_changed(
        &ws.join("Cargo.toml"),
        &scratch_manifest(&fs::read_to_string(root().join("Cargo.toml")).unwrap()),
    );
    write_if_changed(
        &ws.join("Cargo.lock"),
        &fs::read_to_string(root().join("Cargo.lock")).unwrap(),
    );
    let lib = fs::read_to_string(root().join("classroom-api/src/lib.rs")).unwrap();
    write_if_changed(&krate.join("src/lib.rs"), &scratch_lib(&lib));

    // Each fixture's files, relocated; stale fixture folders are removed.
    let fixtures_dir = krate.join("src/fixtures");
    let mut modules = Vec::new();
    let mut clashes = Vec::new();
    for spec in &specs {
        let name = format!(
            "tests/fixtures/specs/{}",
            spec.file_name().unwrap().to_str().unwrap()
        );
        let text = fs::read_to_string(spec).unwrap();
        let generated = classroom_codegen::generate(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        for m in client_methods(&generated.files["operations.rs"]) {
            if let Some(other) = owners.insert(m.clone(), name.clone()) {
                clashes.push(format!("`Client::{m}` of {name} is also made by {other}"));
            }
        }
        let module = module_name(spec);
        let ids = id_names(&generated.files["ids.rs"]);
        for (file, contents) in &generated.files {
            write_if_changed(
                &fixtures_dir.join(&module).join(file),
                &relocate(contents, &module, &ids),
            );
        }
        modules.push((module, name));
    }
    assert!(
        clashes.is_empty(),
        "fixture operations share the one `Client` of the scratch crate; give them their own operationIds:\n{}",
        clashes.join("\n")
    );
    for entry in fs::read_dir(&fixtures_dir).unwrap() {
        let entry = entry.unwrap();
        let keep = modules
            .iter()
            .any(|(m, _)| entry.file_name().to_str() == Some(m.as_str()));
        if entry.file_type().unwrap().is_dir() && !keep {
            fs::remove_dir_all(entry.path()).unwrap();
        }
    }
    let mut mod_rs = String::from("//! One module per fixture spec of `tests/fixtures/specs/`.\n");
    for (module, name) in &modules {
        mod_rs.push_str(&format!(
            "\n/// Generated from `{name}`.\npub mod {module};\n"
        ));
    }
    write_if_changed(&fixtures_dir.join("mod.rs"), &mod_rs);

    let target = scratch.join("target");
    let started = Instant::now();
    let common = [
        "--offline",
        "-p",
        "classroom-api",
        "--lib",
        "--no-default-features",
    ];
    let clippy: Vec<&str> = ["clippy"]
        .into_iter()
        .chain(common)
        .chain(["--", "-D", "warnings"])
        .collect();
    let doc: Vec<&str> = ["doc", "--no-deps"].into_iter().chain(common).collect();
    let result = cargo(&ws, &target, &clippy, false).and_then(|()| cargo(&ws, &target, &doc, true));
    eprintln!(
        "scratch crate with {} fixture modules: clippy and rustdoc in {:.1} s",
        modules.len(),
        started.elapsed().as_secs_f64()
    );
    if let Err(message) = result {
        panic!("{message}");
    }
    // The build really had the fixtures: rustdoc wrote a page for each module.
    for (module, _) in &modules {
        let page = target.join(format!("doc/classroom_api/fixtures/{module}/index.html"));
        assert!(page.exists(), "no documentation page for fixture {module}");
    }
}
