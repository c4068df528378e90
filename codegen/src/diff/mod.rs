//! What changed between two versions of the spec: in the HTTP API, and in the generated Rust API.
//!
//! [`diff`] walks both models operation by operation and compares schemas by shape (a renamed path
//! parameter, or a schema moved behind a `$ref`, is no change). It then runs the generator on both
//! specs, reads the public items of both outputs back with `syn` (struct fields and their types,
//! `new` signatures, setters, enum variants, trait impls, `Client` method signatures) and matches
//! their differences to the HTTP changes by type, field, variant and method name. Each [`Change`]
//! says what happens to code that uses the crate; Rust differences no HTTP change explains are
//! reported on their own (`rust-api-changed`). [`Report::suggested_bump`] turns the Rust side into
//! a semver bump for `classroom-api`.
//!
//! `cargo xtask diff` reads the two specs (files or git revisions) and prints a [`Report`] as
//! markdown, JSON, text, GitHub Actions annotations, SARIF 2.1.0, JUnit XML or a Keep-a-Changelog
//! section. Every change has a [`Change::fingerprint`]; `spec/diff-accept.yaml` ([`AcceptFile`])
//! accepts changes by fingerprint, or by rule id and pointer, with a reason and an optional expiry
//! ([`Report::accept`]); [`Report::fails_on`] decides the exit status from [`FailOn`] gates, HTTP
//! levels or `rust-breaking`. [`diff_cached`] keeps the generated side of each spec in a
//! [`SurfaceCache`], so a warm run generates nothing.
//!
//! # Rules
//!
//! The level is the HTTP view: `breaking` fails existing clients, `warning` may, `info` does not.
//! The Rust view is separate: each change says whether it breaks code built on the crate.
//! Rule ids are stable; tools may match on them.
//!
//! | Rule | Level | When |
//! |------|-------|------|
//! | `operation-added` | info | A new operation. |
//! | `operation-removed` | breaking | An operation is gone (by method and path, and by `operationId`). |
//! | `operation-id-changed` | info | Same method and path, new `operationId`: the Rust method is renamed. |
//! | `operation-path-changed` | breaking | Same `operationId`, new method or path. |
//! | `operation-deprecated` | warning | An operation becomes `deprecated`. |
//! | `success-status-removed` | breaking | The success status changes (e.g. `200` to `201`). |
//! | `parameter-added-required` | breaking | A new required query parameter. |
//! | `parameter-added-optional` | info | A new optional query parameter. |
//! | `parameter-became-required` | breaking | An optional query parameter becomes required. |
//! | `parameter-became-optional` | info | A required query parameter becomes optional. |
//! | `parameter-removed` | warning | A query parameter is gone. |
//! | `parameter-type-changed` | breaking | A parameter's type changes. |
//! | `parameter-enum-value-removed` | breaking | A parameter no longer accepts an enum value. |
//! | `parameter-enum-value-added` | info | A parameter accepts a new enum value. |
//! | `parameter-constraint-tightened` | breaking | `maximum` lowered, `minimum` raised, `maxLength` lowered, `minLength` raised, or a `pattern` added or changed (also when the keyword is new). |
//! | `parameter-constraint-loosened` | info | The reverse. |
//! | `request-body-became-required` | breaking | The body becomes required (also: a required body where there was none). |
//! | `request-body-became-optional` | info | The body becomes optional. |
//! | `request-body-added` | info | An optional body where there was none. |
//! | `request-body-removed` | warning | The body is gone. |
//! | `request-body-type-changed` | breaking | The body's type changes (e.g. object to array). |
//! | `request-property-added-required` | breaking | A new required property in a request. |
//! | `request-property-added-optional` | info | A new optional property in a request. |
//! | `request-property-became-required` | breaking | A request property becomes required, or no longer nullable. |
//! | `request-property-became-optional` | info | A request property becomes optional, or nullable. |
//! | `request-property-removed` | warning | A request property is gone. |
//! | `request-property-type-changed` | breaking | A request property's type changes. |
//! | `request-property-constraint-tightened` | breaking | As for parameters, on a request property. |
//! | `request-enum-value-removed` | breaking | An enum used in a request loses a value. |
//! | `request-enum-value-added` | info | An enum used in a request gains a value. |
//! | `response-property-removed-required` | breaking | A required response property is gone. |
//! | `response-property-removed-optional` | warning | An optional response property is gone. |
//! | `response-property-became-optional` | breaking | A response property is no longer required, or becomes nullable. |
//! | `response-property-became-required` | info | A response property becomes required, or no longer nullable. |
//! | `response-property-added` | info | A new response property (or `data` where there was none). |
//! | `response-property-type-changed` | breaking | A response property's type changes (also an event's `data`). |
//! | `response-data-type-changed` | breaking | The type of the response `data` changes, or `data` is gone. |
//! | `response-enum-value-added` | warning | An enum used in a response gains a value (safe for the crate: `Unknown`). |
//! | `response-enum-value-removed` | info | An enum used in a response loses a value. |
//! | `event-cmd-added` | warning | A new event `cmd` (safe for the crate: `Unknown`). |
//! | `event-cmd-removed` | warning | An event `cmd` is gone (also: a `oneOf` member dropped from the union while its schema stays). |
//! | `event-cmd-changed` | breaking | A `oneOf` member of the event union keeps its schema but carries another `cmd`. |
//! | `event-envelope-changed` | warning | An event's fields beside `cmd` and `data` change through its own `allOf` member, not with the shared envelope. |
//! | `error-code-added` | info | A new business error code in `x-error-codes`. |
//! | `error-code-removed` | warning | A business error code is gone. |
//! | `error-code-renamed` | info | Same code, new name: the Rust variant is renamed. |
//! | `security-scheme-added` | warning | A new security scheme. |
//! | `security-scheme-removed` | breaking | A security scheme is gone. |
//! | `security-scheme-changed` | breaking | A security scheme moves (e.g. to another header). |
//! | `security-requirement-tightened` | breaking | A credential set that was enough is not any more. |
//! | `type-renamed` | info | Same shape under a new schema name: the Rust type is renamed. |
//! | `description-changed` | info | A summary or description changes. |
//! | `rust-api-changed` | info | The generated Rust API changes where no HTTP change explains it. |
//!
//! Event payloads and the fields beside `cmd` are compared as responses (the `response-*` rules,
//! in the group `Events`). A change in a schema that several operations share is reported once,
//! under the first operation, with the others in [`Change::also`].
//!
//! # Semver
//!
//! A change whose Rust differences include one that can break code built on the crate needs a
//! major release (a minor one while the crate is 0.x); one that only adds items needs a minor
//! release (a patch while 0.x); any other change a patch. The generated crate's facts decide:
//! every struct and enum is `#[non_exhaustive]`, so new fields and variants add; a new required
//! field changes `new(...)`, which breaks; enums keep unknown values in `Unknown(..)`.

