//! The spec against the vendor documents' examples, and the spec's own conventions.
//!
//! Every JSON example of the documents is a fixture under `tests/fixtures/examples/`, listed in its
//! `index.json`; each one must validate against the schema the spec gives it.
//! The OpenAPI 3.0 schemas are turned into JSON Schema 2019-09 (`nullable: true` admits null) and
//! validated with the whole spec as the root resource, so `#/components/schemas/X` resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

#[test]
fn every_example_matches_the_spec() {
    for entry in index() {
        check(&entry);
    }
}

#[test]
fn a_wrong_example_is_reported_with_its_pointer() {
    let mut request = fixture("createRoom.request.json");
    request["roomType"] = json!(3);
    request["roomProperties"]["schedule"]["duration"] = json!("600");
    let schema = target(
        &json!({"kind": "request", "operationId": "createRoom"}),
        &request,
    );
    let found = errors(&schema, &request);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found.iter().any(|e| e.starts_with("/roomType: ")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("/roomProperties/schedule/duration: ")),
        "{found:#?}"
    );

    let mut event = fixture("listWidgetEvents.response.json");
    // An example is checked against what the documents list (check), where an unknown cmd is
    // wrong; the spec itself admits it in answers (UnknownEvent).
    event["data"]["list"][0]["cmd"] = json!(9999);
    let schema = target(
        &json!({"kind": "response", "operationId": "listWidgetEvents"}),
        &event,
    );
    assert_eq!(errors(&schema, &event), Vec::<String>::new());
    let found = errors_in(documented_spec(), &schema, &event);
    assert!(
        found.iter().any(|e| e.starts_with("/data/list/0: ")),
        "{found:#?}"
    );
}

#[test]
fn the_index_lists_exactly_the_fixture_files() {
    let dir = examples_dir();
    let on_disk: BTreeSet<String> = fs::read_dir(&dir)
        .expect("examples folder")
        .map(|e| {
            e.expect("folder entry")
                .file_name()
                .into_string()
                .expect("UTF-8 file name")
        })
        .filter(|name| name != "index.json")
        .collect();
    let entries = index();
    let listed: Vec<String> = entries
        .iter()
        .map(|e| str_field(e, "file").to_owned())
        .collect();
    let unique: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(
        listed.len(),
        unique.len(),
        "a file is listed twice in index.json"
    );
    let missing: Vec<_> = on_disk.difference(&unique).collect();
    let stale: Vec<_> = unique.difference(&on_disk).collect();
    assert!(missing.is_empty(), "files not in index.json: {missing:?}");
    assert!(
        stale.is_empty(),
        "index.json lists missing files: {stale:?}"
    );

    let ops = operation_ids();
    let docs: BTreeMap<&str, Vec<String>> = ["zh", "en"].map(|doc| (doc, doc_lines(doc))).into();
    for entry in &entries {
        let file = str_field(entry, "file");
        let kind = str_field(entry, "kind");
        assert!(!str_field(entry, "note").is_empty(), "{file}: empty note");
        let op = entry.get("operationId").and_then(Value::as_str);
        match kind {
            "request" => {
                let op = op.unwrap_or_else(|| panic!("{file}: request without operationId"));
                assert_eq!(file, format!("{op}.request.json"), "{file}: name");
            }
            "response" if op.is_some() => {
                let op = op.expect("checked");
                assert_eq!(file, format!("{op}.response.json"), "{file}: name");
            }
            "response" => assert!(
                file.starts_with("success."),
                "{file}: a response without operationId is a generic success"
            ),
            "error" => assert!(
                file.starts_with("error.") && op.is_none(),
                "{file}: name or operationId"
            ),
            "event" => {
                let cmd = entry["cmd"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{file}: event without cmd"));
                assert!(
                    file.starts_with(&format!("event.{cmd}.")) && op.is_none(),
                    "{file}: name or operationId"
                );
            }
            other => panic!("{file}: unknown kind {other}"),
        }
        if let Some(op) = op {
            assert!(ops.contains(op), "{file}: no operation {op}");
        }
        let doc = str_field(entry, "doc");
        let lines = docs
            .get(doc)
            .unwrap_or_else(|| panic!("{file}: unknown doc {doc}"));
        let line = entry["line"]
            .as_u64()
            .unwrap_or_else(|| panic!("{file}: line"));
        let text = lines
            .get(usize::try_from(line).expect("line fits") - 1)
            .unwrap_or_else(|| panic!("{file}: line {line} is past the end of the document"))
            .trim();
        assert!(
            text.starts_with('{')
                || text.starts_with("\"action\"")
                || text.starts_with("--data-raw '{"),
            "{file}: line {line} of the document does not start an example: {text}"
        );
    }
}

#[test]
fn every_operation_is_documented() {
    let spec = spec();
    let tags: BTreeSet<&str> = spec["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| str_field(t, "name"))
        .collect();
    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(spec) {
        let at = format!("{} {path}", method.to_uppercase());
        let id = str_field(op, "operationId");
        assert!(
            ids.insert(id.to_owned()),
            "{at}: operationId {id} is not unique"
        );
        assert!(
            id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{at}: operationId {id} is not camelCase"
        );
        for key in ["summary", "description"] {
            assert!(!str_field(op, key).trim().is_empty(), "{at}: empty {key}");
        }
        let op_tags = op["tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{at}: no tags"));
        assert_eq!(op_tags.len(), 1, "{at}: one tag");
        let tag = op_tags[0].as_str().expect("tag is a string");
        assert!(tags.contains(tag), "{at}: undeclared tag {tag}");
        // Only the resources and extApps sections, and "Query a classroom" (only in the English
        // reference of 2026-01-19), have no Chinese heading.
        let english_only = matches!(tag, "resources" | "extApps") || id == "getRoom";
        assert_eq!(
            op.get("x-title-zh").is_none(),
            english_only,
            "{at}: x-title-zh"
        );
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{at}: responses"));
        // Other outcomes than the success (createRoom's 409) are marked `x-outcome`, and so is the
        // success then.
        let outcomes: Vec<&str> = responses
            .iter()
            .filter(|(code, r)| *code != "200" && r.get("x-outcome").is_some())
            .map(|(code, _)| code.as_str())
            .collect();
        if !outcomes.is_empty() {
            assert!(
                responses["200"].get("x-outcome").is_some(),
                "{at}: the success of an operation with outcomes is an outcome"
            );
        }
        // POSTs are not safe to repeat, unless a repeat is reported as another outcome (a
        // creation answered "already exists"); neither is a GET that hands each event out once.
        let hands_out_once = op["description"]
            .as_str()
            .is_some_and(|d| d.contains("only once"));
        let expected = if method == "post" && !outcomes.is_empty() {
            Some(true)
        } else {
            (method == "post" || hands_out_once).then_some(false)
        };
        assert_eq!(
            op.get("x-idempotent").and_then(Value::as_bool),
            expected,
            "{at}: x-idempotent: false on POSTs and on reads that hand out events once, true on POSTs whose repeat is an outcome, absent elsewhere"
        );
        // A documented error status of its own (410, the classroom has ended) has the error
        // envelope.
        let codes: Vec<&str> = responses
            .keys()
            .map(String::as_str)
            .filter(|c| !outcomes.contains(c))
            .filter(|c| {
                *c != "410"
                    || responses[*c]["content"]["application/json"]["schema"]
                        != json!({"$ref": "#/components/schemas/ErrorEnvelope"})
            })
            .collect();
        assert_eq!(codes, ["200", "4XX", "5XX"], "{at}: responses");
        for code in ["4XX", "5XX"] {
            assert_eq!(
                responses[code],
                json!({"$ref": "#/components/responses/Error"}),
                "{at}: {code}"
            );
        }
        let content = responses["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{at}: 200 content"));
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["application/json"],
            "{at}: 200 media type"
        );
        if let Some(body) = op.get("requestBody") {
            assert!(body["required"].is_boolean(), "{at}: requestBody.required");
            let content = body["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: body content"));
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                ["application/json"],
                "{at}: body media type"
            );
        }
    }
    assert_eq!(ids.len(), 28, "operations: {ids:?}");
}

