//! `cargo xtask diff`'s engine (`classroom_codegen::diff`): one fixture pair per rule with
//! snapshots of its markdown and JSON, shapes that are no change, the real spec against edited
//! copies, and the rule table.
//!
//! Fixtures: `tests/fixtures/diff/<rule-id>[--<case>]/{base,head}.yaml`; folders named
//! `unchanged-*` hold pairs that must diff to nothing.

use std::fs;
use std::path::{Path, PathBuf};

use classroom_codegen::Spec;
use classroom_codegen::diff::{self, Bump, Level, RULES, Report};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[track_caller]
fn load(text: &str, name: &str) -> Spec {
    Spec::load(text, name).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads and diffs the pair in `tests/fixtures/diff/<dir>/`.
#[track_caller]
fn diff_fixture(dir: &str) -> Report {
    let side = |s: &str| {
        let name = format!("tests/fixtures/diff/{dir}/{s}.yaml");
        let text = fs::read_to_string(root().join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        load(&text, &name)
    };
    let (base, head) = (side("base"), side("head"));
    let report = diff::diff(&base, &head);
    assert_eq!(report, diff::diff(&base, &head), "{dir}: two runs differ");
    report
}

/// The rule the folder names is found, with its level; the markdown and JSON are snapshots.
#[track_caller]
fn check(dir: &str) {
    let rule = dir.split("--").next().unwrap();
    let level = diff::rule(rule)
        .unwrap_or_else(|| panic!("{dir}: `{rule}` is not a rule"))
        .level;
    let report = diff_fixture(dir);
    let found = report.changes.iter().find(|c| c.rule == rule);
    let found = found.unwrap_or_else(|| panic!("{dir}: no `{rule}` in\n{}", report.to_text()));
    assert_eq!(found.level, level, "{dir}");
    assert!(
        !found.pointer.is_empty() && found.line.is_some(),
        "{dir}: {found:?}"
    );
    assert!(report.fails(level), "{dir}");
    insta::assert_snapshot!(format!("{dir}-markdown"), report.to_markdown());
    insta::assert_snapshot!(format!("{dir}-json"), report.to_json());
}

/// The pair differs in text but not in the HTTP API nor in the generated Rust API.
#[track_caller]
fn check_unchanged(dir: &str) {
    let report = diff_fixture(dir);
    assert!(report.is_empty(), "{dir}:\n{}", report.to_text());
    assert_eq!(report.suggested_bump(), Bump::None);
    assert!(!report.fails(Level::Info));
}

#[test]
fn operation_added() {
    check("operation-added");
}

#[test]
fn operation_removed() {
    check("operation-removed");
}

#[test]
fn operation_id_changed() {
    check("operation-id-changed");
}

#[test]
fn operation_path_changed() {
    check("operation-path-changed");
}

#[test]
fn operation_deprecated() {
    check("operation-deprecated");
}

#[test]
fn success_status_removed() {
    check("success-status-removed");
}

#[test]
fn parameter_added_required() {
    check("parameter-added-required");
}

#[test]
fn parameter_added_optional() {
    check("parameter-added-optional");
}

#[test]
fn parameter_added_optional_first_query_parameter() {
    check("parameter-added-optional--first-query-parameter");
}

#[test]
fn parameter_became_required() {
    check("parameter-became-required");
}

#[test]
fn parameter_became_optional() {
    check("parameter-became-optional");
}

#[test]
fn parameter_removed() {
    check("parameter-removed");
}

#[test]
fn parameter_type_changed() {
    check("parameter-type-changed");
}

#[test]
fn parameter_enum_value_removed() {
    check("parameter-enum-value-removed");
}

#[test]
fn parameter_enum_value_added() {
    check("parameter-enum-value-added");
}

#[test]
fn parameter_constraint_tightened() {
    check("parameter-constraint-tightened");
}

#[test]
fn parameter_constraint_loosened() {
    check("parameter-constraint-loosened");
}

#[test]
fn request_body_became_required() {
    check("request-body-became-required");
}

#[test]
fn request_body_became_optional() {
    check("request-body-became-optional");
}

#[test]
fn request_body_added() {
    check("request-body-added");
}

#[test]
fn request_body_removed() {
    check("request-body-removed");
}

#[test]
fn request_body_type_changed() {
    check("request-body-type-changed");
}

#[test]
fn request_property_added_required() {
    check("request-property-added-required");
}

#[test]
fn request_property_added_optional() {
    check("request-property-added-optional");
}

#[test]
fn request_property_became_required() {
    check("request-property-became-required");
}

#[test]
fn request_property_became_optional() {
    check("request-property-became-optional");
}

#[test]
fn request_property_removed() {
    check("request-property-removed");
}

#[test]
fn request_property_type_changed() {
    check("request-property-type-changed");
}

#[test]
fn request_property_constraint_tightened() {
    check("request-property-constraint-tightened");
}

#[test]
fn request_enum_value_removed() {
    check("request-enum-value-removed");
}

#[test]
fn request_enum_value_added() {
    check("request-enum-value-added");
}

#[test]
fn response_property_removed_required() {
    check("response-property-removed-required");
}

#[test]
fn response_property_removed_optional() {
    check("response-property-removed-optional");
}

#[test]
fn response_property_removed_optional_event() {
    check("response-property-removed-optional--event");
}

#[test]
fn response_property_became_optional() {
    check("response-property-became-optional");
}

#[test]
fn response_property_became_optional_nullable() {
    check("response-property-became-optional--nullable");
}

#[test]
fn response_property_became_required() {
    check("response-property-became-required");
}

#[test]
fn response_property_added() {
    check("response-property-added");
}

#[test]
fn response_property_added_event_envelope() {
    check("response-property-added--event-envelope");
}

#[test]
fn response_property_type_changed() {
    check("response-property-type-changed");
}

#[test]
fn response_data_type_changed() {
    check("response-data-type-changed");
}

#[test]
fn response_enum_value_added() {
    check("response-enum-value-added");
}

#[test]
fn response_enum_value_removed() {
    check("response-enum-value-removed");
}

#[test]
fn event_cmd_added() {
    check("event-cmd-added");
}

#[test]
fn event_cmd_removed() {
    check("event-cmd-removed");
}

#[test]
fn error_code_added() {
    check("error-code-added");
}

#[test]
fn error_code_removed() {
    check("error-code-removed");
}

#[test]
fn error_code_renamed() {
    check("error-code-renamed");
}

#[test]
fn security_scheme_added() {
    check("security-scheme-added");
}

#[test]
fn security_scheme_removed() {
    check("security-scheme-removed");
}

#[test]
fn security_scheme_changed() {
    check("security-scheme-changed");
}

#[test]
fn security_requirement_tightened() {
    check("security-requirement-tightened");
}

#[test]
fn type_renamed() {
    check("type-renamed");
}

#[test]
fn description_changed() {
    check("description-changed");
}

#[test]
fn rust_api_changed() {
    check("rust-api-changed");
}

#[test]
fn unchanged_path_parameter_renamed() {
    check_unchanged("unchanged-path-parameter-renamed");
}

#[test]
fn unchanged_schema_moved_behind_ref() {
    check_unchanged("unchanged-schema-moved-behind-ref");
}

#[test]
fn every_rule_has_a_fixture_pair_and_every_fixture_names_a_rule() {
    let dirs: Vec<String> = fs::read_dir(root().join("tests/fixtures/diff"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    for rule in RULES {
        assert!(
            dirs.iter().any(|d| d == rule.id),
            "rule `{}` has no folder tests/fixtures/diff/{}/",
            rule.id,
            rule.id
        );
    }
    for d in &dirs {
        let rule = d.split("--").next().unwrap();
        assert!(
            d.starts_with("unchanged-") || diff::rule(rule).is_some(),
            "tests/fixtures/diff/{d}/ names no rule"
        );
        for side in ["base", "head"] {
            let file = root().join(format!("tests/fixtures/diff/{d}/{side}.yaml"));
            assert!(file.is_file(), "{} is missing", file.display());
        }
    }
}

#[test]
fn the_module_documentation_lists_every_rule_with_its_level() {
    let doc = fs::read_to_string(root().join("codegen/src/diff/mod.rs")).unwrap();
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("//! | `")).collect();
    assert_eq!(rows.len(), RULES.len(), "one table row per rule");
    for (row, rule) in rows.iter().zip(RULES) {
        let expected = format!("//! | `{}` | {} |", rule.id, rule.level);
        assert!(
            row.starts_with(&expected),
            "expected `{expected}`, found `{row}`"
        );
    }
}

fn real_spec() -> String {
    fs::read_to_string(root().join("spec/classroom.yaml")).unwrap()
}

/// Removes the path item whose key line is `key` (up to the next path item).
#[track_caller]
fn remove_path_item(spec: &str, key: &str) -> String {
    let start = spec.find(&format!("\n  {key}:\n")).expect("the path item") + 1;
    let end = start
        + 1
        + spec[start + 1..]
            .find("\n  /")
            .expect("a path item after it");
    format!("{}{}", &spec[..start], &spec[end + 1..])
}

#[track_caller]
fn replace_once(spec: &str, from: &str, to: &str) -> String {
    assert_eq!(spec.matches(from).count(), 1, "`{from}` must occur once");
    spec.replacen(from, to, 1)
}

#[test]
fn the_real_spec_against_itself_is_no_change() {
    let spec = real_spec();
    let a = load(&spec, "spec/classroom.yaml");
    let b = load(&spec, "spec/classroom.yaml");
    let report = diff::diff(&a, &b);
    assert!(report.is_empty(), "{}", report.to_text());
    assert_eq!(report.suggested_bump(), Bump::None);
    assert!(!report.fails(Level::Info));
}

#[test]
fn the_real_spec_against_an_edited_copy() {
    let spec = real_spec();
    // Remove an operation, add a required request property, a response enum value and an
    // optional query parameter.
    let edited = remove_path_item(
        &spec,
        "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users/{userUuid}/exit",
    );
    let edited = replace_once(
        &edited,
        "      description: Body of create room.\n      required: [roomName, roomType]\n      properties:\n",
        "      description: Body of create room.\n      required: [roomName, roomType, tenantId]\n      properties:\n        tenantId:\n          type: string\n          description: The tenant of the classroom.\n",
    );
    let edited = replace_once(
        &edited,
        "      enum: [1, 2]\n      x-enum-varnames: [Recording, Finished]\n",
        "      enum: [1, 2, 3]\n      x-enum-varnames: [Recording, Finished, Failed]\n",
    );
    let edited = replace_once(
        &edited,
        "      parameters:\n        - $ref: '#/components/parameters/nextId'\n      responses:\n        '200':\n          description: One batch of recordings.\n",
        "      parameters:\n        - $ref: '#/components/parameters/nextId'\n        - $ref: '#/components/parameters/count'\n      responses:\n        '200':\n          description: One batch of recordings.\n",
    );
    let base = load(&spec, "spec/classroom.yaml");
    let head = load(&edited, "spec/classroom.yaml (edited)");
    let report = diff::diff(&base, &head);
    let has = |rule: &str, op: Option<&str>| {
        report
            .changes
            .iter()
            .any(|c| c.rule == rule && c.operation.as_deref() == op)
    };
    assert!(
        has("operation-removed", Some("kickUser")),
        "{}",
        report.to_text()
    );
    assert!(has("request-property-added-required", Some("createRoom")));
    assert!(has("response-enum-value-added", Some("listRecordings")));
    assert!(has("parameter-added-optional", Some("listRecordings")));
    let rules: Vec<&str> = report.changes.iter().map(|c| c.rule).collect();
    assert_eq!(rules.len(), 4, "nothing else changed: {rules:?}");
    // The new required field changes `CreateRoomRequest::new`; the others add or remove items.
    let required = report
        .changes
        .iter()
        .find(|c| c.rule == "request-property-added-required")
        .unwrap();
    assert!(required.rust_breaking);
    assert!(
        required.rust_impact.contains("CreateRoomRequest::new("),
        "{}",
        required.rust_impact
    );
    let added = report
        .changes
        .iter()
        .find(|c| c.rule == "parameter-added-optional")
        .unwrap();
    assert!(
        !added.rust_breaking && added.bump == Bump::Minor,
        "{added:?}"
    );
    assert_eq!(report.suggested_bump(), Bump::Major);
    assert_eq!(report.suggested_bump().while_zero(), Bump::Minor);
    assert!(report.fails(Level::Breaking));
    assert_eq!(report.count(Level::Breaking), 2);
    assert_eq!(report.count(Level::Warning), 1);
    // Lines of the real spec move with every edit of it: the snapshot keeps everything else.
    insta::with_settings!({filters => vec![(r"\(line \d+\)", "(line [n])")]}, {
        insta::assert_snapshot!("real-spec-edited-markdown", report.to_markdown());
    });
}

#[test]
fn a_schema_shared_by_operations_and_events_is_reported_once() {
    let report = diff_fixture("response-enum-value-added");
    let changes: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.rule == "response-enum-value-added")
        .collect();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].operation.as_deref(), Some("getRoom"));
    assert_eq!(changes[0].also, ["events"]);
}