mod accept;
mod ci;
mod http;
mod render;
mod surface;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Spec;
pub use accept::{
    AcceptError, AcceptFile, AcceptProblem, Accepted, Date, Entry, ProblemKind, Selector,
};
pub use http::Side;
use http::{Anchor, Found, Note};
use surface::{Delta, Surface};

/// How much a change matters to HTTP clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Existing clients keep working.
    Info,
    /// Existing clients may fail, depending on how they read the API.
    Warning,
    /// Existing clients fail.
    Breaking,
}

impl Level {
    /// `info`, `warning` or `breaking`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A semver bump of `classroom-api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Nothing changed.
    None,
    /// Documentation or behaviour behind an unchanged API.
    Patch,
    /// New public items only.
    Minor,
    /// Code built on the previous release may not compile.
    Major,
}

impl Bump {
    /// `none`, `patch`, `minor` or `major`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }

    /// The same bump for a crate whose version is 0.x, where the minor number breaks.
    pub fn while_zero(self) -> Bump {
        match self {
            Bump::Major => Bump::Minor,
            Bump::Minor | Bump::Patch => Bump::Patch,
            Bump::None => Bump::None,
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The stable id (`operation-removed`).
    pub id: &'static str,
    /// Its level for HTTP clients.
    pub level: Level,
}

macro_rules! rules {
    ($($id:literal => $level:ident,)*) => {
        /// Every rule, in the order of the table in the module documentation.
        pub const RULES: &[Rule] = &[$(Rule { id: $id, level: Level::$level },)*];
    };
}

rules! {
    "operation-added" => Info,
    "operation-removed" => Breaking,
    "operation-id-changed" => Info,
    "operation-path-changed" => Breaking,
    "operation-deprecated" => Warning,
    "success-status-removed" => Breaking,
    "parameter-added-required" => Breaking,
    "parameter-added-optional" => Info,
    "parameter-became-required" => Breaking,
    "parameter-became-optional" => Info,
    "parameter-removed" => Warning,
    "parameter-type-changed" => Breaking,
    "parameter-enum-value-removed" => Breaking,
    "parameter-enum-value-added" => Info,
    "parameter-constraint-tightened" => Breaking,
    "parameter-constraint-loosened" => Info,
    "request-body-became-required" => Breaking,
    "request-body-became-optional" => Info,
    "request-body-added" => Info,
    "request-body-removed" => Warning,
    "request-body-type-changed" => Breaking,
    "request-property-added-required" => Breaking,
    "request-property-added-optional" => Info,
    "request-property-became-required" => Breaking,
    "request-property-became-optional" => Info,
    "request-property-removed" => Warning,
    "request-property-type-changed" => Breaking,
    "request-property-constraint-tightened" => Breaking,
    "request-enum-value-removed" => Breaking,
    "request-enum-value-added" => Info,
    "response-property-removed-required" => Breaking,
    "response-property-removed-optional" => Warning,
    "response-property-became-optional" => Breaking,
    "response-property-became-required" => Info,
    "response-property-added" => Info,
    "response-property-type-changed" => Breaking,
    "response-data-type-changed" => Breaking,
    "response-enum-value-added" => Warning,
    "response-enum-value-removed" => Info,
    "event-cmd-added" => Warning,
    "event-cmd-removed" => Warning,
    "event-cmd-changed" => Breaking,
    "event-envelope-changed" => Warning,
    "error-code-added" => Info,
    "error-code-removed" => Warning,
    "error-code-renamed" => Info,
    "security-scheme-added" => Warning,
    "security-scheme-removed" => Breaking,
    "security-scheme-changed" => Breaking,
    "security-requirement-tightened" => Breaking,
    "type-renamed" => Info,
    "description-changed" => Info,
    "rust-api-changed" => Info,
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// A rule's id, `&'static str`: one of [`RULES`]. (Named, so that the derived `Deserialize` of
/// [`Change`] sees no borrowed lifetime and reads the id through `rule_id`.)
pub type RuleId = &'static str;

/// One change between the two specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// A stable id of this change (16 hex digits), from its rule and pointer (for `rust-api-changed`,
    /// its Rust item): the same change has the same fingerprint in every run and every format, and
    /// `spec/diff-accept.yaml` can name it.
    pub fingerprint: String,
    /// The stable rule id (see [`RULES`]).
    #[serde(deserialize_with = "rule_id")]
    pub rule: RuleId,
    /// The rule's level.
    pub level: Level,
    /// The `operationId` the change was found under (`None` for events, error codes, security and
    /// Rust-only changes).
    pub operation: Option<String>,
    /// The heading the change is listed under.
    pub group: String,
    /// Other operations (or `events`) that the same change affects, through a shared schema.
    pub also: Vec<String>,
    /// JSON pointer of the changed node: in the head, or in the base for removals.
    pub pointer: String,
    /// Which spec `pointer` and `line` belong to.
    pub side: Side,
    /// The 1-based line of `pointer` in its spec, when known.
    pub line: Option<usize>,
    /// One sentence on the HTTP change.
    pub message: String,
    /// What happens to code that uses the generated crate.
    pub rust_impact: String,
    /// Whether code built on the base's crate may stop compiling.
    pub rust_breaking: bool,
    /// The release this change alone needs.
    pub bump: Bump,
    /// Set when the accept file accepts the change: it is reported, but fails no `--fail-on`.
    /// Not read back by [`Report::from_cache`]: a cached report is the diff before the accept file.
    #[serde(skip_deserializing)]
    pub accepted: Option<Accepted>,
}

/// What makes `cargo xtask diff` exit 1: any of these, for a change that is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// A change at this level or above, for HTTP clients.
    Level(Level),
    /// A change that can break code built on the generated crate, whatever its HTTP level.
    RustBreaking,
}

impl FailOn {
    /// Whether this gate catches the change (accepted or not).
    pub fn catches(self, c: &Change) -> bool {
        match self {
            FailOn::Level(l) => c.level >= l,
            FailOn::RustBreaking => c.rust_breaking,
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::Level(l) => write!(f, "{l}"),
            FailOn::RustBreaking => f.write_str("rust-breaking"),
        }
    }
}

impl Change {
    /// Whether the change fails one of the gates: it is caught and not accepted.
    pub fn fails(&self, gates: &[FailOn]) -> bool {
        self.accepted.is_none() && gates.iter().any(|g| g.catches(self))
    }
}

/// Every change between two specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The base spec's name.
    pub base: String,
    /// The head spec's name.
    pub head: String,
    /// The changes, grouped by operation in spec order, then events, error codes, security and
    /// Rust-only changes.
    pub changes: Vec<Change>,
    /// Entries of the accept file that expired or name no change (see [`Report::accept`]).
    #[serde(skip_deserializing)]
    pub accept_problems: Vec<AcceptProblem>,
}