#[test]
fn every_schema_property_and_parameter_has_a_description() {
    let spec = spec();
    let mut missing = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        let at = format!("#/components/schemas/{name}");
        if !has_description(schema) {
            missing.push(at.clone());
        }
        undocumented(schema, &at, &mut missing);
    }
    for (name, parameter) in spec["components"]["parameters"]
        .as_object()
        .expect("parameters")
    {
        if !has_description(parameter) {
            missing.push(format!("#/components/parameters/{name}"));
        }
    }
    for (path, method, op) in operations(spec) {
        let at = format!("{method} {path}");
        if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
            undocumented(schema, &format!("{at} request"), &mut missing);
        }
        let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
        undocumented(schema, &format!("{at} 200"), &mut missing);
    }
    assert!(missing.is_empty(), "no description: {missing:#?}");
}

#[test]
fn objects_and_enums_are_named_components() {
    let spec = spec();
    let mut inline = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        inline_schemas(
            schema,
            &format!("#/components/schemas/{name}"),
            Place::Top,
            &mut inline,
        );
    }
    for (name, parameter) in spec["components"]["parameters"]
        .as_object()
        .expect("parameters")
    {
        inline_schemas(
            &parameter["schema"],
            &format!("#/components/parameters/{name}"),
            Place::Nested,
            &mut inline,
        );
    }
    for (path, method, op) in operations(spec) {
        let at = format!("{method} {path}");
        if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
            inline_schemas(schema, &format!("{at} request"), Place::Nested, &mut inline);
        }
        let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
        inline_schemas(schema, &format!("{at} 200"), Place::Top, &mut inline);
    }
    assert!(inline.is_empty(), "inline objects or enums: {inline:#?}");
}

