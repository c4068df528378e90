//! The HTTP side of the diff: both models walked in parallel, operation by operation, then the
//! events, the error codes and the security schemes.
//!
//! Schemas are compared by shape, not by name: a path parameter renamed, or a schema moved behind a
//! `$ref`, is no change. Where the shapes match but the generated names differ, the pair is recorded
//! as a rename for the Rust side.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::Spec;
use crate::model::{EnumDef, EnumValue, Field, Operation, Param, StructDef, TypeDef, TypeRef};
use crate::yaml::escape_token;

/// Which spec a pointer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The old spec (what is removed is found there).
    Base,
    /// The new spec.
    Head,
}

/// Where a Rust item or member may be affected by an HTTP change; resolved against both surfaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Anchor {
    /// An item as a whole (added, removed, renamed).
    Item(String),
    /// One member of an item (`field x`, `fn new`, `variant V`, `arg x`, `returns`).
    Member(String, String),
    /// The `OperationInfo` constant of an operation, by `operationId`.
    OpConst(String),
    /// The optional-query struct of a method (the type of its `query` argument), or one of its fields.
    OpQuery(String, Option<String>),
    /// A variant of the event payload enum.
    EventVariant(String),
    /// A variant of the error code enum.
    ErrorCode(String),
}

/// A value the current release does not know, which the generated `Unknown` variants carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    /// A new value of a response enum: the generated `Unknown` variant already carries it.
    EnumValue { item: String, value: String },
    /// A new event `cmd`: the payload's `Unknown` variant already carries it.
    EventCmd { cmd: i64 },
    /// An event's `cmd` renumbered: code built on the current release sees `Unknown`.
    EventCmdChanged { from: i64, to: i64 },
    /// A new error code: `ErrorCode::Unknown` already carries it.
    ErrorCode { code: i64 },
}

/// One change found on the HTTP side.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub rule: &'static str,
    /// Who the change was first found for (an `operationId`, `events`, `error codes`, `security`).
    pub label: String,
    pub operation: Option<String>,
    pub group: String,
    pub also: Vec<String>,
    pub pointer: String,
    pub side: Side,
    pub message: String,
    pub anchors: Vec<Anchor>,
    pub note: Option<Note>,
}

/// Names that changed although the shape did not, for the Rust side.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    /// Base item key → head item key.
    pub renames: BTreeMap<String, String>,
    /// Base `operationId` → head `operationId`, for operations whose id changed.
    pub op_ids: Vec<(String, String, String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Dir {
    Request,
    Response,
}

impl Dir {
    fn word(self) -> &'static str {
        match self {
            Dir::Request => "request",
            Dir::Response => "response",
        }
    }
}

/// Walks both specs; the changes in report order and the rename hints.
pub(crate) fn walk(base: &Spec, head: &Spec) -> (Vec<Found>, Hints) {
    let mut w = Walker {
        base,
        head,
        btypes: base.model.types.iter().map(|t| (t.name(), t)).collect(),
        htypes: head.model.types.iter().map(|t| (t.name(), t)).collect(),
        bunion: base.model.events.as_ref().map(|e| e.name.as_str()),
        hunion: head.model.events.as_ref().map(|e| e.name.as_str()),
        found: Vec::new(),
        index: BTreeMap::new(),
        visited: BTreeSet::new(),
        hints: Hints::default(),
        label: String::new(),
        op: None,
        group: String::new(),
    };
    w.operations();
    w.events();
    w.error_codes();
    w.security();
    (w.found, w.hints)
}

struct Walker<'a> {
    base: &'a Spec,
    head: &'a Spec,
    btypes: BTreeMap<&'a str, &'a TypeDef>,
    htypes: BTreeMap<&'a str, &'a TypeDef>,
    bunion: Option<&'a str>,
    hunion: Option<&'a str>,
    found: Vec<Found>,
    index: BTreeMap<(&'static str, String), usize>,
    visited: BTreeSet<(String, String, Dir)>,
    hints: Hints,
    /// Who the current change belongs to (an `operationId`, or `events`).
    label: String,
    op: Option<String>,
    group: String,
}

/// A struct being compared: its Rust item keys and schema pointers on both sides.
#[derive(Clone)]
struct Owner {
    bkey: String,
    hkey: String,
    bname: String,
    hname: String,
    bptr: String,
    hptr: String,
}

impl<'a> Walker<'a> {
    fn emit(
        &mut self,
        rule: &'static str,
        side: Side,
        pointer: String,
        message: String,
        anchors: Vec<Anchor>,
        note: Option<Note>,
    ) {
        let key = (rule, pointer.clone());
        if let Some(&i) = self.index.get(&key) {
            let f = &mut self.found[i];
            if f.label != self.label && !f.also.contains(&self.label) {
                f.also.push(self.label.clone());
            }
            return;
        }
        self.index.insert(key, self.found.len());
        self.found.push(Found {
            rule,
            label: self.label.clone(),
            operation: self.op.clone(),
            group: self.group.clone(),
            also: Vec::new(),
            pointer,
            side,
            message,
            anchors,
            note,
        });
    }

    // Operations.

    fn operations(&mut self) {
        let bops = &self.base.model.operations;
        let hops = &self.head.model.operations;
        let key = |o: &Operation| (o.http_method.clone(), normalized_path(&o.path));
        let mut matched: BTreeSet<usize> = BTreeSet::new();
        let mut pairs: Vec<(Option<usize>, usize)> = Vec::new();
        for (hi, h) in hops.iter().enumerate() {
            let by_path = bops
                .iter()
                .enumerate()
                .find(|(bi, b)| !matched.contains(bi) && key(b) == key(h))
                .map(|(bi, _)| bi);
            pairs.push((by_path, hi));
            if let Some(bi) = by_path {
                matched.insert(bi);
            }
        }
        for pair in &mut pairs {
            if pair.0.is_none() {
                let h = &hops[pair.1];
                if let Some((bi, _)) = bops
                    .iter()
                    .enumerate()
                    .find(|(bi, b)| !matched.contains(bi) && b.id == h.id)
                {
                    matched.insert(bi);
                    pair.0 = Some(bi);
                }
            }
        }
        for (bi, hi) in pairs {
            let h = &hops[hi];
            self.enter(h);
            match bi {
                Some(bi) => self.operation(&bops[bi], h),
                None => {
                    let anchors = op_anchors(h);
                    self.emit(
                        "operation-added",
                        Side::Head,
                        h.pointer.clone(),
                        format!("New operation `{}` (`{} {}`).", h.id, h.http_method, h.path),
                        anchors,
                        None,
                    );
                }
            }
        }
        for (bi, b) in bops.iter().enumerate() {
            if matched.contains(&bi) {
                continue;
            }
            self.enter(b);
            self.emit(
                "operation-removed",
                Side::Base,
                b.pointer.clone(),
                format!(
                    "Operation `{}` (`{} {}`) is removed: calls to it will fail.",
                    b.id, b.http_method, b.path
                ),
                op_anchors(b),
                None,
            );
        }
    }

