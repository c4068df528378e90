//! The spec, read into what the generator (and the diff) needs: types, operations, events, error codes.
//!
//! Every construct the generator cannot turn into correct Rust is reported here as a [`Diagnostic`]
//! naming the JSON pointer, so that nothing downstream has to panic.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody,
    Schema, SchemaKind, StatusCode, StringFormat, StringType, Type, VariantOrUnknownOrEmpty,
};
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::yaml::escape_token;

/// What the generator knows of a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// Named types, sorted by name.
    pub types: Vec<TypeDef>,
    /// Operations in spec order (path, then method order of the spec).
    pub operations: Vec<Operation>,
    /// The event catalogue, when the spec has one.
    pub events: Option<EventUnion>,
    /// Business error codes from `x-error-codes`, in spec order.
    pub error_codes: Vec<ErrorCodeDef>,
    /// Security schemes, sorted by name.
    pub security_schemes: Vec<SecurityScheme>,
}

/// A type reference as Rust sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeRef {
    /// `String`.
    String,
    /// `i64` (`integer`, with `format: int64` or none).
    Integer,
    /// `i32` (`integer` with `format: int32`).
    Int32,
    /// `f64`.
    Number,
    /// `bool`.
    Boolean,
    /// Any JSON (`serde_json::Value`).
    Json,
    /// A free-form JSON object (`serde_json::Map<String, Value>`).
    Object,
    /// A generated type.
    Named(String),
    /// `Vec<T>`.
    Array(Box<TypeRef>),
    /// `Option<T>`: an array item or map value that may be null (`nullable: true`).
    Nullable(Box<TypeRef>),
    /// `BTreeMap<String, T>`.
    Map(Box<TypeRef>),
    /// `Vec<T>` on the Rust side; the wire carries an array of `T` or a single `T`
    /// (`anyOf: [{type: array, items: T}, T]`).
    OneOrMany(Box<TypeRef>),
    /// `bool` on the Rust side, sent as a boolean; the wire may also carry the string `"true"` or
    /// `"false"` (`anyOf: [{type: boolean}, {type: string, enum: ['true', 'false']}]`).
    FlexibleBoolean,
}

/// A generated named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    /// A struct.
    Struct(StructDef),
    /// An integer or string enum with an unknown variant.
    Enum(EnumDef),
    /// A `oneOf` or `anyOf`: one variant per member.
    Union(UnionDef),
}

impl TypeDef {
    /// The Rust name.
    pub fn name(&self) -> &str {
        match self {
            TypeDef::Struct(s) => &s.name,
            TypeDef::Enum(e) => &e.name,
            TypeDef::Union(u) => &u.name,
        }
    }

    /// The JSON pointer of the schema.
    pub fn pointer(&self) -> &str {
        match self {
            TypeDef::Struct(s) => &s.pointer,
            TypeDef::Enum(e) => &e.pointer,
            TypeDef::Union(u) => &u.pointer,
        }
    }
}

/// A Rust enum generated from a `oneOf` or `anyOf` (other than the event catalogue, a
/// one-or-many, a flexible boolean, or an enum with `x-enum-varnames`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    /// Rust name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// JSON pointer of the schema.
    pub pointer: String,
    /// The `discriminator`'s `propertyName`: the variant is chosen by that property's value.
    /// Without one, the members are tried in spec order.
    pub tag: Option<String>,
    /// The members, in spec order.
    pub members: Vec<UnionMember>,
    /// The type is received (a response, an event): a value that matches no member is kept as
    /// `Unknown(serde_json::Value)` rather than failing the whole answer.
    pub keeps_unknown: bool,
}

/// One member of a [`UnionDef`].
#[derive(Debug, Clone, PartialEq)]
pub struct UnionMember {
    /// Rust variant name.
    pub name: String,
    /// Its type.
    pub ty: TypeRef,
    /// Doc text.
    pub doc: String,
    /// The discriminator values that choose it (tagged unions only).
    pub tag_values: Vec<String>,
    /// Held in a `Box` (a recursive union, see [`Field::boxed`]).
    pub boxed: bool,
}

/// A struct generated from an object schema.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// Rust name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// JSON pointer of the schema.
    pub pointer: String,
    /// Fields in spec order.
    pub fields: Vec<Field>,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire.
    pub json_name: String,
    /// Rust name.
    pub rust_name: String,
    /// Type.
    pub ty: TypeRef,
    /// Listed in `required`.
    pub required: bool,
    /// `nullable: true`.
    pub nullable: bool,
    /// Doc text.
    pub doc: String,
    /// Held in a `Box`: the field's type contains its own struct again by value (directly, or
    /// through other structs' fields), which would give the struct an infinite size.
    pub boxed: bool,
    /// `readOnly: true`: set by the server. Not required where the type is sent in a request.
    pub read_only: bool,
    /// `writeOnly: true`: never sent back. Not required where the type is received.
    pub write_only: bool,
    /// `format: password`: a secret (a token); the type's `Debug` output shows `***` for it.
    pub secret: bool,
}

impl Field {
    /// Whether the Rust field is an `Option`.
    pub fn optional(&self) -> bool {
        !self.required || self.nullable
    }
}

/// An enum generated from an `enum` schema.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// Rust name.
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// JSON pointer of the schema.
    pub pointer: String,
    /// Integer or string values.
    pub repr: EnumRepr,
    /// Known values.
    pub variants: Vec<EnumVariant>,
    /// String names that decode to an integer value (`x-enum-aliases`).
    pub aliases: Vec<(String, i64)>,
    /// An integer enum that also accepts arbitrary strings (an `anyOf` with a string member).
    pub accepts_strings: bool,
}

/// How an enum is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumRepr {
    /// JSON integers.
    Integer,
    /// JSON strings.
    String,
}

/// One known enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumVariant {
    /// Rust variant name.
    pub name: String,
    /// The value on the wire.
    pub value: EnumValue,
    /// Doc text.
    pub doc: String,
}

/// An enum value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum EnumValue {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `operationId`.
    pub id: String,
    /// Rust method name.
    pub method_name: String,
    /// HTTP method, upper case.
    pub http_method: String,
    /// Path template as in the spec.
    pub path: String,
    /// JSON pointer of the operation.
    pub pointer: String,
    /// `summary`.
    pub summary: String,
    /// `description`.
    pub description: String,
    /// First tag.
    pub tag: String,
    /// Safe to repeat (`x-idempotent`, else every method but POST).
    pub idempotent: bool,
    /// Path parameters in path order.
    pub path_params: Vec<Param>,
    /// Query parameters in spec order. An array is sent as one `name=value` pair per item
    /// (`style: form, explode: true`).
    pub query_params: Vec<Param>,
    /// Header parameters in spec order.
    pub header_params: Vec<Param>,
    /// The JSON request body.
    pub body: Option<Body>,
    /// The type of the envelope's `data` on success, `None` when there is none.
    pub data: Option<TypeRef>,
    /// The envelope lists `data` as required: the call fails when a success lacks it. Otherwise
    /// the method returns `Option<T>` (except for one-or-many data, where a missing `data` is empty).
    pub data_required: bool,
    /// The success status code.
    pub success_status: String,
    /// Members of the success envelope beside `data` that `data` also has (setRecordingState's
    /// `streamingUrl`, which the example puts beside `code`): the client moves them into `data`
    /// when `data` lacks them.
    pub hoisted: Vec<String>,
    /// Outcomes of a call that are not errors (`x-outcome` on responses), the success first;
    /// empty when the operation has only its success.
    pub outcomes: Vec<OutcomeDef>,
    /// `deprecated: true`.
    pub deprecated: bool,
}

/// One outcome of a call (`x-outcome: Name` on a response): the success, or another status that
/// the documents describe as a normal answer (createRoom's 409, "the room already exists").
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeDef {
    /// HTTP status.
    pub status: u16,
    /// UpperCamel variant name.
    pub name: String,
    /// The response's `description`.
    pub doc: String,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name on the wire.
    pub name: String,
    /// Rust name.
    pub rust_name: String,
    /// Type.
    pub ty: TypeRef,
    /// `required`.
    pub required: bool,
    /// Doc text.
    pub doc: String,
    /// An id validated against the documented character set (`format: agora-id`).
    pub id_max_len: Option<u64>,
    /// For an id: the name of its typed id (`RoomUuid`), the component schema's name, or the
    /// parameter's name in `CamelCase` when the schema is inline.
    pub id_type: Option<String>,
    /// Supplied by the client rather than by the caller (`region`, `appId`).
    pub bound: Option<Bound>,
    /// The only value an inline single-value `enum` allows (a path parameter that is a constant
    /// of its operation, such as updateRecording's `state` 1): written into the path, not asked.
    pub constant: Option<String>,
    /// Constraints (for the diff).
    pub constraints: Constraints,
}

/// Parameters the client binds once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `region`.
    Region,
    /// `appId`.
    AppId,
}

/// Validation keywords of a parameter schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// `minLength`.
    pub min_length: Option<u64>,
    /// `maxLength`.
    pub max_length: Option<u64>,
    /// `pattern`.
    pub pattern: Option<String>,
    /// `enum` values (as JSON).
    pub enumeration: Vec<Value>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Its type.
    pub ty: TypeRef,
    /// `required`.
    pub required: bool,
}

/// The event catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct EventUnion {
    /// Name of the union schema (the Rust struct that wraps an event).
    pub name: String,
    /// Doc text.
    pub doc: String,
    /// Fields beside `cmd` and `data`.
    pub envelope_fields: Vec<Field>,
    /// One per documented `cmd`, sorted by `cmd`.
    pub variants: Vec<EventVariant>,
}

