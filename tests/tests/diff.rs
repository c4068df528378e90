//! `cargo xtask diff`'s engine (`classroom_codegen::diff`): one fixture pair per rule with
//! snapshots of its markdown and JSON and its SARIF validated against the SARIF 2.1.0 schema,
//! shapes that are no change, the real spec against edited copies, the rule table, the accept
//! file, and the CI formats.
//!
//! Fixtures: `tests/fixtures/diff/<rule-id>[--<case>]/{base,head}.yaml`; folders named
//! `unchanged-*` hold pairs that must diff to nothing. `tests/fixtures/sarif/` holds the parts of
//! the official SARIF 2.1.0 schema that the diff writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use classroom_codegen::Spec;
use classroom_codegen::diff::{
    self, AcceptFile, Bump, Ci, Date, FailOn, Level, ProblemKind, RULES, Report, SurfaceCache,
};

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
    for c in &report.changes {
        assert!(
            c.fingerprint.len() == 16 && c.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
            "{dir}: {c:?}"
        );
    }
    let mut fps: Vec<&str> = report
        .changes
        .iter()
        .map(|c| c.fingerprint.as_str())
        .collect();
    fps.sort_unstable();
    fps.dedup();
    assert_eq!(
        fps.len(),
        report.changes.len(),
        "{dir}: fingerprints repeat"
    );
    assert_valid_sarif(dir, &report.to_sarif(ci(&[FailOn::Level(Level::Breaking)])));
    assert_eq!(
        Report::from_cache(&report.to_cache()).as_ref(),
        Some(&report),
        "{dir}: the cached report differs"
    );
    insta::assert_snapshot!(format!("{dir}-markdown"), report.to_markdown());
    insta::assert_snapshot!(format!("{dir}-json"), report.to_json());
}

fn ci(gates: &[FailOn]) -> Ci<'_> {
    Ci {
        gates,
        spec_path: "spec/classroom.yaml",
    }
}

/// The SARIF log validates against the SARIF 2.1.0 schema (the parts the diff writes).
#[track_caller]
fn assert_valid_sarif(what: &str, sarif: &str) {
    let errors = sarif_errors(sarif);
    assert!(
        errors.is_empty(),
        "{what}: invalid SARIF:\n{}",
        errors.join("\n")
    );
}