#[test]
fn enums_name_and_describe_every_value() {
    for (name, schema) in spec()["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        let values = match (schema.get("enum"), schema.get("anyOf")) {
            (Some(values), _) => values,
            (None, Some(any)) if schema.get("x-enum-varnames").is_some() => any
                .as_array()
                .expect("anyOf")
                .iter()
                .find_map(|s| s.get("enum"))
                .expect("an enum branch"),
            _ => continue,
        };
        let values = values.as_array().expect("enum is a list");
        let names = schema["x-enum-varnames"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: x-enum-varnames"));
        let texts = schema["x-enum-descriptions"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: x-enum-descriptions"));
        assert_eq!(names.len(), values.len(), "{name}: one name per value");
        assert_eq!(
            texts.len(),
            values.len(),
            "{name}: one description per value"
        );
        for n in names {
            assert!(
                is_upper_camel(n.as_str().expect("name is a string")),
                "{name}: {n} is not UpperCamel"
            );
        }
        if let Some(aliases) = schema.get("x-enum-aliases") {
            for (alias, value) in aliases.as_object().expect("aliases are a map") {
                assert!(
                    values.contains(value),
                    "{name}: alias {alias} names no value"
                );
            }
        }
    }
}

#[test]
fn event_variants_have_distinct_cmds() {
    let spec = spec();
    let mut cmds = BTreeSet::new();
    let mut unknown = None;
    for variant in spec["components"]["schemas"]["Event"]["oneOf"]
        .as_array()
        .expect("Event.oneOf")
    {
        let name = component_name(variant);
        if name == "UnknownEvent" {
            unknown = Some(&spec["components"]["schemas"][name]);
            continue;
        }
        assert!(name.ends_with("Event"), "{name}");
        let parts = spec["components"]["schemas"][name]["allOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: allOf"));
        assert_eq!(
            parts[0],
            json!({"$ref": "#/components/schemas/EventEnvelope"}),
            "{name}: envelope first"
        );
        // data is optional: the client reads a missing one as {} (what_the_sdk_tolerates...).
        assert_eq!(parts[1]["required"], json!(["cmd"]), "{name}: required");
        let cmd = parts[1]["properties"]["cmd"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: cmd enum"));
        assert_eq!(cmd.len(), 1, "{name}: one cmd");
        assert!(
            cmds.insert(cmd[0].as_i64().expect("integer cmd")),
            "{name}: cmd {} twice",
            cmd[0]
        );
    }
    assert_eq!(
        cmds,
        BTreeSet::from([1, 3, 20, 1001, 1003, 1101, 1110, 1501, 1502])
    );
    // The catch-all member excludes exactly the other members' cmds: every event matches one.
    let unknown = unknown.expect("Event.oneOf lists UnknownEvent");
    assert_eq!(
        unknown["allOf"][0],
        json!({"$ref": "#/components/schemas/EventEnvelope"})
    );
    let excluded: BTreeSet<i64> = unknown["allOf"][1]["properties"]["cmd"]["anyOf"][0]["allOf"][1]
        ["not"]["enum"]
        .as_array()
        .expect("UnknownEvent: cmd not enum")
        .iter()
        .map(|v| v.as_i64().expect("integer cmd"))
        .collect();
    assert_eq!(excluded, cmds, "UnknownEvent excludes the listed cmds");
}

#[test]
fn error_codes_are_unique_and_named() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for e in spec()["x-error-codes"].as_array().expect("x-error-codes") {
        let code = e["code"].as_i64().expect("code");
        let name = str_field(e, "name");
        assert!(codes.insert(code), "code {code} twice");
        assert!(names.insert(name.to_owned()), "name {name} twice");
        assert!(is_upper_camel(name), "{name} is not UpperCamel");
        assert!(
            (400..600).contains(&e["status"].as_i64().expect("status")),
            "{name}: status"
        );
        assert!(
            !str_field(e, "description").is_empty(),
            "{name}: description"
        );
    }
    assert_eq!(codes.len(), 12);
}

#[test]
fn ids_take_exactly_the_89_documented_characters() {
    let documented = "!#$%&()+-:;<=.>?@[]^_{}|~, ";
    for name in [
        "RoomUuid",
        "UserUuid",
        "WidgetUuid",
        "ResourceUuid",
        "ExtAppUuid",
    ] {
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        let mut accepted = 0;
        for c in ' '..='~' {
            let ok = errors(&schema, &json!(format!("a{c}b"))).is_empty();
            assert_eq!(
                ok,
                c.is_ascii_alphanumeric() || documented.contains(c),
                "{name}: {c:?}"
            );
            accepted += usize::from(ok);
        }
        assert_eq!(accepted, 89, "{name}");
        assert!(!errors(&schema, &json!("")).is_empty(), "{name}: empty");
        assert!(
            errors(&schema, &json!("x".repeat(64))).is_empty(),
            "{name}: 64"
        );
        assert!(
            !errors(&schema, &json!("x".repeat(65))).is_empty(),
            "{name}: 65"
        );
    }
}

/// Validates one fixture of `index.json` against the schema the spec gives it.
#[track_caller]
fn check(entry: &Value) {
    let file = str_field(entry, "file");
    let instance = fixture(file);
    let schema = target(entry, &instance);
    // The documents' examples must use the values the documents list.
    let found = errors_in(documented_spec(), &schema, &instance);
    assert!(
        found.is_empty(),
        "{file} does not match {schema}:\n{}",
        found.join("\n")
    );
    // The pop-up quiz and poll examples send dotted keys; nested, they must fit their shape.
    if let Some(shape) = entry.get("shape").and_then(Value::as_str) {
        let nested = undot(&instance["changeProperties"]);
        let found = errors(
            &json!({"$ref": format!("#/components/schemas/{shape}")}),
            &nested,
        );
        assert!(
            found.is_empty(),
            "{file} changeProperties do not match {shape}:\n{}",
            found.join("\n")
        );
    }
}