/// One documented event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventVariant {
    /// The `cmd` number.
    pub cmd: i64,
    /// Rust variant name.
    pub name: String,
    /// Schema name of the variant.
    pub schema: String,
    /// Type of `data`.
    pub data: TypeRef,
    /// Doc text.
    pub doc: String,
    /// Wire names of the envelope fields that `data` also has (same type, both optional), as the
    /// documents place `operator` and `fromUser` in either spot: decoding fills each spot from the
    /// other when only one was sent.
    pub folded: Vec<String>,
}

/// A struct whose instances are one page of a listing paged by `nextId`: it has a `list` array
/// and a string `nextId`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageShape {
    /// The type of one item of `list`.
    pub item: TypeRef,
    /// The Rust name of the `list` field.
    pub list_field: String,
    /// Whether `list` is an `Option`.
    pub list_optional: bool,
    /// The Rust name of the `nextId` field.
    pub next_id_field: String,
    /// Whether `nextId` is an `Option`.
    pub next_id_optional: bool,
}

impl StructDef {
    /// The page shape, when this struct has a `list` array and a string `nextId`.
    pub fn page(&self) -> Option<PageShape> {
        let list = self.fields.iter().find(|f| f.json_name == "list")?;
        let next_id = self.fields.iter().find(|f| f.json_name == "nextId")?;
        let TypeRef::Array(item) = &list.ty else {
            return None;
        };
        if next_id.ty != TypeRef::String {
            return None;
        }
        Some(PageShape {
            item: (**item).clone(),
            list_field: list.rust_name.clone(),
            list_optional: list.optional(),
            next_id_field: next_id.rust_name.clone(),
            next_id_optional: next_id.optional(),
        })
    }
}

impl Model {
    /// The named struct `name`.
    pub fn struct_def(&self, name: &str) -> Option<&StructDef> {
        self.types.iter().find_map(|t| match t {
            TypeDef::Struct(s) if s.name == name => Some(s),
            _ => None,
        })
    }

    /// The page shape of a type, when it is a named page struct.
    pub fn page_of(&self, ty: &TypeRef) -> Option<PageShape> {
        match ty {
            TypeRef::Named(n) => self.struct_def(n)?.page(),
            _ => None,
        }
    }
}

/// A business error code.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorCodeDef {
    /// The `code` of the envelope.
    pub code: i64,
    /// Rust variant name.
    pub name: String,
    /// HTTP status the server answers with.
    pub status: Option<u16>,
    /// Meaning.
    pub description: String,
}

/// A security scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityScheme {
    /// Name in `components/securitySchemes`.
    pub name: String,
    /// Where the credential goes (`header Authorization`).
    pub location: String,
}

/// Rust keywords, strict and reserved (edition 2024), that cannot be field or method names; a
/// `_` is appended (`type_`). Raw identifiers are not used: `self`, `Self`, `super` and `crate`
/// cannot be raw.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A wire name as ASCII words for case conversion: ASCII letters and digits are kept, every other
/// letter or digit becomes a word of its own (`é` → ` u00e9 `, so that `café` and `cafe` stay
/// apart), anything else separates words. A name with no letter or digit is spelled by its
/// characters (`_` → `u005f`), and the empty name is `empty`.
fn ascii_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c.is_alphanumeric() {
            out.push_str(&format!(" u{:04x} ", u32::from(c)));
        } else {
            out.push(' ');
        }
    }
    if !out.trim().is_empty() {
        out
    } else if name.is_empty() {
        "empty".to_owned()
    } else {
        name.chars()
            .map(|c| format!(" u{:04x}", u32::from(c)))
            .collect()
    }
}

/// Turns a wire name into a Rust identifier in snake case.
pub fn snake_ident(name: &str) -> String {
    let mut s = ascii_words(name).to_snake_case();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("n{s}");
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// Turns a wire name into a Rust type or variant name.
pub fn camel_ident(name: &str) -> String {
    let s = ascii_words(name).to_upper_camel_case();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{s}")
    } else if s == "Self" {
        // The one keyword in UpperCamel case; it cannot be a raw identifier.
        "SelfValue".to_owned()
    } else {
        s
    }
}

/// Builds the model from a parsed spec, collecting every problem.
pub(crate) fn build(api: &OpenAPI) -> Result<Model, Vec<Diagnostic>> {
    let mut b = ModelBuilder {
        api,
        diags: Vec::new(),
        types: BTreeMap::new(),
        skip: BTreeSet::new(),
        defining: Vec::new(),
        in_envelope: false,
    };
    let model = b.run();
    if b.diags.is_empty() {
        Ok(model)
    } else {
        Err(b.diags)
    }
}

struct ModelBuilder<'a> {
    api: &'a OpenAPI,
    diags: Vec<Diagnostic>,
    types: BTreeMap<String, TypeDef>,
    /// Component schemas not generated as types (envelopes, event variants).
    skip: BTreeSet<String>,
    /// Pointers of the schemas being defined, innermost last: an inline schema met again while
    /// it is being defined refers to itself.
    defining: Vec<String>,
    /// Set while the fields beside an event's `data` are read: the only place whose generated
    /// reader takes an integer as a decimal string (see [`lenient_integer`]).
    in_envelope: bool,
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// A schema with its properties merged through `allOf`.
struct Merged<'a> {
    properties: IndexMap<String, (&'a ReferenceOr<Box<Schema>>, String)>,
    required: BTreeSet<String>,
    description: Option<String>,
}

impl<'a> ModelBuilder<'a> {
    fn diag(&mut self, pointer: impl Into<String>, message: impl Into<String>, hint: Option<&str>) {
        self.diags.push(Diagnostic {
            pointer: pointer.into(),
            line: None,
            message: message.into(),
            hint: hint.map(str::to_owned),
        });
    }

