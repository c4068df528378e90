//! `cargo xtask docs-check`: what the vendor's documents say that the spec does not, and the reverse.
//!
//! Pure: document texts and a loaded [`Spec`](crate::Spec) go in, [`Finding`]s come out; no file IO.
//! [`parse`] reads any document format into a [`DocModel`] (Markdown and MDX in either language with
//! [`parse_markdown`], a page saved as HTML with [`parse_html`], the English text copy with
//! [`parse_text`]); [`check`] compares the model
//! with the spec, applying the deliberate [`Exceptions`]; [`suggest`] drafts spec fragments for what is
//! missing; [`render`] prints the findings as text, Markdown or JSON.

mod blocks;
mod check;
mod example;
mod exceptions;
mod html;
mod list;
mod markdown;
mod render;
mod schema;
mod suggest;
mod text;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

pub use check::check;
pub use example::Skipped;
pub use exceptions::{Exception, Exceptions, Shape};
pub use html::parse_html;
pub use markdown::parse_markdown;
pub use render::{Format, render};
pub use suggest::{Suggestion, suggest};
pub use text::parse_text;

/// The language of a vendor document, told from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Chinese (the Markdown page `classroom-restful-api.zh.md`).
    Zh,
    /// English (the MDX references, and the plain-text copy `classroom-restful-api.en.txt`).
    En,
}

impl Lang {
    /// `zh` or `en`, as the exceptions file names a document.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// What the documents say, read from one or several documents; every item knows its document and line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocModel {
    /// The documents read, in order.
    pub documents: Vec<Document>,
    /// The operations (a method and an endpoint line), in document order.
    pub operations: Vec<DocOperation>,
    /// The events of the English Events section, and the event types the Chinese tables name.
    pub events: Vec<DocEvent>,
    /// The rows of the status-code tables that carry a business code.
    pub error_codes: Vec<DocErrorCode>,
    /// The JSON examples.
    pub examples: Vec<DocExample>,
}

impl DocModel {
    /// Adds another document's model to this one.
    pub fn merge(&mut self, other: DocModel) {
        let offset = self.operations.len();
        self.documents.extend(other.documents);
        self.operations.extend(other.operations);
        self.events.extend(other.events);
        self.error_codes.extend(other.error_codes);
        self.examples
            .extend(other.examples.into_iter().map(|mut e| {
                e.operation = e.operation.map(|i| i + offset);
                e
            }));
    }

    /// The language of a document of this model, by name.
    pub fn lang_of(&self, doc: &str) -> Option<Lang> {
        self.documents
            .iter()
            .find(|d| d.name == doc)
            .map(|d| d.lang)
    }

    /// How many documented fields (parameters, request, response and event fields) the model has.
    pub fn field_count(&self) -> usize {
        self.operations
            .iter()
            .map(|o| o.path_params.len() + o.query.len() + o.request.len() + o.response.len())
            .sum::<usize>()
            + self.events.iter().map(|e| e.fields.len()).sum::<usize>()
    }
}

/// One document read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The name used in findings (a path as the user gave it).
    pub name: String,
    /// Its language.
    pub lang: Lang,
    /// Its format.
    pub format: DocFormat,
}

/// The format of a vendor document, told from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocFormat {
    /// CommonMark with GFM tables (the Chinese page).
    Markdown,
    /// The vendor's MDX (Markdown with front matter, `import`/`export`, JSX and `\{` escapes).
    Mdx,
    /// A rendered page saved as HTML.
    Html,
    /// A plain-text copy of a rendered page.
    Text,
}

impl DocFormat {
    /// `markdown`, `mdx`, `html` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocFormat::Markdown => "markdown",
            DocFormat::Mdx => "mdx",
            DocFormat::Html => "html",
            DocFormat::Text => "text",
        }
    }
}

/// The format of a document, from its content (never its name): HTML when it starts as an HTML page
/// or is made of HTML headings and tables, Markdown (or MDX) when it has ATX headings, fenced code or
/// table delimiter rows with a leading pipe, plain text otherwise.
pub fn detect_format(text: &str) -> DocFormat {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return DocFormat::Html;
    }
    let markdown = text.lines().any(|l| {
        let t = l.trim_start();
        let hashes = t.len() - t.trim_start_matches('#').len();
        (1..=6).contains(&hashes) && t[hashes..].starts_with(' ')
            || t.starts_with("```")
            || t.starts_with("| :--")
            || t.starts_with("| --")
            || t.starts_with("|:--")
            || t.starts_with("|--")
    });
    if !markdown {
        let html = (text.contains("</h2>") || text.contains("</h3>")) && text.contains("</table>");
        return if html {
            DocFormat::Html
        } else {
            DocFormat::Text
        };
    }
    if is_mdx(text) {
        DocFormat::Mdx
    } else {
        DocFormat::Markdown
    }
}