/// The schema a fixture must match, as a `$ref` or the operation's inline schema.
fn target(entry: &Value, instance: &Value) -> Value {
    let spec = json_schema_spec();
    let kind = str_field(entry, "kind");
    let op = entry.get("operationId").and_then(Value::as_str);
    let schema = match (kind, op) {
        ("request", Some(op)) => {
            operation(spec, op)["requestBody"]["content"]["application/json"]["schema"].clone()
        }
        ("response", Some(op)) => {
            operation(spec, op)["responses"]["200"]["content"]["application/json"]["schema"].clone()
        }
        ("response", None) => json!({"$ref": "#/components/schemas/Envelope"}),
        ("error", None) => spec["components"]["responses"]["Error"]["content"]["application/json"]
            ["schema"]
            .clone(),
        ("event", None) if instance.get("cmd").is_some() => {
            json!({"$ref": "#/components/schemas/Event"})
        }
        // The document shows only the event's data: take the data schema of the variant with that cmd.
        ("event", None) => {
            let cmd = &entry["cmd"];
            spec["components"]["schemas"]["Event"]["oneOf"]
                .as_array()
                .expect("Event.oneOf")
                .iter()
                .map(
                    |v| &spec["components"]["schemas"][component_name(v)]["allOf"][1]["properties"],
                )
                .find(|p| p["cmd"]["enum"] == json!([cmd]))
                .unwrap_or_else(|| panic!("no event variant with cmd {cmd}"))["data"]
                .clone()
        }
        _ => panic!("index entry {entry}: unknown kind {kind} or misplaced operationId"),
    };
    // A missing schema reads as null: fail loudly instead of validating against nothing.
    assert!(
        schema.is_object(),
        "index entry {entry}: no schema in the spec"
    );
    schema
}

/// Validates against the spec: each error as `<instance pointer>: <message>`.
fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    errors_in(json_schema_spec(), schema, instance)
}

/// The single place that calls the validator, with the components of `spec`.
fn errors_in(spec: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut root = schema.as_object().expect("schema is an object").clone();
    root.insert("components".into(), spec["components"].clone());
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft201909)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = workspace_root().join("spec/classroom.yaml");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        classroom_codegen::yaml::parse(&text)
            .unwrap_or_else(|e| panic!("{}:{}: {}", path.display(), e.line, e.message))
            .value
    })
}

/// The spec with its schemas turned into JSON Schema 2019-09.
fn json_schema_spec() -> &'static Value {
    static CONVERTED: OnceLock<Value> = OnceLock::new();
    CONVERTED.get_or_init(|| {
        let mut spec = spec().clone();
        classroom_codegen::json_schema::admit_null(&mut spec);
        spec
    })
}

/// The converted spec closed to what the documents list (`json_schema::documented_only`).
fn documented_spec() -> &'static Value {
    static CLOSED: OnceLock<Value> = OnceLock::new();
    CLOSED.get_or_init(|| {
        let mut spec = spec().clone();
        classroom_codegen::json_schema::documented_only(&mut spec);
        classroom_codegen::json_schema::admit_null(&mut spec);
        spec
    })
}

/// Every operation as (path, method, operation object).
fn operations(spec: &Value) -> Vec<(&str, &'static str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.as_str(), method, op));
            }
        }
    }
    out
}

fn operation<'a>(spec: &'a Value, id: &str) -> &'a Value {
    operations(spec)
        .into_iter()
        .find(|(_, _, op)| op["operationId"] == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
        .2
}

fn operation_ids() -> BTreeSet<String> {
    operations(spec())
        .iter()
        .map(|(_, _, op)| str_field(op, "operationId").to_owned())
        .collect()
}

fn has_description(value: &Value) -> bool {
    value
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.trim().is_empty())
}

/// Collects the pointer of every property under `schema` that has no description.
fn undocumented(schema: &Value, at: &str, missing: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let here = format!("{at}/properties/{name}");
            if !has_description(property) {
                missing.push(here.clone());
            }
            undocumented(property, &here, missing);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get(key) {
            undocumented(child, &format!("{at}/{key}"), missing);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, child) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            undocumented(child, &format!("{at}/{key}/{i}"), missing);
        }
    }
}

/// Where a schema sits, for the rule that objects with properties and enums are named components.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// A component, or an operation's response schema.
    Top,
    /// A member of a top schema's `allOf` or `anyOf` (an envelope member, an enum branch).
    Branch,
    Nested,
}