    fn schemas(&self) -> Option<&'a IndexMap<String, ReferenceOr<Schema>>> {
        self.api.components.as_ref().map(|c| &c.schemas)
    }

    /// The component schema a `$ref` names, following `$ref` chains.
    fn component(&self, reference: &str) -> Option<(&'a str, &'a Schema)> {
        let mut name = reference.strip_prefix(SCHEMA_PREFIX)?;
        for _ in 0..16 {
            let (key, schema) = self.schemas()?.get_key_value(name)?;
            match schema {
                ReferenceOr::Item(s) => return Some((key.as_str(), s)),
                ReferenceOr::Reference { reference } => {
                    name = reference.strip_prefix(SCHEMA_PREFIX)?;
                }
            }
        }
        None
    }

    fn run(&mut self) -> Model {
        let api = self.api;
        if !api.openapi.starts_with("3.0.") {
            self.diag(
                "/openapi",
                format!("OpenAPI version {} is not supported", api.openapi),
                Some("write the spec in OpenAPI 3.0.x (3.0.3)"),
            );
        }
        let error_codes = self.error_codes();
        let events = self.events();
        let operations = self.operations();
        // Component schemas become types (except envelopes and event variants).
        if let Some(schemas) = self.schemas() {
            for (name, schema) in schemas {
                if self.skip.contains(name) {
                    continue;
                }
                if let ReferenceOr::Item(schema) = schema {
                    let pointer = format!("/components/schemas/{}", escape_token(name));
                    self.define(name, schema, &pointer);
                }
            }
        }
        let security_schemes = api
            .components
            .iter()
            .flat_map(|c| &c.security_schemes)
            .map(|(name, s)| SecurityScheme {
                name: name.clone(),
                location: match s {
                    ReferenceOr::Item(openapiv3::SecurityScheme::APIKey {
                        location, name, ..
                    }) => {
                        format!("{location:?} {name}")
                            .to_lowercase()
                            .replacen(' ', " `", 1)
                            + "`"
                    }
                    ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. }) => {
                        format!("http {scheme}")
                    }
                    ReferenceOr::Item(_) => "other".to_owned(),
                    ReferenceOr::Reference { reference } => reference.clone(),
                },
            })
            .collect::<Vec<_>>();
        let mut security_schemes = security_schemes;
        security_schemes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut events = events;
        if let Some(events) = &mut events {
            fold_envelope_fields(events, &self.types);
        }
        box_recursive_fields(&mut self.types);
        relax_read_write_only(&mut self.types, &operations, events.as_ref());
        Model {
            title: api.info.title.clone(),
            version: api.info.version.clone(),
            types: std::mem::take(&mut self.types).into_values().collect(),
            operations,
            events,
            error_codes,
            security_schemes,
        }
    }

    fn error_codes(&mut self) -> Vec<ErrorCodeDef> {
        let Some(raw) = self.api.extensions.get("x-error-codes") else {
            return Vec::new();
        };
        let Some(items) = raw.as_array() else {
            self.diag("/x-error-codes", "x-error-codes must be a list", None);
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen_codes = BTreeSet::new();
        let mut seen_names = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/x-error-codes/{i}");
            let code = item.get("code").and_then(Value::as_i64);
            let name = item.get("name").and_then(Value::as_str);
            let (Some(code), Some(name)) = (code, name) else {
                self.diag(
                    pointer,
                    "an error code needs an integer `code` and a string `name`",
                    Some("write `- {code: 20404100, name: RoomNotFound, status: 404, description: ...}`"),
                );
                continue;
            };
            let name = camel_ident(name);
            if !seen_codes.insert(code) {
                self.diag(&pointer, format!("error code {code} is listed twice"), None);
            }
            if !seen_names.insert(name.clone()) || name == "Unknown" {
                self.diag(
                    &pointer,
                    format!("error code name `{name}` is used twice or reserved"),
                    None,
                );
            }
            let status = item
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok());
            let description = item
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            out.push(ErrorCodeDef {
                code,
                name,
                status,
                description,
            });
        }
        out
    }

    /// Properties of a schema, merged through `allOf` and `$ref`s.
    fn merged(&mut self, schema: &'a Schema, pointer: &str, depth: usize) -> Merged<'a> {
        let mut m = Merged {
            properties: IndexMap::new(),
            required: BTreeSet::new(),
            description: schema.schema_data.description.clone(),
        };
        if depth > 16 {
            self.diag(pointer, "allOf nests too deeply (a cycle?)", None);
            return m;
        }
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(obj)) => {
                for (k, v) in &obj.properties {
                    m.properties.insert(
                        k.clone(),
                        (v, format!("{pointer}/properties/{}", escape_token(k))),
                    );
                }
                m.required.extend(obj.required.iter().cloned());
            }
            SchemaKind::AllOf { all_of } => {
                for (i, member) in all_of.iter().enumerate() {
                    let (sub, sub_ptr) = match member {
                        ReferenceOr::Item(s) => (s, format!("{pointer}/allOf/{i}")),
                        ReferenceOr::Reference { reference } => match self.component(reference) {
                            Some((n, s)) => (s, format!("/components/schemas/{}", escape_token(n))),
                            None => continue,
                        },
                    };
                    let inner = self.merged(sub, &sub_ptr, depth + 1);
                    m.properties.extend(inner.properties);
                    m.required.extend(inner.required);
                    if m.description.is_none() {
                        m.description = inner.description;
                    }
                }
            }
            SchemaKind::Any(any) => {
                for (k, v) in &any.properties {
                    m.properties.insert(
                        k.clone(),
                        (v, format!("{pointer}/properties/{}", escape_token(k))),
                    );
                }
                m.required.extend(any.required.iter().cloned());
            }
            _ => {}
        }
        m
    }

    fn is_struct_like(&self, schema: &Schema) -> bool {
        if wrapped_ref(schema).is_some() {
            return false;
        }
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(o)) => !o.properties.is_empty(),
            SchemaKind::AllOf { .. } => true,
            SchemaKind::Any(a) => !a.properties.is_empty(),
            _ => false,
        }
    }

    fn enum_def(&mut self, name: &str, schema: &Schema, pointer: &str) -> Option<EnumDef> {
        let ext = &schema.schema_data.extensions;
        let (repr, values, accepts_strings): (EnumRepr, Vec<EnumValue>, bool) = match &schema
            .schema_kind
        {
            SchemaKind::Type(Type::Integer(t)) if !t.enumeration.is_empty() => (
                EnumRepr::Integer,
                t.enumeration
                    .iter()
                    .flatten()
                    .map(|v| EnumValue::Int(*v))
                    .collect(),
                false,
            ),
            SchemaKind::Type(Type::String(t)) if !t.enumeration.is_empty() => (
                EnumRepr::String,
                t.enumeration
                    .iter()
                    .flatten()
                    .map(|v| EnumValue::Str(v.clone()))
                    .collect(),
                false,
            ),
            SchemaKind::AnyOf { any_of } | SchemaKind::OneOf { one_of: any_of }
                if ext.contains_key("x-enum-varnames") =>
            {
                let mut ints = Vec::new();
                let mut strings = false;
                for member in any_of {
                    match member {
                        ReferenceOr::Item(Schema {
                            schema_kind: SchemaKind::Type(Type::Integer(t)),
                            ..
                        }) if !t.enumeration.is_empty() => {
                            ints.extend(t.enumeration.iter().flatten().map(|v| EnumValue::Int(*v)))
                        }
                        ReferenceOr::Item(Schema {
                            schema_kind: SchemaKind::Type(Type::String(t)),
                            ..
                        }) if t.enumeration.is_empty() => strings = true,
                        _ => {
                            self.diag(
                                pointer,
                                "an enum with x-enum-varnames and anyOf must have one integer `enum` member and optionally `type: string`",
                                None,
                            );
                            return None;
                        }
                    }
                }
                (EnumRepr::Integer, ints, strings)
            }
            _ => return None,
        };
        let given = ext.get("x-enum-varnames").and_then(Value::as_array);
        let names: Vec<String> = given
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().map(camel_ident).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_else(|| {
                values
                    .iter()
                    .map(|v| match v {
                        EnumValue::Int(i) if *i < 0 => format!("Minus{}", i.unsigned_abs()),
                        EnumValue::Int(i) => format!("V{i}"),
                        // The variants that keep unknown values have these names.
                        EnumValue::Str(s) => match camel_ident(s) {
                            n if n == "Unknown" || n == "Other" => format!("{n}Value"),
                            n => n,
                        },
                    })
                    .collect()
            });
        // Where each name comes from: its `x-enum-varnames` entry, or its value.
        let name_pointer = |i: usize| match (given, &schema.schema_kind) {
            (Some(_), _) => format!("{pointer}/x-enum-varnames/{i}"),
            (None, SchemaKind::Type(_)) => format!("{pointer}/enum/{i}"),
            (None, _) => pointer.to_owned(),
        };
        if names.len() != values.len() {
            self.diag(
                format!("{pointer}/x-enum-varnames"),
                format!(
                    "x-enum-varnames has {} names for {} enum values",
                    names.len(),
                    values.len()
                ),
                Some("give one name per value, in the same order"),
            );
            return None;
        }
        let docs: Vec<String> = ext
            .get("x-enum-descriptions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, n) in names.iter().enumerate() {
            let problem = if n.is_empty() {
                Some("an empty enum variant name".to_owned())
            } else if n == "Unknown" || n == "Other" {
                Some(format!(
                    "enum variant name `{n}` is reserved for values the crate does not know"
                ))
            } else {
                seen.insert(n.clone(), i).map(|first| {
                    format!(
                        "enum values {} and {} both become the Rust variant `{n}`",
                        value_text(&values[first]),
                        value_text(&values[i])
                    )
                })
            };
            if let Some(message) = problem {
                self.diag(
                    name_pointer(i),
                    message,
                    Some("name the variants with `x-enum-varnames: [...]`, one UpperCamel name per value"),
                );
                return None;
            }
        }
        let aliases = ext
            .get("x-enum-aliases")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let variants = names
            .into_iter()
            .zip(values)
            .enumerate()
            .map(|(i, (name, value))| EnumVariant {
                name,
                value,
                doc: docs.get(i).cloned().unwrap_or_default(),
            })
            .collect();
        Some(EnumDef {
            name: camel_ident(name),
            doc: schema.schema_data.description.clone().unwrap_or_default(),
            pointer: pointer.to_owned(),
            repr,
            variants,
            aliases,
            accepts_strings,
        })
    }

    /// Defines a named type from a schema when it is a struct or an enum; returns its type.
    fn define(&mut self, name: &str, schema: &'a Schema, pointer: &str) -> TypeRef {
        let rust_name = camel_ident(name);
        if let Some(existing) = self.types.get(&rust_name) {
            let same = existing.pointer() == pointer;
            if !same {
                self.diag(
                    pointer,
                    format!("two schemas both become the Rust type `{rust_name}`"),
                    Some("rename one of them"),
                );
            }
            return TypeRef::Named(rust_name);
        }
        if let Some(e) = self.enum_def(name, schema, pointer) {
            self.types.insert(rust_name.clone(), TypeDef::Enum(e));
            return TypeRef::Named(rust_name);
        }
        if !self.is_struct_like(schema) {
            return self.inline_type(schema, pointer, name);
        }
        if self.defining.iter().any(|p| p == pointer) {
            self.diag(
                pointer,
                "an inline schema contains itself",
                Some("move it to components/schemas and `$ref` it"),
            );
            return TypeRef::Json;
        }
        // Reserve the name first so recursive references terminate.
        self.types.insert(
            rust_name.clone(),
            TypeDef::Struct(StructDef {
                name: rust_name.clone(),
                doc: String::new(),
                pointer: pointer.to_owned(),
                fields: Vec::new(),
            }),
        );
        self.defining.push(pointer.to_owned());
        let merged = self.merged(schema, pointer, 0);
        let mut fields = Vec::new();
        let mut seen = BTreeSet::new();
        for (json_name, (prop, prop_ptr)) in &merged.properties {
            let rust = snake_ident(json_name);
            if !seen.insert(rust.clone()) {
                self.diag(
                    prop_ptr,
                    format!("two properties both become the Rust field `{rust}`"),
                    Some("the names differ only in case or in characters that are not letters or digits; the generator cannot give both a field"),
                );
                continue;
            }
            let hint = format!("{rust_name}{}", camel_ident(json_name));
            let (ty, nullable, doc) = self.property(prop, prop_ptr, &hint);
            fields.push(Field {
                json_name: json_name.clone(),
                rust_name: rust,
                ty,
                required: merged.required.contains(json_name),
                nullable,
                doc,
                boxed: false,
                read_only: self.access(prop).0,
                write_only: self.access(prop).1,
                secret: self.is_secret(prop),
            });
        }
        for r in &merged.required {
            if !merged.properties.contains_key(r) {
                self.diag(
                    format!("{pointer}/required"),
                    format!("`{r}` is required but not a property"),
                    None,
                );
            }
        }
        self.defining.pop();
        self.types.insert(
            rust_name.clone(),
            TypeDef::Struct(StructDef {
                name: rust_name.clone(),
                doc: merged.description.unwrap_or_default(),
                pointer: pointer.to_owned(),
                fields,
            }),
        );
        TypeRef::Named(rust_name)
    }

    /// A property's type, whether it may be null, and its doc.
    fn property(
        &mut self,
        prop: &'a ReferenceOr<Box<Schema>>,
        pointer: &str,
        hint: &str,
    ) -> (TypeRef, bool, String) {
        match prop {
            ReferenceOr::Reference { reference } => {
                let ty = self.type_of_ref(reference, pointer);
                let (nullable, doc) = self
                    .component(reference)
                    .map(|(_, s)| {
                        (
                            s.schema_data.nullable,
                            s.schema_data.description.clone().unwrap_or_default(),
                        )
                    })
                    .unwrap_or_default();
                (ty, nullable, doc)
            }
            ReferenceOr::Item(s) if self.wrapped(s).is_some() => {
                let reference = self.wrapped(s).unwrap_or_default();
                let ty = self.type_of_ref(reference, pointer);
                let (nullable, doc) = self
                    .component(reference)
                    .map(|(_, r)| {
                        (
                            r.schema_data.nullable,
                            r.schema_data.description.clone().unwrap_or_default(),
                        )
                    })
                    .unwrap_or_default();
                let own = s.schema_data.description.clone().unwrap_or_default();
                (
                    ty,
                    nullable || s.schema_data.nullable,
                    if own.is_empty() { doc } else { own },
                )
            }
            ReferenceOr::Item(s) => {
                let ty = if self.is_struct_like(s) || self.enum_def(hint, s, pointer).is_some() {
                    self.define(hint, s, pointer)
                } else {
                    self.inline_type(s, pointer, hint)
                };
                (
                    ty,
                    s.schema_data.nullable,
                    s.schema_data.description.clone().unwrap_or_default(),
                )
            }
        }
    }

    /// Whether a property is a string of `format: password` (of the schema it references, for a
    /// `$ref`): a secret.
    fn is_secret(&self, prop: &ReferenceOr<Box<Schema>>) -> bool {
        self.property_schema(prop).is_some_and(|schema| {
            matches!(
                &schema.schema_kind,
                SchemaKind::Type(Type::String(StringType {
                    format: VariantOrUnknownOrEmpty::Item(StringFormat::Password),
                    ..
                }))
            )
        })
    }

    /// A property's schema: its own, or the one its `$ref` names.
    fn property_schema<'s>(&'s self, prop: &'s ReferenceOr<Box<Schema>>) -> Option<&'s Schema> {
        match prop {
            ReferenceOr::Item(s) => Some(s),
            ReferenceOr::Reference { reference } => self.component(reference).map(|(_, s)| s),
        }
    }

    /// `readOnly` and `writeOnly` of a property (of the schema it references, for a `$ref`).
    fn access(&self, prop: &ReferenceOr<Box<Schema>>) -> (bool, bool) {
        self.property_schema(prop).map_or((false, false), |s| {
            (s.schema_data.read_only, s.schema_data.write_only)
        })
    }

    /// The `$ref` a property or inline schema stands for: a one-member wrapper
    /// ([`wrapped_ref`]) or an open enum ([`Self::open_enum_ref`]).
    fn wrapped(&self, schema: &'a Schema) -> Option<&'a str> {
        wrapped_ref(schema).or_else(|| self.open_enum_ref(schema))
    }

    /// The enum of an open enum, `anyOf: [{$ref: E}, {type: integer}, {type: string, pattern: ..}]`:
    /// an answer that may carry values E does not list. E is an enum component; the other
    /// members have no `enum`: `type: integer` (E an integer enum) or `type: string` (with a
    /// `pattern` for an integer enum, whose reader takes decimal strings). The Rust type is E,
    /// whose `Unknown` variant keeps the unlisted values; requests keep the closed `$ref`.
    fn open_enum_ref(&self, schema: &'a Schema) -> Option<&'a str> {
        let SchemaKind::AnyOf { any_of } = &schema.schema_kind else {
            return None;
        };
        let [ReferenceOr::Reference { reference }, rest @ ..] = any_of.as_slice() else {
            return None;
        };
        let (_, target) = self.component(reference)?;
        let integer_enum = match &target.schema_kind {
            SchemaKind::Type(Type::Integer(t)) if !t.enumeration.is_empty() => true,
            SchemaKind::Type(Type::String(t)) if !t.enumeration.is_empty() => false,
            SchemaKind::AnyOf { .. } | SchemaKind::OneOf { .. }
                if target
                    .schema_data
                    .extensions
                    .contains_key("x-enum-varnames") =>
            {
                true
            }
            _ => return None,
        };
        let open = |m: &ReferenceOr<Schema>| match m {
            ReferenceOr::Item(Schema {
                schema_kind: SchemaKind::Type(Type::Integer(t)),
                ..
            }) => integer_enum && t.enumeration.is_empty(),
            ReferenceOr::Item(Schema {
                schema_kind: SchemaKind::Type(Type::String(t)),
                ..
            }) => t.enumeration.is_empty() && (!integer_enum || t.pattern.is_some()),
            _ => false,
        };
        (!rest.is_empty() && rest.iter().all(open)).then_some(reference.as_str())
    }

    fn type_of_ref(&mut self, reference: &str, pointer: &str) -> TypeRef {
        match self.component(reference) {
            Some((name, schema)) => {
                if self.skip.contains(name) {
                    return TypeRef::Named(camel_ident(name));
                }
                let ptr = format!("/components/schemas/{}", escape_token(name));
                self.define(name, schema, &ptr)
            }
            None => {
                self.diag(
                    pointer,
                    format!("`$ref: {reference}` names no component schema"),
                    Some("fix the reference or add the schema under components/schemas"),
                );
                TypeRef::Json
            }
        }
    }

    fn boxed_type(
        &mut self,
        schema: &'a ReferenceOr<Box<Schema>>,
        pointer: &str,
        hint: &str,
    ) -> TypeRef {
        self.property(schema, pointer, hint).0
    }

    /// The type of a schema that is not itself a named struct or enum.
    fn inline_type(&mut self, schema: &'a Schema, pointer: &str, hint: &str) -> TypeRef {
        if let Some(reference) = self.wrapped(schema) {
            return self.type_of_ref(reference, pointer);
        }
        if let SchemaKind::AnyOf { any_of } = &schema.schema_kind
            && let Some(ty) = lenient_integer(any_of)
        {
            if !self.in_envelope {
                self.diag(
                    pointer,
                    "an integer that may come as a decimal string is read as one only beside an event's `data`",
                    Some("write `type: integer` here, or move the field into the event envelope"),
                );
            }
            return ty;
        }
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(_)) => TypeRef::String,
            SchemaKind::Type(Type::Integer(t)) => match t.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    TypeRef::Int32
                }
                _ => TypeRef::Integer,
            },
            SchemaKind::Type(Type::Number(_)) => TypeRef::Number,
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Boolean,
            SchemaKind::Type(Type::Array(a)) => match &a.items {
                Some(items) => {
                    let (item, nullable, _) =
                        self.property(items, &format!("{pointer}/items"), &format!("{hint}Item"));
                    TypeRef::Array(Box::new(nullable_if(item, nullable)))
                }
                None => TypeRef::Array(Box::new(TypeRef::Json)),
            },
            SchemaKind::Type(Type::Object(o)) if o.properties.is_empty() => {
                match &o.additional_properties {
                    Some(AdditionalProperties::Schema(s)) => {
                        let vptr = format!("{pointer}/additionalProperties");
                        let (value, nullable) = match s.as_ref() {
                            ReferenceOr::Reference { reference } => (
                                self.type_of_ref(reference, &vptr),
                                self.component(reference)
                                    .is_some_and(|(_, s)| s.schema_data.nullable),
                            ),
                            ReferenceOr::Item(s) => {
                                let hint = format!("{hint}Value");
                                let value = if self.is_struct_like(s) {
                                    self.define(&hint, s, &vptr)
                                } else {
                                    self.inline_type(s, &vptr, &hint)
                                };
                                (value, s.schema_data.nullable)
                            }
                        };
                        TypeRef::Map(Box::new(nullable_if(value, nullable)))
                    }
                    _ => TypeRef::Object,
                }
            }
            _ if self.is_struct_like(schema) => self.define(hint, schema, pointer),
            SchemaKind::AnyOf { any_of: members } | SchemaKind::OneOf { one_of: members }
                if is_flexible_boolean(members) =>
            {
                TypeRef::FlexibleBoolean
            }
            SchemaKind::AnyOf { any_of: members } | SchemaKind::OneOf { one_of: members } => {
                match self.one_or_many(members, pointer, hint) {
                    Some(t) => t,
                    None => self.union(hint, schema, members, pointer),
                }
            }
            _ => TypeRef::Json,
        }
    }

    /// A `oneOf`/`anyOf` as a Rust enum; JSON when a member is a free-form object (the spec then
    /// says "any object", and the SDK keeps the JSON as sent).
    fn union(
        &mut self,
        name: &str,
        schema: &'a Schema,
        members: &'a [ReferenceOr<Schema>],
        pointer: &str,
    ) -> TypeRef {
        let free_form = |m: &ReferenceOr<Schema>| match m {
            ReferenceOr::Item(s) => match &s.schema_kind {
                SchemaKind::Type(Type::Object(o)) => {
                    o.properties.is_empty()
                        && !matches!(
                            o.additional_properties,
                            Some(AdditionalProperties::Schema(_))
                        )
                }
                SchemaKind::Any(a) => {
                    a.properties.is_empty()
                        && a.one_of.is_empty()
                        && a.any_of.is_empty()
                        && a.all_of.is_empty()
                }
                _ => false,
            },
            ReferenceOr::Reference { .. } => false,
        };
        if members.is_empty() || members.iter().any(free_form) {
            return TypeRef::Json;
        }
        let rust_name = camel_ident(name);
        if let Some(existing) = self.types.get(&rust_name) {
            if existing.pointer() != pointer {
                self.diag(
                    pointer,
                    format!("two schemas both become the Rust type `{rust_name}`"),
                    Some("rename one of them"),
                );
            }
            return TypeRef::Named(rust_name);
        }
        let placeholder = UnionDef {
            name: rust_name.clone(),
            doc: schema.schema_data.description.clone().unwrap_or_default(),
            pointer: pointer.to_owned(),
            tag: None,
            members: Vec::new(),
            keeps_unknown: false,
        };
        self.types
            .insert(rust_name.clone(), TypeDef::Union(placeholder.clone()));
        let kind = if matches!(schema.schema_kind, SchemaKind::OneOf { .. }) {
            "oneOf"
        } else {
            "anyOf"
        };
        let discriminator = schema.schema_data.discriminator.as_ref();
        let mut out = Vec::new();
        let mut names = BTreeSet::new();
        for (i, member) in members.iter().enumerate() {
            let mptr = format!("{pointer}/{kind}/{i}");
            let (variant, ty, doc) = match member {
                ReferenceOr::Reference { reference } => {
                    let short = reference.rsplit('/').next().unwrap_or(reference);
                    let doc = self
                        .component(reference)
                        .and_then(|(_, s)| s.schema_data.description.clone())
                        .unwrap_or_default();
                    (camel_ident(short), self.type_of_ref(reference, &mptr), doc)
                }
                ReferenceOr::Item(s) => {
                    let variant = match &s.schema_kind {
                        SchemaKind::Type(Type::String(_)) => "String".to_owned(),
                        SchemaKind::Type(Type::Integer(_)) => "Integer".to_owned(),
                        SchemaKind::Type(Type::Number(_)) => "Number".to_owned(),
                        SchemaKind::Type(Type::Boolean(_)) => "Boolean".to_owned(),
                        SchemaKind::Type(Type::Array(_)) => "Array".to_owned(),
                        _ => format!("Variant{i}"),
                    };
                    let hint = format!("{rust_name}{variant}");
                    let ty = if self.is_struct_like(s) {
                        self.define(&hint, s, &mptr)
                    } else {
                        self.inline_type(s, &mptr, &hint)
                    };
                    (
                        variant,
                        ty,
                        s.schema_data.description.clone().unwrap_or_default(),
                    )
                }
            };
            let variant = if names.contains(&variant) || variant == "Unknown" {
                format!("{variant}{i}")
            } else {
                variant
            };
            names.insert(variant.clone());
            let tag_values = match (discriminator, member) {
                (None, _) => Vec::new(),
                (Some(d), ReferenceOr::Reference { reference }) => {
                    let short = reference.rsplit('/').next().unwrap_or(reference);
                    let mapped: Vec<String> = d
                        .mapping
                        .iter()
                        .filter(|(_, target)| *target == reference || target.as_str() == short)
                        .map(|(value, _)| value.clone())
                        .collect();
                    if mapped.is_empty() {
                        vec![short.to_owned()]
                    } else {
                        mapped
                    }
                }
                (Some(_), ReferenceOr::Item(_)) => {
                    self.diag(
                        &mptr,
                        "a member of a union with a `discriminator` must be a `$ref` to a named schema",
                        Some("move the member to components/schemas and `$ref` it"),
                    );
                    Vec::new()
                }
            };
            out.push(UnionMember {
                name: variant,
                ty,
                doc,
                tag_values,
                boxed: false,
            });
        }
        self.types.insert(
            rust_name.clone(),
            TypeDef::Union(UnionDef {
                tag: discriminator.map(|d| d.property_name.clone()),
                members: out,
                ..placeholder
            }),
        );
        TypeRef::Named(rust_name)
    }

    /// `[array of T, T]` (in either order) is "one or many T".
    fn one_or_many(
        &mut self,
        members: &'a [ReferenceOr<Schema>],
        pointer: &str,
        hint: &str,
    ) -> Option<TypeRef> {
        let [a, b] = members else { return None };
        let single_of = |m: &'a ReferenceOr<Schema>| -> Option<&'a str> {
            match m {
                ReferenceOr::Reference { reference } => Some(reference.as_str()),
                ReferenceOr::Item(_) => None,
            }
        };
        let items_of = |m: &'a ReferenceOr<Schema>| -> Option<&'a str> {
            match m {
                ReferenceOr::Item(Schema {
                    schema_kind: SchemaKind::Type(Type::Array(arr)),
                    ..
                }) => match arr.items.as_ref()? {
                    ReferenceOr::Reference { reference } => Some(reference.as_str()),
                    ReferenceOr::Item(_) => None,
                },
                _ => None,
            }
        };
        let reference = match (items_of(a), single_of(b), items_of(b), single_of(a)) {
            (Some(x), Some(y), _, _) | (_, _, Some(x), Some(y)) if x == y => x,
            _ => return None,
        };
        let _ = hint;
        Some(TypeRef::OneOrMany(Box::new(
            self.type_of_ref(reference, pointer),
        )))
    }

    fn events(&mut self) -> Option<EventUnion> {
        let schemas = self.schemas()?;
        // The union is a oneOf whose members all carry a single-valued integer `cmd`.
        for (name, schema) in schemas {
            let ReferenceOr::Item(schema) = schema else {
                continue;
            };
            let SchemaKind::OneOf { one_of } = &schema.schema_kind else {
                continue;
            };
            if schema
                .schema_data
                .extensions
                .contains_key("x-enum-varnames")
            {
                continue;
            }
            let pointer = format!("/components/schemas/{}", escape_token(name));
            let mut any_cmd = false;
            for member in one_of {
                if let ReferenceOr::Reference { reference } = member
                    && let Some((_, s)) = self.component(reference)
                    && self.merged(s, "", 0).properties.contains_key("cmd")
                {
                    any_cmd = true;
                }
            }
            if !any_cmd {
                continue;
            }
            let mut variants: Vec<EventVariant> = Vec::new();
            let mut envelope_fields = None;
            for (i, member) in one_of.iter().enumerate() {
                let member_ptr = format!("{pointer}/oneOf/{i}");
                let ReferenceOr::Reference { reference } = member else {
                    self.diag(
                        member_ptr,
                        "each event variant must be a `$ref` to a named schema",
                        None,
                    );
                    continue;
                };
                let Some((vname, vschema)) = self.component(reference) else {
                    self.diag(
                        member_ptr,
                        format!("`$ref: {reference}` names no component schema"),
                        None,
                    );
                    continue;
                };
                let vptr = format!("/components/schemas/{}", escape_token(vname));
                let merged = self.merged(vschema, &vptr, 0);
                if let SchemaKind::AllOf { all_of } = &vschema.schema_kind {
                    for base in all_of {
                        if let ReferenceOr::Reference { reference } = base
                            && let Some((n, _)) = self.component(reference)
                        {
                            self.skip.insert(n.to_owned());
                        }
                    }
                }
                let cmd = merged.properties.get("cmd").and_then(|(s, _)| match s {
                    ReferenceOr::Item(s) => match &s.schema_kind {
                        SchemaKind::Type(Type::Integer(t)) if t.enumeration.len() == 1 => {
                            t.enumeration[0]
                        }
                        _ => None,
                    },
                    ReferenceOr::Reference { .. } => None,
                });
                // The catch-all member (`cmd` an `anyOf`, say of an integer outside the listed cmds
                // and a decimal string) is what the payload's `Unknown` variant keeps.
                if cmd.is_none()
                    && let Some((ReferenceOr::Item(c), _)) = merged.properties.get("cmd")
                    && matches!(c.schema_kind, SchemaKind::AnyOf { .. })
                {
                    self.skip.insert(vname.to_owned());
                    continue;
                }
                let Some(cmd) = cmd else {
                    self.diag(
                        vptr,
                        format!(
                            "event variant `{vname}` has no single-valued integer `enum` on `cmd`"
                        ),
                        Some("write `cmd: {type: integer, enum: [N]}`"),
                    );
                    continue;
                };
                if let Some(other) = variants.iter().find(|v| v.cmd == cmd) {
                    let msg = format!(
                        "event cmd {cmd} is used by both `{}` and `{vname}`",
                        other.schema
                    );
                    self.diag(&vptr, msg, None);
                    continue;
                }
                let data = match merged.properties.get("data") {
                    Some((s, p)) => {
                        let hint = format!("{}Data", camel_ident(vname));
                        let p = p.clone();
                        self.boxed_type(s, &p, &hint)
                    }
                    None => TypeRef::Json,
                };
                if envelope_fields.is_none() {
                    let mut fields = Vec::new();
                    for (json_name, (prop, prop_ptr)) in &merged.properties {
                        if json_name == "cmd" || json_name == "data" {
                            continue;
                        }
                        let hint = format!("{}{}", camel_ident(name), camel_ident(json_name));
                        self.in_envelope = true;
                        let (ty, nullable, doc) = self.property(prop, prop_ptr, &hint);
                        self.in_envelope = false;
                        if self.is_secret(prop) {
                            self.diag(
                                prop_ptr.clone(),
                                "a secret (`format: password`) in the event envelope is not supported",
                                Some("the envelope's Debug output is derived; put the secret in the event's data"),
                            );
                        }
                        fields.push(Field {
                            json_name: json_name.clone(),
                            rust_name: snake_ident(json_name),
                            ty,
                            required: merged.required.contains(json_name),
                            nullable,
                            doc,
                            boxed: false,
                            read_only: false,
                            write_only: false,
                            secret: false,
                        });
                    }
                    envelope_fields = Some(fields);
                }
                let vn = camel_ident(
                    vname
                        .strip_suffix("Event")
                        .filter(|s| !s.is_empty())
                        .unwrap_or(vname),
                );
                if vn == "Unknown" || vn == "Malformed" {
                    self.diag(
                        &vptr,
                        format!("event variant name `{vn}` is reserved"),
                        None,
                    );
                }
                variants.push(EventVariant {
                    cmd,
                    name: vn,
                    schema: vname.to_owned(),
                    data,
                    doc: merged.description.unwrap_or_default(),
                    folded: Vec::new(),
                });
                self.skip.insert(vname.to_owned());
            }
            variants.sort_by_key(|v| v.cmd);
            self.skip.insert(name.clone());
            return Some(EventUnion {
                name: camel_ident(name),
                doc: schema.schema_data.description.clone().unwrap_or_default(),
                envelope_fields: envelope_fields.unwrap_or_default(),
                variants,
            });
        }
        None
    }

    fn parameter(
        &mut self,
        p: &'a ReferenceOr<Parameter>,
        pointer: &str,
    ) -> Option<(&'a Parameter, String)> {
        match p {
            ReferenceOr::Item(p) => Some((p, pointer.to_owned())),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/parameters/");
                let found =
                    name.and_then(|n| self.api.components.as_ref()?.parameters.get_key_value(n));
                match found {
                    Some((n, ReferenceOr::Item(p))) => {
                        Some((p, format!("/components/parameters/{}", escape_token(n))))
                    }
                    _ => {
                        self.diag(
                            pointer,
                            format!("`$ref: {reference}` names no parameter"),
                            Some("parameters must be inline or under components/parameters"),
                        );
                        None
                    }
                }
            }
        }
    }

    fn operations(&mut self) -> Vec<Operation> {
        let api = self.api;
        let mut out = Vec::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut method_names: BTreeMap<String, String> = BTreeMap::new();
        for (path, item) in &api.paths.paths {
            let item_ptr = format!("/paths/{}", escape_token(path));
            let item = match item {
                ReferenceOr::Item(i) => i,
                ReferenceOr::Reference { .. } => {
                    self.diag(
                        item_ptr,
                        "path items by `$ref` are not supported",
                        Some("write the path item inline"),
                    );
                    continue;
                }
            };
            for (method, op) in item.iter() {
                let pointer = format!("{item_ptr}/{method}");
                let Some(id) = op.operation_id.clone().filter(|s| !s.is_empty()) else {
                    self.diag(
                        &pointer,
                        "operation has no operationId",
                        Some("add a unique camelCase `operationId`, e.g. `createRoom`"),
                    );
                    continue;
                };
                if let Some(prev) = ids.insert(id.clone(), pointer.clone()) {
                    self.diag(
                        format!("{pointer}/operationId"),
                        format!("operationId `{id}` is also used at {prev}"),
                        Some("operationIds must be unique"),
                    );
                    continue;
                }
                let method_name = snake_ident(&id);
                if let Some(prev) = method_names.insert(method_name.clone(), id.clone()) {
                    self.diag(
                        format!("{pointer}/operationId"),
                        format!(
                            "operationId `{id}` and `{prev}` both become the method `{method_name}`"
                        ),
                        None,
                    );
                }
                if let Some(o) = self.operation(path, method, item, op, &pointer, id, method_name) {
                    out.push(o);
                }
            }
        }
        out
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, all distinct inputs"
    )]
    fn operation(
        &mut self,
        path: &str,
        method: &str,
        item: &'a openapiv3::PathItem,
        op: &'a openapiv3::Operation,
        pointer: &str,
        id: String,
        method_name: String,
    ) -> Option<Operation> {
        // Parameters: the operation's override the path item's by (name, location).
        let mut params: IndexMap<(String, &'static str), (&'a Parameter, String)> = IndexMap::new();
        let lists = [
            (
                &item.parameters,
                format!("/paths/{}/parameters", escape_token(path)),
            ),
            (&op.parameters, format!("{pointer}/parameters")),
        ];
        for (list, base) in lists {
            for (i, p) in list.iter().enumerate() {
                let Some((p, p_ptr)) = self.parameter(p, &format!("{base}/{i}")) else {
                    continue;
                };
                let loc = match p {
                    Parameter::Path { .. } => "path",
                    Parameter::Query { .. } => "query",
                    Parameter::Header { .. } => "header",
                    Parameter::Cookie { .. } => "cookie",
                };
                params.insert((p.parameter_data_ref().name.clone(), loc), (p, p_ptr));
            }
        }
        let template_names: Vec<String> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let mut header_params = Vec::new();
        for name in &template_names {
            match params.get(&(name.clone(), "path")) {
                Some((p, p_ptr)) => {
                    let p_ptr = p_ptr.clone();
                    path_params.push(self.param(p, &p_ptr, &method_name));
                }
                None => self.diag(
                    pointer,
                    format!("path parameter `{{{name}}}` of `{path}` is not declared"),
                    Some("add `- {name: ..., in: path, required: true, schema: ...}` to the operation's parameters"),
                ),
            }
        }
        for ((name, loc), (p, p_ptr)) in &params {
            match *loc {
                "path" if !template_names.contains(name) => self.diag(
                    p_ptr,
                    format!("path parameter `{name}` does not appear in `{path}`"),
                    Some("remove the parameter or add it to the path template"),
                ),
                "path" => {}
                "query" => {
                    let p_ptr = p_ptr.clone();
                    query_params.push(self.param(p, &p_ptr, &method_name));
                }
                "header"
                    if ["accept", "content-type", "authorization"]
                        .contains(&name.to_ascii_lowercase().as_str()) =>
                {
                    self.diag(
                        p_ptr,
                        format!("header parameter `{name}` is one OpenAPI ignores"),
                        Some("credentials go in components/securitySchemes; the client sets Accept and Content-Type"),
                    )
                }
                "header" if !is_header_name(name) => self.diag(
                    p_ptr,
                    format!("header parameter `{name}` is not a valid HTTP header name"),
                    None,
                ),
                "header" => {
                    let p_ptr = p_ptr.clone();
                    header_params.push(self.param(p, &p_ptr, &method_name));
                }
                other => self.diag(
                    p_ptr,
                    format!("{other} parameter `{name}` is not supported"),
                    Some("only path, query and header parameters are supported"),
                ),
            }
        }
        let body = match &op.request_body {
            None => None,
            Some(rb) => self.request_body(rb, &format!("{pointer}/requestBody"), &id),
        };
        let (success_status, data, data_required, hoisted) = self.responses(op, pointer, &id)?;
        let outcomes = self.outcomes(op, pointer, &success_status, data.is_some());
        let idempotent = op
            .extensions
            .get("x-idempotent")
            .and_then(Value::as_bool)
            .unwrap_or(!method.eq_ignore_ascii_case("post"));
        Some(Operation {
            method_name,
            http_method: method.to_uppercase(),
            path: path.to_owned(),
            pointer: pointer.to_owned(),
            summary: op.summary.clone().unwrap_or_default(),
            description: op.description.clone().unwrap_or_default(),
            tag: op.tags.first().cloned().unwrap_or_default(),
            idempotent,
            path_params,
            query_params,
            header_params,
            body,
            data,
            data_required,
            success_status,
            hoisted,
            outcomes,
            deprecated: op.deprecated,
            id,
        })
    }

    fn param(&mut self, p: &'a Parameter, pointer: &str, op_method: &str) -> Param {
        let data = p.parameter_data_ref();
        let bound = match data.name.as_str() {
            "region" if matches!(p, Parameter::Path { .. }) => Some(Bound::Region),
            "appId" if matches!(p, Parameter::Path { .. }) => Some(Bound::AppId),
            _ => None,
        };
        let mut constraints = Constraints::default();
        let mut id_max_len = None;
        let mut id_type = None;
        let mut constant = None;
        let mut doc = data.description.clone().unwrap_or_default();
        let ty = match &data.format {
            ParameterSchemaOrContent::Schema(s) => {
                let resolved = match s {
                    ReferenceOr::Item(s) => Some(s),
                    ReferenceOr::Reference { reference } => {
                        self.component(reference).map(|(_, s)| s)
                    }
                };
                if let Some(schema) = resolved {
                    if doc.is_empty() {
                        doc = schema.schema_data.description.clone().unwrap_or_default();
                    }
                    constraints = constraints_of(schema);
                    if let SchemaKind::Type(Type::String(t)) = &schema.schema_kind
                        && matches!(&t.format, openapiv3::VariantOrUnknownOrEmpty::Unknown(f) if f == "agora-id")
                    {
                        id_max_len = Some(t.max_length.map_or(64, |m| m as u64));
                        id_type = Some(match s {
                            ReferenceOr::Reference { reference } => reference
                                .rsplit('/')
                                .next()
                                .map_or_else(|| camel_ident(&data.name), camel_ident),
                            ReferenceOr::Item(_) => camel_ident(&data.name),
                        });
                    }
                }
                let hint = format!("{}{}", camel_ident(op_method), camel_ident(&data.name));
                let s_ref: &'a ReferenceOr<Schema> = s;
                match s_ref {
                    ReferenceOr::Reference { reference } => {
                        self.type_of_ref(reference, &format!("{pointer}/schema"))
                    }
                    ReferenceOr::Item(schema) if single_value(schema).is_some() => {
                        constant = single_value(schema);
                        match &schema.schema_kind {
                            SchemaKind::Type(Type::Integer(_)) => TypeRef::Integer,
                            _ => TypeRef::String,
                        }
                    }
                    ReferenceOr::Item(schema) => {
                        if self
                            .enum_def(&hint, schema, &format!("{pointer}/schema"))
                            .is_some()
                        {
                            self.diag(format!("{pointer}/schema"), format!("parameter `{}` has an inline enum", data.name), Some("move the enum to components/schemas and `$ref` it, so every operation shares one Rust type"));
                            TypeRef::Json
                        } else {
                            self.inline_type(schema, &format!("{pointer}/schema"), &hint)
                        }
                    }
                }
            }
            ParameterSchemaOrContent::Content(_) => {
                self.diag(
                    pointer,
                    "parameters with `content` are not supported",
                    Some("use `schema`"),
                );
                TypeRef::Json
            }
        };
        let scalar = |t: &TypeRef| {
            !matches!(
                t,
                TypeRef::Json
                    | TypeRef::Object
                    | TypeRef::Array(_)
                    | TypeRef::Map(_)
                    | TypeRef::Nullable(_)
                    | TypeRef::OneOrMany(_)
            )
        };
        match (&ty, p) {
            (TypeRef::Array(item), Parameter::Query { style, .. }) if scalar(item) => {
                if !matches!(style, openapiv3::QueryStyle::Form) || data.explode == Some(false) {
                    self.diag(
                        pointer,
                        format!(
                            "array query parameter `{}` must be `style: form, explode: true` (one `{}=` pair per item)",
                            data.name, data.name
                        ),
                        Some("remove `style` and `explode`, whose defaults are these"),
                    );
                }
            }
            (t, _) if scalar(t) => {}
            (TypeRef::Array(_), Parameter::Query { .. }) => self.diag(
                pointer,
                format!(
                    "array query parameter `{}` must have string, integer, number, boolean or enum items",
                    data.name
                ),
                None,
            ),
            _ => self.diag(
                pointer,
                format!(
                    "parameter `{}` must be a string, integer, number, boolean or enum{}",
                    data.name,
                    if matches!(p, Parameter::Query { .. }) {
                        ", or an array of them"
                    } else {
                        ""
                    }
                ),
                None,
            ),
        }
        Param {
            rust_name: snake_ident(&data.name),
            name: data.name.clone(),
            ty,
            required: data.required,
            doc,
            id_max_len,
            id_type,
            bound,
            constant,
            constraints,
        }
    }

    fn request_body(
        &mut self,
        rb: &'a ReferenceOr<RequestBody>,
        pointer: &str,
        id: &str,
    ) -> Option<Body> {
        let (rb, pointer) = match rb {
            ReferenceOr::Item(rb) => (rb, pointer.to_owned()),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/requestBodies/");
                match name.and_then(|n| {
                    self.api
                        .components
                        .as_ref()?
                        .request_bodies
                        .get_key_value(n)
                }) {
                    Some((n, ReferenceOr::Item(rb))) => {
                        (rb, format!("/components/requestBodies/{}", escape_token(n)))
                    }
                    _ => {
                        self.diag(
                            pointer,
                            format!("`$ref: {reference}` names no request body"),
                            None,
                        );
                        return None;
                    }
                }
            }
        };
        if rb.content.len() != 1 {
            self.diag(
                format!("{pointer}/content"),
                format!(
                    "a request body must have exactly one media type, found {}",
                    rb.content.len()
                ),
                Some("keep only `application/json`"),
            );
            return None;
        }
        let (media, content) = rb.content.first()?;
        if !media.starts_with("application/json") {
            self.diag(
                format!("{pointer}/content/{}", escape_token(media)),
                format!("request media type `{media}` is not supported"),
                Some("use `application/json`"),
            );
            return None;
        }
        let schema_ptr = format!("{pointer}/content/{}/schema", escape_token(media));
        let ty = match &content.schema {
            Some(ReferenceOr::Reference { reference }) => self.type_of_ref(reference, &schema_ptr),
            Some(ReferenceOr::Item(s)) => {
                let hint = format!("{}Request", camel_ident(id));
                if self.is_struct_like(s) {
                    self.define(&hint, s, &schema_ptr)
                } else {
                    self.inline_type(s, &schema_ptr, &hint)
                }
            }
            None => TypeRef::Json,
        };
        Some(Body {
            ty,
            required: rb.required,
        })
    }

    /// The success status, the type of the envelope's `data`, whether `data` is required, and the
    /// envelope's other members beside `data`.
    fn responses(
        &mut self,
        op: &'a openapiv3::Operation,
        pointer: &str,
        id: &str,
    ) -> Option<(String, Option<TypeRef>, bool, Vec<String>)> {
        let responses_ptr = format!("{pointer}/responses");
        let mut success = Vec::new();
        let mut error_schemas: Vec<(String, Option<String>)> = Vec::new();
        if let Some(default) = &op.responses.default {
            let schema = self.response_schema(default);
            if schema.is_some() {
                self.diag(format!("{responses_ptr}/default"), "a `default` response with its own schema is not supported", Some("describe errors with `4XX` and `5XX` responses that share one error schema"));
            }
        }
        for (status, response) in &op.responses.responses {
            let (key, is_success) = match status {
                StatusCode::Code(c) => (c.to_string(), (200..300).contains(c)),
                StatusCode::Range(r) => (format!("{r}XX"), *r == 2),
            };
            if is_success {
                success.push((key, response));
            } else {
                let schema = self
                    .response_schema(response)
                    .map(|(s, _)| serde_json::to_string(s).unwrap_or_default());
                error_schemas.push((key, schema));
            }
        }
        let distinct: BTreeSet<_> = error_schemas
            .iter()
            .filter_map(|(_, s)| s.clone())
            .collect();
        if distinct.len() > 1 {
            self.diag(&responses_ptr, "error responses have different schemas", Some("use one error schema (e.g. `$ref: '#/components/responses/Error'`) for 4XX and 5XX"));
        }
        match success.len() {
            0 => {
                self.diag(
                    &responses_ptr,
                    "operation has no success (2xx) response",
                    Some("add a `200` response with the envelope schema"),
                );
                return None;
            }
            1 => {}
            _ => {
                let codes: Vec<_> = success.iter().map(|(k, _)| k.as_str()).collect();
                self.diag(
                    &responses_ptr,
                    format!(
                        "operation has {} success responses ({})",
                        codes.len(),
                        codes.join(", ")
                    ),
                    Some("keep exactly one success response"),
                );
                return None;
            }
        }
        let (status, response) = success.remove(0);
        let resp_ptr = format!("{responses_ptr}/{}", escape_token(&status));
        let Some((schema, media_count)) = self.response_schema(response) else {
            return Some((status, None, false, Vec::new()));
        };
        if media_count > 1 {
            self.diag(
                format!("{resp_ptr}/content"),
                "a success response must have one media type",
                Some("keep only `application/json`"),
            );
        }
        let schema_ptr = format!("{resp_ptr}/content/application~1json/schema");
        let data = self.envelope_data(schema, &schema_ptr, id);
        Some((
            status,
            data.as_ref().map(|(t, _, _)| t.clone()),
            data.as_ref().is_some_and(|(_, r, _)| *r),
            data.map(|(_, _, beside)| beside).unwrap_or_default(),
        ))
    }

    /// The responses marked `x-outcome`, the success first; empty when none is marked.
    fn outcomes(
        &mut self,
        op: &'a openapiv3::Operation,
        pointer: &str,
        success_status: &str,
        has_data: bool,
    ) -> Vec<OutcomeDef> {
        let responses_ptr = format!("{pointer}/responses");
        let mut outcomes = Vec::new();
        let mut success_marked = false;
        for (status, response) in &op.responses.responses {
            let ReferenceOr::Item(response) = response else {
                continue;
            };
            let Some(name) = response.extensions.get("x-outcome") else {
                continue;
            };
            let ptr = format!(
                "{responses_ptr}/{}/x-outcome",
                escape_token(&status.to_string())
            );
            let (StatusCode::Code(code), Some(name)) = (status, name.as_str()) else {
                self.diag(
                    ptr,
                    "`x-outcome` must be a name on a response with one status code",
                    Some("write `x-outcome: AlreadyExists` on a response such as `'409'`"),
                );
                continue;
            };
            if camel_ident(name) != name {
                self.diag(
                    &ptr,
                    format!("`x-outcome` `{name}` is not an UpperCamel name"),
                    Some("use an UpperCamel name such as `AlreadyExists`"),
                );
                continue;
            }
            let outcome = OutcomeDef {
                status: *code,
                name: name.to_owned(),
                doc: response.description.clone(),
            };
            if code.to_string() == success_status {
                success_marked = true;
                outcomes.insert(0, outcome);
            } else {
                outcomes.push(outcome);
            }
        }
        if outcomes.is_empty() {
            return outcomes;
        }
        if !success_marked {
            self.diag(
                &responses_ptr,
                "responses marked `x-outcome` need the success response marked too",
                Some("add `x-outcome: Created` (or another name) to the success response"),
            );
            return Vec::new();
        }
        if has_data {
            self.diag(
                &responses_ptr,
                "`x-outcome` is supported only on operations whose success has no `data`",
                None,
            );
            return Vec::new();
        }
        let names: BTreeSet<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
        if names.len() != outcomes.len() {
            self.diag(
                &responses_ptr,
                "two responses have the same `x-outcome`",
                None,
            );
            return Vec::new();
        }
        outcomes
    }

    fn response_schema(
        &mut self,
        r: &'a ReferenceOr<openapiv3::Response>,
    ) -> Option<(&'a ReferenceOr<Schema>, usize)> {
        let response = match r {
            ReferenceOr::Item(r) => r,
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/responses/")?;
                match self.api.components.as_ref()?.responses.get(name)? {
                    ReferenceOr::Item(r) => r,
                    ReferenceOr::Reference { .. } => return None,
                }
            }
        };
        let (_, media) = response.content.first()?;
        media.schema.as_ref().map(|s| (s, response.content.len()))
    }

    /// Reads the envelope `{code, msg, ts, data}` and returns the type of `data`.
    fn envelope_data(
        &mut self,
        schema: &'a ReferenceOr<Schema>,
        pointer: &str,
        id: &str,
    ) -> Option<(TypeRef, bool, Vec<String>)> {
        let (name, schema) = match schema {
            ReferenceOr::Item(s) => (None, s),
            ReferenceOr::Reference { reference } => match self.component(reference) {
                Some((n, s)) => (Some(n), s),
                None => {
                    self.diag(
                        pointer,
                        format!("`$ref: {reference}` names no component schema"),
                        None,
                    );
                    return None;
                }
            },
        };
        if let Some(n) = name {
            self.skip.insert(n.to_owned());
        }
        if let SchemaKind::AllOf { all_of } = &schema.schema_kind {
            for member in all_of {
                if let ReferenceOr::Reference { reference } = member
                    && let Some((n, _)) = self.component(reference)
                {
                    self.skip.insert(n.to_owned());
                }
            }
        }
        let merged = self.merged(schema, pointer, 0);
        if !merged.properties.contains_key("code") {
            self.diag(pointer, "a success response must be the envelope `{code, msg, ts, data}`", Some("`$ref: '#/components/schemas/Envelope'`, or `allOf` of it and an object with `data`"));
            return None;
        }
        let (data, data_ptr) = merged.properties.get("data")?;
        let data_ptr = data_ptr.clone();
        let ty = self.boxed_type(data, &data_ptr, &format!("{}Data", camel_ident(id)));
        // A free-form `data` (the shared envelope's) means "no data".
        if matches!(ty, TypeRef::Json | TypeRef::Object) {
            None
        } else {
            let beside: Vec<String> = merged
                .properties
                .keys()
                .filter(|k| !matches!(k.as_str(), "code" | "msg" | "ts" | "data"))
                .cloned()
                .collect();
            Some((ty, merged.required.contains("data"), beside))
        }
    }
}

