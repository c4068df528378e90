//! Comparing what the documents say with the spec.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::exceptions::Exceptions;
use super::schema::{Node, Resolved, Schemas};
use super::{DocField, DocModel, DocOperation, ExampleKind, Finding, Kind, Scope};
use crate::Spec;
use crate::yaml::escape_token;

/// Compares the documents with the spec. Every finding names the document, its line and the spec
/// location to change; the findings that the exceptions file records carry its reason, and an
/// exception that matches nothing is itself a finding.
pub fn check(docs: &DocModel, spec: &Spec, exceptions: &Exceptions) -> Vec<Finding> {
    let mut c = Checker {
        docs,
        spec,
        exceptions,
        schemas: Schemas::new(&spec.value),
        json_schema: {
            let mut v = spec.value.clone();
            // The documents are checked against what they list, not what the SDK tolerates.
            crate::json_schema::documented_only(&mut v);
            crate::json_schema::admit_null(&mut v);
            v
        },
        findings: Vec::new(),
    };
    let targets = c.operations();
    c.examples(&targets);
    c.events();
    c.error_codes();
    c.apply_exceptions();
    let order = |doc: &str| {
        docs.documents
            .iter()
            .position(|d| d.name == doc)
            .unwrap_or(if doc == spec.file {
                docs.documents.len()
            } else {
                docs.documents.len() + 1
            })
    };
    c.findings.sort_by(|a, b| {
        (order(&a.doc), a.line, a.kind, &a.key).cmp(&(order(&b.doc), b.line, b.kind, &b.key))
    });
    c.findings.dedup();
    c.findings
}

/// The operation a path template names, ignoring parameter names, case, MDX escapes (`\{`), a
/// missing leading `/` and the `/{region}` prefix: `{region}/edu/apps/{appId}/v2/rooms/{roomUUid}`
/// and `/edu/apps/\{appId}/v2/rooms/\{roomUuid}` are both `/edu/apps/{}/v2/rooms/{}`.
pub(crate) fn normalize_path(path: &str) -> String {
    let unescaped: String = path.trim().trim_matches('`').replace('\\', "");
    let mut path = unescaped.trim_start_matches('/');
    if let Some(rest) = path.strip_prefix('{')
        && let Some(end) = rest.find('}')
        && rest[..end].trim().eq_ignore_ascii_case("region")
    {
        path = &rest[end + 1..];
    }
    let mut out = String::from("/");
    let mut in_param = false;
    for c in path.trim_start_matches('/').chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out.trim_end_matches('/').to_owned()
}

/// Whether a normalized documented path covers a normalized spec path: the same segments, where a
/// documented parameter may stand for a literal segment of the spec.
fn covers(doc: &str, spec: &str) -> bool {
    let (d, s): (Vec<&str>, Vec<&str>) = (doc.split('/').collect(), spec.split('/').collect());
    d.len() == s.len() && d.iter().zip(&s).all(|(d, s)| d == s || *d == "{}")
}

struct Checker<'a> {
    docs: &'a DocModel,
    spec: &'a Spec,
    exceptions: &'a Exceptions,
    schemas: Schemas<'a>,
    /// The spec with `nullable` turned into JSON Schema, for the validator.
    json_schema: Value,
    findings: Vec<Finding>,
}

/// Where a documented field sits, for keys and messages.
#[derive(Clone, Copy)]
enum Place {
    Request,
    Response,
    EventData,
}

impl Place {
    fn as_str(self) -> &'static str {
        match self {
            Place::Request => "request",
            Place::Response => "response",
            Place::EventData => "event-data",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Place::Request => Kind::RequestFieldMissing,
            Place::Response | Place::EventData => Kind::ResponseFieldMissing,
        }
    }
}