/// Where the CI formats point: the spec's path in the repository, for file locations.
#[derive(Debug, Clone, Copy)]
pub struct Ci<'a> {
    /// What fails the check: a failing change is an error, others are warnings or notes.
    pub gates: &'a [FailOn],
    /// The head spec's path relative to the repository root (`spec/classroom.yaml`). Changes found
    /// in the base (removals) point at the file without a line.
    pub spec_path: &'a str,
}

impl Report {
    /// The semver bump `classroom-api` needs (for a 0.x version, see [`Bump::while_zero`]).
    pub fn suggested_bump(&self) -> Bump {
        self.changes
            .iter()
            .map(|c| c.bump)
            .max()
            .unwrap_or(Bump::None)
    }

    /// The number of changes at a level.
    pub fn count(&self, level: Level) -> usize {
        self.changes.iter().filter(|c| c.level == level).count()
    }

    /// The number of changes that break code built on the crate.
    pub fn rust_breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.rust_breaking).count()
    }

    /// The highest level of any change.
    pub fn max_level(&self) -> Option<Level> {
        self.changes.iter().map(|c| c.level).max()
    }

    /// Whether a change at `fail_on` or above was found and not accepted, or the accept file has a
    /// problem (`cargo xtask diff` then exits 1).
    pub fn fails(&self, fail_on: Level) -> bool {
        self.fails_on(&[FailOn::Level(fail_on)])
    }

    /// Whether a change that is not accepted fails one of the gates, or the accept file has a problem.
    pub fn fails_on(&self, gates: &[FailOn]) -> bool {
        !self.accept_problems.is_empty() || self.changes.iter().any(|c| c.fails(gates))
    }

    /// Marks the changes that `file` accepts on `today` (entries past their date accept nothing)
    /// and records its expired and unmatched entries in [`Report::accept_problems`].
    pub fn accept(&mut self, file: &AcceptFile, today: Date) {
        accept::apply(self, file, today);
    }

    /// The number of accepted changes.
    pub fn accepted(&self) -> usize {
        self.changes.iter().filter(|c| c.accepted.is_some()).count()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Markdown for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        render::markdown(self)
    }

    /// JSON for tools: stable rule ids, levels, pointers.
    pub fn to_json(&self) -> String {
        render::json(self)
    }

    /// Plain text for a terminal.
    pub fn to_text(&self) -> String {
        render::text(self)
    }

    /// GitHub Actions workflow commands (`::error file=…,line=…::…`), one per change and problem.
    pub fn to_github(&self, ci: Ci<'_>) -> String {
        ci::github(self, ci)
    }

    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    pub fn to_sarif(&self, ci: Ci<'_>) -> String {
        ci::sarif(self, ci)
    }

    /// JUnit XML: one test case per change and per accept problem; failing ones fail.
    pub fn to_junit(&self, ci: Ci<'_>) -> String {
        ci::junit(self, ci)
    }

    /// The Keep-a-Changelog section (`## [Unreleased]`) for the release of `classroom-api`.
    pub fn to_changelog(&self) -> String {
        render::changelog(self)
    }

    /// The report as [`Report::from_cache`] reads it back, for a [`SurfaceCache`] under
    /// [`report_key`]. Accept marks and problems are not kept: store a report before
    /// [`Report::accept`].
    pub fn to_cache(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A report back from [`Report::to_cache`]; `None` for anything else (an unknown rule id
    /// included).
    pub fn from_cache(text: &str) -> Option<Report> {
        serde_json::from_str(text).ok()
    }
}

/// The cache key of the report of two specs, each given by its name and text: the same pair
/// gives the same report, so a repeated run (another `--format`, the same change reviewed again)
/// neither loads nor compares the specs.
pub fn report_key(base: (&str, &str), head: (&str, &str)) -> String {
    let mut text = String::with_capacity(base.1.len() + head.1.len() + 64);
    for (name, body) in [base, head] {
        text.push_str(&name.len().to_string());
        text.push(':');
        text.push_str(name);
        text.push_str(&body.len().to_string());
        text.push(':');
        text.push_str(body);
    }
    format!(
        "report-{}-{}",
        env!("CARGO_PKG_VERSION"),
        content_key(&text)
    )
}

/// A rule id read back: one of [`RULES`].
fn rule_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let id = String::deserialize(d)?;
    rule(&id)
        .map(|r| r.id)
        .ok_or_else(|| serde::de::Error::custom(format!("`{id}` is not a rule")))
}