/// Finds, for each event variant, the optional envelope fields that its `data` struct also has as
/// optional fields of the same type.
fn fold_envelope_fields(events: &mut EventUnion, types: &BTreeMap<String, TypeDef>) {
    for variant in &mut events.variants {
        let TypeRef::Named(data) = &variant.data else {
            continue;
        };
        let Some(TypeDef::Struct(data)) = types.get(data) else {
            continue;
        };
        variant.folded = events
            .envelope_fields
            .iter()
            .filter(|e| e.optional())
            .filter(|e| {
                data.fields
                    .iter()
                    .any(|d| d.json_name == e.json_name && d.ty == e.ty && d.optional())
            })
            .map(|e| e.json_name.clone())
            .collect();
    }
}

/// The value of an integer or string schema whose `enum` has exactly one value, when it needs
/// no percent-encoding in a path.
fn single_value(schema: &Schema) -> Option<String> {
    let value = match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(t)) => match t.enumeration.as_slice() {
            [Some(v)] => Some(v.to_string()),
            _ => None,
        },
        SchemaKind::Type(Type::String(t)) => match t.enumeration.as_slice() {
            [Some(v)] => Some(v.clone()),
            _ => None,
        },
        _ => None,
    }?;
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
    (!value.is_empty() && value.chars().all(unreserved)).then_some(value)
}

