//! Where a request or an answer differs from the spec: the operation it matches (OpenAPI's
//! rules: a literal path before a templated one), and each difference of its JSON body from the
//! operation's schemas, with the JSON pointer, the value and what the spec expects.
//!
//! The spec is compiled in (`spec/classroom.yaml`), with OpenAPI 3.0's `nullable` read as JSON
//! Schema by the project's one conversion (`classroom_codegen::json_schema`), the same that every
//! test validating JSON against the spec uses.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The spec the emulator, the proxy and the replay server follow.
pub const SPEC_YAML: &str = include_str!("../../spec/classroom.yaml");

/// What kind of difference from the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum DriftKind {
    /// No operation of the spec has this method and path.
    UnknownOperation,
    /// The operation does not list this HTTP status.
    UndocumentedStatus,
    /// A body that should be JSON is not.
    NotJson,
    /// A member the schema does not describe.
    UnknownField,
    /// A member the schema requires is missing.
    MissingField,
    /// A value of another JSON type than the schema's.
    TypeMismatch,
    /// A value outside the schema's `enum`.
    UnknownEnumValue,
    /// An event whose `cmd` no event of the catalogue has.
    UnknownEvent,
    /// A value outside the schema's bounds (length, range).
    OutOfBounds,
}

impl DriftKind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::UnknownOperation => "unknown operation",
            DriftKind::UndocumentedStatus => "undocumented status",
            DriftKind::NotJson => "not JSON",
            DriftKind::UnknownField => "unknown field",
            DriftKind::MissingField => "missing field",
            DriftKind::TypeMismatch => "type mismatch",
            DriftKind::UnknownEnumValue => "unknown enum value",
            DriftKind::UnknownEvent => "unknown event",
            DriftKind::OutOfBounds => "out of bounds",
        }
    }
}

/// Which message a difference is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// The client's request.
    Request,
    /// The server's answer.
    Response,
}

/// One difference between a message and the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// The operationId, `None` when no operation matched.
    pub operation: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// The request path (without the query).
    pub path: String,
    /// The HTTP status of the answer (`None` for a difference of the request).
    pub status: Option<u16>,
    /// Request or response.
    pub direction: Direction,
    /// What kind of difference.
    pub kind: DriftKind,
    /// Where in the body (a JSON pointer; empty for the whole body or the request line).
    pub pointer: String,
    /// The value found (shortened when long; `null` when there is none).
    pub value: Value,
    /// What the spec expects there.
    pub expected: String,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.operation.as_deref().unwrap_or("(no operation)");
        let dir = match (self.direction, self.status) {
            (Direction::Request, _) => "request".to_owned(),
            (Direction::Response, Some(s)) => format!("response {s}"),
            (Direction::Response, None) => "response".to_owned(),
        };
        let at = if self.pointer.is_empty() {
            String::new()
        } else {
            format!(" at {}", self.pointer)
        };
        write!(
            f,
            "{op} {dir}{at}: {}: found {}, the spec expects {}",
            self.kind.as_str(),
            short(&self.value),
            self.expected
        )
    }
}