/// Collects the pointer of every object with properties or enum that is not a named component.
/// Exceptions: `allOf` members beside a `$ref` (the envelope and event members), `anyOf` enum
/// branches of a component, and the single-value `cmd` enum of each event variant.
fn inline_schemas(schema: &Value, at: &str, place: Place, found: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if place == Place::Nested && map.contains_key("properties") {
        found.push(format!("{at}: object with properties"));
    }
    if place == Place::Nested && map.contains_key("enum") && !at.ends_with("/properties/cmd") {
        found.push(format!("{at}: enum"));
    }
    for (name, property) in map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        inline_schemas(
            property,
            &format!("{at}/properties/{name}"),
            Place::Nested,
            found,
        );
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get(key) {
            inline_schemas(child, &format!("{at}/{key}"), Place::Nested, found);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let branch = if place == Place::Top && key != "oneOf" {
            Place::Branch
        } else {
            Place::Nested
        };
        for (i, child) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            inline_schemas(child, &format!("{at}/{key}/{i}"), branch, found);
        }
    }
}

/// `{"extra.totalCount": 1, "state": 1}` becomes `{"extra": {"totalCount": 1}, "state": 1}`.
fn undot(value: &Value) -> Value {
    let mut out = Map::new();
    for (key, v) in value.as_object().expect("changeProperties is an object") {
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().expect("split gives one part at least");
        let mut node = &mut out;
        for part in parts {
            node = node
                .entry(part)
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap_or_else(|| panic!("{key}: {part} is both a value and an object"));
        }
        node.insert(last.to_owned(), v.clone());
    }
    Value::Object(out)
}

fn component_name(reference: &Value) -> &str {
    str_field(reference, "$ref")
        .strip_prefix("#/components/schemas/")
        .expect("a schema reference")
}

fn is_upper_camel(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{value}: no string {key}"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

fn examples_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/examples")
}

fn fixture(file: &str) -> Value {
    let path = examples_dir().join(file);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn index() -> Vec<Value> {
    match fixture("index.json") {
        Value::Array(entries) => entries,
        other => panic!("index.json is not an array: {other}"),
    }
}

/// The lines of a vendor document, from the copies the spec was written from (`spec/docs/`).
fn doc_lines(doc: &str) -> Vec<String> {
    let name = match doc {
        "zh" => "classroom-restful-api.zh.md",
        "en" => "classroom-restful-api.en.txt",
        other => unreachable!("no document {other}"),
    };
    let path = workspace_root().join("spec/docs").join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::to_owned).collect()
}

/// Words that YAML 1.1 readers (PyYAML, and the validators and mock servers built on it) take as
/// booleans, where YAML 1.2 (this project's reader) takes strings.
const YAML_11_BOOLEANS: &[&str] = &["y", "n", "yes", "no", "on", "off"];

/// The plain (unquoted) scalars of one line that YAML 1.1 reads as booleans: a whole value after
/// `key: `, or an item of a one-line flow sequence `[a, b]`.
fn yaml_11_booleans(line: &str) -> Vec<String> {
    let code = line.split(" #").next().unwrap_or_default();
    let value = match code.split_once(": ") {
        Some((_, v)) => v.trim(),
        None => code.trim().strip_prefix("- ").unwrap_or_default().trim(),
    };
    let items: Vec<&str> = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        Some(inner) => inner.split(',').map(str::trim).collect(),
        None => vec![value],
    };
    items
        .into_iter()
        .filter(|item| YAML_11_BOOLEANS.contains(&item.to_ascii_lowercase().as_str()))
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_scalar_reads_as_a_boolean_to_yaml_1_1_tools() {
    // The check itself: what PyYAML would turn into `[false, true]`.
    assert_eq!(
        yaml_11_booleans("      x-enum-varnames: [Off, On]"),
        ["Off", "On"]
    );
    assert_eq!(
        yaml_11_booleans("      x-enum-varnames: ['Off', 'On']"),
        Vec::<String>::new()
    );
    assert_eq!(yaml_11_booleans("  answer: yes"), ["yes"]);
    let path = workspace_root().join("spec/classroom.yaml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let found: Vec<String> = text
        .lines()
        .enumerate()
        .flat_map(|(n, line)| {
            yaml_11_booleans(line)
                .into_iter()
                .map(move |word| format!("spec/classroom.yaml:{}: {word} (quote it)", n + 1))
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn user_uuids_in_request_bodies_are_user_ids() {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for (path, method, op) in operations(spec()) {
        if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
            user_uuid_properties(body, &format!("{method} {path}"), &mut seen, &mut found);
        }
    }
    assert!(
        found.iter().any(|(at, _)| at.ends_with("/ownerUserUuid")),
        "{found:?}"
    );
    let wrong: Vec<_> = found
        .iter()
        .filter(|(_, schema)| schema["$ref"] != "#/components/schemas/UserUuid")
        .map(|(at, _)| at)
        .collect();
    assert!(wrong.is_empty(), "not a UserUuid: {wrong:?}");
}

/// Collects every property named `userUuid` or `...UserUuid` reachable from `schema`.
fn user_uuid_properties(
    schema: &Value,
    at: &str,
    seen: &mut BTreeSet<String>,
    found: &mut Vec<(String, Value)>,
) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if seen.insert(reference.to_owned()) {
            let target = spec()
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{at}: {reference}"));
            user_uuid_properties(target, reference, seen, found);
        }
        return;
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let here = format!("{at}/properties/{name}");
            if name == "userUuid" || name.ends_with("UserUuid") {
                found.push((here.clone(), property.clone()));
            }
            user_uuid_properties(property, &here, seen, found);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get(key) {
            user_uuid_properties(child, &format!("{at}/{key}"), seen, found);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, child) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            user_uuid_properties(child, &format!("{at}/{key}/{i}"), seen, found);
        }
    }
}