/// Where [`diff_cached`] keeps the public Rust API of a spec's generated crate between runs.
///
/// Keys name a spec's content (and the version of this crate); values are opaque text. A store
/// that can hold files of another generator build must put that build in its keys.
pub trait SurfaceCache: Sync {
    /// The value stored under `key`, if any.
    fn get(&self, key: &str) -> Option<String>;
    /// Stores a value (failures are ignored: the cache only saves time).
    fn put(&self, key: &str, value: &str);
}

/// Compares two loaded specs.
pub fn diff(base: &Spec, head: &Spec) -> Report {
    diff_with(base, head, None)
}

/// Compares two loaded specs, reading and storing the Rust side of each in `cache`: a spec seen
/// before is neither generated nor parsed again.
pub fn diff_cached(base: &Spec, head: &Spec, cache: &dyn SurfaceCache) -> Report {
    diff_with(base, head, Some(cache))
}

fn diff_with(base: &Spec, head: &Spec, cache: Option<&dyn SurfaceCache>) -> Report {
    // Generating and reading back both crates is most of the work: one thread per side.
    let (bsurf, (found, hints), hsurf) = std::thread::scope(|scope| {
        let b = scope.spawn(|| cached_surface(base, cache));
        let h = scope.spawn(|| cached_surface(head, cache));
        let walked = http::walk(base, head);
        let join = |t: std::thread::ScopedJoinHandle<'_, Result<Surface, String>>| {
            t.join()
                .unwrap_or_else(|_| Err("the generator panicked".to_owned()))
        };
        (join(b), walked, join(h))
    });
    let surfaces = bsurf.and_then(|b| Ok((b, hsurf?)));
    let mut changes = Vec::new();
    match surfaces {
        Ok((bs, hs)) => {
            let renames = renames(&hints, &bs, &hs);
            let deltas = surface::diff(&bs, &hs, &renames);
            let mut used = vec![false; deltas.len()];
            for f in found {
                let targets = resolve_anchors(&f.anchors, &bs, &hs);
                let matched: Vec<&Delta> = deltas
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| targets.iter().any(|t| hits(d, t)))
                    .map(|(i, d)| {
                        used[i] = true;
                        d
                    })
                    .collect();
                let note = f.note.as_ref().map(|n| note_text(n, &bs, &hs));
                changes.push(change(base, head, f, &matched, note));
            }
            // What no HTTP change explains, one change per Rust item.
            let mut rest: Vec<(&str, Vec<&Delta>)> = Vec::new();
            for (d, _) in deltas.iter().zip(&used).filter(|(_, u)| !**u) {
                match rest.iter_mut().find(|(item, _)| *item == d.item) {
                    Some((_, list)) => list.push(d),
                    None => rest.push((&d.item, vec![d])),
                }
            }
            for (_, list) in rest {
                changes.push(leftover(base, head, &bs, &hs, &list));
            }
        }
        Err(err) => {
            for f in found {
                let impact = format!("Unknown: the generator failed on a spec ({err}).");
                let mut c = change(base, head, f, &[], None);
                c.rust_impact = impact;
                changes.push(c);
            }
        }
    }
    unique_fingerprints(&mut changes);
    Report {
        base: base.file.clone(),
        head: head.file.clone(),
        changes,
        accept_problems: Vec::new(),
    }
}

