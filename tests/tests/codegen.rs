//! The generator: snapshots of its output on small fixture specs, its errors on broken ones,
//! determinism, and the freshness of the checked-in crate.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("tests/fixtures").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn name_of(path: &Path) -> String {
    path.file_stem().unwrap().to_str().unwrap().to_owned()
}

/// Generates from a fixture; every generated file, in order, in one text.
#[track_caller]
fn check_generates(path: &Path) {
    let name = format!("tests/fixtures/specs/{}.yaml", name_of(path));
    let text = fs::read_to_string(path).unwrap();
    let generated = classroom_codegen::generate(&text, &name).unwrap_or_else(|e| panic!("{e}"));
    let again = classroom_codegen::generate(&text, &name).unwrap();
    assert_eq!(generated, again, "{name}: two runs differ");
    let mut all = String::new();
    for (file, contents) in &generated.files {
        all.push_str(&format!("==> {file} <==\n{contents}\n"));
    }
    insta::assert_snapshot!(format!("spec-{}", name_of(path)), all);
}

/// Generation fails with located, readable messages.
#[track_caller]
fn check_rejected(path: &Path) {
    let name = format!("tests/fixtures/bad-specs/{}.yaml", name_of(path));
    let text = fs::read_to_string(path).unwrap();
    let err = classroom_codegen::generate(&text, &name).expect_err("a bad spec must be rejected");
    assert!(!err.diagnostics.is_empty());
    for d in &err.diagnostics {
        assert!(d.line.is_some(), "{name}: no line for {d:?}");
    }
    insta::assert_snapshot!(format!("bad-{}", name_of(path)), err.to_string());
}

#[test]
fn fixture_specs_generate() {
    let files = fixtures("specs");
    assert!(files.len() >= 5, "fixture specs missing");
    for f in files {
        check_generates(&f);
    }
}

#[test]
fn bad_specs_are_rejected_with_a_location() {
    let files = fixtures("bad-specs");
    assert!(files.len() >= 10, "bad-spec fixtures missing");
    for f in files {
        check_rejected(&f);
    }
}

#[test]
fn the_checked_in_crate_is_fresh() {
    let spec = fs::read_to_string(root().join("spec/classroom.yaml")).unwrap();
    let generated =
        classroom_codegen::generate(&spec, "spec/classroom.yaml").unwrap_or_else(|e| panic!("{e}"));
    let dir = root().join("classroom-api/src/generated");
    let mut stale = Vec::new();
    for (file, contents) in &generated.files {
        let current = fs::read_to_string(dir.join(file)).unwrap_or_default();
        if &current != contents {
            let diff = similar::TextDiff::from_lines(&current, contents);
            stale.push(format!(
                "{}",
                diff.unified_diff().context_radius(2).header(
                    &format!("checked-in {file}"),
                    &format!("from the spec {file}")
                )
            ));
        }
    }
    let on_disk = fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        on_disk,
        generated.files.len(),
        "classroom-api/src/generated has files the spec does not generate"
    );
    assert!(
        stale.is_empty(),
        "classroom-api/src/generated is stale; run `cargo xtask codegen`:\n{}",
        stale.join("\n")
    );
}

#[test]
fn a_spec_change_makes_the_crate_stale() {
    let spec = fs::read_to_string(root().join("spec/classroom.yaml")).unwrap();
    let before = classroom_codegen::generate(&spec, "spec/classroom.yaml").unwrap();
    // Add a property to the request body of createRoom.
    let schemas = spec
        .find("\n    CreateRoomRequest:\n")
        .expect("components/schemas/CreateRoomRequest");
    let at = schemas
        + spec[schemas..]
            .find("\n      properties:\n")
            .expect("a component with properties");
    let insert = at + "\n      properties:\n".len();
    let edited = format!(
        "{}        addedByTest:\n          type: string\n          description: A field added by a test.\n{}",
        &spec[..insert],
        &spec[insert..]
    );
    assert_ne!(edited, spec);
    let after = classroom_codegen::generate(&edited, "spec/classroom.yaml").unwrap();
    assert_ne!(before, after);
    assert!(after.files["types.rs"].contains("pub added_by_test: Option<String>"));
}

/// The generated code of a fixture spec holds `needle` (one line of a field, a type, a method).
#[track_caller]
fn check_has(fixture: &str, file: &str, needle: &str) {
    let name = format!("tests/fixtures/specs/{fixture}.yaml");
    let text = fs::read_to_string(root().join(&name)).unwrap();
    let generated = classroom_codegen::generate(&text, &name).unwrap_or_else(|e| panic!("{e}"));
    let code = &generated.files[file];
    assert!(
        code.contains(needle),
        "{name}: {file} lacks `{needle}`:\n{code}"
    );
}

#[test]
fn sized_integers_and_nullable_items() {
    check_has("scalars", "types.rs", "pub count: i32,");
    check_has("scalars", "types.rs", "pub total: i64,");
    check_has("scalars", "types.rs", "pub offset: Option<i32>,");
    check_has("scalars", "types.rs", "pub read_at: Option<String>,");
    check_has(
        "scalars",
        "types.rs",
        "pub labels: Option<Vec<Option<String>>>,",
    );
    check_has(
        "scalars",
        "types.rs",
        "pub samples: Option<Vec<Option<i32>>>,",
    );
    check_has(
        "scalars",
        "types.rs",
        "pub parts: Option<Vec<Option<crate::types::Part>>>,",
    );
    check_has(
        "scalars",
        "types.rs",
        "pub by_name: Option<std::collections::BTreeMap<String, Option<f64>>>,",
    );
    check_has("scalars", "operations.rs", "pub limit: Option<i32>,");
}

#[test]
fn read_only_and_write_only_properties() {
    let types = |needle| check_has("read-write-only", "types.rs", needle);
    // A request type: what the server gives is optional, what the caller sends stays required.
    types("pub id: Option<String>,");
    types("pub password: String,");
    types("pub fn new(name: impl Into<String>, password: impl Into<String>) -> Self");
    // Response types: what the server never sends back is optional, its own values required.
    types("pub token: String,");
    types("pub secret: Option<String>,");
    types("pub pin: Option<String>,");
    types("Read-only: set by the server");
    types("Write-only: the server does not send it back");
}

#[test]
fn one_of_and_any_of_become_enums() {
    let types = |needle| check_has("unions", "types.rs", needle);
    types("pub enum Pet {");
    types("Cat(crate::types::Cat),");
    types(r#"Some("cat" | "kitten") =>"#);
    types("#[serde(untagged)]");
    types("pub enum Scalar {");
    types("String(String),");
    types("Sum(Box<crate::types::Sum>),");
    types("pub cause: Option<serde_json::Value>,");
    types("pub enum DrawRequestId {");
    types(r#"Some("Circle") =>"#);
    check_has("unions", "operations.rs", "body: &crate::types::Pet");
}

#[test]
fn header_and_array_query_parameters() {
    let ops = |needle| check_has("parameters", "operations.rs", needle);
    ops("x_request_id: &str");
    ops("x_priority: Option<i32>");
    ops("id: &[String]");
    ops(r#"call.header("X-Request-Id", x_request_id)?;"#);
    ops(r#"call.query.push(("id", v.to_string()));"#);
    ops("pub level: Option<Vec<i32>>,");
}