/// Whether a Markdown text is MDX: `import`/`export` lines, `\{` escapes or JSX components.
pub(crate) fn is_mdx(text: &str) -> bool {
    text.lines().any(|l| {
        (l.starts_with("import ") && l.contains(" from "))
            || l.starts_with("export ")
            || l.contains("\\{")
            || l.trim_start().starts_with('<')
                && l.trim_start()[1..].starts_with(|c: char| c.is_ascii_uppercase())
    })
}

/// The language of a document, from its content: Chinese when CJK characters are at least a tenth
/// as many as ASCII letters.
pub fn detect_lang(text: &str) -> Lang {
    let (mut cjk, mut ascii) = (0usize, 0usize);
    for c in text.chars() {
        if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            cjk += 1;
        } else if c.is_ascii_alphabetic() {
            ascii += 1;
        }
    }
    if cjk * 10 >= ascii.max(1) {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// A documented operation.
#[derive(Debug, Clone, PartialEq)]
pub struct DocOperation {
    /// The document.
    pub doc: String,
    /// The document's language.
    pub lang: Lang,
    /// The section heading.
    pub title: String,
    /// The line of the heading.
    pub line: usize,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template as written (`/{region}/edu/apps/{appId}/v2/rooms/{roomUUid}`).
    pub path: String,
    /// The line of the endpoint.
    pub path_line: usize,
    /// The URL parameters table.
    pub path_params: Vec<DocField>,
    /// The query parameters table.
    pub query: Vec<DocField>,
    /// The request body fields, dotted (`roomProperties.schedule.startTime`).
    pub request: Vec<DocField>,
    /// The response fields, dotted from the envelope (`data.list.recordId`), or from an event's
    /// `data` when the field's scope says so.
    pub response: Vec<DocField>,
}

/// A documented field: a table row, a `<li>` of a table cell, or an item of an English field list.
#[derive(Debug, Clone, PartialEq)]
pub struct DocField {
    /// The dotted name.
    pub name: String,
    /// The type as documented (`Integer`, `String[]`, `Object 型`...), empty when none is given.
    pub ty: String,
    /// The line.
    pub line: usize,
    /// The enum values the documents name for it (`0`, `cn`, `web`...).
    pub values: Vec<String>,
    /// The table (or list) the field comes from, to tell which fields are documented together.
    pub group: usize,
    /// What the name is relative to.
    pub scope: Scope,
}

/// What a documented field's name is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The request body, the response envelope, or a parameter list.
    Body,
    /// The `data` of each event the operation returns (the pop-up quiz and poll tables).
    EventData,
}

/// A documented event type.
#[derive(Debug, Clone, PartialEq)]
pub struct DocEvent {
    /// The document.
    pub doc: String,
    /// The line that names the `cmd`.
    pub line: usize,
    /// The `cmd` value.
    pub cmd: i64,
    /// The fields of its `data`, dotted.
    pub fields: Vec<DocField>,
}

/// A row of a status-code table.
#[derive(Debug, Clone, PartialEq)]
pub struct DocErrorCode {
    /// The document.
    pub doc: String,
    /// The line.
    pub line: usize,
    /// The HTTP status.
    pub status: Option<u16>,
    /// The business code.
    pub code: i64,
    /// The description.
    pub description: String,
}

/// A JSON example.
#[derive(Debug, Clone, PartialEq)]
pub struct DocExample {
    /// The document.
    pub doc: String,
    /// The line where the JSON starts.
    pub line: usize,
    /// The operation (an index into [`DocModel::operations`]), `None` for the common examples.
    pub operation: Option<usize>,
    /// What the example shows.
    pub kind: ExampleKind,
    /// The example made valid JSON, or why it could not be.
    pub json: Result<Value, String>,
    /// The example's lines as written, the first at [`line`](Self::line), to locate a field.
    pub lines: Vec<String>,
    /// What was left out to read it (comments, `...` elisions); with elisions it is partial.
    pub skipped: Skipped,
}