    fn enter(&mut self, op: &Operation) {
        self.label = op.id.clone();
        self.op = Some(op.id.clone());
        self.group = format!("`{}` `{} {}`", op.id, op.http_method, op.path);
        self.visited.clear();
    }

    fn operation(&mut self, b: &'a Operation, h: &'a Operation) {
        if b.id != h.id {
            let mut anchors = op_anchors(b);
            anchors.extend(op_anchors(h));
            self.hints.op_ids.push((
                b.id.clone(),
                h.id.clone(),
                b.method_name.clone(),
                h.method_name.clone(),
            ));
            self.emit(
                "operation-id-changed",
                Side::Head,
                format!("{}/operationId", h.pointer),
                format!(
                    "The operationId changes from `{}` to `{}`; the HTTP request is the same.",
                    b.id, h.id
                ),
                anchors,
                None,
            );
        }
        if (b.http_method.as_str(), normalized_path(&b.path))
            != (h.http_method.as_str(), normalized_path(&h.path))
        {
            self.emit(
                "operation-path-changed",
                Side::Head,
                h.pointer.clone(),
                format!(
                    "`{}` moves from `{} {}` to `{} {}`: requests to the old address will fail.",
                    h.id, b.http_method, b.path, h.http_method, h.path
                ),
                vec![Anchor::Item(format!("Client::{}", h.method_name))],
                None,
            );
        }
        if !b.deprecated && h.deprecated {
            self.emit(
                "operation-deprecated",
                Side::Head,
                format!("{}/deprecated", h.pointer),
                format!("`{}` is now deprecated.", h.id),
                vec![Anchor::Member(
                    format!("Client::{}", h.method_name),
                    "attr deprecated".into(),
                )],
                None,
            );
        }
        if b.success_status != h.success_status {
            self.emit(
                "success-status-removed",
                Side::Head,
                format!("{}/responses/{}", h.pointer, escape_token(&h.success_status)),
                format!(
                    "The success status `{}` is gone; the operation now answers `{}`: clients that check for `{}` will see a failure.",
                    b.success_status, h.success_status, b.success_status
                ),
                Vec::new(),
                None,
            );
        }
        for key in ["summary", "description"] {
            self.text_field(
                &b.pointer,
                &h.pointer,
                key,
                &format!("the {key} of `{}`", h.id),
            );
        }
        // Path parameters by position: their names are not part of the request.
        if b.path_params.len() == h.path_params.len() {
            for (bp, hp) in b.path_params.iter().zip(&h.path_params) {
                self.param(b, h, bp, hp, "path");
            }
        }
        for hp in &h.query_params {
            match b.query_params.iter().find(|bp| bp.name == hp.name) {
                Some(bp) => self.param(b, h, bp, hp, "query"),
                None => {
                    let ptr = param_pointer(self.head, h, &hp.name, "query");
                    let anchors = param_anchors(b, h, hp);
                    let (rule, msg) = if hp.required {
                        (
                            "parameter-added-required",
                            format!(
                                "New required query parameter `{}` ({}): requests without it are rejected.",
                                hp.name,
                                describe(&hp.ty)
                            ),
                        )
                    } else {
                        (
                            "parameter-added-optional",
                            format!(
                                "New optional query parameter `{}` ({}).",
                                hp.name,
                                describe(&hp.ty)
                            ),
                        )
                    };
                    self.emit(rule, Side::Head, ptr, msg, anchors, None);
                }
            }
        }
        for bp in &b.query_params {
            if !h.query_params.iter().any(|hp| hp.name == bp.name) {
                let ptr = param_pointer(self.base, b, &bp.name, "query");
                let anchors = param_anchors(b, h, bp);
                self.emit(
                    "parameter-removed",
                    Side::Base,
                    ptr,
                    format!(
                        "Query parameter `{}` is removed: the server ignores it from now on.",
                        bp.name
                    ),
                    anchors,
                    None,
                );
            }
        }
        self.body(b, h);
        self.data(b, h);
    }

    fn param(&mut self, bo: &Operation, ho: &Operation, bp: &'a Param, hp: &'a Param, loc: &str) {
        let bptr = param_pointer(self.base, bo, &bp.name, loc);
        let hptr = param_pointer(self.head, ho, &hp.name, loc);
        let anchors = param_anchors(bo, ho, hp);
        let what = format!("{loc} parameter `{}`", hp.name);
        self.description(&bptr, &hptr, &format!("the description of the {what}"));
        if bp.required != hp.required {
            let (rule, msg) = if hp.required {
                (
                    "parameter-became-required",
                    format!("The {what} becomes required: requests without it are rejected."),
                )
            } else {
                (
                    "parameter-became-optional",
                    format!("The {what} becomes optional."),
                )
            };
            self.emit(rule, Side::Head, hptr.clone(), msg, anchors.clone(), None);
        }
        if !self.same_kind(&bp.ty, &hp.ty) {
            let mut anchors = anchors;
            anchors.extend(type_items(&bp.ty).chain(type_items(&hp.ty)));
            self.emit(
                "parameter-type-changed",
                Side::Head,
                hptr,
                format!(
                    "The type of the {what} changes from {} to {}: requests valid before may be rejected.",
                    describe(&bp.ty),
                    describe(&hp.ty)
                ),
                anchors,
                None,
            );
            return;
        }
        if let (TypeRef::Named(bn), TypeRef::Named(hn)) = (&bp.ty, &hp.ty) {
            self.rename(bn, hn);
            if let (Some(TypeDef::Enum(be)), Some(TypeDef::Enum(he))) = (
                self.btypes.get(bn.as_str()).copied(),
                self.htypes.get(hn.as_str()).copied(),
            ) {
                self.enum_values(be, he, None, &what);
            }
        }
        let schema_ptr = |spec: &Spec, ptr: &str| resolve(&spec.value, &format!("{ptr}/schema"));
        let (tightened, loosened) = constraint_changes(&bp.constraints, &hp.constraints);
        if !tightened.is_empty() {
            self.emit(
                "parameter-constraint-tightened",
                Side::Head,
                schema_ptr(self.head, &hptr),
                format!(
                    "The {what} is constrained further ({}): requests valid before may be rejected.",
                    tightened.join("; ")
                ),
                Vec::new(),
                None,
            );
        }
        if !loosened.is_empty() {
            self.emit(
                "parameter-constraint-loosened",
                Side::Head,
                schema_ptr(self.head, &hptr),
                format!("The {what} accepts more ({}).", loosened.join("; ")),
                Vec::new(),
                None,
            );
        }
    }