fn constraints_of(schema: &Schema) -> Constraints {
    let mut c = Constraints::default();
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(t)) => {
            c.min_length = t.min_length.map(|v| v as u64);
            c.max_length = t.max_length.map(|v| v as u64);
            c.pattern = t.pattern.clone();
            c.enumeration = t
                .enumeration
                .iter()
                .flatten()
                .map(|s| Value::String(s.clone()))
                .collect();
        }
        SchemaKind::Type(Type::Integer(t)) => {
            c.minimum = t.minimum.map(|v| v as f64);
            c.maximum = t.maximum.map(|v| v as f64);
            c.enumeration = t
                .enumeration
                .iter()
                .flatten()
                .map(|v| Value::from(*v))
                .collect();
        }
        SchemaKind::Type(Type::Number(t)) => {
            c.minimum = t.minimum;
            c.maximum = t.maximum;
        }
        _ => {}
    }
    c
}

/// `[{type: boolean}, {type: string, enum: [...]}]` (in either order), the string's values all
/// `"true"` or `"false"`: a boolean that may come as its text.
fn is_flexible_boolean(members: &[ReferenceOr<Schema>]) -> bool {
    let [ReferenceOr::Item(a), ReferenceOr::Item(b)] = members else {
        return false;
    };
    let boolean = |s: &Schema| matches!(s.schema_kind, SchemaKind::Type(Type::Boolean(_)));
    let text = |s: &Schema| match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) => {
            !t.enumeration.is_empty()
                && t.enumeration
                    .iter()
                    .all(|v| matches!(v.as_deref(), Some("true" | "false")))
        }
        _ => false,
    };
    (boolean(a) && text(b)) || (text(a) && boolean(b))
}

