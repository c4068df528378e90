//! Every documented request (the method and path of each curl example of the documents) reaches
//! exactly one operation of the spec, the intended one, under OpenAPI's matching rules: among the
//! path templates that match, the most literal one wins (a literal segment before a template at
//! the first place they differ), and the method must be one of that path item's.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The documents with curl examples, and for each example, in order, the operation it must reach.
/// Three examples contradict their own sections (spec/README.md); they are checked to reach the
/// operation their method and path name, with the section's operation in the note.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "spec/docs/classroom-restful-api.zh.md",
        &[
            "createRoom",
            "setRoomState",
            "updateRoomProperties",
            "deleteRoomProperties",
            "setRoomState", // setGroupState's example sends the room-state path (contradiction 23).
            "getUser",
            "updateUserProperties",
            "deleteUserProperties",
            "kickUser",
            "setRecordingState",
            "updateRecording",
            "listRecordings",
            "deleteWidget",
            "updateWidget",
            "deleteWidgetExtra",
            "updateWidgetUserProperties",
            "deleteWidgetUserProperties",
            "pollAppEvents",
            "listRoomEvents",
            "listWidgetEvents",
            "listPopupQuizEvents",
            "listPopupQuizEvents", // listPollEvents' example queries popupQuiz (contradiction 24).
        ],
    ),
    (
        "spec/docs/classroom-api.2026-01-19.mdx",
        &[
            "createRoom",
            "getRoom",
            "setRoomState",
            "updateRoomProperties",
            "deleteRoomProperties",
            "setRoomState", // setGroupState's example sends the room-state path (contradiction 23).
            "setRecordingState",
            "updateRecording",
            "updateRecording", // listRecordings' example is a PATCH of .../records/states/1 (contradiction 34).
            "getUser",
            "updateUserProperties",
            "deleteUserProperties",
            "kickUser",
            "listRoomEvents",
            "pollAppEvents",
            "listPopupQuizEvents",
            "listPopupQuizEvents", // listPollEvents' example queries popupQuiz (contradiction 24).
        ],
    ),
];

#[test]
fn every_documented_request_reaches_exactly_its_operation() {
    let spec = spec();
    for (doc, expected) in EXPECTED {
        let text = fs::read_to_string(workspace_root().join(doc)).expect(doc);
        let requests = curl_requests(&text);
        let reached: Vec<String> = requests
            .iter()
            .map(|(line, method, path)| {
                route(spec, method, path).unwrap_or_else(|why| {
                    panic!("{doc}:{line}: {method} {path} reaches no operation: {why}")
                })
            })
            .collect();
        assert_eq!(
            reached, *expected,
            "{doc}: the operations its examples reach"
        );
    }
}

#[test]
fn the_documented_start_recording_request_is_set_recording_state() {
    // The case this test was written for: a literal `.../records/states/1` path item with only
    // `patch` made a validator answer 405 to the documented PUT.
    let path = "/cn/edu/apps/0123/v2/rooms/test_class/records/states/1";
    assert_eq!(route(spec(), "PUT", path).unwrap(), "setRecordingState");
    assert_eq!(route(spec(), "PATCH", path).unwrap(), "updateRecording");
    assert_eq!(
        route(
            spec(),
            "PUT",
            "/cn/edu/apps/0123/v2/rooms/r/records/states/0"
        )
        .unwrap(),
        "setRecordingState"
    );
}

/// `(line, METHOD, path)` of every `curl -X METHOD 'https://host/path?query'` of a document, with
/// the `{yourAppId}`-style placeholders of the examples kept as they are (they are one segment).
fn curl_requests(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("curl -X ") else {
            continue;
        };
        let (method, rest) = rest.split_once(' ').expect("curl -X METHOD URL");
        let url = rest.trim().trim_start_matches('\'');
        let url = &url[..url.find('\'').expect("quoted URL")];
        let after_scheme = url.split_once("://").expect("absolute URL").1;
        let path = &after_scheme[after_scheme.find('/').expect("a path")..];
        let path = path.split('?').next().unwrap_or(path);
        out.push((i + 1, method.to_owned(), path.to_owned()));
    }
    out
}

/// The operationId that `method path` reaches under OpenAPI's matching rules.
fn route(spec: &Value, method: &str, path: &str) -> Result<String, String> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = spec["paths"].as_object().expect("paths");
    // Every template that matches, with its literal/template pattern for ranking.
    let mut candidates: Vec<(Vec<bool>, &str, &Value)> = paths
        .iter()
        .filter_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = Vec::new();
            for (t, s) in parts.iter().zip(&segments) {
                let is_template = t.starts_with('{') && t.ends_with('}');
                if !is_template && t != s {
                    return None;
                }
                literal.push(!is_template);
            }
            Some((literal, template.as_str(), item))
        })
        .collect();
    // Most literal first: a literal segment beats a template at the first place they differ.
    candidates.sort_by(|a, b| b.0.cmp(&a.0));
    let Some((best, template, item)) = candidates.first() else {
        return Err("no path template matches".into());
    };
    if candidates.get(1).is_some_and(|(next, _, _)| next == best) {
        return Err(format!(
            "ambiguous: {template} and another template match alike"
        ));
    }
    item.get(method.to_lowercase())
        .and_then(|op| op["operationId"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{template} has no {method}"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn spec() -> &'static Value {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let path = workspace_root().join("spec/classroom.yaml");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        classroom_codegen::yaml::parse(&text)
            .unwrap_or_else(|e| panic!("{}:{}: {}", path.display(), e.line, e.message))
            .value
    })
}