#[test]
fn exit_levels_follow_the_highest_level_found() {
    // A warning only: fails on `warning` and `info`, not on `breaking`.
    let warning = diff_fixture("response-enum-value-added");
    assert_eq!(warning.max_level(), Some(Level::Warning));
    assert!(!warning.fails(Level::Breaking));
    assert!(warning.fails(Level::Warning));
    assert!(warning.fails(Level::Info));
    // Safe for Rust: a new variant of a non-exhaustive enum is a minor release.
    assert_eq!(warning.suggested_bump(), Bump::Minor);
    // Info only, but breaking for Rust: the level stays `info`, the bump is major.
    let renamed = diff_fixture("type-renamed");
    assert!(!renamed.fails(Level::Warning));
    assert_eq!(renamed.rust_breaking(), 1);
    assert_eq!(renamed.suggested_bump(), Bump::Major);
    // Documentation only: a patch.
    assert_eq!(
        diff_fixture("description-changed").suggested_bump(),
        Bump::Patch
    );
}

#[test]
fn a_response_enum_value_added_says_how_unknown_keeps_it_safe() {
    let report = diff_fixture("response-enum-value-added");
    let c = &report.changes[0];
    assert!(!c.rust_breaking);
    assert!(
        c.rust_impact.contains("RoomStatus::Unknown"),
        "{}",
        c.rust_impact
    );
}