#[test]
fn poll_choices_admit_the_tables_objects_and_the_examples_integers() {
    for (schema, instance) in [
        ("PollAnswer", json!({"selectIndex": [{"index": 1}, 2]})),
        ("PollAnswerExtra", json!({"selectIndex": [{"index": 1}, 2]})),
    ] {
        let at = json!({"$ref": format!("#/components/schemas/{schema}")});
        assert_eq!(errors(&at, &instance), Vec::<String>::new(), "{schema}");
        assert!(
            !errors(&at, &json!({"selectIndex": [true]})).is_empty(),
            "{schema}: a boolean is no choice"
        );
    }
}

#[test]
fn integers_admit_a_zero_fraction_as_the_sdk_reads_them() {
    let user = json!({"$ref": "#/components/schemas/User"});
    assert_eq!(
        errors(&user, &json!({"updateTime": 1_658_126_782_174.0})),
        Vec::<String>::new()
    );
    assert!(!errors(&user, &json!({"updateTime": 1_658_126_782_174.5})).is_empty());
}

#[test]
fn web_page_recording_needs_a_web_record_config() {
    let body = json!({"$ref": "#/components/schemas/SetRecordingStateRequest"});
    for valid in [
        json!({}),
        json!({"retryTimeout": 5}),
        json!({"mode": "web", "webRecordConfig": {"rootUrl": "https://school.test/record"}}),
    ] {
        assert_eq!(errors(&body, &valid), Vec::<String>::new(), "{valid}");
    }
    // The emulator, as the documents, answers 30400412 (rootUrl must not be empty).
    for invalid in [
        json!({"mode": "web"}),
        json!({"mode": "web", "retryTimeout": 5}),
        json!({"mode": "web", "webRecordConfig": {}}),
        json!({"mode": "web", "webRecordConfig": {"rootUrl": ""}}),
    ] {
        assert!(!errors(&body, &invalid).is_empty(), "{invalid} is valid");
    }
}

#[test]
fn schedules_are_not_negative() {
    let request = json!({"$ref": "#/components/schemas/CreateRoomRequest"});
    let room = |schedule: Value| json!({"roomName": "r", "roomType": 4, "roomProperties": {"schedule": schedule}});
    let zero = room(json!({"startTime": 0, "duration": 0, "closeDelay": 0}));
    assert_eq!(errors(&request, &zero), Vec::<String>::new());
    // The emulator, as the documents' seconds and timestamps, refuses them below zero.
    for field in ["startTime", "duration", "closeDelay"] {
        let negative = room(json!({ field: -1 }));
        assert!(
            !errors(&request, &negative).is_empty(),
            "{negative} is valid"
        );
    }
}