impl<'a> Checker<'a> {
    #[allow(
        clippy::too_many_arguments,
        reason = "a finding has this many parts; a builder would only move them"
    )]
    fn push(
        &mut self,
        kind: Kind,
        key: String,
        doc: &str,
        line: usize,
        operation: &str,
        message: String,
        spec_pointer: String,
    ) {
        let spec_line = if spec_pointer.is_empty() {
            None
        } else {
            self.spec.line(&spec_pointer)
        };
        self.findings.push(Finding {
            kind,
            key,
            doc: doc.to_owned(),
            line,
            operation: operation.to_owned(),
            message,
            spec_pointer,
            spec_line,
            exception: None,
            suggestions: Vec::new(),
        });
    }

    /// The spec operation that an exception maps a documented section to.
    fn mapped(&self, kind: Kind, lang: &str, key: &str) -> Option<usize> {
        let id = self
            .exceptions
            .find(kind, lang, key)?
            .operation
            .as_deref()?;
        self.spec.model.operations.iter().position(|o| o.id == id)
    }

    /// Matches every documented operation with a spec operation, reports what is missing on either
    /// side, and checks each matched section's fields. Returns the spec operation of each section.
    fn operations(&mut self) -> Vec<Option<usize>> {
        let (docs, spec) = (self.docs, self.spec);
        let spec_ops = &spec.model.operations;
        let mut targets = Vec::new();
        let mut seen: BTreeMap<(&str, usize), &DocOperation> = BTreeMap::new();
        for op in &docs.operations {
            let key = format!("{} {}", op.method, op.path.replace('\\', ""));
            let wanted = normalize_path(&op.path);
            let matched = spec_ops
                .iter()
                .position(|s| s.http_method == op.method && normalize_path(&s.path) == wanted)
                .or_else(|| {
                    // A documented template that covers the spec's literal path
                    // (`.../states/{state}` for the spec's `.../states/1`).
                    let mut covering = spec_ops.iter().enumerate().filter(|(_, s)| {
                        s.http_method == op.method && covers(&wanted, &normalize_path(&s.path))
                    });
                    match (covering.next(), covering.next()) {
                        (Some((i, _)), None) => Some(i),
                        _ => None,
                    }
                });
            let lang = op.lang.as_str();
            let target = match matched {
                None => {
                    self.push(
                        Kind::OperationMissing,
                        key.clone(),
                        &op.doc,
                        op.path_line,
                        &op.title,
                        format!("`{key}` (section «{}») is not in the spec", op.title),
                        "/paths".into(),
                    );
                    self.mapped(Kind::OperationMissing, lang, &key)
                }
                Some(s) => match seen.get(&(op.doc.as_str(), s)) {
                    Some(first) => {
                        let message = format!(
                            "section «{}» documents `{key}`, the endpoint of section «{}» (line {}), which the spec has as {}",
                            op.title, first.title, first.path_line, spec_ops[s].id
                        );
                        self.push(
                            Kind::OperationDuplicate,
                            key.clone(),
                            &op.doc,
                            op.path_line,
                            &op.title,
                            message,
                            spec_ops[s].pointer.clone(),
                        );
                        self.mapped(Kind::OperationDuplicate, lang, &key)
                            .or(Some(s))
                    }
                    None => {
                        seen.insert((op.doc.as_str(), s), op);
                        Some(s)
                    }
                },
            };
            if let Some(s) = target {
                self.operation_fields(op, s);
            }
            targets.push(target);
        }
        let documented: BTreeSet<usize> = targets.iter().flatten().copied().collect();
        for (i, s) in spec_ops.iter().enumerate() {
            if !documented.contains(&i) {
                self.push(
                    Kind::OperationUndocumented,
                    s.id.clone(),
                    &self.spec.file.clone(),
                    self.spec.line(&s.pointer).unwrap_or(1),
                    &s.id,
                    format!(
                        "{} `{} {}` is in the spec but in no document",
                        s.id, s.http_method, s.path
                    ),
                    s.pointer.clone(),
                );
            }
        }
        targets
    }

    /// The shapes the exceptions file gives for an operation.
    fn shapes_for(&self, id: &str) -> Schemas<'a> {
        self.schemas.with_shapes(
            self.exceptions
                .shapes
                .iter()
                .filter(|s| s.operation == id)
                .map(|s| (s.at.clone(), s.schemas.clone()))
                .collect(),
        )
    }

    fn operation_fields(&mut self, op: &DocOperation, s: usize) {
        let spec = self.spec;
        let spec_op = &spec.model.operations[s];
        let id = spec_op.id.clone();
        let op_ptr = spec_op.pointer.clone();
        let item_ptr = op_ptr[..op_ptr.rfind('/').unwrap_or(0)].to_owned();
        let schemas = self.shapes_for(&id);

        // Parameters: the path's and the operation's, `$ref`s followed.
        let mut params: Vec<(String, String, Node<'a>)> = Vec::new();
        for list in [
            format!("{item_ptr}/parameters"),
            format!("{op_ptr}/parameters"),
        ] {
            let Some(Value::Array(items)) = spec.value.pointer(&list) else {
                continue;
            };
            for (i, _) in items.iter().enumerate() {
                let Some(mut node) = self.schemas.at(&format!("{list}/{i}")) else {
                    continue;
                };
                if let Some(target) = node
                    .value
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|p| self.schemas.at(p))
                {
                    node = target;
                }
                let name = node.value.get("name").and_then(Value::as_str);
                let place = node.value.get("in").and_then(Value::as_str);
                if let (Some(name), Some(place)) = (name, place)
                    && let Some(schema) = self.schemas.at(&format!("{}/schema", node.pointer))
                {
                    params.push((name.to_owned(), place.to_owned(), schema));
                }
            }
        }
        for (fields, place) in [(&op.path_params, "path"), (&op.query, "query")] {
            for f in fields.iter().filter(|f| !f.name.contains('.')) {
                let param = params
                    .iter()
                    .find(|(n, p, _)| p == place && n.eq_ignore_ascii_case(&f.name));
                match param {
                    Some((name, _, schema)) => {
                        let key = format!("{id} {place} {name}");
                        self.enum_values(
                            f,
                            std::slice::from_ref(schema),
                            &schemas,
                            &key,
                            &op.doc,
                            &id,
                        );
                    }
                    None if place == "query" => self.push(
                        Kind::ParameterMissing,
                        format!("{id} query {}", f.name),
                        &op.doc,
                        f.line,
                        &id,
                        format!(
                            "query parameter `{}` ({}) is documented but {id} does not take it",
                            f.name,
                            type_or_dash(&f.ty)
                        ),
                        format!("{op_ptr}/parameters"),
                    ),
                    None => {}
                }
            }
        }

        // Request body.
        let body_ptr = format!("{op_ptr}/requestBody/content/application~1json/schema");
        let roots = self.schemas.nodes_at(&body_ptr);
        let root_ptr = if roots.is_empty() {
            op_ptr.clone()
        } else {
            body_ptr
        };
        self.fields(
            &op.request,
            &roots,
            &root_ptr,
            &schemas,
            Place::Request,
            &op.doc,
            &id,
        );

        // Response: the envelope's fields, and the tables of one event's data.
        let resp_ptr = format!("{op_ptr}/responses/200/content/application~1json/schema");
        let roots = self.schemas.nodes_at(&resp_ptr);
        let body: Vec<DocField> = op
            .response
            .iter()
            .filter(|f| f.scope == Scope::Body)
            .cloned()
            .collect();
        self.fields(
            &body,
            &roots,
            &resp_ptr,
            &schemas,
            Place::Response,
            &op.doc,
            &id,
        );
        let groups: BTreeSet<usize> = op
            .response
            .iter()
            .filter(|f| f.scope == Scope::EventData)
            .map(|f| f.group)
            .collect();
        for group in groups {
            let fields: Vec<DocField> = op
                .response
                .iter()
                .filter(|f| f.scope == Scope::EventData && f.group == group)
                .cloned()
                .collect();
            let names: Vec<&str> = fields
                .iter()
                .map(|f| f.name.split('.').next().unwrap_or(""))
                .collect();
            let root = self.event_data(&roots, &names, &schemas);
            let root_ptr = root
                .as_ref()
                .map_or(resp_ptr.clone(), |n| n.pointer.clone());
            let roots: Vec<Node<'a>> = root.into_iter().collect();
            self.fields(
                &fields,
                &roots,
                &root_ptr,
                &schemas,
                Place::EventData,
                &op.doc,
                &id,
            );
        }
    }

    /// The `data` schema of the event (of those the response lists) that has most of `names`.
    fn event_data(
        &self,
        response: &[Node<'a>],
        names: &[&str],
        schemas: &Schemas<'a>,
    ) -> Option<Node<'a>> {
        let candidates = ["data.list.data", "data.data"].iter().find_map(|path| {
            match schemas.resolve(response, path) {
                Resolved::Found(nodes) => Some(nodes),
                _ => None,
            }
        })?;
        best(schemas, &candidates, names)
    }

    /// Checks documented fields against the schemas below `roots`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields, their schemas, and where findings about them go"
    )]
    fn fields(
        &mut self,
        fields: &[DocField],
        roots: &[Node<'a>],
        root_ptr: &str,
        schemas: &Schemas<'a>,
        place: Place,
        doc: &str,
        id: &str,
    ) {
        let mut reported = BTreeSet::new();
        for f in fields {
            let key_prefix = format!("{id} {}", place.as_str());
            match schemas.resolve(roots, &f.name) {
                Resolved::Found(nodes) => {
                    let key = format!("{key_prefix} {}", f.name);
                    self.enum_values(f, &nodes, schemas, &key, doc, id);
                }
                Resolved::Open => {}
                Resolved::Missing { at, parents } => {
                    let segments: Vec<&str> = f.name.split('.').collect();
                    let missing = segments[..=at].join(".");
                    if !reported.insert(missing.clone()) {
                        continue;
                    }
                    let parent = segments[..at].join(".");
                    let siblings: Vec<&str> = fields
                        .iter()
                        .filter(|g| g.group == f.group)
                        .filter_map(|g| {
                            let rest = if parent.is_empty() {
                                g.name.as_str()
                            } else {
                                g.name.strip_prefix(&parent)?.strip_prefix('.')?
                            };
                            rest.split('.').next()
                        })
                        .collect();
                    let (pointer, owner) = match best(schemas, &parents, &siblings) {
                        Some(p) if p.pointer != "/components/schemas/Envelope/properties/data" => {
                            let owner = component_of(&p.pointer);
                            if p.value.get("properties").is_some() {
                                (format!("{}/properties", p.pointer), owner)
                            } else {
                                (p.pointer, owner)
                            }
                        }
                        Some(_) => (root_ptr.to_owned(), format!("{id}'s response (no data)")),
                        None => (root_ptr.to_owned(), format!("{id}'s {}", place.as_str())),
                    };
                    let what = match place {
                        Place::Request => "request field",
                        Place::Response => "response field",
                        Place::EventData => "field of the event data",
                    };
                    let below = if missing == f.name {
                        String::new()
                    } else {
                        format!(" (documented as part of `{}`)", f.name)
                    };
                    let last = segments[at];
                    self.push(
                        place.kind(),
                        format!("{key_prefix} {missing}"),
                        doc,
                        f.line,
                        id,
                        format!(
                            "{what} `{missing}` ({}){below} is not in the spec: {owner} has no `{last}`",
                            type_or_dash(&f.ty)
                        ),
                        pointer,
                    );
                }
            }
        }
    }

    /// Reports the documented values of a field that its enum lacks.
    fn enum_values(
        &mut self,
        f: &DocField,
        nodes: &[Node<'a>],
        schemas: &Schemas<'a>,
        key: &str,
        doc: &str,
        operation: &str,
    ) {
        if f.values.is_empty() {
            return;
        }
        let Some(known) = schemas.values(nodes) else {
            return;
        };
        let pointer = nodes
            .iter()
            .flat_map(|n| {
                let mut all = schemas.leaves(n);
                all.push(n.clone());
                all
            })
            .find(|l| l.value.get("enum").is_some())
            .map_or_else(
                || nodes.first().map(|n| n.pointer.clone()).unwrap_or_default(),
                |l| format!("{}/enum", l.pointer),
            );
        for v in &f.values {
            if !known.contains(v) {
                let list: Vec<&str> = known.iter().map(String::as_str).collect();
                self.push(
                    Kind::EnumValueMissing,
                    format!("{key}={v}"),
                    doc,
                    f.line,
                    operation,
                    format!(
                        "`{}` takes the value `{v}` in the document, the spec only {}",
                        f.name,
                        list.join(", ")
                    ),
                    pointer.clone(),
                );
            }
        }
    }

    /// Validates every example against the schema the spec gives it.
    fn examples(&mut self, targets: &[Option<usize>]) {
        let (docs, spec) = (self.docs, self.spec);
        let mut ordinal: BTreeMap<String, usize> = BTreeMap::new();
        for ex in &docs.examples {
            let spec_op = match ex.operation {
                Some(i) => match targets.get(i).copied().flatten() {
                    Some(s) => Some(&spec.model.operations[s]),
                    // The operation is missing from the spec; that is reported already.
                    None => continue,
                },
                None => None,
            };
            let owner = spec_op.map_or("common", |o| o.id.as_str());
            let kind = match ex.kind {
                ExampleKind::Request => "request",
                ExampleKind::Response => "response",
                ExampleKind::Error => "error",
                ExampleKind::EventData => "event-data",
            };
            let label = format!("{owner} {kind}");
            let n = ordinal.entry(label.clone()).or_default();
            *n += 1;
            let json = match &ex.json {
                Ok(json) => json,
                Err(e) => {
                    self.push(
                        Kind::ExampleUnreadable,
                        format!("{label} #{n}"),
                        &ex.doc,
                        ex.line,
                        owner,
                        format!("the {kind} example cannot be made valid JSON: {e}"),
                        String::new(),
                    );
                    continue;
                }
            };
            let schemas = spec_op.map_or_else(
                || self.schemas.with_shapes(Vec::new()),
                |o| self.shapes_for(&o.id),
            );
            let op_ptr = spec_op.map(|o| o.pointer.clone()).unwrap_or_default();
            let error_ptr = "/components/responses/Error/content/application~1json/schema";
            let pointer = match (ex.kind, spec_op) {
                (ExampleKind::Error, _) => error_ptr.to_owned(),
                (ExampleKind::Response, None) => "/components/schemas/Envelope".to_owned(),
                (ExampleKind::Response, Some(_)) => {
                    format!("{op_ptr}/responses/200/content/application~1json/schema")
                }
                (ExampleKind::Request, Some(_)) => {
                    format!("{op_ptr}/requestBody/content/application~1json/schema")
                }
                (ExampleKind::EventData, Some(_)) => {
                    let resp = self.schemas.nodes_at(&format!(
                        "{op_ptr}/responses/200/content/application~1json/schema"
                    ));
                    let names: Vec<&str> = json
                        .as_object()
                        .map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    match self.event_data(&resp, &names, &schemas) {
                        Some(n) => n.pointer,
                        None => String::new(),
                    }
                }
                (ExampleKind::Request | ExampleKind::EventData, None) => continue,
            };
            let Some(schema) = self.schemas.at(&pointer) else {
                self.push(
                    Kind::ExampleInvalid,
                    format!("{label} #{n}"),
                    &ex.doc,
                    ex.line,
                    owner,
                    format!(
                        "the document has a {kind} example, the spec has no {kind} schema for it"
                    ),
                    op_ptr.clone(),
                );
                continue;
            };
            // (instance path, message, the spec location of the member).
            let roots = vec![schema.clone()];
            let mut problems: Vec<(String, String, String)> = self
                .validate(schema.value, json, ex.skipped.elisions > 0)
                .into_iter()
                .map(|(p, m)| {
                    let at =
                        member_pointer(&schemas, &roots, &p).unwrap_or_else(|| pointer.clone());
                    (p, m, at)
                })
                .collect();
            // Free-form objects that shapes describe: each example must fit its best shape.
            let mut sites = Vec::new();
            shape_sites(&schemas, json, roots, String::new(), &mut sites);
            for (path, names, value) in sites {
                let Some(shape) = best_shape(&schemas, &names, &value) else {
                    continue;
                };
                let shape_ptr = format!("/components/schemas/{}", escape_token(&shape));
                let shape_roots = schemas.nodes_at(&shape_ptr);
                let reference = json!({"$ref": format!("#{shape_ptr}")});
                for (p, m) in self.validate(&reference, &value, ex.skipped.elisions > 0) {
                    let at = member_pointer(&schemas, &shape_roots, &p)
                        .unwrap_or_else(|| shape_ptr.clone());
                    problems.push((format!("{path}{p}"), format!("{m} (as {shape})"), at));
                }
            }
            for (path, message, at) in problems {
                let shown = if path.is_empty() { "/" } else { path.as_str() };
                self.push(
                    Kind::ExampleInvalid,
                    format!("{label} {shown}"),
                    &ex.doc,
                    ex.line_of(&path),
                    owner,
                    format!("the {kind} example contradicts the spec at `{shown}`: {message}"),
                    at,
                );
            }
        }
    }

    /// The validator's complaints about an instance, as (instance path, message); a partial instance
    /// (an example with `...` elisions) is not asked for required members.
    fn validate(&self, schema: &Value, instance: &Value, partial: bool) -> Vec<(String, String)> {
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        root.insert("components".into(), self.json_schema["components"].clone());
        let mut root = Value::Object(root);
        crate::json_schema::documented_only(&mut root);
        crate::json_schema::admit_null(&mut root);
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft201909)
            .build(&root)
        {
            Ok(v) => v,
            Err(e) => {
                return vec![(
                    String::new(),
                    format!("the spec's schema does not compile: {e}"),
                )];
            }
        };
        validator
            .iter_errors(instance)
            .filter(|e| {
                !(partial
                    && matches!(
                        e.kind(),
                        jsonschema::error::ValidationErrorKind::Required { .. }
                    ))
            })
            .map(|e| (e.instance_path().to_string(), describe(&e)))
            .collect()
    }

    fn events(&mut self) {
        let docs = self.docs;
        let variants = self
            .spec
            .model
            .events
            .as_ref()
            .map(|e| e.variants.clone())
            .unwrap_or_default();
        for ev in &docs.events {
            let op = format!("cmd {}", ev.cmd);
            let Some(v) = variants.iter().find(|v| v.cmd == ev.cmd) else {
                self.push(
                    Kind::EventMissing,
                    op.clone(),
                    &ev.doc,
                    ev.line,
                    &op,
                    format!(
                        "event cmd {} is documented but `Event` has no variant for it",
                        ev.cmd
                    ),
                    "/components/schemas/Event/oneOf".into(),
                );
                continue;
            };
            let root_ptr = format!("/components/schemas/{}", escape_token(&v.schema));
            let roots = self.schemas.nodes_at(&root_ptr);
            let data = match self.schemas.resolve(&roots, "data") {
                Resolved::Found(nodes) => nodes,
                _ => roots.clone(),
            };
            let data_ptr = self
                .schemas
                .objects(&data, false)
                .first()
                .map_or(root_ptr.clone(), |n| n.pointer.clone());
            let mut reported = BTreeSet::new();
            for f in &ev.fields {
                match self.schemas.resolve(&data, &f.name) {
                    Resolved::Found(nodes) => {
                        let key = format!("{op} data.{}", f.name);
                        let schemas = self.schemas.with_shapes(Vec::new());
                        self.enum_values(f, &nodes, &schemas, &key, &ev.doc, &op);
                    }
                    Resolved::Open => {}
                    Resolved::Missing { at, parents } => {
                        let segments: Vec<&str> = f.name.split('.').collect();
                        let missing = segments[..=at].join(".");
                        if !reported.insert(missing.clone()) {
                            continue;
                        }
                        let (pointer, owner) = match parents.first() {
                            Some(p) if p.value.get("properties").is_some() => (
                                format!("{}/properties", p.pointer),
                                component_of(&p.pointer),
                            ),
                            Some(p) => (p.pointer.clone(), component_of(&p.pointer)),
                            None => (data_ptr.clone(), component_of(&data_ptr)),
                        };
                        self.push(
                            Kind::EventFieldMissing,
                            format!("{op} data.{missing}"),
                            &ev.doc,
                            f.line,
                            &op,
                            format!(
                                "field `{missing}` ({}) of the event's data is not in the spec: {owner} has no `{}`",
                                type_or_dash(&f.ty),
                                segments[at]
                            ),
                            pointer,
                        );
                    }
                }
            }
        }
        let documented: BTreeSet<i64> = self.docs.events.iter().map(|e| e.cmd).collect();
        for v in &variants {
            if !documented.contains(&v.cmd) {
                let pointer = format!("/components/schemas/{}", escape_token(&v.schema));
                self.push(
                    Kind::EventUndocumented,
                    format!("cmd {}", v.cmd),
                    &self.spec.file.clone(),
                    self.spec.line(&pointer).unwrap_or(1),
                    &format!("cmd {}", v.cmd),
                    format!(
                        "event cmd {} ({}) is in the spec but in no document",
                        v.cmd, v.schema
                    ),
                    pointer,
                );
            }
        }
    }

    fn error_codes(&mut self) {
        let docs = self.docs;
        let known: BTreeSet<i64> = self.spec.model.error_codes.iter().map(|e| e.code).collect();
        for e in &docs.error_codes {
            if e.code == 0 || known.contains(&e.code) {
                continue;
            }
            let status = e.status.map_or("N/A".to_owned(), |s| s.to_string());
            self.push(
                Kind::ErrorCodeMissing,
                e.code.to_string(),
                &e.doc,
                e.line,
                "status codes",
                format!(
                    "business code {} (HTTP {status}: {}) is not in x-error-codes",
                    e.code, e.description
                ),
                "/x-error-codes".into(),
            );
        }
        let documented: BTreeSet<i64> = self.docs.error_codes.iter().map(|e| e.code).collect();
        for (i, e) in self.spec.model.error_codes.iter().enumerate() {
            if !documented.contains(&e.code) {
                let pointer = format!("/x-error-codes/{i}");
                self.push(
                    Kind::ErrorCodeUndocumented,
                    e.code.to_string(),
                    &self.spec.file.clone(),
                    self.spec.line(&pointer).unwrap_or(1),
                    "status codes",
                    format!(
                        "business code {} ({}) is in x-error-codes but in no status-code table",
                        e.code, e.name
                    ),
                    pointer,
                );
            }
        }
    }

    /// Marks the recorded exceptions, and reports those that match nothing.
    fn apply_exceptions(&mut self) {
        let mut used = vec![false; self.exceptions.exceptions.len()];
        for f in &mut self.findings {
            let doc = self.docs.lang_of(&f.doc).map_or("spec", |l| l.as_str());
            if let Some(i) = self
                .exceptions
                .exceptions
                .iter()
                .position(|e| e.kind == f.kind && e.doc == doc && e.key == f.key)
            {
                used[i] = true;
                f.exception = Some(self.exceptions.exceptions[i].reason.clone());
            }
        }
        let checked: BTreeSet<&str> = self
            .docs
            .documents
            .iter()
            .map(|d| d.lang.as_str())
            .chain(["spec"])
            .collect();
        let file = self.exceptions.file.clone();
        let has_op = |id: &str| self.spec.model.operations.iter().any(|o| o.id == id);
        let mut broken = Vec::new();
        for e in &self.exceptions.exceptions {
            if let Some(id) = e.operation.as_deref().filter(|id| !has_op(id)) {
                broken.push((
                    format!("{} {} {}", e.kind, e.doc, e.key),
                    e.line,
                    format!(
                        "the exception for `{}` maps it to {id}, which the spec does not have",
                        e.key
                    ),
                ));
            }
        }
        for s in &self.exceptions.shapes {
            let missing: Vec<&str> = s
                .schemas
                .iter()
                .map(String::as_str)
                .filter(|n| {
                    self.schemas
                        .at(&format!("/components/schemas/{}", escape_token(n)))
                        .is_none()
                })
                .collect();
            let problem = if !has_op(&s.operation) {
                Some(format!(
                    "names operation {}, which the spec does not have",
                    s.operation
                ))
            } else if self.schemas.at(&s.at).is_none() {
                Some(format!("names `{}`, which is not in the spec", s.at))
            } else if !missing.is_empty() {
                Some(format!(
                    "names {}, not in components/schemas",
                    missing.join(", ")
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                broken.push((
                    format!("shape {} {}", s.operation, s.at),
                    s.line,
                    format!("the shape {problem}"),
                ));
            }
        }
        for (key, line, message) in broken {
            self.push(
                Kind::ExceptionUnused,
                key,
                &file,
                line,
                "",
                message,
                String::new(),
            );
        }
        for (e, used) in self.exceptions.exceptions.iter().zip(used) {
            if used || !checked.contains(e.doc.as_str()) {
                continue;
            }
            self.push(
                Kind::ExceptionUnused,
                format!("{} {} {}", e.kind, e.doc, e.key),
                &self.exceptions.file.clone(),
                e.line,
                "",
                format!(
                    "the exception for {} `{}` ({}) matches no finding any more; remove it",
                    e.kind, e.key, e.doc
                ),
                String::new(),
            );
        }
    }
}

/// Of several schemas, the one whose objects have most of `names` (objects with properties first,
/// then the first).
fn best<'a>(schemas: &Schemas<'a>, nodes: &[Node<'a>], names: &[&str]) -> Option<Node<'a>> {
    let mut best: Option<((usize, bool), &Node<'a>)> = None;
    for n in nodes {
        let objects = schemas.objects(std::slice::from_ref(n), true);
        let count = objects
            .iter()
            .map(|o| {
                names
                    .iter()
                    .filter(|name| {
                        o.value
                            .get("properties")
                            .and_then(|p| p.get(**name))
                            .is_some()
                    })
                    .count()
            })
            .max()
            .unwrap_or(0);
        let score = (
            count,
            objects.iter().any(|o| o.value.get("properties").is_some()),
        );
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, n));
        }
    }
    best.map(|(_, n)| n.clone())
}

/// The free-form objects of an example that shapes describe: (instance path, shapes, value with
/// its dotted keys nested).
fn shape_sites<'a>(
    schemas: &Schemas<'a>,
    value: &Value,
    nodes: Vec<Node<'a>>,
    path: String,
    out: &mut Vec<(String, Vec<String>, Value)>,
) {
    match value {
        Value::Object(map) => {
            for o in schemas.objects(&nodes, false) {
                if Schemas::is_free(&o)
                    && let Some(names) = schemas.shapes_named(&o)
                {
                    out.push((path, names.to_vec(), undot(map)));
                    return;
                }
            }
            for (k, v) in map {
                if let Resolved::Found(children) = schemas.child(&nodes, k) {
                    shape_sites(
                        schemas,
                        v,
                        children,
                        format!("{path}/{}", escape_token(k)),
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                shape_sites(schemas, item, nodes.clone(), format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The spec location of the member an instance path names (array indexes and map keys skipped).
fn member_pointer(schemas: &Schemas<'_>, roots: &[Node<'_>], path: &str) -> Option<String> {
    let name: Vec<String> = path
        .split('/')
        .skip(1)
        .filter(|s| s.parse::<usize>().is_err())
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    if name.is_empty() {
        return None;
    }
    match schemas.resolve(roots, &name.join(".")) {
        Resolved::Found(nodes) => nodes.first().map(|n| n.pointer.clone()),
        _ => None,
    }
}

/// The shape that has most of a value's (nested) members.
fn best_shape(schemas: &Schemas<'_>, names: &[String], value: &Value) -> Option<String> {
    let mut paths = Vec::new();
    member_paths(value, String::new(), &mut paths);
    names
        .iter()
        .map(|name| {
            let roots = schemas.nodes_at(&format!("/components/schemas/{}", escape_token(name)));
            let score = paths
                .iter()
                .filter(|p| matches!(schemas.resolve(&roots, p), Resolved::Found(_)))
                .count();
            (score, name)
        })
        .rev()
        .max_by_key(|(score, _)| *score)
        .map(|(_, name)| name.clone())
}

fn member_paths(value: &Value, prefix: String, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            member_paths(v, path, out);
        }
    }
}

/// `{"extra.totalCount": 1, "state": 1}` becomes `{"extra": {"totalCount": 1}, "state": 1}`.
fn undot(map: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (key, v) in map {
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut node = &mut out;
        for part in parts {
            let entry = node.entry(part).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            node = entry.as_object_mut().expect("made an object");
        }
        node.insert(last.to_owned(), v.clone());
    }
    Value::Object(out)
}

/// A validation error as "the spec says X, the example has Y".
fn describe(e: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind};
    let instance = e.instance();
    let has = format!("{} {}", json_type(instance), short(instance));
    match e.kind() {
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("the spec says {expected}, the example has {has}")
        }
        ValidationErrorKind::Enum { options } => {
            format!("the spec allows {}, the example has {has}", short(options))
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            format!("no alternative of the spec's schema takes {has}")
        }
        _ => {
            let text = e.to_string();
            format!("{} (the example has {has})", short_text(&text))
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(v: &Value) -> String {
    short_text(&v.to_string())
}

fn short_text(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(57).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn type_or_dash(ty: &str) -> &str {
    if ty.is_empty() { "no type given" } else { ty }
}

/// `RoomSchedule` for `/components/schemas/RoomSchedule/properties`, else the pointer.
fn component_of(pointer: &str) -> String {
    match pointer.strip_prefix("/components/schemas/") {
        Some(rest) => rest
            .split('/')
            .next()
            .unwrap_or(rest)
            .replace("~1", "/")
            .replace("~0", "~"),
        None => format!("`{pointer}`"),
    }
}
