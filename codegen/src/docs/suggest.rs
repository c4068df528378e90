//! `--suggest`: a draft spec fragment for each missing operation, field, enum value and event, inferred
//! from the document's tables and examples. A draft names where it goes (a JSON pointer of the spec)
//! and what to add there, as YAML; [`Suggestion::apply`] pastes it into a spec's JSON value.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{DocExample, DocField, DocModel, DocOperation, ExampleKind, Finding, Kind, Scope};
use crate::Spec;
use crate::yaml::escape_token;

/// A draft addition to the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The JSON pointer of the mapping to add the members to, or of the sequence to append to.
    pub at: String,
    /// The members (or items) to add, as YAML.
    pub yaml: String,
}

impl Suggestion {
    fn new(at: String, value: &Value) -> Suggestion {
        Suggestion {
            at,
            yaml: to_yaml(value),
        }
    }

    /// Pastes the fragment into a spec's value: its members are added to the mapping at
    /// [`at`](Self::at) (a member that is there already is an error), its items appended to the
    /// sequence there.
    pub fn apply(&self, spec: &mut Value) -> Result<(), String> {
        let fragment = crate::yaml::parse(&self.yaml)
            .map_err(|e| format!("line {}: {}", e.line, e.message))?
            .value;
        let target = spec
            .pointer_mut(&self.at)
            .ok_or_else(|| format!("the spec has nothing at {}", self.at))?;
        match (target, fragment) {
            (Value::Object(target), Value::Object(members)) => {
                for (k, v) in members {
                    if target.contains_key(&k) {
                        return Err(format!("{} has `{k}` already", self.at));
                    }
                    target.insert(k, v);
                }
                Ok(())
            }
            (Value::Array(target), Value::Array(items)) => {
                target.extend(items);
                Ok(())
            }
            _ => Err(format!(
                "the fragment for {} does not fit what is there",
                self.at
            )),
        }
    }
}

/// Fills in the suggestions of the findings that have one.
pub fn suggest(docs: &DocModel, spec: &Spec, findings: &mut [Finding]) {
    let mut taken: Vec<String> = spec.model.operations.iter().map(|o| o.id.clone()).collect();
    // What is suggested already: the same member for another table of the same object is one
    // addition, made once.
    let mut given: Vec<(String, String)> = Vec::new();
    for f in findings.iter_mut().filter(|f| f.is_open()) {
        let suggestions = match f.kind {
            Kind::OperationMissing => docs
                .operations
                .iter()
                .position(|o| o.doc == f.doc && o.path_line == f.line)
                .map(|i| operation(docs, i, spec, &mut taken))
                .unwrap_or_default(),
            Kind::RequestFieldMissing | Kind::ResponseFieldMissing | Kind::EventFieldMissing => {
                field(docs, f).into_iter().collect()
            }
            Kind::EnumValueMissing => enum_value(spec, f),
            Kind::EventMissing => event(docs, spec, f),
            _ => Vec::new(),
        };
        let head = |s: &Suggestion| (s.at.clone(), s.yaml.lines().next().unwrap_or("").to_owned());
        if suggestions.iter().any(|s| given.contains(&head(s))) {
            continue;
        }
        given.extend(suggestions.iter().map(head));
        f.suggestions = suggestions;
    }
}