/// What the SDK reads leniently (each form below is one its decoders take, named beside it) is
/// valid under the spec's own schemas, so that a validator, a mock server or a property tester
/// that reads the spec alone accepts what the SDK accepts. Tightening the spec fails this test.
#[test]
fn what_the_sdk_tolerates_is_valid_under_the_spec() {
    let schema = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let answer = |op: &str| {
        operation(json_schema_spec(), op)["responses"]["200"]["content"]["application/json"]
            ["schema"]
            .clone()
    };
    let event = json!({"roomUuid": "r", "cmd": 1, "sequence": 3, "version": 1,
                       "data": {"state": 1, "startTime": 1_700_000_000_000_i64}});
    let mut invalid = Vec::new();
    for (what, schema, instance) in [
        // runtime::integer: a number with a zero fraction.
        (
            "integral float",
            schema("User"),
            json!({"updateTime": 1_658_126_782_174.0, "userUuid": "u"}),
        ),
        (
            "integral float in an event",
            schema("Event"),
            json!({"roomUuid": "r", "cmd": 1, "sequence": 3.0, "version": 1.0,
                   "data": {"state": 1, "startTime": 1_700_000_000_000.0}}),
        ),
        // Scalar: an integer enum as a float with a zero fraction; aliases as strings.
        ("integral enum", schema("RoomState"), json!(2.0)),
        ("role as a decimal string", schema("UserRole"), json!("1")),
        ("role as a name", schema("UserRole"), json!("audience")),
        ("role the server names", schema("UserRole"), json!("server")),
        ("room type as a string", schema("RoomType"), json!("4")),
        // runtime::flexible_bool: a boolean or its string.
        (
            "flexible boolean string",
            schema("FlexibleBoolean"),
            json!("true"),
        ),
        ("flexible boolean", schema("FlexibleBoolean"), json!(false)),
        // EventBatch: pollAppEvents' data as an array or as one event.
        (
            "events as an array",
            answer("pollAppEvents"),
            json!({"code": 0, "ts": 1, "data": [event]}),
        ),
        (
            "one event as data",
            answer("pollAppEvents"),
            json!({"code": 0, "ts": 1, "data": event}),
        ),
        // setRecordingState: streamingUrl beside code, no msg, no data (the example).
        (
            "streamingUrl beside code",
            answer("setRecordingState"),
            json!({"code": 0, "ts": 1, "streamingUrl": {"rtmp": "rtmp://cdn.test/a"}}),
        ),
        // listRecordings: nextId and total inside the entries, or beside list.
        (
            "page fields in entries",
            answer("listRecordings"),
            json!({"code": 0, "msg": "Success", "ts": 1, "data": {"list": [
                {"recordId": "a", "nextId": "n1", "total": 3}]}}),
        ),
        (
            "page fields beside list",
            answer("listRecordings"),
            json!({"code": 0, "ts": 1, "data": {"list": [], "nextId": null, "total": 0}}),
        ),
        // EventCause: an object in the Chinese tables, a string in the English ones.
        ("cause as a string", schema("EventCause"), json!("quiz")),
        (
            "cause as an object",
            schema("EventCause"),
            json!({"popQuizId": "q", "action": 1}),
        ),
        // PollChoice: an index or an object.
        (
            "choice as an index",
            schema("PollAnswer"),
            json!({"selectIndex": [0, 2.0]}),
        ),
        (
            "choice as an object",
            schema("PollAnswer"),
            json!({"selectIndex": [{"index": 1}]}),
        ),
        // Event::from_json: a missing data reads as {}.
        (
            "event without data",
            schema("Event"),
            json!({"roomUuid": "r", "cmd": 3, "sequence": 4, "version": 1}),
        ),
        // operator and fromUser beside data and inside it.
        (
            "operator beside and inside data",
            schema("Event"),
            json!({"roomUuid": "", "cmd": 1110, "sequence": 1, "version": 1,
                   "operator": {"userUuid": "server", "userName": "server", "role": "server"},
                   "data": {"widgetUuid": "poll", "operator": {"role": 1}, "fromUser": {"role": "2"}}}),
        ),
        // Enums in answers keep unknown values (`Unknown(..)`), as integers or decimal strings.
        (
            "unknown room state in getRoom",
            answer("getRoom"),
            json!({"code": 0, "ts": 1, "data": {"roomUuid": "r", "state": 9,
                   "roomProperties": {"roomType": 7, "state": "8",
                                      "schedule": {"state": "12"}}}}),
        ),
        (
            "unknown user role and state",
            schema("User"),
            json!({"userUuid": "u", "role": 9, "state": "5"}),
        ),
        (
            "unknown recording state",
            answer("setRecordingState"),
            json!({"code": 0, "ts": 1, "data": {"state": 7}}),
        ),
        (
            "unknown recording type and status",
            answer("listRecordings"),
            json!({"code": 0, "ts": 1, "data": {"list": [{"type": 9, "status": "3"}]}}),
        ),
        (
            "unknown values in event data",
            answer("pollAppEvents"),
            json!({"code": 0, "ts": 1, "data": [
                {"roomUuid": "r", "cmd": 1, "sequence": 1, "version": 1, "data": {"state": 6}},
                {"roomUuid": "r", "cmd": 3, "sequence": 2, "version": 1, "data": {"type": 2}},
                {"roomUuid": "r", "cmd": 1001, "sequence": 3, "version": 1, "data": {"state": "5"}},
                {"roomUuid": "r", "cmd": 1003, "sequence": 4, "version": 1, "data": {"action": 3}},
                {"roomUuid": "r", "cmd": 1110, "sequence": 5, "version": 1,
                 "operator": {"role": 4}, "data": {"action": 9}}]}),
        ),
        (
            "unknown values in quiz and poll shapes",
            schema("PollStartedExtra"),
            json!({"mode": 3, "pollingState": 2, "pollState": "7"}),
        ),
        (
            "unknown quiz answer state",
            schema("PopupQuizStartedExtra"),
            json!({"answerState": 5}),
        ),
        (
            "unknown widget cause action",
            schema("PopupQuizCause"),
            json!({"action": 8}),
        ),
        // Event::from_json: an unknown cmd is EventPayload::Unknown, any data kept as sent.
        (
            "unknown event cmd",
            schema("Event"),
            json!({"roomUuid": "r", "cmd": 4242, "sequence": 9, "version": 1, "data": [1, "x"]}),
        ),
        (
            "unknown event cmd without data",
            answer("listRoomEvents"),
            json!({"code": 0, "ts": 1, "data": {"list": [
                {"roomUuid": "r", "cmd": 7, "sequence": 9, "version": 1}]}}),
        ),
        // runtime::lenient_i64: the envelope's integers as decimal strings.
        (
            "envelope integers as decimal strings",
            schema("Event"),
            json!({"roomUuid": "r", "cmd": "1", "sequence": "12", "version": " 3",
                   "data": {"state": 1}}),
        ),
        (
            "sequence as a decimal string in a known event",
            schema("Event"),
            json!({"roomUuid": "r", "cmd": 1, "sequence": "-12", "version": "+1",
                   "data": {"state": "2"}}),
        ),
    ] {
        let found = errors(&schema, &instance);
        if !found.is_empty() {
            invalid.push(format!("{what}: {instance}\n  {}", found.join("\n  ")));
        }
    }
    assert!(
        invalid.is_empty(),
        "{} tolerated forms are invalid under the spec:\n{}",
        invalid.len(),
        invalid.join("\n")
    );
}