    fn body(&mut self, b: &'a Operation, h: &'a Operation) {
        let bptr = format!("{}/requestBody", b.pointer);
        let hptr = format!("{}/requestBody", h.pointer);
        let arg = vec![Anchor::Member(
            format!("Client::{}", h.method_name),
            "arg body".into(),
        )];
        match (&b.body, &h.body) {
            (None, None) => {}
            (None, Some(hb)) => {
                let mut anchors = arg;
                anchors.extend(type_items(&hb.ty));
                if hb.required {
                    self.emit(
                        "request-body-became-required",
                        Side::Head,
                        hptr,
                        format!(
                            "The operation now requires a request body ({}): requests without it are rejected.",
                            describe(&hb.ty)
                        ),
                        anchors,
                        None,
                    );
                } else {
                    self.emit(
                        "request-body-added",
                        Side::Head,
                        hptr,
                        format!(
                            "The operation accepts an optional request body ({}).",
                            describe(&hb.ty)
                        ),
                        anchors,
                        None,
                    );
                }
            }
            (Some(bb), None) => {
                let mut anchors = arg;
                anchors.extend(type_items(&bb.ty));
                self.emit(
                    "request-body-removed",
                    Side::Base,
                    bptr,
                    "The request body is removed: the server ignores it from now on.".into(),
                    anchors,
                    None,
                );
            }
            (Some(bb), Some(hb)) => {
                if !bb.required && hb.required {
                    self.emit(
                        "request-body-became-required",
                        Side::Head,
                        format!("{hptr}/required"),
                        "The request body becomes required: requests without it are rejected."
                            .into(),
                        arg.clone(),
                        None,
                    );
                } else if bb.required && !hb.required {
                    self.emit(
                        "request-body-became-optional",
                        Side::Head,
                        format!("{hptr}/required"),
                        "The request body becomes optional.".into(),
                        arg.clone(),
                        None,
                    );
                }
                if self.same_kind(&bb.ty, &hb.ty) {
                    self.compare(&bb.ty, &hb.ty, Dir::Request);
                } else {
                    let mut anchors = arg;
                    anchors.extend(type_items(&bb.ty).chain(type_items(&hb.ty)));
                    self.emit(
                        "request-body-type-changed",
                        Side::Head,
                        hptr,
                        format!(
                            "The request body changes from {} to {}: requests valid before are rejected.",
                            describe(&bb.ty),
                            describe(&hb.ty)
                        ),
                        anchors,
                        None,
                    );
                }
            }
        }
    }

    fn data(&mut self, b: &'a Operation, h: &'a Operation) {
        let data_ptr = |spec: &Spec, op: &Operation| {
            let schema = format!(
                "{}/responses/{}/content/application~1json/schema",
                op.pointer,
                escape_token(&op.success_status)
            );
            property_pointer(&spec.value, &schema, "data").unwrap_or(schema)
        };
        let ret = vec![Anchor::Member(
            format!("Client::{}", h.method_name),
            "returns".into(),
        )];
        match (&b.data, &h.data) {
            (None, None) => {}
            (None, Some(ht)) => {
                let mut anchors = ret;
                anchors.extend(type_items(ht));
                self.emit(
                    "response-property-added",
                    Side::Head,
                    data_ptr(self.head, h),
                    format!("The response now carries `data` ({}).", describe(ht)),
                    anchors,
                    None,
                );
            }
            (Some(bt), None) => {
                let mut anchors = ret;
                anchors.extend(type_items(bt));
                self.emit(
                    "response-data-type-changed",
                    Side::Base,
                    data_ptr(self.base, b),
                    format!(
                        "The response no longer carries `data` (it was {}): clients that read it break.",
                        describe(bt)
                    ),
                    anchors,
                    None,
                );
            }
            (Some(bt), Some(ht)) => {
                if self.same_kind(bt, ht) {
                    self.compare(bt, ht, Dir::Response);
                } else {
                    let mut anchors = ret;
                    anchors.extend(type_items(bt).chain(type_items(ht)));
                    self.emit(
                        "response-data-type-changed",
                        Side::Head,
                        data_ptr(self.head, h),
                        format!(
                            "The response `data` changes from {} to {}: clients that read it break.",
                            describe(bt),
                            describe(ht)
                        ),
                        anchors,
                        None,
                    );
                }
            }
        }
    }

    // Schemas.

    fn is_union(&self, side: Side, name: &str) -> bool {
        match side {
            Side::Base => self.bunion == Some(name),
            Side::Head => self.hunion == Some(name),
        }
    }

    /// Whether two types have the same JSON shape at the top (contents are compared separately).
    fn same_kind(&self, b: &TypeRef, h: &TypeRef) -> bool {
        match (b, h) {
            (TypeRef::Named(x), TypeRef::Named(y)) => {
                if self.is_union(Side::Base, x) || self.is_union(Side::Head, y) {
                    return self.is_union(Side::Base, x) && self.is_union(Side::Head, y);
                }
                match (self.btypes.get(x.as_str()), self.htypes.get(y.as_str())) {
                    (Some(TypeDef::Struct(_)), Some(TypeDef::Struct(_))) => true,
                    (Some(TypeDef::Enum(a)), Some(TypeDef::Enum(b))) => a.repr == b.repr,
                    // Schemas the generator does not turn into types (envelopes) match by name.
                    (None, None) => x == y,
                    _ => false,
                }
            }
            (TypeRef::Array(x), TypeRef::Array(y))
            | (TypeRef::Map(x), TypeRef::Map(y))
            | (TypeRef::OneOrMany(x), TypeRef::OneOrMany(y)) => self.same_kind(x, y),
            (x, y) => x == y,
        }
    }

    /// Compares two types of the same kind, member by member.
    fn compare(&mut self, b: &TypeRef, h: &TypeRef, dir: Dir) {
        match (b, h) {
            (TypeRef::Named(x), TypeRef::Named(y)) => self.named(x, y, dir),
            (TypeRef::Array(x), TypeRef::Array(y))
            | (TypeRef::Map(x), TypeRef::Map(y))
            | (TypeRef::OneOrMany(x), TypeRef::OneOrMany(y)) => self.compare(x, y, dir),
            _ => {}
        }
    }

    /// A base type and a head type in the same place under different names.
    fn rename(&mut self, b: &str, h: &str) {
        if b == h || self.htypes.contains_key(b) || self.btypes.contains_key(h) {
            return;
        }
        let (Some(bt), Some(ht)) = (self.btypes.get(b).copied(), self.htypes.get(h).copied())
        else {
            return;
        };
        self.hints
            .renames
            .insert(format!("types::{b}"), format!("types::{h}"));
        let (bptr, hptr) = (type_pointer(bt), type_pointer(ht));
        let schema = |p: &str| {
            p.strip_prefix("/components/schemas/")
                .map(|n| format!("schema `{n}`"))
                .unwrap_or_else(|| format!("the schema at `{p}`"))
        };
        let msg = format!(
            "The {} is now the {}; the JSON is the same, the generated Rust type `{b}` becomes `{h}`.",
            schema(&bptr),
            schema(&hptr)
        );
        self.emit(
            "type-renamed",
            Side::Head,
            hptr,
            msg,
            vec![
                Anchor::Item(format!("types::{b}")),
                Anchor::Item(format!("types::{h}")),
            ],
            None,
        );
    }