/// Values longer than this (as JSON) are shortened in reports.
const MAX_VALUE: usize = 200;

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() <= MAX_VALUE {
        return text;
    }
    let mut end = MAX_VALUE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn shortened(value: &Value) -> Value {
    match value {
        Value::Object(_) | Value::Array(_) if value.to_string().len() > MAX_VALUE => {
            Value::String(short(value))
        }
        Value::String(s) if s.len() > MAX_VALUE => Value::String(short(value)),
        other => other.clone(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

/// One operation of the spec, as the checks need it.
#[derive(Debug, Clone)]
pub struct SpecOperation {
    /// The operationId.
    pub id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template.
    pub template: String,
    segments: Vec<Segment>,
    request: Option<Value>,
    /// `(status key, schema)`: `"200"`, `"4XX"`, `"default"`; `None` for no JSON body.
    responses: Vec<(String, Option<Value>)>,
}

/// The spec's operations and schemas, ready to check messages against.
#[derive(Debug, Clone)]
pub struct Conformance {
    root: Value,
    operations: Vec<SpecOperation>,
}

/// How deep a check follows nested values and `$ref`s before it stops (hostile bodies and
/// recursive schemas end here).
const MAX_DEPTH: usize = 64;

impl Conformance {
    /// The compiled-in spec.
    pub fn builtin() -> Result<Conformance, String> {
        Conformance::from_yaml(SPEC_YAML)
    }

    /// A spec given as YAML text.
    pub fn from_yaml(text: &str) -> Result<Conformance, String> {
        let mut root = classroom_codegen::yaml::parse(text)
            .map_err(|e| format!("spec line {}: {}", e.line, e.message))?
            .value;
        // What the documents list: an unlisted enum value, an unknown cmd or an integer as a
        // string is drift, although the spec admits it in answers (what the SDK tolerates).
        classroom_codegen::json_schema::documented_only(&mut root);
        classroom_codegen::json_schema::admit_null(&mut root);
        let mut operations = Vec::new();
        let paths = root
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the spec has no paths")?;
        for (template, item) in paths {
            let segments = template
                .split('/')
                .skip(1)
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') {
                        Segment::Param
                    } else {
                        Segment::Literal(s.to_owned())
                    }
                })
                .collect::<Vec<_>>();
            for method in ["get", "put", "post", "patch", "delete", "head", "options"] {
                let Some(op) = item.get(method) else { continue };
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or(template)
                    .to_owned();
                let request = op
                    .get("requestBody")
                    .map(|b| resolve(&root, b).clone())
                    .and_then(|b| json_schema_of(&b));
                let responses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .map(|r| {
                        r.iter()
                            .map(|(status, resp)| {
                                (status.clone(), json_schema_of(resolve(&root, resp)))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                operations.push(SpecOperation {
                    id,
                    method: method.to_ascii_uppercase(),
                    template: template.clone(),
                    segments: segments.clone(),
                    request,
                    responses,
                });
            }
        }
        Ok(Conformance { root, operations })
    }

    /// The operations of the spec.
    pub fn operations(&self) -> &[SpecOperation] {
        &self.operations
    }

    /// The operation a request is for: method and path (without the query; still
    /// percent-encoded). Among the paths that match, a literal segment wins over a template, from
    /// the left, as OpenAPI says.
    pub fn match_operation(&self, method: &str, path: &str) -> Option<&SpecOperation> {
        let template = self.matching_path(path)?;
        self.operations
            .iter()
            .find(|op| op.template == template && op.method.eq_ignore_ascii_case(method))
    }

    /// The path template a request path reaches, whatever its method: the most literal of those
    /// that match (a literal segment before a template, from the left). A method that path item
    /// lacks is then no operation, even when a less literal template has it (a server answers 405).
    fn matching_path(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        self.operations
            .iter()
            .filter(|op| {
                op.segments.len() == segments.len()
                    && op.segments.iter().zip(&segments).all(|(s, v)| match s {
                        Segment::Literal(l) => l == v,
                        Segment::Param => !v.is_empty(),
                    })
            })
            .max_by_key(|op| {
                // Literal segments first, left to right: a bit per segment, leftmost highest.
                op.segments.iter().fold(0u128, |acc, s| {
                    (acc << 1) | u128::from(matches!(s, Segment::Literal(_)))
                })
            })
            .map(|op| op.template.as_str())
    }

    /// The differences of a request from the spec. `body` is `None` when the request has none.
    pub fn check_request(&self, method: &str, path: &str, body: Option<&[u8]>) -> Vec<Drift> {
        let path = path.split('?').next().unwrap_or_default();
        let mut out = Vec::new();
        let drift = |kind, pointer: String, value: Value, expected: String| Drift {
            operation: None,
            method: method.to_owned(),
            path: path.to_owned(),
            status: None,
            direction: Direction::Request,
            kind,
            pointer,
            value,
            expected,
        };
        let Some(op) = self.match_operation(method, path) else {
            let expected = match self.matching_path(path) {
                None => "one of the spec's paths".to_owned(),
                Some(template) => {
                    let methods: Vec<&str> = self
                        .operations
                        .iter()
                        .filter(|o| o.template == template)
                        .map(|o| o.method.as_str())
                        .collect();
                    format!("one of the methods {methods:?} of {template}")
                }
            };
            out.push(drift(
                DriftKind::UnknownOperation,
                String::new(),
                Value::String(format!("{method} {path}")),
                expected,
            ));
            return out;
        };
        let (Some(schema), Some(body)) = (&op.request, body) else {
            return out;
        };
        if body.iter().all(u8::is_ascii_whitespace) {
            return out;
        }
        let mut found = Vec::new();
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => self.check(&value, &[schema], "", 0, &mut found),
            Err(e) => found.push(Found::new(
                DriftKind::NotJson,
                "",
                Value::String(String::from_utf8_lossy(body).into_owned()),
                format!("a JSON body ({e})"),
            )),
        }
        out.extend(found.into_iter().map(|f| Drift {
            operation: Some(op.id.clone()),
            ..drift(f.kind, f.pointer, shortened(&f.value), f.expected)
        }));
        out
    }

    /// The differences of an answer from the spec, for the request `method` `path`.
    pub fn check_response(&self, method: &str, path: &str, status: u16, body: &[u8]) -> Vec<Drift> {
        let path = path.split('?').next().unwrap_or_default();
        let Some(op) = self.match_operation(method, path) else {
            // Reported once, for the request.
            return Vec::new();
        };
        let drift = |kind, pointer: String, value: Value, expected: String| Drift {
            operation: Some(op.id.clone()),
            method: method.to_owned(),
            path: path.to_owned(),
            status: Some(status),
            direction: Direction::Response,
            kind,
            pointer,
            value,
            expected,
        };
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let entry = op
            .responses
            .iter()
            .find(|(k, _)| *k == exact)
            .or_else(|| op.responses.iter().find(|(k, _)| *k == range))
            .or_else(|| op.responses.iter().find(|(k, _)| k == "default"));
        let Some((_, schema)) = entry else {
            let listed: Vec<&str> = op.responses.iter().map(|(k, _)| k.as_str()).collect();
            return vec![drift(
                DriftKind::UndocumentedStatus,
                String::new(),
                Value::from(status),
                format!("one of the statuses {listed:?}"),
            )];
        };
        let Some(schema) = schema else {
            return Vec::new();
        };
        let mut found = Vec::new();
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => self.check(&value, &[schema], "", 0, &mut found),
            Err(e) => found.push(Found::new(
                DriftKind::NotJson,
                "",
                Value::String(String::from_utf8_lossy(body).into_owned()),
                format!("a JSON body ({e})"),
            )),
        }
        found
            .into_iter()
            .map(|f| drift(f.kind, f.pointer, shortened(&f.value), f.expected))
            .collect()
    }

    /// Checks `value` against every schema of `schemas` at once (their conjunction, as `allOf`).
    fn check(
        &self,
        value: &Value,
        schemas: &[&Value],
        pointer: &str,
        depth: usize,
        out: &mut Vec<Found>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let schemas = self.expand(value, schemas, pointer, depth, out);
        if schemas.is_empty() {
            return;
        }
        // Types: every schema that states one must admit the value.
        for schema in &schemas {
            if let Some(ty) = schema.get("type")
                && !type_admits(ty, value)
            {
                out.push(Found::new(
                    DriftKind::TypeMismatch,
                    pointer,
                    value.clone(),
                    type_name(ty),
                ));
                return;
            }
        }
        for schema in &schemas {
            if let Some(Value::Array(values)) = schema.get("enum")
                && !values.iter().any(|v| same(v, value))
            {
                out.push(Found::new(
                    DriftKind::UnknownEnumValue,
                    pointer,
                    value.clone(),
                    format!("one of {}", Value::Array(values.clone())),
                ));
            }
            bounds(schema, value, pointer, out);
        }
        match value {
            Value::Object(map) => self.check_object(map, &schemas, pointer, depth, out),
            Value::Array(items) => {
                let item_schemas: Vec<&Value> =
                    schemas.iter().filter_map(|s| s.get("items")).collect();
                if item_schemas.is_empty() {
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    self.check(
                        item,
                        &item_schemas,
                        &format!("{pointer}/{i}"),
                        depth + 1,
                        out,
                    );
                }
            }
            _ => {}
        }
    }

    fn check_object(
        &self,
        map: &Map<String, Value>,
        schemas: &[&Value],
        pointer: &str,
        depth: usize,
        out: &mut Vec<Found>,
    ) {
        let describes = schemas.iter().any(|s| s.get("properties").is_some());
        let mut additional: Vec<&Value> = Vec::new();
        let mut open = !describes;
        for schema in schemas {
            match schema.get("additionalProperties") {
                Some(Value::Bool(true)) => open = true,
                Some(s @ Value::Object(_)) => additional.push(s),
                _ => {}
            }
        }
        let mut required = BTreeSet::new();
        for schema in schemas {
            if let Some(Value::Array(names)) = schema.get("required") {
                required.extend(names.iter().filter_map(Value::as_str));
            }
        }
        for name in required {
            if !map.contains_key(name) {
                out.push(Found::new(
                    DriftKind::MissingField,
                    &format!("{pointer}/{}", escape(name)),
                    Value::Null,
                    format!("the required member {name:?}"),
                ));
            }
        }
        for (name, member) in map {
            let at = format!("{pointer}/{}", escape(name));
            let declared: Vec<&Value> = schemas
                .iter()
                .filter_map(|s| s.get("properties").and_then(|p| p.get(name)))
                .collect();
            if !declared.is_empty() {
                self.check(member, &declared, &at, depth + 1, out);
            } else if !additional.is_empty() {
                self.check(member, &additional, &at, depth + 1, out);
            } else if !open {
                let known: BTreeSet<&str> = schemas
                    .iter()
                    .filter_map(|s| s.get("properties").and_then(Value::as_object))
                    .flat_map(|p| p.keys().map(String::as_str))
                    .collect();
                out.push(Found::new(
                    DriftKind::UnknownField,
                    &at,
                    member.clone(),
                    format!("only the members {known:?}"),
                ));
            }
        }
    }

    /// Resolves `$ref`s, flattens `allOf`, and picks the branch of each `oneOf`/`anyOf` that
    /// `value` is (by `cmd` for the event union, else the first that fits, else the closest).
    fn expand<'a>(
        &'a self,
        value: &Value,
        schemas: &[&'a Value],
        pointer: &str,
        depth: usize,
        out: &mut Vec<Found>,
    ) -> Vec<&'a Value> {
        let mut flat = Vec::new();
        let mut todo: Vec<(&Value, usize)> = schemas.iter().map(|s| (*s, 0)).collect();
        while let Some((schema, level)) = todo.pop() {
            if level > MAX_DEPTH {
                continue;
            }
            let schema = resolve(&self.root, schema);
            if let Some(Value::Array(all)) = schema.get("allOf") {
                todo.extend(all.iter().map(|s| (s, level + 1)));
            }
            let branches = schema
                .get("oneOf")
                .or_else(|| schema.get("anyOf"))
                .and_then(Value::as_array);
            if let Some(branches) = branches
                && let Some(branch) = self.choose(value, branches, pointer, depth, out)
            {
                todo.push((branch, level + 1));
            }
            flat.push(schema);
        }
        flat
    }

    fn choose<'a>(
        &'a self,
        value: &Value,
        branches: &'a [Value],
        pointer: &str,
        depth: usize,
        out: &mut Vec<Found>,
    ) -> Option<&'a Value> {
        // The event union: members told apart by the values of `cmd`.
        let cmds: Vec<Option<Vec<&Value>>> =
            branches.iter().map(|b| self.cmd_values(b, depth)).collect();
        if !branches.is_empty()
            && cmds.iter().all(Option::is_some)
            && let Some(cmd) = value.get("cmd")
        {
            let found = branches
                .iter()
                .zip(&cmds)
                .find(|(_, values)| values.iter().flatten().any(|v| same(v, cmd)));
            return match found {
                Some((branch, _)) => Some(branch),
                None => {
                    let known: Vec<&Value> = cmds.iter().flatten().flatten().copied().collect();
                    out.push(Found::new(
                        DriftKind::UnknownEvent,
                        &format!("{pointer}/cmd"),
                        cmd.clone(),
                        format!(
                            "a cmd of the event catalogue {}",
                            Value::from_iter(known.into_iter().cloned())
                        ),
                    ));
                    None
                }
            };
        }
        let mut best: Option<(usize, &Value)> = None;
        for branch in branches {
            let mut found = Vec::new();
            self.check(value, &[branch], pointer, depth + 1, &mut found);
            if found.is_empty() {
                return Some(branch);
            }
            if best.is_none_or(|(n, _)| found.len() < n) {
                best = Some((found.len(), branch));
            }
        }
        best.map(|(_, b)| b)
    }

    /// The `cmd` values a member of the event union admits, if it states them.
    fn cmd_values<'a>(&'a self, schema: &'a Value, depth: usize) -> Option<Vec<&'a Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = resolve(&self.root, schema);
        if let Some(Value::Array(values)) = schema
            .get("properties")
            .and_then(|p| p.get("cmd"))
            .map(|c| resolve(&self.root, c))
            .and_then(|c| c.get("enum"))
        {
            return Some(values.iter().collect());
        }
        schema
            .get("allOf")
            .and_then(Value::as_array)?
            .iter()
            .find_map(|s| self.cmd_values(s, depth + 1))
    }
}