/// Answers are open, requests are closed: Schemathesis sends what the request schemas allow,
/// and the emulator must accept it, so an enum stays closed wherever a request reaches it.
#[test]
fn requests_keep_enums_closed() {
    let spec = json_schema_spec();
    let body = |op: &str| {
        operation(spec, op)["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    let parameter = |name: &str| spec["components"]["parameters"][name]["schema"].clone();
    for (what, schema, instance, valid) in [
        (
            "known room type",
            body("createRoom"),
            json!({"roomName": "n", "roomType": 4}),
            true,
        ),
        (
            "unknown room type",
            body("createRoom"),
            json!({"roomName": "n", "roomType": 7}),
            false,
        ),
        (
            "unknown room type as a string",
            body("createRoom"),
            json!({"roomName": "n", "roomType": "7"}),
            false,
        ),
        (
            "known widget state",
            body("updateWidget"),
            json!({"state": 1}),
            true,
        ),
        (
            "unknown widget state",
            body("updateWidget"),
            json!({"state": 5}),
            false,
        ),
        ("known room state", parameter("roomState"), json!(3), true),
        (
            "unknown room state",
            parameter("roomState"),
            json!(9),
            false,
        ),
        (
            "unknown recording state",
            parameter("recordingState"),
            json!(2),
            false,
        ),
        (
            "unknown group state",
            parameter("groupState"),
            json!(2),
            false,
        ),
        // A known cmd is checked against its own member, never taken as an unknown event.
        (
            "known cmd with a bad state",
            json!({"$ref": "#/components/schemas/Event"}),
            json!({"roomUuid": "r", "cmd": 1, "sequence": 1, "version": 1, "data": {"state": "x"}}),
            false,
        ),
        (
            "cmd that is no integer",
            json!({"$ref": "#/components/schemas/Event"}),
            json!({"roomUuid": "r", "cmd": "one", "sequence": 1, "version": 1}),
            false,
        ),
        (
            "sequence that is no integer",
            json!({"$ref": "#/components/schemas/Event"}),
            json!({"roomUuid": "r", "cmd": 4242, "sequence": "1.5", "version": 1}),
            false,
        ),
    ] {
        assert_eq!(
            errors(&schema, &instance).is_empty(),
            valid,
            "{what}: {instance}"
        );
    }
}

/// The open form of an enum, `anyOf: [{$ref: E}, {type: integer}, ...]`, appears only in
/// schemas that no request reaches; every enum `$ref` in a schema that only answers reach is
/// open (except the widget schemas that createRoom's request and getRoom's answer share).
#[test]
fn enums_are_open_in_answers_and_closed_in_requests() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    let is_enum = |name: &str| {
        schemas[name].get("enum").is_some() || schemas[name].get("x-enum-varnames").is_some()
    };
    let mut from_requests = BTreeSet::new();
    let mut from_answers = BTreeSet::new();
    for (_, _, op) in operations(spec) {
        refs_closure(&op["requestBody"], &mut from_requests);
        refs_closure(&op["parameters"], &mut from_requests);
        refs_closure(&op["responses"], &mut from_answers);
    }
    refs_closure(&spec["components"]["parameters"], &mut from_requests);
    refs_closure(&spec["components"]["responses"], &mut from_answers);
    let mut open_positions = 0;
    for (name, schema) in schemas {
        let Some(properties) = component_properties(schema) else {
            continue;
        };
        for (property, p) in properties {
            let open = p["anyOf"].as_array().is_some_and(|m| {
                m.first()
                    .and_then(|r| r["$ref"].as_str())
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .is_some_and(is_enum)
            });
            let closed = p.get("$ref").is_some_and(|_| is_enum(component_name(p)));
            let at = format!("{name}.{property}");
            if from_requests.contains(name.as_str()) {
                assert!(
                    !open,
                    "{at}: a request reaches it, so its enum must stay closed"
                );
            } else if closed {
                assert!(
                    !from_answers.contains(name.as_str())
                        && !name.starts_with("Popup")
                        && !name.starts_with("Poll"),
                    "{at}: only answers reach it, so its enum must be open"
                );
            }
            open_positions += usize::from(open);
        }
    }
    assert_eq!(open_positions, 26);
}

/// The properties of a component, through the second member of an `allOf`.
fn component_properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema["properties"]
        .as_object()
        .or_else(|| schema["allOf"][1]["properties"].as_object())
}

/// Adds to `out` every component schema that `node` reaches through `$ref`s.
fn refs_closure(node: &Value, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
                && out.insert(name.to_owned())
            {
                refs_closure(&spec()["components"]["schemas"][name], out);
            }
            map.values().for_each(|v| refs_closure(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_closure(v, out)),
        _ => {}
    }
}