fn sarif_errors(sarif: &str) -> Vec<String> {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = SCHEMA.get_or_init(|| {
        let path = root().join("tests/fixtures/sarif/sarif-schema-2.1.0-subset.json");
        let schema: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    });
    let doc: serde_json::Value = serde_json::from_str(sarif).unwrap();
    validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn a_cached_report_is_read_back_only_when_whole_and_known() {
    let report = diff_fixture("operation-removed");
    let text = report.to_cache();
    assert_eq!(Report::from_cache(&text), Some(report.clone()));
    // A rule this build does not know, or a cut file, is no report: the diff runs again.
    let unknown = text.replace("\"operation-removed\"", "\"operation-vanished\"");
    assert_ne!(unknown, text);
    assert_eq!(Report::from_cache(&unknown), None);
    assert_eq!(Report::from_cache(&text[..text.len() / 2]), None);
    // Accept marks are applied after the cache, never stored in it.
    let mut accepted = report.clone();
    let file = AcceptFile::parse(
        &format!(
            "accept:\n  - fingerprint: {}\n    reason: on purpose\n",
            report.changes[0].fingerprint
        ),
        "accept.yaml",
    )
    .unwrap();
    accepted.accept(&file, Date::parse("2026-01-01").unwrap());
    assert!(accepted.changes[0].accepted.is_some());
    assert_eq!(Report::from_cache(&accepted.to_cache()), Some(report));
    // The key names both sides by name and content.
    let key = diff::report_key(("a", "x"), ("b", "y"));
    assert_eq!(key, diff::report_key(("a", "x"), ("b", "y")));
    assert_ne!(key, diff::report_key(("a", "x"), ("b", "z")));
    assert_ne!(key, diff::report_key(("ax", ""), ("b", "y")));
    assert_ne!(key, diff::report_key(("b", "y"), ("a", "x")));
}

#[test]
fn the_sarif_schema_rejects_what_sarif_does_not_allow() {
    let report = diff_fixture("operation-removed");
    let sarif = report.to_sarif(ci(BREAKING));
    assert!(sarif_errors(&sarif).is_empty());
    for (from, to) in [
        ("\"level\": \"error\"", "\"level\": \"fatal\""),
        ("\"ruleId\"", "\"rule_id\""),
        ("\"version\": \"2.1.0\"", "\"version\": \"2.0.0\""),
    ] {
        let bad = sarif.replacen(from, to, 1);
        assert_ne!(bad, sarif);
        assert!(
            !sarif_errors(&bad).is_empty(),
            "{from} -> {to} was accepted"
        );
    }
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
fn event_cmd_removed_oneof_member_dropped() {
    check("event-cmd-removed--oneof-member-dropped");
}

#[test]
fn event_cmd_changed() {
    check("event-cmd-changed");
}

#[test]
fn event_envelope_changed() {
    check("event-envelope-changed");
}

#[test]
fn oneof_and_allof_changes_of_the_event_union() {
    // A member renumbered is one change, not an added and a removed event.
    let report = diff_fixture("event-cmd-changed");
    let rules: Vec<&str> = report.changes.iter().map(|c| c.rule).collect();
    assert_eq!(rules, ["event-cmd-changed"]);
    assert!(
        report.changes[0]
            .rust_impact
            .contains("`EventPayload::Unknown { cmd: 21, .. }`"),
        "{}",
        report.changes[0].rust_impact
    );
    // A member dropped from the union while its schema stays is a removed event.
    let report = diff_fixture("event-cmd-removed--oneof-member-dropped");
    let removed = report
        .changes
        .iter()
        .find(|c| c.rule == "event-cmd-removed")
        .unwrap();
    assert!(removed.rust_breaking, "{removed:?}");
    // One member's own envelope: reported for that event only.
    let report = diff_fixture("event-envelope-changed");
    let rules: Vec<&str> = report.changes.iter().map(|c| c.rule).collect();
    assert_eq!(rules, ["event-envelope-changed"]);
    assert!(
        report.changes[0]
            .message
            .contains("required `roomUuid` is added")
    );
    // The envelope all members share: reported once, as a response property, not per event.
    let report = diff_fixture("response-property-added--event-envelope");
    assert!(
        report
            .changes
            .iter()
            .all(|c| c.rule != "event-envelope-changed"),
        "{}",
        report.to_text()
    );
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

// The accept file.

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

#[track_caller]
fn accept_file(text: &str) -> AcceptFile {
    AcceptFile::parse(text, "spec/diff-accept.yaml").unwrap_or_else(|e| panic!("{e}"))
}

const BREAKING: &[FailOn] = &[FailOn::Level(Level::Breaking)];

#[test]
fn an_accepted_change_is_reported_but_does_not_fail() {
    let mut report = diff_fixture("operation-removed");
    assert!(report.fails_on(BREAKING));
    let removed = report
        .changes
        .iter()
        .find(|c| c.rule == "operation-removed")
        .unwrap();
    let file = accept_file(&format!(
        "accept:\n  - fingerprint: {}\n    reason: The vendor retired it.\n    expires: 2027-01-31\n",
        removed.fingerprint
    ));
    report.accept(&file, day("2027-01-31"));
    assert!(
        report.accept_problems.is_empty(),
        "{:?}",
        report.accept_problems
    );
    let removed = report
        .changes
        .iter()
        .find(|c| c.rule == "operation-removed")
        .unwrap();
    let accepted = removed.accepted.as_ref().expect("accepted");
    assert_eq!(accepted.reason, "The vendor retired it.");
    assert_eq!(accepted.line, Some(2));
    assert!(!report.fails_on(BREAKING), "{}", report.to_text());
    // Still shown, in every format.
    assert!(report.to_markdown().contains("(accepted)"));
    assert!(
        report
            .to_text()
            .contains("Accepted until 2027-01-31: The vendor retired it.")
    );
    let sarif = report.to_sarif(ci(BREAKING));
    assert_valid_sarif("accepted", &sarif);
    assert!(sarif.contains("\"justification\": \"The vendor retired it.\""));
    let gh = report.to_github(ci(BREAKING));
    assert!(gh.starts_with("::notice "), "{gh}");
    insta::assert_snapshot!("accepted-markdown", report.to_markdown());
    insta::assert_snapshot!("accepted-github", gh);
}

#[test]
fn an_expired_entry_accepts_nothing_and_fails() {
    let mut report = diff_fixture("operation-removed");
    let fp = report.changes[0].fingerprint.clone();
    let file = accept_file(&format!(
        "accept:\n  - fingerprint: {fp}\n    reason: Until the vendor's notice.\n    expires: 2027-01-31\n"
    ));
    report.accept(&file, day("2027-02-01"));
    assert!(report.changes.iter().all(|c| c.accepted.is_none()));
    assert_eq!(report.accept_problems.len(), 1);
    assert_eq!(report.accept_problems[0].kind, ProblemKind::Expired);
    assert_eq!(report.accept_problems[0].line, Some(2));
    // An expired entry fails even a gate that catches nothing else.
    let mut info_only = diff_fixture("description-changed");
    let fp = info_only.changes[0].fingerprint.clone();
    info_only.accept(
        &accept_file(&format!(
            "accept:\n  - fingerprint: {fp}\n    reason: Wording.\n    expires: 2026-01-01\n"
        )),
        day("2026-12-01"),
    );
    assert!(info_only.fails_on(BREAKING));
    let sarif = report.to_sarif(ci(BREAKING));
    assert_valid_sarif("expired", &sarif);
    insta::assert_snapshot!("expired-text", report.to_text());
    insta::assert_snapshot!("expired-junit", report.to_junit(ci(BREAKING)));
    insta::assert_snapshot!("expired-sarif", sarif);
}

#[test]
fn an_entry_that_names_no_change_is_reported_and_fails() {
    let mut report = diff_fixture("description-changed");
    assert!(!report.fails_on(BREAKING));
    let file = accept_file(
        "accept:\n  - rule: operation-removed\n    pointer: /paths/~1gone/get\n    reason: Gone.\n",
    );
    report.accept(&file, day("2026-12-01"));
    assert_eq!(report.accept_problems.len(), 1);
    assert_eq!(report.accept_problems[0].kind, ProblemKind::Unmatched);
    assert!(report.fails_on(BREAKING));
    let gh = report.to_github(ci(BREAKING));
    assert!(
        gh.contains("::error file=spec/diff-accept.yaml,line=2,title=accept-entry-unmatched::"),
        "{gh}"
    );
}

#[test]
fn an_entry_by_rule_and_pointer_accepts_the_change_it_names() {
    let mut report = diff_fixture("event-cmd-added");
    let c = report
        .changes
        .iter()
        .find(|c| c.rule == "event-cmd-added")
        .unwrap();
    let text = format!(
        "accept:\n  - rule: event-cmd-added\n    pointer: {}\n    reason: Handled as Unknown.\n",
        c.pointer
    );
    report.accept(&accept_file(&text), day("2026-12-01"));
    assert!(report.accept_problems.is_empty());
    assert!(!report.fails_on(&[FailOn::Level(Level::Info)]));
}

#[test]
fn bad_accept_files_are_rejected_with_a_line() {
    let check = |text: &str, expected: &str| {
        let err = AcceptFile::parse(text, "spec/diff-accept.yaml").unwrap_err();
        assert_eq!(err.to_string(), expected, "{text}");
    };
    check(
        "accept:\n  - fingerprint: 0123\n    reason: x\n",
        "spec/diff-accept.yaml:2: `123` is not a fingerprint (16 hex digits, as the diff prints it; quote it if it is all digits)",
    );
    check(
        "accept:\n  - fingerprint: 0123456789abcdef\n",
        "spec/diff-accept.yaml:2: entry 1 has no `reason`",
    );
    check(
        "accept:\n  - rule: no-such-rule\n    pointer: /a\n    reason: x\n",
        "spec/diff-accept.yaml:2: `no-such-rule` is not a rule id (see `codegen/src/diff/mod.rs`)",
    );
    check(
        "accept:\n  - fingerprint: 0123456789abcdef\n    reason: x\n    expires: 2027-02-30\n",
        "spec/diff-accept.yaml:4: `2027-02-30` is not a date (YYYY-MM-DD)",
    );
    check(
        "accept:\n  - fingerprint: 0123456789abcdef\n    rule: operation-removed\n    pointer: /a\n    reason: x\n",
        "spec/diff-accept.yaml:2: entry 1 names a change by `fingerprint`, or by `rule` and `pointer`, not both",
    );
    check(
        "accept:\n  - fingerprint: 0123456789abcdef\n    reason: x\n    until: 2027-01-01\n",
        "spec/diff-accept.yaml:4: unknown key `until`; an entry has fingerprint, rule, pointer, reason, expires",
    );
    check(
        "accept:\n  - reason: x\n",
        "spec/diff-accept.yaml:2: entry 1 names no change: give its `fingerprint`, or its `rule` and `pointer`",
    );
    check(
        "accept:\n  - rule: operation-removed\n    reason: x\n",
        "spec/diff-accept.yaml:2: entry 1 needs both `rule` and `pointer`",
    );
    check(
        "ignore: []\n",
        "spec/diff-accept.yaml:1: unknown key `ignore`: the file has one key, `accept`",
    );
}

#[test]
fn the_checked_in_accept_file_loads() {
    let text = fs::read_to_string(root().join("spec/diff-accept.yaml")).unwrap();
    AcceptFile::parse(&text, "spec/diff-accept.yaml").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn dates_are_read_and_computed() {
    assert_eq!(Date::from_unix_days(0), day("1970-01-01"));
    assert_eq!(Date::from_unix_days(20_454), day("2026-01-01"));
    assert_eq!(Date::from_unix_days(-1), day("1969-12-31"));
    assert_eq!(day("2028-02-29").to_string(), "2028-02-29");
    assert!(Date::parse("2027-02-29").is_none());
    assert!(Date::parse("2027-1-05").is_none());
    assert!(day("2027-01-31") < day("2027-02-01"));
}

// Fingerprints.

#[test]
fn fingerprints_do_not_move_with_lines() {
    let spec = real_spec();
    let edited = replace_once(
        &spec,
        "      enum: [1, 2]\n      x-enum-varnames: [Recording, Finished]\n",
        "      enum: [1, 2, 3]\n      x-enum-varnames: [Recording, Finished, Failed]\n",
    );
    // The same edit, with the whole document moved down by a comment block.
    let moved = format!("# One.\n# Two.\n# Three.\n{edited}");
    let base = load(&spec, "spec/classroom.yaml");
    let a = diff::diff(&base, &load(&edited, "a"));
    let b = diff::diff(&base, &load(&moved, "b"));
    assert_eq!(a.changes.len(), 1);
    assert_eq!(a.changes[0].fingerprint, b.changes[0].fingerprint);
    assert_ne!(a.changes[0].line, b.changes[0].line);
}

// Gates.

#[test]
fn rust_breaking_gates_a_change_that_http_clients_survive() {
    // A rename of a type is `info` for HTTP clients and breaks Rust callers.
    let report = diff_fixture("type-renamed");
    assert!(!report.fails_on(&[FailOn::Level(Level::Warning)]));
    assert!(report.fails_on(&[FailOn::RustBreaking]));
    assert!(report.fails_on(&[FailOn::Level(Level::Breaking), FailOn::RustBreaking]));
    // An HTTP warning that is safe for Rust passes `rust-breaking`.
    let report = diff_fixture("response-enum-value-added");
    assert!(!report.fails_on(&[FailOn::RustBreaking]));
    assert!(report.fails_on(&[FailOn::Level(Level::Warning)]));
}

// CI formats.

#[test]
fn ci_formats_of_a_breaking_change() {
    let report = diff_fixture("request-property-added-required");
    let gates = [FailOn::Level(Level::Breaking), FailOn::RustBreaking];
    let gh = report.to_github(ci(&gates));
    let line = report.changes[0].line.unwrap();
    assert!(
        gh.starts_with(&format!(
            "::error file=spec/classroom.yaml,line={line},title="
        )),
        "{gh}"
    );
    let sarif = report.to_sarif(ci(&gates));
    assert_valid_sarif("breaking", &sarif);
    insta::assert_snapshot!("request-property-added-required-github", gh);
    insta::assert_snapshot!("request-property-added-required-sarif", sarif);
    insta::assert_snapshot!(
        "request-property-added-required-junit",
        report.to_junit(ci(&gates))
    );
    insta::assert_snapshot!(
        "request-property-added-required-changelog",
        report.to_changelog()
    );
}

#[test]
fn a_removal_points_at_the_file_without_a_line() {
    let report = diff_fixture("operation-removed");
    let gh = report.to_github(ci(BREAKING));
    assert!(
        gh.starts_with("::error file=spec/classroom.yaml,title=operation-removed"),
        "{gh}"
    );
    insta::assert_snapshot!("operation-removed-junit", report.to_junit(ci(BREAKING)));
}

#[test]
fn a_warning_is_an_annotation_but_not_a_failure() {
    let report = diff_fixture("response-enum-value-added");
    let gh = report.to_github(ci(BREAKING));
    assert!(gh.starts_with("::warning "), "{gh}");
    let junit = report.to_junit(ci(BREAKING));
    assert!(junit.contains("failures=\"0\""), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
}

#[test]
fn workflow_command_values_are_escaped() {
    let mut report = diff_fixture("description-changed");
    report.changes[0].message = "50% done,\nnext: line".into();
    let gh = report.to_github(ci(BREAKING));
    assert!(gh.contains("::50%25 done,%0Anext: line"), "{gh}");
    report.changes[0].message = "<a & \"b\">".into();
    let junit = report.to_junit(ci(BREAKING));
    assert!(junit.contains("&lt;a &amp; &quot;b&quot;&gt;"), "{junit}");
}

#[test]
fn the_changelog_of_the_real_spec_edited() {
    let spec = real_spec();
    let edited = remove_path_item(
        &spec,
        "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users/{userUuid}/exit",
    );
    let edited = replace_once(
        &edited,
        "      enum: [1, 2]\n      x-enum-varnames: [Recording, Finished]\n",
        "      enum: [1, 2, 3]\n      x-enum-varnames: [Recording, Finished, Failed]\n",
    );
    let report = diff::diff(
        &load(&spec, "spec/classroom.yaml"),
        &load(&edited, "spec/classroom.yaml (edited)"),
    );
    let log = report.to_changelog();
    assert!(log.starts_with("## [Unreleased]\n"), "{log}");
    assert!(
        log.contains("\n### Removed\n\n- **Breaking:** `kickUser`"),
        "{log}"
    );
    assert!(log.contains("\n### Added\n\n- `listRecordings`"), "{log}");
    insta::assert_snapshot!("real-spec-edited-changelog", log);
}

// The cache of generated surfaces.

#[derive(Default)]
struct MemoryCache {
    map: Mutex<BTreeMap<String, String>>,
    hits: Mutex<usize>,
}

impl SurfaceCache for MemoryCache {
    fn get(&self, key: &str) -> Option<String> {
        let v = self.map.lock().unwrap().get(key).cloned();
        if v.is_some() {
            *self.hits.lock().unwrap() += 1;
        }
        v
    }

    fn put(&self, key: &str, value: &str) {
        self.map
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_owned());
    }
}

#[test]
fn a_cached_surface_gives_the_same_report() {
    for dir in [
        "request-property-added-required",
        "type-renamed",
        "event-cmd-changed",
    ] {
        let side = |s: &str| {
            let name = format!("tests/fixtures/diff/{dir}/{s}.yaml");
            load(&fs::read_to_string(root().join(&name)).unwrap(), &name)
        };
        let (base, head) = (side("base"), side("head"));
        let cache = MemoryCache::default();
        let fresh = diff::diff(&base, &head);
        assert_eq!(diff::diff_cached(&base, &head, &cache), fresh, "{dir}");
        assert_eq!(cache.map.lock().unwrap().len(), 2);
        assert_eq!(*cache.hits.lock().unwrap(), 0);
        assert_eq!(diff::diff_cached(&base, &head, &cache), fresh, "{dir}");
        assert_eq!(
            *cache.hits.lock().unwrap(),
            2,
            "{dir}: both sides from the cache"
        );
        // A value that is not a surface is ignored, not trusted.
        for v in cache.map.lock().unwrap().values_mut() {
            *v = "{\"items\": 1}".into();
        }
        assert_eq!(diff::diff_cached(&base, &head, &cache), fresh, "{dir}");
    }
}