/// `anyOf: [{type: integer}, {type: string, pattern: ..}]` (in either order, the integer
/// without `enum` and with `format: int64` or none, the string with a `pattern`, meant to admit
/// decimal integers): an integer that may come as its decimal string (`"12"`), as `i64`.
fn lenient_integer(members: &[ReferenceOr<Schema>]) -> Option<TypeRef> {
    let [ReferenceOr::Item(a), ReferenceOr::Item(b)] = members else {
        return None;
    };
    let integer = |s: &Schema| match &s.schema_kind {
        SchemaKind::Type(Type::Integer(t)) => {
            t.enumeration.is_empty()
                && !matches!(
                    t.format,
                    openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32)
                )
        }
        _ => false,
    };
    let text = |s: &Schema| match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) => t.enumeration.is_empty() && t.pattern.is_some(),
        _ => false,
    };
    ((integer(a) && text(b)) || (text(a) && integer(b))).then_some(TypeRef::Integer)
}

/// The `$ref` of a one-member wrapper (`allOf`, `oneOf` or `anyOf` of one `$ref`, without
/// properties of its own), written to give a reference its own `description` or `nullable`.
fn wrapped_ref(schema: &Schema) -> Option<&str> {
    let members = match &schema.schema_kind {
        SchemaKind::AllOf { all_of: m }
        | SchemaKind::OneOf { one_of: m }
        | SchemaKind::AnyOf { any_of: m } => m,
        _ => return None,
    };
    match members.as_slice() {
        [ReferenceOr::Reference { reference }] => Some(reference.as_str()),
        _ => None,
    }
}