/// The path item (or the method of an existing path item) of a documented operation.
fn operation(
    docs: &DocModel,
    index: usize,
    spec: &Spec,
    taken: &mut Vec<String>,
) -> Vec<Suggestion> {
    let op = &docs.operations[index];
    let params = spec
        .value
        .pointer("/components/parameters")
        .and_then(Value::as_object);
    // The path as the spec writes paths: `/{region}` first, parameter names as the spec's
    // components name them.
    let mut segments: Vec<String> = Vec::new();
    let mut path_params = Vec::new();
    let raw = op.path.replace('\\', "");
    let raw = raw.trim_matches('`').trim_start_matches('/');
    let mut parts: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    if parts
        .first()
        .is_some_and(|p| p.eq_ignore_ascii_case("{region}"))
    {
        parts.remove(0);
    }
    for part in std::iter::once("{region}").chain(parts) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                let known = params.and_then(|m| m.keys().find(|k| k.eq_ignore_ascii_case(name)));
                let name = known.cloned().unwrap_or_else(|| name.to_owned());
                segments.push(format!("{{{name}}}"));
                path_params.push(match known {
                    Some(k) => json!({"$ref": format!("#/components/parameters/{}", escape_token(k))}),
                    None => json!({
                        "name": name,
                        "in": "path",
                        "required": true,
                        "description": format!("The `{name}` of the endpoint ({} line {}).", op.doc, op.path_line),
                        "schema": {"type": "string"},
                    }),
                });
            }
            None => segments.push(part.to_owned()),
        }
    }
    let path = format!("/{}", segments.join("/"));
    let mut id = operation_id(op);
    let base = id.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}{n}");
        n += 1;
    }
    taken.push(id.clone());
    let examples: Vec<&DocExample> = docs
        .examples
        .iter()
        .filter(|e| e.operation == Some(index))
        .collect();
    let example = |kind: ExampleKind| {
        examples
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| e.json.as_ref().ok())
    };
    let mut operation = Map::new();
    operation.insert("operationId".into(), json!(id));
    operation.insert("summary".into(), json!(op.title));
    operation.insert(
        "description".into(),
        json!(format!(
            "{} (drafted by docs-check from {} line {}; review before use).",
            op.title, op.doc, op.line
        )),
    );
    let query: Vec<Value> = op
        .query
        .iter()
        .filter(|f| !f.name.contains('.'))
        .map(|f| {
            json!({
                "name": f.name,
                "in": "query",
                "required": false,
                "description": describe(f, &op.doc),
                "schema": schema_of(&[f], &f.name, None),
            })
        })
        .collect();
    if !query.is_empty() {
        operation.insert("parameters".into(), Value::Array(query));
    }
    if !op.request.is_empty() {
        let fields: Vec<&DocField> = op.request.iter().collect();
        let schema = object_of(
            &fields,
            "",
            example(ExampleKind::Request),
            "The request body.",
        );
        operation.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"schema": schema}}}),
        );
    }
    let body: Vec<&DocField> = op
        .response
        .iter()
        .filter(|f| f.scope == Scope::Body && (f.name == "data" || f.name.starts_with("data.")))
        .collect();
    let envelope = json!({"$ref": "#/components/schemas/Envelope"});
    let schema = if body.is_empty() {
        envelope
    } else {
        let data_example = example(ExampleKind::Response).and_then(|e| e.get("data"));
        let mut data = schema_of(&body, "data", data_example);
        if let Value::Object(m) = &mut data {
            m.insert("description".into(), json!(describe(body[0], &op.doc)));
        }
        json!({"allOf": [envelope, {"type": "object", "required": ["data"], "properties": {"data": data}}]})
    };
    operation.insert(
        "responses".into(),
        json!({
            "200": {"description": "Success.", "content": {"application/json": {"schema": schema}}},
            "4XX": {"$ref": "#/components/responses/Error"},
            "5XX": {"$ref": "#/components/responses/Error"},
        }),
    );
    let method = op.method.to_ascii_lowercase();
    // An existing path item of the same template takes the method.
    let existing = spec
        .value
        .get("paths")
        .and_then(Value::as_object)
        .and_then(|paths| {
            paths
                .keys()
                .find(|p| super::check::normalize_path(p) == super::check::normalize_path(&path))
        });
    match existing {
        Some(p) => vec![Suggestion::new(
            format!("/paths/{}", escape_token(p)),
            &json!({ method: Value::Object(operation) }),
        )],
        None => vec![Suggestion::new(
            "/paths".into(),
            &json!({ path: {"parameters": path_params, method: Value::Object(operation)} }),
        )],
    }
}