/// FNV-1a (64 bits) of the parts, each followed by a NUL: stable across runs, platforms and releases.
fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// A 64-bit key of a long text, eight bytes at a time (FNV-1a's constants over words, plus the
/// length): fast even in a debug build, and only ever compared with keys this function made.
fn content_key(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ text.len() as u64;
    let mut chunks = text.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x0100_0000_01b3);
        h ^= h >> 29;
    }
    for b in chunks.remainder() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A second change with the same fingerprint (the same rule at the same node) is told apart by its
/// position among them.
fn unique_fingerprints(changes: &mut [Change]) {
    let mut seen = std::collections::BTreeSet::new();
    for c in changes {
        let mut n = 1;
        while !seen.insert(c.fingerprint.clone()) {
            n += 1;
            c.fingerprint = fingerprint(&[c.rule, &c.pointer, &c.message, &n.to_string()]);
        }
    }
}

fn surface_of(spec: &Spec) -> Result<Surface, String> {
    let generated = crate::generate_from(spec).map_err(|e| e.to_string())?;
    surface::read(&generated)
}

/// The surface of a spec, from the cache when it holds one for the same content.
fn cached_surface(spec: &Spec, cache: Option<&dyn SurfaceCache>) -> Result<Surface, String> {
    let Some(cache) = cache else {
        return surface_of(spec);
    };
    let text = serde_json::to_string(&spec.value).unwrap_or_default();
    let key = format!(
        "surface-{}-{}",
        env!("CARGO_PKG_VERSION"),
        content_key(&text)
    );
    if let Some(s) = cache.get(&key).as_deref().and_then(surface::from_json) {
        return Ok(s);
    }
    let s = surface_of(spec)?;
    cache.put(&key, &surface::to_json(&s));
    Ok(s)
}