/// What an example shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExampleKind {
    /// A request body.
    Request,
    /// A successful response (of its operation, or the common envelope).
    Response,
    /// An error response.
    Error,
    /// The `data` of one event of the operation's response.
    EventData,
}

/// A document that cannot be read as a vendor reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    /// The document.
    pub doc: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.doc, self.message)
    }
}

impl std::error::Error for DocError {}

/// Reads a vendor document in any of its formats and languages, told from the content
/// ([`detect_format`], [`detect_lang`]); `name` only names it in findings.
///
/// This is the entry point for any text: it never panics, and its time is linear in the text's
/// length. It fails only when no operation is found, which means the text is not a Flexible
/// Classroom REST reference.
pub fn parse(name: &str, text: &str) -> Result<DocModel, DocError> {
    let format = detect_format(text);
    let model = match format {
        DocFormat::Markdown | DocFormat::Mdx => parse_markdown(name, text),
        DocFormat::Html => parse_html(name, text),
        DocFormat::Text => parse_text(name, text),
    };
    if model.operations.is_empty() {
        return Err(DocError {
            doc: name.to_owned(),
            message: format!(
                "no operation found in this {} document (no section with a method and an \
                 endpoint: `方法：`/`接入点：` or `Method:`/`Endpoint:`); is this the vendor's REST reference?",
                format.as_str()
            ),
        });
    }
    Ok(model)
}

/// One thing the documents and the spec disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of disagreement.
    pub kind: Kind,
    /// What the finding is about, stable across edits that move lines; exceptions name it.
    pub key: String,
    /// The document (or the spec, or the exceptions file) where it shows.
    pub doc: String,
    /// The line in that document.
    pub line: usize,
    /// The operationId, the section title, or `cmd N`.
    pub operation: String,
    /// What is missing or wrong.
    pub message: String,
    /// The JSON pointer of the spec location to change.
    pub spec_pointer: String,
    /// The line of that location in the spec.
    pub spec_line: Option<usize>,
    /// The reason recorded in the exceptions file, when the spec differs on purpose.
    pub exception: Option<String>,
    /// Draft spec fragments that would close the finding (filled by [`suggest`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
}