    fn named(&mut self, b: &str, h: &str, dir: Dir) {
        if self.is_union(Side::Base, b) {
            // Events are compared once, by `cmd`, in their own group.
            return;
        }
        if !self.visited.insert((b.to_owned(), h.to_owned(), dir)) {
            return;
        }
        self.rename(b, h);
        match (self.btypes.get(b).copied(), self.htypes.get(h).copied()) {
            (Some(TypeDef::Struct(bs)), Some(TypeDef::Struct(hs))) => {
                let (bptr, hptr) = (bs.pointer.clone(), hs.pointer.clone());
                self.description(&bptr, &hptr, &format!("the description of `{}`", hs.name));
                let owner = Owner {
                    bkey: format!("types::{}", bs.name),
                    hkey: format!("types::{}", hs.name),
                    bname: bs.name.clone(),
                    hname: hs.name.clone(),
                    bptr,
                    hptr,
                };
                self.fields(&bs.fields, &hs.fields, &owner, dir);
            }
            (Some(TypeDef::Enum(be)), Some(TypeDef::Enum(he))) => {
                self.description(
                    &be.pointer,
                    &he.pointer,
                    &format!("the description of `{}`", he.name),
                );
                self.enum_values(be, he, Some(dir), "");
            }
            _ => {}
        }
    }

    fn enum_values(&mut self, b: &EnumDef, h: &EnumDef, dir: Option<Dir>, param: &str) {
        let key = format!("types::{}", h.name);
        for hv in &h.variants {
            match b.variants.iter().find(|bv| bv.value == hv.value) {
                Some(bv) => {
                    let i = h
                        .variants
                        .iter()
                        .position(|v| v.value == hv.value)
                        .unwrap_or(0);
                    if bv.doc.trim() != hv.doc.trim() {
                        let ptr = format!(
                            "{}/x-enum-descriptions/{i}",
                            resolve(&self.head.value, &h.pointer)
                        );
                        self.emit(
                            "description-changed",
                            Side::Head,
                            ptr,
                            format!(
                                "The description of `{}` value {} changes{}.",
                                h.name,
                                value_text(&hv.value),
                                from_to(&bv.doc, &hv.doc)
                            ),
                            Vec::new(),
                            None,
                        );
                    }
                }
                None => {
                    let ptr = enum_value_pointer(&self.head.value, &h.pointer, &hv.value);
                    let anchors = vec![Anchor::Member(key.clone(), format!("variant {}", hv.name))];
                    let v = value_text(&hv.value);
                    let (rule, msg, note) = match dir {
                        None => (
                            "parameter-enum-value-added",
                            format!(
                                "The {param} accepts a new value {v} (`{}::{}`).",
                                h.name, hv.name
                            ),
                            None,
                        ),
                        Some(Dir::Request) => (
                            "request-enum-value-added",
                            format!("`{}` accepts a new value {v} in requests.", h.name),
                            None,
                        ),
                        Some(Dir::Response) => (
                            "response-enum-value-added",
                            format!(
                                "`{}` has a new value {v} in responses: clients with a closed list of values must handle it.",
                                h.name
                            ),
                            Some(Note::EnumValue {
                                item: key.clone(),
                                value: v.clone(),
                            }),
                        ),
                    };
                    self.emit(rule, Side::Head, ptr, msg, anchors, note);
                }
            }
        }
        for bv in &b.variants {
            if h.variants.iter().any(|hv| hv.value == bv.value) {
                continue;
            }
            let ptr = enum_value_pointer(&self.base.value, &b.pointer, &bv.value);
            let anchors = vec![Anchor::Member(
                format!("types::{}", b.name),
                format!("variant {}", bv.name),
            )];
            let v = value_text(&bv.value);
            let (rule, msg) = match dir {
                None => (
                    "parameter-enum-value-removed",
                    format!(
                        "The {param} no longer accepts {v} (`{}::{}`): requests sending it are rejected.",
                        b.name, bv.name
                    ),
                ),
                Some(Dir::Request) => (
                    "request-enum-value-removed",
                    format!(
                        "`{}` no longer accepts {v} in requests: requests sending it are rejected.",
                        b.name
                    ),
                ),
                Some(Dir::Response) => (
                    "response-enum-value-removed",
                    format!("`{}` no longer has the value {v} in responses.", b.name),
                ),
            };
            self.emit(rule, Side::Base, ptr, msg, anchors, None);
        }
    }

    fn fields(&mut self, bf: &'a [Field], hf: &'a [Field], o: &Owner, dir: Dir) {
        let d = dir.word();
        for h in hf {
            let hptr = property_pointer(&self.head.value, &o.hptr, &h.json_name)
                .unwrap_or_else(|| o.hptr.clone());
            let anchors = field_anchors(o, h);
            let Some(b) = bf.iter().find(|b| b.json_name == h.json_name) else {
                let (rule, msg) = match (dir, h.required) {
                    (Dir::Request, true) => (
                        "request-property-added-required",
                        format!(
                            "New required request property `{}.{}` ({}): requests without it are rejected.",
                            o.hname,
                            h.json_name,
                            describe(&h.ty)
                        ),
                    ),
                    (Dir::Request, false) => (
                        "request-property-added-optional",
                        format!(
                            "New optional request property `{}.{}` ({}).",
                            o.hname,
                            h.json_name,
                            describe(&h.ty)
                        ),
                    ),
                    (Dir::Response, _) => (
                        "response-property-added",
                        format!(
                            "New response property `{}.{}` ({}).",
                            o.hname,
                            h.json_name,
                            describe(&h.ty)
                        ),
                    ),
                };
                let mut anchors = anchors;
                anchors.extend(type_items(&h.ty));
                self.emit(rule, Side::Head, hptr, msg, anchors, None);
                continue;
            };
            let bptr = property_pointer(&self.base.value, &o.bptr, &b.json_name)
                .unwrap_or_else(|| o.bptr.clone());
            let name = format!("{}.{}", o.hname, h.json_name);
            self.description(&bptr, &hptr, &format!("the description of `{name}`"));
            // Presence: required and nullable.
            let mut stricter = Vec::new();
            let mut looser = Vec::new();
            match (b.required, h.required) {
                (false, true) => stricter.push("is now required"),
                (true, false) => looser.push("is no longer required"),
                _ => {}
            }
            match (b.nullable, h.nullable) {
                (false, true) => looser.push("may now be null"),
                (true, false) => stricter.push("may no longer be null"),
                _ => {}
            }
            if !stricter.is_empty() {
                let (rule, tail) = match dir {
                    Dir::Request => (
                        "request-property-became-required",
                        ": requests without a value are rejected",
                    ),
                    Dir::Response => ("response-property-became-required", ""),
                };
                self.emit(
                    rule,
                    Side::Head,
                    hptr.clone(),
                    format!(
                        "The {d} property `{name}` {}{tail}.",
                        stricter.join(" and ")
                    ),
                    anchors.clone(),
                    None,
                );
            }
            if !looser.is_empty() {
                let (rule, tail) = match dir {
                    Dir::Request => ("request-property-became-optional", ""),
                    Dir::Response => (
                        "response-property-became-optional",
                        ": clients that rely on a value break",
                    ),
                };
                self.emit(
                    rule,
                    Side::Head,
                    hptr.clone(),
                    format!("The {d} property `{name}` {}{tail}.", looser.join(" and ")),
                    anchors.clone(),
                    None,
                );
            }
            if !self.same_kind(&b.ty, &h.ty) {
                let mut anchors = anchors;
                anchors.extend(type_items(&b.ty).chain(type_items(&h.ty)));
                self.emit(
                    match dir {
                        Dir::Request => "request-property-type-changed",
                        Dir::Response => "response-property-type-changed",
                    },
                    Side::Head,
                    hptr,
                    format!(
                        "The type of the {d} property `{name}` changes from {} to {}.",
                        describe(&b.ty),
                        describe(&h.ty)
                    ),
                    anchors,
                    None,
                );
                continue;
            }
            if dir == Dir::Request {
                let bc = constraints_at(&self.base.value, &bptr);
                let hc = constraints_at(&self.head.value, &hptr);
                let (t, _) = constraint_changes(&bc, &hc);
                if !t.is_empty() {
                    self.emit(
                        "request-property-constraint-tightened",
                        Side::Head,
                        hptr.clone(),
                        format!(
                            "The request property `{name}` is constrained further ({}): requests valid before may be rejected.",
                            t.join("; ")
                        ),
                        Vec::new(),
                        None,
                    );
                }
            }
            self.compare(&b.ty, &h.ty, dir);
        }
        for b in bf {
            if hf.iter().any(|h| h.json_name == b.json_name) {
                continue;
            }
            let bptr = property_pointer(&self.base.value, &o.bptr, &b.json_name)
                .unwrap_or_else(|| o.bptr.clone());
            let name = format!("{}.{}", o.bname, b.json_name);
            let (rule, msg) = match (dir, b.required && !b.nullable) {
                (Dir::Request, _) => (
                    "request-property-removed",
                    format!(
                        "The request property `{name}` is removed: the server ignores it from now on."
                    ),
                ),
                (Dir::Response, true) => (
                    "response-property-removed-required",
                    format!(
                        "The required response property `{name}` is removed: clients that read it break."
                    ),
                ),
                (Dir::Response, false) => (
                    "response-property-removed-optional",
                    format!(
                        "The optional response property `{name}` is removed: clients that read it get nothing from now on."
                    ),
                ),
            };
            let mut anchors = field_anchors(o, b);
            anchors.extend(type_items(&b.ty));
            self.emit(rule, Side::Base, bptr, msg, anchors, None);
        }
    }