/// `Query a classroom` gives `queryAClassroom`; a title without ASCII words gives the method and
/// the last literal segment (`getSummary`).
fn operation_id(op: &DocOperation) -> String {
    let words: Vec<String> = op
        .title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && w.is_ascii())
        .map(str::to_ascii_lowercase)
        .collect();
    let words = if words.is_empty() {
        let last = op
            .path
            .rsplit('/')
            .find(|s| !s.is_empty() && !s.contains('{'))
            .unwrap_or("operation")
            .to_ascii_lowercase();
        vec![op.method.to_ascii_lowercase(), last]
    } else {
        words
    };
    let mut id = String::new();
    for (i, w) in words.iter().enumerate() {
        let mut chars = w.chars();
        if i == 0 {
            id.push_str(w);
        } else if let Some(c) = chars.next() {
            id.push(c.to_ascii_uppercase());
            id.push_str(chars.as_str());
        }
    }
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert_str(0, "op");
    }
    id
}

/// The property a missing field finding asks for.
fn field(docs: &DocModel, f: &Finding) -> Option<Suggestion> {
    // The key ends with the dotted name; the message names the missing part in backticks.
    let missing = f.message.split('`').nth(1)?.to_owned();
    let at = if f.spec_pointer.ends_with("/properties") {
        f.spec_pointer.clone()
    } else {
        return None;
    };
    let (fields, doc) = fields_at(docs, f)?;
    let name = missing.rsplit('.').next()?.to_owned();
    let matching: Vec<&DocField> = fields
        .iter()
        .copied()
        .filter(|g| {
            g.name == missing
                || g.name.ends_with(&format!(".{missing}"))
                || g.name.contains(&format!("{missing}."))
        })
        .collect();
    // The documented name may have a prefix the finding does not show (`data.` of an event).
    let full = matching
        .iter()
        .find(|g| {
            g.line == f.line && (g.name == missing || g.name.ends_with(&format!(".{missing}")))
        })
        .map(|g| g.name.clone())
        .unwrap_or(missing);
    let mut schema = schema_of(&matching, &full, None);
    if let Value::Object(m) = &mut schema
        && let Some(first) = matching.iter().find(|g| g.name == full)
    {
        m.insert("description".into(), json!(describe(first, doc)));
    }
    Some(Suggestion::new(at, &json!({ name: schema })))
}

/// The documented fields of the list a finding's line is in, and the document.
fn fields_at<'d>(docs: &'d DocModel, f: &Finding) -> Option<(Vec<&'d DocField>, &'d str)> {
    for op in docs.operations.iter().filter(|o| o.doc == f.doc) {
        for list in [&op.path_params, &op.query, &op.request, &op.response] {
            if let Some(hit) = list.iter().find(|g| g.line == f.line) {
                let group = hit.group;
                return Some((list.iter().filter(|g| g.group == group).collect(), &op.doc));
            }
        }
    }
    for ev in docs.events.iter().filter(|e| e.doc == f.doc) {
        if ev.fields.iter().any(|g| g.line == f.line) {
            return Some((ev.fields.iter().collect(), &ev.doc));
        }
    }
    None
}

/// The value an enum finding asks for, with its name and description where the enum has them.
fn enum_value(spec: &Spec, f: &Finding) -> Vec<Suggestion> {
    let Some(value) = f
        .key
        .rsplit('=')
        .next()
        .filter(|_| f.key.contains('='))
        .or_else(|| f.message.split('`').nth(3))
    else {
        return Vec::new();
    };
    let Some(Value::Array(items)) = spec.value.pointer(&f.spec_pointer) else {
        return Vec::new();
    };
    let typed = if items.iter().all(Value::is_i64) {
        match value.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => return Vec::new(),
        }
    } else {
        json!(value)
    };
    let mut out = vec![Suggestion::new(f.spec_pointer.clone(), &json!([typed]))];
    // The nearest schema above the enum that names its values.
    let mut owner = f.spec_pointer.trim_end_matches("/enum").to_owned();
    loop {
        if let Some(schema) = spec.value.pointer(&owner)
            && schema.get("x-enum-varnames").is_some()
        {
            let name = format!(
                "Value{}",
                value.replace(|c: char| !c.is_ascii_alphanumeric(), "")
            );
            out.push(Suggestion::new(
                format!("{owner}/x-enum-varnames"),
                &json!([name]),
            ));
            if schema.get("x-enum-descriptions").is_some() {
                out.push(Suggestion::new(
                    format!("{owner}/x-enum-descriptions"),
                    &json!([format!(
                        "{value} (drafted by docs-check from {} line {}).",
                        f.doc, f.line
                    )]),
                ));
            }
            if schema.get("x-enum-aliases").is_some() && typed.is_i64() {
                out.push(Suggestion::new(
                    format!("{owner}/x-enum-aliases"),
                    &json!({ value: typed }),
                ));
            }
            break;
        }
        match owner.rfind('/') {
            Some(i) if i > 0 => owner.truncate(i),
            _ => break,
        }
    }
    out
}