impl Finding {
    /// Whether the finding is not a recorded exception.
    pub fn is_open(&self) -> bool {
        self.exception.is_none()
    }
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// The kind of a finding; [`Kind::id`] is its stable identifier.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($(#[$doc])* $variant,)*
        }

        impl Kind {
            /// Every kind, in report order.
            pub const ALL: &[Kind] = &[$(Kind::$variant,)*];

            /// The stable identifier (`request-field-missing`).
            pub fn id(self) -> &'static str {
                match self {
                    $(Kind::$variant => $id,)*
                }
            }

            /// The kind with this identifier.
            pub fn from_id(id: &str) -> Option<Kind> {
                match id {
                    $($id => Some(Kind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    /// A documented operation (method and path) that the spec does not have.
    OperationMissing = "operation-missing",
    /// A spec operation that no document describes.
    OperationUndocumented = "operation-undocumented",
    /// Two sections of one document describe the same method and path.
    OperationDuplicate = "operation-duplicate",
    /// A documented query parameter that the spec's operation does not have.
    ParameterMissing = "parameter-missing",
    /// A documented request body field that the spec's request schema does not have.
    RequestFieldMissing = "request-field-missing",
    /// A documented response field that the spec's response schema does not have.
    ResponseFieldMissing = "response-field-missing",
    /// A value the documents list for a field that the spec's enum does not have.
    EnumValueMissing = "enum-value-missing",
    /// A documented event `cmd` that the spec's `Event` does not have.
    EventMissing = "event-missing",
    /// A documented field of an event's data that the spec's event schema does not have.
    EventFieldMissing = "event-field-missing",
    /// An event `cmd` of the spec that no document names.
    EventUndocumented = "event-undocumented",
    /// A business code of a status-code table that `x-error-codes` does not have.
    ErrorCodeMissing = "error-code-missing",
    /// A business code of `x-error-codes` that no status-code table lists.
    ErrorCodeUndocumented = "error-code-undocumented",
    /// A JSON example that the spec's schema rejects.
    ExampleInvalid = "example-invalid",
    /// A JSON example that cannot be made valid JSON.
    ExampleUnreadable = "example-unreadable",
    /// A recorded exception that matches no finding any more, or an exception or shape that names
    /// an operation or schema the spec does not have.
    ExceptionUnused = "exception-unused",
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    /// Pieces of the vendor's formats, to build documents that reach deep into the readers.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("## Create a classroom".to_owned()),
            Just("### 创建课堂".to_owned()),
            Just("#### Request parameters".to_owned()),
            Just("#### 响应示例".to_owned()),
            Just("#### Response example".to_owned()),
            Just("**URL parameters**".to_owned()),
            Just("**请求包体参数**".to_owned()),
            Just("- Method: POST".to_owned()),
            Just("-   方法：GET".to_owned()),
            Just("- Endpoint: `/\\{region}/edu/apps/\\{appId}/v2/rooms/\\{roomUUid}`".to_owned()),
            Just("- Endpoint:".to_owned()),
            Just("-   接入点：/{region}/x/{y}".to_owned()),
            Just("| Parameter | Type | Description |".to_owned()),
            Just("| :-- | :-- | :-- |".to_owned()),
            Just("        | :--- | :--- |".to_owned()),
            Just(
                "| `a.b` | Integer | <ul><li>`1`: x</li><li>`c`: Object<ul><li>`d`: String</li>"
                    .to_owned()
            ),
            Just("| 404 | N/A | Not found |".to_owned()),
            Just("## Status code".to_owned()),
            Just("## Events".to_owned()),
            Just("When the `cmd` property of an event is `77`, the `data` contains:".to_owned()),
            Just("- After it, `data` contains the following fields:".to_owned()),
            Just("```json".to_owned()),
            Just("```".to_owned()),
            Just("curl -X POST 'x' --data-raw '{".to_owned()),
            Just("\"status\": 200,".to_owned()),
            Just("\"body\":".to_owned()),
            Just("{ \"a\": NumberInt(\"1\"), // c".to_owned()),
            Just("  ...".to_owned()),
            Just("/* x".to_owned()),
            Just("}'".to_owned()),
            Just("import X from 'y';".to_owned()),
            Just("<Admonition type=\"info\"><li>x</li>".to_owned()),
            Just("<table><tr><td><code>a</code><td>Integer<td><ul><li>`1`: x".to_owned()),
            Just("<h3>Create</h3><ul><li>Method: GET<li>Endpoint: <code>/a/{b}</code>".to_owned()),
            Just("<pre><code class=\"language-json\">{\"a\": ...".to_owned()),
            Just("</td></tr></table></pre><script>".to_owned()),
            Just("---".to_owned()),
            Just("Status code".to_owned()),
            Just("When the cmd".to_owned()),
            Just("property of an event is 9".to_owned()),
            Just("dirty | Object | (Optional) x:".to_owned()),
            Just(
                "contains the following fields:Field name Type Description a Integer b".to_owned()
            ),
            "\\PC{0,40}",
        ]
    }

    fn bounded(text: &str) {
        let start = Instant::now();
        let _ = parse("fuzz", text);
        // Every reader, whatever the detection says.
        let _ = parse_markdown("fuzz", text);
        let _ = parse_html("fuzz", text);
        let _ = parse_text("fuzz", text);
        // A hang or a blow-up, not a speed target (that is `cargo xtask bench`).
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn arbitrary_text_never_panics(text in "(\\PC|\n|\t){0,2000}") {
            bounded(&text);
        }

        #[test]
        fn arbitrary_markdown_never_panics(
            pieces in prop::collection::vec((piece(), prop_oneof!["\n", "\n\n", " ", "  ", ""]), 0..80)
        ) {
            let text: String = pieces.into_iter().map(|(p, sep)| p + &sep).collect();
            bounded(&text);
        }
    }

    #[test]
    fn formats_and_languages_from_the_content() {
        assert_eq!(detect_format("## A\n\n- Method: GET"), DocFormat::Markdown);
        assert_eq!(detect_format("import A from 'a';\n\n## A"), DocFormat::Mdx);
        assert_eq!(
            detect_format("Title\nDescription\n- Method: GET"),
            DocFormat::Text
        );
        assert_eq!(detect_lang("### 创建课堂\n\n- 方法：POST"), Lang::Zh);
        assert_eq!(detect_lang("### Create a classroom"), Lang::En);
    }
}