/// A difference before it is placed in its message.
struct Found {
    kind: DriftKind,
    pointer: String,
    value: Value,
    expected: String,
}

impl Found {
    fn new(kind: DriftKind, pointer: &str, value: Value, expected: String) -> Found {
        Found {
            kind,
            pointer: pointer.to_owned(),
            value,
            expected,
        }
    }
}

/// The JSON schema of a request body or a response object's JSON content.
fn json_schema_of(body: &Value) -> Option<Value> {
    let content = body.get("content")?.as_object()?;
    content
        .iter()
        .find(|(media, _)| media.starts_with("application/json"))
        .and_then(|(_, c)| c.get("schema"))
        .cloned()
}

/// Follows local `$ref`s (a bounded number of times).
fn resolve<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        let Some(target) = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
        else {
            return value;
        };
        value = target;
    }
    value
}

fn type_admits(ty: &Value, value: &Value) -> bool {
    match ty {
        Value::String(t) => one_type_admits(t, value),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .any(|t| one_type_admits(t, value)),
        _ => true,
    }
}

fn one_type_admits(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => true,
    }
}

fn type_name(ty: &Value) -> String {
    match ty {
        Value::String(t) => format!("a value of type {t}"),
        Value::Array(types) => format!(
            "a value of type {}",
            types
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        other => format!("a value of type {other}"),
    }
}

/// Equal as JSON values, numbers compared by value (`1` and `1.0` are the same).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn bounds(schema: &Value, value: &Value, pointer: &str, out: &mut Vec<Found>) {
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let mut fail = |expected: String| {
        out.push(Found::new(
            DriftKind::OutOfBounds,
            pointer,
            value.clone(),
            expected,
        ));
    };
    match value {
        Value::Number(n) => {
            let Some(x) = n.as_f64() else { return };
            if let Some(min) = num("minimum")
                && x < min
            {
                fail(format!("at least {min}"));
            } else if let Some(max) = num("maximum")
                && x > max
            {
                fail(format!("at most {max}"));
            }
        }
        Value::String(s) => {
            let len = s.chars().count() as f64;
            if let Some(min) = num("minLength")
                && len < min
            {
                fail(format!("at least {min} characters"));
            } else if let Some(max) = num("maxLength")
                && len > max
            {
                fail(format!("at most {max} characters"));
            }
        }
        Value::Array(items) => {
            let len = items.len() as f64;
            if let Some(min) = num("minItems")
                && len < min
            {
                fail(format!("at least {min} items"));
            } else if let Some(max) = num("maxItems")
                && len > max
            {
                fail(format!("at most {max} items"));
            }
        }
        _ => {}
    }
}