    /// Reports a changed description (the node's own, else that of the schema its `$ref` names).
    fn description(&mut self, bptr: &str, hptr: &str, what: &str) {
        self.text_field(bptr, hptr, "description", what);
    }

    /// Reports a changed `summary` or `description` of the nodes at `bptr` and `hptr`.
    fn text_field(&mut self, bptr: &str, hptr: &str, key: &str, what: &str) {
        let (b, _) = text_at(&self.base.value, bptr, key);
        let (h, own) = text_at(&self.head.value, hptr, key);
        if b.trim() == h.trim() {
            return;
        }
        let (side, ptr) = match (h.is_empty(), own) {
            (true, _) => (Side::Base, bptr.to_owned()),
            (false, true) => (Side::Head, format!("{hptr}/{key}")),
            (false, false) => (Side::Head, hptr.to_owned()),
        };
        let mut what = what.to_owned();
        if let Some(first) = what.get(..1) {
            what.replace_range(..1, &first.to_uppercase());
        }
        self.emit(
            "description-changed",
            side,
            ptr,
            format!("{what} changes{}.", from_to(&b, &h)),
            Vec::new(),
            None,
        );
    }

    // Events, error codes, security.

    fn events(&mut self) {
        let (Some(be), Some(he)) = (&self.base.model.events, &self.head.model.events) else {
            return;
        };
        self.label = "events".into();
        self.op = None;
        self.group = "Events".into();
        self.visited.clear();
        let schema_ptr = |s: &str| format!("/components/schemas/{}", escape_token(s));
        // A `oneOf` member that stays but carries another `cmd`: the same event renumbered.
        let renumbered = |hv: &crate::model::EventVariant| {
            be.variants.iter().find(|bv| {
                bv.schema == hv.schema
                    && bv.cmd != hv.cmd
                    && !he.variants.iter().any(|x| x.cmd == bv.cmd)
                    && !be.variants.iter().any(|x| x.cmd == hv.cmd)
            })
        };
        for hv in &he.variants {
            let hptr = schema_ptr(&hv.schema);
            if let Some(bv) = renumbered(hv) {
                let mut anchors = vec![
                    Anchor::EventVariant(hv.name.clone()),
                    Anchor::EventVariant(bv.name.clone()),
                ];
                anchors.extend(type_items(&bv.data).chain(type_items(&hv.data)));
                let cmd_ptr = property_pointer(&self.head.value, &hptr, "cmd")
                    .unwrap_or_else(|| hptr.clone());
                self.emit(
                    "event-cmd-changed",
                    Side::Head,
                    cmd_ptr,
                    format!(
                        "The `cmd` of `{}` changes from {} to {}: clients that dispatch on {} no longer receive it, and {} means it now.",
                        hv.schema, bv.cmd, hv.cmd, bv.cmd, hv.cmd
                    ),
                    anchors,
                    Some(Note::EventCmdChanged {
                        from: bv.cmd,
                        to: hv.cmd,
                    }),
                );
                if self.same_kind(&bv.data, &hv.data) {
                    self.compare(&bv.data, &hv.data, Dir::Response);
                }
                continue;
            }
            match be.variants.iter().find(|bv| bv.cmd == hv.cmd) {
                None => {
                    let mut anchors = vec![Anchor::EventVariant(hv.name.clone())];
                    anchors.extend(type_items(&hv.data));
                    self.emit(
                        "event-cmd-added",
                        Side::Head,
                        hptr,
                        format!(
                            "New event `cmd` {} (`{}`): clients that reject unknown events must handle it.",
                            hv.cmd, hv.schema
                        ),
                        anchors,
                        Some(Note::EventCmd { cmd: hv.cmd }),
                    );
                }
                Some(bv) => {
                    let bptr = schema_ptr(&bv.schema);
                    self.description(
                        &bptr,
                        &hptr,
                        &format!("the description of event `cmd` {}", hv.cmd),
                    );
                    let data_ptr = |spec: &Spec, p: &str| {
                        property_pointer(&spec.value, p, "data").unwrap_or_else(|| p.to_owned())
                    };
                    if self.same_kind(&bv.data, &hv.data) {
                        self.compare(&bv.data, &hv.data, Dir::Response);
                    } else {
                        let mut anchors = vec![
                            Anchor::EventVariant(hv.name.clone()),
                            Anchor::EventVariant(bv.name.clone()),
                        ];
                        anchors.extend(type_items(&bv.data).chain(type_items(&hv.data)));
                        self.emit(
                            "response-property-type-changed",
                            Side::Head,
                            data_ptr(self.head, &hptr),
                            format!(
                                "The `data` of event `cmd` {} changes from {} to {}.",
                                hv.cmd,
                                describe(&bv.data),
                                describe(&hv.data)
                            ),
                            anchors,
                            None,
                        );
                    }
                }
            }
        }
        for bv in &be.variants {
            if he
                .variants
                .iter()
                .any(|hv| hv.cmd == bv.cmd || renumbered(hv) == Some(bv))
            {
                continue;
            }
            let mut anchors = vec![Anchor::EventVariant(bv.name.clone())];
            anchors.extend(type_items(&bv.data));
            self.emit(
                "event-cmd-removed",
                Side::Base,
                schema_ptr(&bv.schema),
                format!(
                    "Event `cmd` {} (`{}`) is removed: the server no longer sends it.",
                    bv.cmd, bv.schema
                ),
                anchors,
                None,
            );
        }
        // The fields beside `cmd` and `data`, as in any response.
        let first = |e: &crate::model::EventUnion| {
            e.variants
                .first()
                .map(|v| schema_ptr(&v.schema))
                .unwrap_or_else(|| schema_ptr(&e.name))
        };
        let owner = Owner {
            bkey: format!("events::{}", be.name),
            hkey: format!("events::{}", he.name),
            bname: be.name.clone(),
            hname: he.name.clone(),
            bptr: first(be),
            hptr: first(he),
        };
        self.fields(
            &be.envelope_fields,
            &he.envelope_fields,
            &owner,
            Dir::Response,
        );
        // The crate reads the fields beside `cmd` and `data` from the first member; another member
        // whose own `allOf` envelope changes differently is reported on its own.
        let envelope_delta = |bs: &str, hs: &str| {
            let b = envelope(&self.base.value, &schema_ptr(bs));
            let h = envelope(&self.head.value, &schema_ptr(hs));
            envelope_changes(&b, &h)
        };
        let (Some(bfirst), Some(hfirst)) = (be.variants.first(), he.variants.first()) else {
            return;
        };
        let shared = envelope_delta(&bfirst.schema, &hfirst.schema);
        let mut found = Vec::new();
        for hv in he.variants.iter().skip(1) {
            let Some(bv) = be
                .variants
                .iter()
                .find(|bv| bv.cmd == hv.cmd)
                .or_else(|| renumbered(hv))
            else {
                continue;
            };
            let delta = envelope_delta(&bv.schema, &hv.schema);
            if delta.is_empty() || delta == shared {
                continue;
            }
            found.push((hv.name.clone(), hv.schema.clone(), hv.cmd, delta));
        }
        for (name, schema, cmd, delta) in found {
            self.emit(
                "event-envelope-changed",
                Side::Head,
                schema_ptr(&schema),
                format!(
                    "The fields beside `cmd` and `data` of event `cmd` {cmd} (`{schema}`) change through its own `allOf` member, unlike the other events: {}.",
                    delta.join("; ")
                ),
                vec![Anchor::EventVariant(name)],
                None,
            );
        }
    }