/// Boxes every struct field whose type holds, by value (not through a `Vec` or a map), a struct
/// that holds the field's own struct again by value: without the box the struct would have an
/// infinite size. Every such edge of a cycle is boxed, so the choice does not depend on order.
fn box_recursive_fields(types: &mut BTreeMap<String, TypeDef>) {
    let by_value = |t: &TypeRef| match t {
        TypeRef::Named(n) => Some(n.clone()),
        _ => None,
    };
    let edges: BTreeMap<String, Vec<String>> = types
        .iter()
        .filter_map(|(name, t)| match t {
            TypeDef::Struct(s) => Some((
                name.clone(),
                s.fields.iter().filter_map(|f| by_value(&f.ty)).collect(),
            )),
            TypeDef::Union(u) => Some((
                name.clone(),
                u.members.iter().filter_map(|m| by_value(&m.ty)).collect(),
            )),
            TypeDef::Enum(_) => None,
        })
        .collect();
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(edges.get(&n).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut boxed = Vec::new();
    for (name, t) in types.iter() {
        let member_types: Vec<&TypeRef> = match t {
            TypeDef::Struct(s) => s.fields.iter().map(|f| &f.ty).collect(),
            TypeDef::Union(u) => u.members.iter().map(|m| &m.ty).collect(),
            TypeDef::Enum(_) => Vec::new(),
        };
        for (i, ty) in member_types.into_iter().enumerate() {
            if let Some(target) = by_value(ty)
                && reaches(&target, name)
            {
                boxed.push((name.clone(), i));
            }
        }
    }
    for (name, i) in boxed {
        match types.get_mut(&name) {
            Some(TypeDef::Struct(s)) => s.fields[i].boxed = true,
            Some(TypeDef::Union(u)) => u.members[i].boxed = true,
            _ => {}
        }
    }
}

/// An enum value as the spec writes it, for messages.
fn value_text(v: &EnumValue) -> String {
    match v {
        EnumValue::Int(i) => format!("`{i}`"),
        EnumValue::Str(s) => format!("`{s:?}`"),
    }
}

/// `Option<T>` for an array item or map value that may be null.
fn nullable_if(ty: TypeRef, nullable: bool) -> TypeRef {
    if nullable && !matches!(ty, TypeRef::Json) {
        TypeRef::Nullable(Box::new(ty))
    } else {
        ty
    }
}

/// Named types reachable from `roots` through struct fields, array items and map values.
fn reachable(types: &BTreeMap<String, TypeDef>, roots: Vec<&TypeRef>) -> BTreeSet<String> {
    fn names(t: &TypeRef, out: &mut Vec<String>) {
        match t {
            TypeRef::Named(n) => out.push(n.clone()),
            TypeRef::Array(i) | TypeRef::Map(i) | TypeRef::OneOrMany(i) | TypeRef::Nullable(i) => {
                names(i, out)
            }
            _ => {}
        }
    }
    let mut stack = Vec::new();
    for r in roots {
        names(r, &mut stack);
    }
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        match types.get(&n) {
            Some(TypeDef::Struct(s)) => {
                for f in &s.fields {
                    names(&f.ty, &mut stack);
                }
            }
            Some(TypeDef::Union(u)) => {
                for m in &u.members {
                    names(&m.ty, &mut stack);
                }
            }
            _ => {}
        }
    }
    seen
}