/// Item renames for the surface diff: types from the walk, and what an `operationId` change renames.
fn renames(hints: &http::Hints, bs: &Surface, hs: &Surface) -> BTreeMap<String, String> {
    let mut out = hints.renames.clone();
    for (bid, hid, bm, hm) in &hints.op_ids {
        out.insert(format!("Client::{bm}"), format!("Client::{hm}"));
        if let (Some(b), Some(h)) = (bs.op_consts.get(bid), hs.op_consts.get(hid)) {
            out.insert(b.clone(), h.clone());
        }
        if let (Some(b), Some(h)) = (query_struct(bs, bm), query_struct(hs, hm)) {
            out.insert(b, h);
        }
    }
    out
}

/// The optional-query struct of a method: the type of its `query` argument.
fn query_struct(s: &Surface, method: &str) -> Option<String> {
    let item = s.items.get(&format!("Client::{method}"))?;
    let (_, ty) = item.args.iter().find(|(n, _)| n == "query")?;
    let name = ty.trim_start_matches('&').rsplit("::").next()?;
    Some(format!("operations::{name}"))
}

/// The only enum of a generated module (`events`, `error_codes`).
fn enum_in(s: &Surface, ns: &str) -> Option<String> {
    s.items
        .iter()
        .find(|(k, i)| i.kind == "enum" && k.starts_with(&format!("{ns}::")))
        .map(|(k, _)| k.clone())
}

/// Item key and member (`None`: the item as a whole).
type Target = (String, Option<String>);