    fn error_codes(&mut self) {
        self.label = "error codes".into();
        self.op = None;
        self.group = "Error codes".into();
        let bc = &self.base.model.error_codes;
        let hc = &self.head.model.error_codes;
        for (hi, h) in hc.iter().enumerate() {
            let ptr = format!("/x-error-codes/{hi}");
            match bc.iter().enumerate().find(|(_, b)| b.code == h.code) {
                None => self.emit(
                    "error-code-added",
                    Side::Head,
                    ptr,
                    format!(
                        "New business error code `{}` (`{}`{}).",
                        h.code,
                        h.name,
                        h.status.map(|s| format!(", HTTP {s}")).unwrap_or_default()
                    ),
                    vec![Anchor::ErrorCode(h.name.clone())],
                    Some(Note::ErrorCode { code: h.code }),
                ),
                Some((bi, b)) => {
                    if b.name != h.name {
                        self.emit(
                            "error-code-renamed",
                            Side::Head,
                            format!("{ptr}/name"),
                            format!(
                                "Business error code `{}` is renamed from `{}` to `{}`; the code on the wire is the same.",
                                h.code, b.name, h.name
                            ),
                            vec![
                                Anchor::ErrorCode(b.name.clone()),
                                Anchor::ErrorCode(h.name.clone()),
                            ],
                            None,
                        );
                    }
                    self.description(
                        &format!("/x-error-codes/{bi}"),
                        &ptr,
                        &format!("the description of error code `{}`", h.code),
                    );
                }
            }
        }
        for (bi, b) in bc.iter().enumerate() {
            if !hc.iter().any(|h| h.code == b.code) {
                self.emit(
                    "error-code-removed",
                    Side::Base,
                    format!("/x-error-codes/{bi}"),
                    format!(
                        "Business error code `{}` (`{}`) is removed: the server no longer answers it.",
                        b.code, b.name
                    ),
                    vec![Anchor::ErrorCode(b.name.clone())],
                    None,
                );
            }
        }
    }

    fn security(&mut self) {
        self.label = "security".into();
        self.op = None;
        self.group = "Security".into();
        let bs = &self.base.model.security_schemes;
        let hs = &self.head.model.security_schemes;
        let ptr = |n: &str| format!("/components/securitySchemes/{}", escape_token(n));
        let head_required: BTreeSet<String> = requirements(&self.head.value, "")
            .into_iter()
            .flatten()
            .collect();
        for h in hs {
            match bs.iter().find(|b| b.name == h.name) {
                None => {
                    let used = if head_required.contains(&h.name) {
                        "; the spec's security requirements name it"
                    } else {
                        "; no security requirement names it yet"
                    };
                    self.emit(
                        "security-scheme-added",
                        Side::Head,
                        ptr(&h.name),
                        format!(
                            "New security scheme `{}` ({}){used}.",
                            h.name, h.location
                        ),
                        Vec::new(),
                        None,
                    );
                }
                Some(b) if b.location != h.location => self.emit(
                    "security-scheme-changed",
                    Side::Head,
                    ptr(&h.name),
                    format!(
                        "Security scheme `{}` moves from {} to {}: clients that send the credential the old way are rejected.",
                        h.name, b.location, h.location
                    ),
                    Vec::new(),
                    None,
                ),
                Some(_) => {}
            }
        }
        for b in bs {
            if !hs.iter().any(|h| h.name == b.name) {
                self.emit(
                    "security-scheme-removed",
                    Side::Base,
                    ptr(&b.name),
                    format!(
                        "Security scheme `{}` ({}) is removed: clients that authenticate with it are rejected.",
                        b.name, b.location
                    ),
                    Vec::new(),
                    None,
                );
            }
        }
        // Requirements: the document's, then each operation's own.
        let bglobal = requirements(&self.base.value, "");
        let hglobal = requirements(&self.head.value, "");
        self.requirement(&bglobal, &hglobal, "/security", "every operation");
        for h in &self.head.model.operations {
            let Some(b) = self.base.model.operations.iter().find(|b| b.id == h.id) else {
                continue;
            };
            let own = |spec: &Spec, op: &Operation| {
                spec.value
                    .pointer(&format!("{}/security", op.pointer))
                    .is_some()
            };
            if !own(self.base, b) && !own(self.head, h) {
                continue;
            }
            let br = requirements(&self.base.value, &b.pointer);
            let hr = requirements(&self.head.value, &h.pointer);
            self.label = h.id.clone();
            self.requirement(
                &br,
                &hr,
                &format!("{}/security", h.pointer),
                &format!("`{}`", h.id),
            );
        }
    }