/// A component for a documented event `cmd`, its data, and its place in `Event`.
fn event(docs: &DocModel, spec: &Spec, f: &Finding) -> Vec<Suggestion> {
    let Some(ev) = docs
        .events
        .iter()
        .find(|e| e.doc == f.doc && e.line == f.line)
    else {
        return Vec::new();
    };
    if spec
        .value
        .pointer("/components/schemas/Event/oneOf")
        .is_none()
    {
        return Vec::new();
    }
    let name = format!("Cmd{}Event", ev.cmd);
    let fields: Vec<&DocField> = ev.fields.iter().collect();
    let data = object_of(
        &fields,
        "",
        None,
        &format!(
            "Data of the cmd {} event (drafted by docs-check from {} line {}).",
            ev.cmd, ev.doc, ev.line
        ),
    );
    let component = json!({
        "description": format!("The event of cmd {} (drafted by docs-check from {} line {}).", ev.cmd, ev.doc, ev.line),
        "allOf": [
            {"$ref": "#/components/schemas/EventEnvelope"},
            {"type": "object", "required": ["cmd", "data"], "properties": {
                "cmd": {"type": "integer", "enum": [ev.cmd], "description": format!("Event type {}.", ev.cmd)},
                "data": {"$ref": format!("#/components/schemas/{name}Data"), "description": "The event's data."},
            }},
        ],
    });
    vec![
        Suggestion::new(
            "/components/schemas".into(),
            &json!({ name.clone(): component, format!("{name}Data"): data }),
        ),
        Suggestion::new(
            "/components/schemas/Event/oneOf".into(),
            &json!([{"$ref": format!("#/components/schemas/{name}")}]),
        ),
    ]
}

/// An object schema of the fields below `prefix` (all top-level fields when it is empty).
fn object_of(
    fields: &[&DocField],
    prefix: &str,
    example: Option<&Value>,
    description: &str,
) -> Value {
    let mut properties = Map::new();
    for f in fields {
        let rest = if prefix.is_empty() {
            f.name.as_str()
        } else {
            match f
                .name
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
            {
                Some(r) => r,
                None => continue,
            }
        };
        let Some(child) = rest.split('.').next().filter(|c| !c.is_empty()) else {
            continue;
        };
        if properties.contains_key(child) {
            continue;
        }
        let full = if prefix.is_empty() {
            child.to_owned()
        } else {
            format!("{prefix}.{child}")
        };
        let mut schema = schema_of(fields, &full, example.and_then(|e| member(e, child)));
        if let Value::Object(m) = &mut schema
            && !m.contains_key("description")
        {
            let doc = fields.iter().find(|g| g.name == full).map_or_else(
                || format!("`{child}`."),
                |g| format!("`{child}` ({}).", type_or_any(&g.ty)),
            );
            m.insert("description".into(), json!(doc));
        }
        properties.insert(child.to_owned(), schema);
    }
    json!({"type": "object", "description": description, "properties": properties})
}