/// A member name as a JSON pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Conformance {
        Conformance::builtin().expect("the compiled-in spec loads")
    }

    #[test]
    fn every_operation_of_the_spec_is_matched_by_its_own_path() {
        let spec = spec();
        assert!(spec.operations().len() >= 27);
        for op in spec.operations() {
            let path = op
                .template
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let found = spec.match_operation(&op.method, &path).map(|o| &o.id);
            assert_eq!(found, Some(&op.id), "{} {path}", op.method);
        }
    }

    #[test]
    fn a_literal_path_wins_over_a_template() {
        let spec = spec();
        let op = spec
            .match_operation("PATCH", "/cn/edu/apps/a/v2/rooms/r/records/states/1")
            .map(|o| o.id.as_str());
        assert_eq!(op, Some("updateRecording"));
        let op = spec
            .match_operation("GET", "/cn/edu/apps/a/v2/rooms/r/widgets/poll/sequences")
            .map(|o| o.id.as_str());
        assert_eq!(op, Some("listPollEvents"));
    }

    #[test]
    fn the_method_is_looked_up_on_the_most_literal_path_only() {
        // A literal path item without PUT answers 405 to a PUT, though a template has one: the
        // request is no operation, as for a validator or a mock built from the spec.
        let spec = Conformance::from_yaml(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  \
             /r/{state}:\n    put: {operationId: setState, responses: {'200': {description: ok}}}\n  \
             /r/1:\n    patch: {operationId: update, responses: {'200': {description: ok}}}\n",
        )
        .expect("spec");
        assert_eq!(
            spec.match_operation("PUT", "/r/0").map(|o| o.id.as_str()),
            Some("setState")
        );
        assert_eq!(
            spec.match_operation("PATCH", "/r/1").map(|o| o.id.as_str()),
            Some("update")
        );
        assert!(spec.match_operation("PUT", "/r/1").is_none());
        let drifts = spec.check_request("PUT", "/r/1", None);
        assert_eq!(drifts[0].kind, DriftKind::UnknownOperation);
        assert!(
            drifts[0].expected.contains(r#"["PATCH"] of /r/1"#),
            "{}",
            drifts[0].expected
        );
    }

    #[test]
    fn a_conforming_answer_has_no_drift() {
        let body = json!({"code": 0, "msg": "Success", "ts": 1, "data": {
            "userName": "Ann", "userUuid": "u1", "role": 2, "userProperties": {}, "state": 1}});
        let drifts = spec().check_response(
            "GET",
            "/cn/edu/apps/a/v2/rooms/r/users/u1",
            200,
            body.to_string().as_bytes(),
        );
        assert_eq!(drifts, Vec::new());
    }

    #[test]
    fn each_kind_of_difference_is_reported_with_its_place() {
        let spec = spec();
        let path = "/cn/edu/apps/a/v2/rooms/r/users/u1";
        let body = json!({"code": 0, "msg": "Success", "ts": 1, "data": {
            "userName": 5, "userUuid": "u1", "role": 2, "brandNew": true}});
        let drifts = spec.check_response("GET", path, 200, body.to_string().as_bytes());
        let kinds: Vec<(DriftKind, &str)> = drifts
            .iter()
            .map(|d| (d.kind, d.pointer.as_str()))
            .collect();
        assert!(
            kinds.contains(&(DriftKind::TypeMismatch, "/data/userName")),
            "{drifts:#?}"
        );
        assert!(
            kinds.contains(&(DriftKind::UnknownField, "/data/brandNew")),
            "{drifts:#?}"
        );
        let drifts = spec.check_response("GET", path, 204, b"{}");
        assert_eq!(drifts[0].kind, DriftKind::UndocumentedStatus);
        let drifts = spec.check_request("GET", "/cn/edu/apps/a/v2/nothing", None);
        assert_eq!(drifts[0].kind, DriftKind::UnknownOperation);
        let events = json!({"code": 0, "ts": 1, "data": {"total": 1, "count": 1, "list": [
            {"roomUuid": "r", "sequence": 1, "cmd": 424242, "version": 1, "data": {}}]}});
        let drifts = spec.check_response(
            "GET",
            "/cn/edu/apps/a/v2/rooms/r/sequences",
            200,
            events.to_string().as_bytes(),
        );
        assert!(
            drifts
                .iter()
                .any(|d| d.kind == DriftKind::UnknownEvent && d.pointer == "/data/list/0/cmd"),
            "{drifts:#?}"
        );
        // The spec admits these in answers (what the SDK tolerates); they are still drift.
        let events = json!({"code": 0, "ts": 1, "data": {"total": 1, "count": 1, "list": [
            {"roomUuid": "r", "sequence": "12", "cmd": 1, "version": 1, "data": {"state": 9}}]}});
        let drifts = spec.check_response(
            "GET",
            "/cn/edu/apps/a/v2/rooms/r/sequences",
            200,
            events.to_string().as_bytes(),
        );
        let kinds: Vec<(DriftKind, &str)> = drifts
            .iter()
            .map(|d| (d.kind, d.pointer.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (DriftKind::TypeMismatch, "/data/list/0/sequence"),
                (DriftKind::UnknownEnumValue, "/data/list/0/data/state")
            ],
            "{drifts:#?}"
        );
        let body = json!({"code": 0, "ts": 1, "data": {"userUuid": "u1", "role": 7, "state": 1}});
        let drifts = spec.check_response("GET", path, 200, body.to_string().as_bytes());
        assert!(
            drifts
                .iter()
                .any(|d| d.kind == DriftKind::UnknownEnumValue && d.pointer == "/data/role"),
            "{drifts:#?}"
        );
    }

    #[test]
    fn hostile_bodies_end_in_a_finding() {
        let spec = spec();
        let deep = "[".repeat(100_000);
        let drifts = spec.check_response(
            "GET",
            "/cn/edu/apps/a/v2/rooms/r/users/u1",
            200,
            deep.as_bytes(),
        );
        assert_eq!(drifts[0].kind, DriftKind::NotJson);
        let drifts = spec.check_request(
            "POST",
            "/cn/edu/apps/a/v2/rooms/r",
            Some(&[0xff, 0xfe, b'{']),
        );
        assert_eq!(drifts[0].kind, DriftKind::NotJson);
    }
}