/// A `readOnly` property is not required in a type that is sent (a request body or query), and a
/// `writeOnly` one in a type that is received (a response's `data`, an event): the server neither
/// wants the first nor sends the second. A type in neither has both relaxed.
fn relax_read_write_only(
    types: &mut BTreeMap<String, TypeDef>,
    operations: &[Operation],
    events: Option<&EventUnion>,
) {
    let sent = reachable(
        types,
        operations
            .iter()
            .flat_map(|o| {
                o.body
                    .iter()
                    .map(|b| &b.ty)
                    .chain(o.query_params.iter().map(|q| &q.ty))
            })
            .collect(),
    );
    let mut received_roots: Vec<&TypeRef> =
        operations.iter().filter_map(|o| o.data.as_ref()).collect();
    if let Some(e) = events {
        received_roots.extend(e.variants.iter().map(|v| &v.data));
        received_roots.extend(e.envelope_fields.iter().map(|f| &f.ty));
    }
    let received = reachable(types, received_roots);
    for (name, t) in types.iter_mut() {
        if let TypeDef::Union(u) = t {
            u.keeps_unknown = received.contains(name);
        }
        let TypeDef::Struct(s) = t else { continue };
        let unused = !sent.contains(name) && !received.contains(name);
        for f in &mut s.fields {
            if (f.read_only && (unused || sent.contains(name)))
                || (f.write_only && (unused || received.contains(name)))
            {
                f.required = false;
            }
        }
    }
}

/// An HTTP header name: one or more token characters (RFC 9110).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