/// The schema of the field `name`, from its type and its documented children.
fn schema_of(fields: &[&DocField], name: &str, example: Option<&Value>) -> Value {
    let field = fields.iter().find(|f| f.name == name);
    let has_children = fields.iter().any(|f| {
        f.name.len() > name.len() + 1
            && f.name.starts_with(name)
            && f.name[name.len()..].starts_with('.')
    });
    let ty = field.map_or("", |f| f.ty.as_str());
    let lower = ty.to_ascii_lowercase();
    let is_array = lower.contains("[]") || lower.contains("array");
    if has_children {
        let item_example = match example {
            Some(Value::Array(items)) => items.first(),
            other => other,
        };
        let object = object_of(fields, name, item_example, &format!("`{name}`."));
        return if is_array {
            json!({"type": "array", "items": object})
        } else {
            object
        };
    }
    if is_array {
        let items = if lower.starts_with("string") {
            json!({"type": "string"})
        } else {
            json!({"type": "object"})
        };
        return json!({"type": "array", "items": items});
    }
    let word = lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    match word {
        "integer" | "int" => json!({"type": "integer"}),
        "long" => json!({"type": "integer", "format": "int64"}),
        // `Number` is the documents' word for integers too; an example tells.
        "number" => match example {
            Some(Value::Number(n)) if n.is_f64() => json!({"type": "number"}),
            Some(_) => json!({"type": "integer", "format": "int64"}),
            None => json!({"type": "number"}),
        },
        "float" | "double" => json!({"type": "number"}),
        "boolean" | "bool" => json!({"type": "boolean"}),
        "string" => json!({"type": "string"}),
        "object" | "map" | "jsonobject" => json!({"type": "object"}),
        _ => match example {
            Some(Value::Bool(_)) => json!({"type": "boolean"}),
            Some(Value::Number(n)) if n.is_f64() => json!({"type": "number"}),
            Some(Value::Number(_)) => json!({"type": "integer"}),
            Some(Value::String(_)) => json!({"type": "string"}),
            Some(Value::Array(_)) => json!({"type": "array", "items": {}}),
            _ => json!({"type": "object"}),
        },
    }
}

fn member<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    match value {
        Value::Object(m) => m.get(key),
        Value::Array(items) => items.first().and_then(|i| member(i, key)),
        _ => None,
    }
}

fn describe(f: &DocField, doc: &str) -> String {
    let values = if f.values.is_empty() {
        String::new()
    } else {
        format!("; documented values: {}", f.values.join(", "))
    };
    format!(
        "`{}` ({}{values}; drafted by docs-check from {doc} line {}).",
        f.name,
        type_or_any(&f.ty),
        f.line
    )
}

fn type_or_any(ty: &str) -> &str {
    if ty.is_empty() { "no type given" } else { ty }
}

/// A YAML rendering of a JSON value: block mappings and sequences, strings quoted when plain YAML
/// would read them otherwise.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_block(value, 0, &mut out);
    out
}

fn write_block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                out.push_str(&pad);
                out.push_str(&scalar_str(k));
                out.push(':');
                write_child(v, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for v in items {
                out.push_str(&pad);
                out.push('-');
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        // The first member on the dash's line, the others below it.
                        let mut inner = String::new();
                        write_block(v, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(&inner[indent + 2..]);
                    }
                    _ => write_child(v, indent, out),
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn write_child(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_block(v, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_block(v, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::String(s) => scalar_str(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// A string as a YAML scalar: plain when it is a simple word or sentence, double-quoted otherwise.
fn scalar_str(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _-.,()".contains(c))
        && !s.ends_with(' ')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trips_through_the_spec_reader() {
        let value = json!({
            "/{region}/a": {"get": {"operationId": "x", "responses": {"200": {"$ref": "#/c"}}}},
            "list": [{"a": 1, "b": [true, null]}, "yes", "plain words", ""],
            "empty": {},
            "none": [],
        });
        let text = to_yaml(&value);
        assert_eq!(
            crate::yaml::parse(&text).expect(&text).value,
            value,
            "{text}"
        );
    }
}