    fn requirement(
        &mut self,
        b: &[BTreeSet<String>],
        h: &[BTreeSet<String>],
        ptr: &str,
        what: &str,
    ) {
        let alt = |a: &BTreeSet<String>| {
            if a.is_empty() {
                "no credential".to_owned()
            } else {
                a.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            }
        };
        // A client that satisfies a base alternative still passes if some head alternative asks
        // for no more than it sends.
        let lost: Vec<String> = b
            .iter()
            .filter(|ba| !h.iter().any(|ha| ha.is_subset(ba)))
            .map(alt)
            .collect();
        if lost.is_empty() {
            return;
        }
        let now: Vec<String> = h.iter().map(alt).collect();
        self.emit(
            "security-requirement-tightened",
            Side::Head,
            ptr.to_owned(),
            format!(
                "The security requirements of {what} get stricter: clients that send only {} are rejected; accepted now: {}.",
                lost.join(" or "),
                if now.is_empty() { "nothing".to_owned() } else { now.join(" or ") }
            ),
            Vec::new(),
            None,
        );
    }
}

// Anchors.

fn op_anchors(op: &Operation) -> Vec<Anchor> {
    let mut a = vec![
        Anchor::Item(format!("Client::{}", op.method_name)),
        Anchor::OpConst(op.id.clone()),
        Anchor::OpQuery(op.method_name.clone(), None),
    ];
    if let Some(b) = &op.body {
        a.extend(type_items(&b.ty));
    }
    if let Some(d) = &op.data {
        a.extend(type_items(d));
    }
    a
}

fn param_anchors(b: &Operation, h: &Operation, p: &Param) -> Vec<Anchor> {
    let mut a = Vec::new();
    for op in [b, h] {
        let m = format!("Client::{}", op.method_name);
        a.push(Anchor::Member(m.clone(), format!("arg {}", p.rust_name)));
        a.push(Anchor::Member(m.clone(), "arg query".into()));
        a.push(Anchor::Member(m, "signature".into()));
        a.push(Anchor::OpQuery(
            op.method_name.clone(),
            Some(p.rust_name.clone()),
        ));
        a.push(Anchor::OpQuery(op.method_name.clone(), None));
    }
    a.sort();
    a.dedup();
    a
}

fn field_anchors(o: &Owner, f: &Field) -> Vec<Anchor> {
    let setter = format!("fn with_{}", f.rust_name.trim_end_matches('_'));
    let mut a = Vec::new();
    for key in [&o.bkey, &o.hkey] {
        for m in [
            format!("field {}", f.rust_name),
            "fn new".to_owned(),
            setter.clone(),
            "impl Default".to_owned(),
        ] {
            a.push(Anchor::Member(key.clone(), m));
        }
    }
    a.sort();
    a.dedup();
    a
}

/// The generated types a type names (as items, for added or removed types).
fn type_items(t: &TypeRef) -> impl Iterator<Item = Anchor> {
    let mut out = Vec::new();
    let mut t = t;
    loop {
        match t {
            TypeRef::Named(n) => {
                out.push(Anchor::Item(format!("types::{n}")));
                break;
            }
            TypeRef::Array(i) | TypeRef::Map(i) | TypeRef::OneOrMany(i) => t = i,
            _ => break,
        }
    }
    out.into_iter()
}

// Text.

fn describe(t: &TypeRef) -> String {
    match t {
        TypeRef::String => "string".into(),
        TypeRef::Integer | TypeRef::Int32 => "integer".into(),
        TypeRef::Number => "number".into(),
        TypeRef::Boolean => "boolean".into(),
        TypeRef::FlexibleBoolean => "boolean (or its text)".into(),
        TypeRef::Json => "any JSON".into(),
        TypeRef::Object => "object".into(),
        TypeRef::Named(n) => format!("`{n}`"),
        TypeRef::Array(i) => format!("array of {}", describe(i)),
        TypeRef::Nullable(i) => format!("{} or null", describe(i)),
        TypeRef::Map(i) => format!("map of {}", describe(i)),
        TypeRef::OneOrMany(i) => format!("one or many {}", describe(i)),
    }
}

fn value_text(v: &EnumValue) -> String {
    match v {
        EnumValue::Int(i) => format!("`{i}`"),
        EnumValue::Str(s) => format!("`\"{s}\"`"),
    }
}

/// ` from "…" to "…"`, each side shortened to one line.
fn from_to(b: &str, h: &str) -> String {
    let short = |s: &str| {
        let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if one.is_empty() {
            return "nothing".to_owned();
        }
        let cut: String = one.chars().take(60).collect();
        if cut.len() < one.len() {
            format!("\"{cut}…\"")
        } else {
            format!("\"{cut}\"")
        }
    };
    format!(" from {} to {}", short(b), short(h))
}

// The raw document.