fn resolve_anchors(anchors: &[Anchor], bs: &Surface, hs: &Surface) -> Vec<Target> {
    let mut out = Vec::new();
    for a in anchors {
        match a {
            Anchor::Item(k) => out.push((k.clone(), None)),
            Anchor::Member(k, m) => out.push((k.clone(), Some(m.clone()))),
            Anchor::OpConst(id) => {
                for s in [bs, hs] {
                    if let Some(k) = s.op_consts.get(id) {
                        out.push((k.clone(), None));
                    }
                }
            }
            Anchor::OpQuery(method, field) => {
                for s in [bs, hs] {
                    let Some(k) = query_struct(s, method) else {
                        continue;
                    };
                    match field {
                        None => out.push((k, None)),
                        Some(f) => {
                            out.push((k.clone(), Some(format!("field {f}"))));
                            out.push((k, Some(format!("fn {f}"))));
                        }
                    }
                }
            }
            Anchor::EventVariant(v) => {
                for s in [bs, hs] {
                    if let Some(k) = enum_in(s, "events") {
                        out.push((k, Some(format!("variant {v}"))));
                    }
                }
            }
            Anchor::ErrorCode(v) => {
                for s in [bs, hs] {
                    if let Some(k) = enum_in(s, "error_codes") {
                        out.push((k, Some(format!("variant {v}"))));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn hits(d: &Delta, (item, member): &Target) -> bool {
    (&d.item == item || d.old_item.as_ref() == Some(item)) && &d.member == member
}

/// What the generated `Unknown` variants do with a value the current release does not know.
fn note_text(note: &Note, bs: &Surface, hs: &Surface) -> String {
    let unknown = |key: &str| {
        bs.items
            .get(key)
            .and_then(|i| i.members.get("variant Unknown"))
            .is_some()
    };
    let name = |key: &str| key.rsplit("::").next().unwrap_or(key).to_owned();
    match note {
        Note::EnumValue { item, value } => {
            let n = name(item);
            if unknown(item) {
                format!(
                    "Safe for code built on the current release: `{n}` keeps values it does not know in `{n}::Unknown`, so {value} decodes as `{n}::Unknown(..)` until users upgrade."
                )
            } else {
                format!(
                    "Code built on the current release cannot decode {value}: `{n}` has no `Unknown` variant."
                )
            }
        }
        Note::EventCmd { cmd } => match enum_in(bs, "events").or_else(|| enum_in(hs, "events")) {
            Some(k) if unknown(&k) => {
                let n = name(&k);
                format!(
                    "Safe for code built on the current release: an event with `cmd` {cmd} decodes as `{n}::Unknown {{ cmd: {cmd}, .. }}`; after the upgrade it decodes as the new variant, so code that matched `Unknown` for it must move to the variant."
                )
            }
            _ => {
                format!("Code built on the current release cannot decode events with `cmd` {cmd}.")
            }
        },
        Note::EventCmdChanged { from, to } => {
            match enum_in(bs, "events").or_else(|| enum_in(hs, "events")) {
                Some(k) if unknown(&k) => {
                    let n = name(&k);
                    format!(
                        "Code built on the current release decodes the renumbered event (`cmd` {to}) as `{n}::Unknown {{ cmd: {to}, .. }}` and never sees its variant again until users upgrade; after the upgrade `cmd` {from} is `Unknown`."
                    )
                }
                _ => format!(
                    "Code built on the current release cannot decode events with `cmd` {to}."
                ),
            }
        }
        Note::ErrorCode { code } => {
            match enum_in(bs, "error_codes").or_else(|| enum_in(hs, "error_codes")) {
                Some(k) if unknown(&k) => {
                    let n = name(&k);
                    format!(
                        "Code built on the current release sees `{n}::Unknown({code})`; after the upgrade it sees the new variant, so code that matched `Unknown({code})` must move to it."
                    )
                }
                _ => format!("Code built on the current release does not know the code {code}."),
            }
        }
    }
}

/// The Rust impact when no public item changes.
fn quiet_impact(rule: &str) -> &'static str {
    match rule {
        "description-changed" => "Only rustdoc changes.",
        "success-status-removed" => {
            "No public item of the generated crate changes (the client treats every 2xx status as success)."
        }
        "operation-path-changed" => {
            "No public item of the generated crate changes: the method keeps its name and signature and calls the new address, so code built on the current release calls the old one until users upgrade."
        }
        r if r.starts_with("security-") => {
            "No public item of the generated crate changes; authentication is hand-written (`classroom-api/src/auth.rs`): check that it sends what the spec now asks for."
        }
        "event-envelope-changed" => {
            "No public item of the generated crate changes: `Event` takes the fields beside `cmd` and `data` from the first member of the union, so for this event they are read as that member declares them (a field now missing from it is a malformed event, which does not fail its page)."
        }
        r if r.contains("constraint") => {
            "No public item of the generated crate changes; the server enforces the constraint."
        }
        _ => "No public item of the generated crate changes.",
    }
}

fn change(base: &Spec, head: &Spec, f: Found, matched: &[&Delta], note: Option<String>) -> Change {
    debug_assert!(rule(f.rule).is_some(), "rule `{}` is not in RULES", f.rule);
    let level = rule(f.rule).map_or(Level::Breaking, |r| r.level);
    let rust_breaking = matched.iter().any(|d| d.breaking);
    let bump = if rust_breaking {
        Bump::Major
    } else if !matched.is_empty() {
        Bump::Minor
    } else {
        Bump::Patch
    };
    let mut parts: Vec<String> = note.into_iter().collect();
    parts.extend(matched.iter().map(|d| d.text.clone()));
    if parts.is_empty() {
        parts.push(quiet_impact(f.rule).to_owned());
    }
    let spec = match f.side {
        Side::Base => base,
        Side::Head => head,
    };
    Change {
        fingerprint: fingerprint(&[f.rule, &f.pointer]),
        rule: f.rule,
        level,
        side: f.side,
        accepted: None,
        line: spec.line(&f.pointer),
        operation: f.operation,
        group: f.group,
        also: f.also,
        pointer: f.pointer,
        message: f.message,
        rust_impact: parts.join(" "),
        rust_breaking,
        bump,
    }
}

/// Rust differences of one item that no HTTP change explains.
fn leftover(base: &Spec, head: &Spec, bs: &Surface, hs: &Surface, deltas: &[&Delta]) -> Change {
    let first = deltas[0];
    let (side, pointer) = rust_pointer(head, hs, first)
        .map(|p| (Side::Head, p))
        .or_else(|| rust_pointer(base, bs, first).map(|p| (Side::Base, p)))
        .unwrap_or((Side::Head, String::new()));
    let spec = match side {
        Side::Base => base,
        Side::Head => head,
    };
    let breaking = deltas.iter().any(|d| d.breaking);
    let texts: Vec<&str> = deltas.iter().map(|d| d.text.as_str()).collect();
    Change {
        fingerprint: fingerprint(&["rust-api-changed", &first.item]),
        rule: "rust-api-changed",
        level: Level::Info,
        side,
        accepted: None,
        operation: None,
        group: "Rust API".into(),
        also: Vec::new(),
        line: spec.line(&pointer),
        pointer,
        message: format!(
            "The generated Rust API changes at `{}` although the HTTP API does not.",
            first.item
        ),
        rust_impact: texts.join(" "),
        rust_breaking: breaking,
        bump: if breaking { Bump::Major } else { Bump::Minor },
    }
}

/// The spec node that generates a Rust item (or member).
fn rust_pointer(spec: &Spec, s: &Surface, d: &Delta) -> Option<String> {
    let (ns, name) = d.item.split_once("::")?;
    let model = &spec.model;
    match ns {
        "types" => {
            let t = model.types.iter().find(|t| t.name() == name)?;
            let (ptr, fields) = match t {
                crate::model::TypeDef::Struct(s) => (s.pointer.clone(), Some(&s.fields)),
                crate::model::TypeDef::Enum(e) => (e.pointer.clone(), None),
                crate::model::TypeDef::Union(u) => (u.pointer.clone(), None),
            };
            let field = d
                .member
                .as_deref()
                .and_then(|m| m.strip_prefix("field "))
                .and_then(|f| fields?.iter().find(|x| x.rust_name == f));
            Some(match field {
                Some(f) => http::property_pointer(&spec.value, &ptr, &f.json_name).unwrap_or(ptr),
                None => ptr,
            })
        }
        "Client" => model
            .operations
            .iter()
            .find(|o| o.method_name == name)
            .map(|o| o.pointer.clone()),
        "operations" => {
            let id = s
                .op_consts
                .iter()
                .find(|(_, k)| **k == d.item)
                .map(|(id, _)| id.clone());
            model
                .operations
                .iter()
                .find(|o| {
                    Some(&o.id) == id.as_ref()
                        || query_struct(s, &o.method_name).as_deref() == Some(&d.item)
                })
                .map(|o| o.pointer.clone())
        }
        "events" => model
            .events
            .as_ref()
            .map(|e| format!("/components/schemas/{}", crate::yaml::escape_token(&e.name))),
        "error_codes" => Some("/x-error-codes".into()),
        _ => None,
    }
}