fn normalized_path(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

fn type_pointer(t: &TypeDef) -> String {
    match t {
        TypeDef::Struct(StructDef { pointer, .. }) | TypeDef::Enum(EnumDef { pointer, .. }) => {
            pointer.clone()
        }
        TypeDef::Union(u) => u.pointer.clone(),
    }
}

/// Follows `$ref`s from a pointer to the node that defines it.
pub(crate) fn resolve(root: &Value, pointer: &str) -> String {
    let mut p = pointer.to_owned();
    for _ in 0..16 {
        match root
            .pointer(&p)
            .and_then(|n| n.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(target) => p = target.to_owned(),
            None => break,
        }
    }
    p
}

/// The pointer of a property of a schema, looking through `$ref` and `allOf` (later members win).
pub(crate) fn property_pointer(root: &Value, schema: &str, name: &str) -> Option<String> {
    fn go(root: &Value, schema: &str, name: &str, depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        let schema = resolve(root, schema);
        let node = root.pointer(&schema)?;
        if node.get("properties").and_then(|p| p.get(name)).is_some() {
            return Some(format!("{schema}/properties/{}", escape_token(name)));
        }
        let all = node.get("allOf").and_then(Value::as_array)?;
        (0..all.len())
            .rev()
            .find_map(|i| go(root, &format!("{schema}/allOf/{i}"), name, depth + 1))
    }
    go(root, schema, name, 0)
}

/// The pointer of a parameter's definition (inline, or in `components/parameters`).
fn param_pointer(spec: &Spec, op: &Operation, name: &str, loc: &str) -> String {
    let path_item = op
        .pointer
        .rsplit_once('/')
        .map(|(p, _)| p.to_owned())
        .unwrap_or_default();
    for list in [
        format!("{}/parameters", op.pointer),
        format!("{path_item}/parameters"),
    ] {
        let Some(items) = spec.value.pointer(&list).and_then(Value::as_array) else {
            continue;
        };
        for i in (0..items.len()).rev() {
            let p = resolve(&spec.value, &format!("{list}/{i}"));
            let node = spec.value.pointer(&p);
            let is =
                |k: &str, v: &str| node.and_then(|n| n.get(k)).and_then(Value::as_str) == Some(v);
            if is("name", name) && is("in", loc) {
                return p;
            }
        }
    }
    op.pointer.clone()
}

/// A text field of a node (or of the schema its `$ref` names), and whether the node has its own.
fn text_at(root: &Value, pointer: &str, key: &str) -> (String, bool) {
    let text = |p: &str| {
        root.pointer(p)
            .and_then(|n| n.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match text(pointer) {
        Some(t) => (t, true),
        None => (text(&resolve(root, pointer)).unwrap_or_default(), false),
    }
}

/// The pointer of one value in an enum's `enum` list (also inside `anyOf`/`oneOf` members).
fn enum_value_pointer(root: &Value, pointer: &str, value: &EnumValue) -> String {
    let p = resolve(root, pointer);
    let matches = |v: &Value| match value {
        EnumValue::Int(i) => v.as_i64() == Some(*i),
        EnumValue::Str(s) => v.as_str() == Some(s.as_str()),
    };
    let find = |base: &str| -> Option<String> {
        let list = root.pointer(&format!("{base}/enum"))?.as_array()?;
        let i = list.iter().position(matches)?;
        Some(format!("{base}/enum/{i}"))
    };
    if let Some(found) = find(&p) {
        return found;
    }
    for key in ["anyOf", "oneOf"] {
        let n = root
            .pointer(&format!("{p}/{key}"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..n {
            if let Some(found) = find(&format!("{p}/{key}/{i}")) {
                return found;
            }
        }
    }
    p
}

/// Validation keywords of the schema at a pointer.
fn constraints_at(root: &Value, pointer: &str) -> crate::model::Constraints {
    let node = root.pointer(&resolve(root, pointer));
    let num = |k: &str| node.and_then(|n| n.get(k)).and_then(Value::as_f64);
    let int = |k: &str| node.and_then(|n| n.get(k)).and_then(Value::as_u64);
    crate::model::Constraints {
        minimum: num("minimum"),
        maximum: num("maximum"),
        min_length: int("minLength"),
        max_length: int("maxLength"),
        pattern: node
            .and_then(|n| n.get("pattern"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        enumeration: Vec::new(),
    }
}

/// How the constraints change from `b` to `h`: what got stricter, and what got looser.
fn constraint_changes(
    b: &crate::model::Constraints,
    h: &crate::model::Constraints,
) -> (Vec<String>, Vec<String>) {
    let (mut stricter, mut looser) = (Vec::new(), Vec::new());
    let text = |v: Option<f64>| v.map_or("none".to_owned(), |v| v.to_string());
    // For an upper bound a lower value is stricter; for a lower bound a higher one.
    let mut bound = |name: &str, b: Option<f64>, h: Option<f64>, upper: bool| {
        let line = format!("{name} {} → {}", text(b), text(h));
        match (b, h) {
            (None, Some(_)) => stricter.push(line),
            (Some(_), None) => looser.push(line),
            (Some(x), Some(y)) if (y < x) == upper && x != y => stricter.push(line),
            (Some(x), Some(y)) if x != y => looser.push(line),
            _ => {}
        }
    };
    let f = |v: Option<u64>| v.map(|v| v as f64);
    bound("maximum", b.maximum, h.maximum, true);
    bound("minimum", b.minimum, h.minimum, false);
    bound("maxLength", f(b.max_length), f(h.max_length), true);
    bound("minLength", f(b.min_length), f(h.min_length), false);
    match (&b.pattern, &h.pattern) {
        (None, Some(p)) => stricter.push(format!("pattern `{p}` added")),
        (Some(p), None) => looser.push(format!("pattern `{p}` removed")),
        (Some(x), Some(y)) if x != y => stricter.push(format!("pattern `{x}` → `{y}`")),
        _ => {}
    }
    (stricter, looser)
}

/// The security requirement alternatives in force at an operation (`""` for the document's).
fn requirements(root: &Value, op_pointer: &str) -> Vec<BTreeSet<String>> {
    let own = if op_pointer.is_empty() {
        None
    } else {
        root.pointer(&format!("{op_pointer}/security"))
    };
    let list = own.or_else(|| root.get("security"));
    list.and_then(Value::as_array)
        .map(|alts| {
            alts.iter()
                .map(|a| {
                    a.as_object()
                        .map(|o| o.keys().cloned().collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The properties of an event member beside `cmd` and `data`, through `$ref` and `allOf`: name to
/// (required, schema without descriptions).
fn envelope(root: &Value, schema: &str) -> BTreeMap<String, (bool, Value)> {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| *k != "description" && *k != "example")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    fn go(root: &Value, schema: &str, out: &mut BTreeMap<String, (bool, Value)>, depth: usize) {
        if depth > 16 {
            return;
        }
        let schema = resolve(root, schema);
        let Some(node) = root.pointer(&schema) else {
            return;
        };
        if let Some(all) = node.get("allOf").and_then(Value::as_array) {
            for i in 0..all.len() {
                go(root, &format!("{schema}/allOf/{i}"), out, depth + 1);
            }
        }
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                if name == "cmd" || name == "data" {
                    continue;
                }
                let ptr = format!("{schema}/properties/{}", escape_token(name));
                let shape = root
                    .pointer(&resolve(root, &ptr))
                    .map_or(Value::Null, strip);
                let entry = out.entry(name.clone()).or_insert((false, Value::Null));
                entry.1 = if prop.get("$ref").is_some() {
                    shape
                } else {
                    strip(prop)
                };
            }
        }
        for r in required {
            if let Some(e) = out.get_mut(r) {
                e.0 = true;
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, schema, &mut out, 0);
    out
}

/// What changes between two envelopes, one phrase per property.
fn envelope_changes(
    b: &BTreeMap<String, (bool, Value)>,
    h: &BTreeMap<String, (bool, Value)>,
) -> Vec<String> {
    let word = |r: bool| if r { "required" } else { "optional" };
    let mut out = Vec::new();
    for (name, (breq, bshape)) in b {
        match h.get(name) {
            None => out.push(format!("{} `{name}` is removed", word(*breq))),
            Some((hreq, hshape)) => {
                if breq != hreq {
                    out.push(format!("`{name}` becomes {}", word(*hreq)));
                }
                if bshape != hshape {
                    out.push(format!("the type of `{name}` changes"));
                }
            }
        }
    }
    for (name, (hreq, _)) in h {
        if !b.contains_key(name) {
            out.push(format!("{} `{name}` is added", word(*hreq)));
        }
    }
    out
}
