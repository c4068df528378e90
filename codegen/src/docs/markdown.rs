//! The Markdown and MDX references (and the HTML page, once read into the same blocks), in Chinese or
//! English, interpreted from their blocks rather than from line patterns.
//!
//! Accepted variants, all seen in the vendor's documents:
//! - Sections are `##` (the 2022 MDX) or `###` headings (the Chinese page, the 2026 MDX); a section is
//!   an operation when it has a method and an endpoint.
//! - Method and endpoint: `方法：`/`接入点：`/`请求路径：`, or `Method:`/`Endpoint:`/`Request path:`,
//!   as bullets or lines, the value with or without backticks, on the label's line or the next.
//! - Parts: `#### 请求参数`/`#### Request parameters`, `**URL 参数**`/`**URL parameters**`,
//!   `**Query 参数**`/`**Query parameters**`, `**请求包体参数**`/`**Request body parameters**`,
//!   `#### 响应参数`/`#### Response parameters`, and the example headings of both languages.
//! - Tables with or without a required column, `<ul><li>` or bare `<li>` lists in cells, dotted names,
//!   tables nested in list items that say the rows are of an event's `data`.
//! - The status-code table (`N/A` business codes are skipped), and an Events section whose sections say
//!   `When the cmd property of an event is N`, then give a table of its data.

use super::blocks::{self, Block, Row};
use super::example::{self, Place};
use super::list;
use super::{
    DocErrorCode, DocEvent, DocExample, DocField, DocFormat, DocModel, DocOperation, Document,
    Lang, Scope,
};

/// Reads a Markdown or MDX reference in either language.
pub fn parse_markdown(name: &str, text: &str) -> DocModel {
    let format = if super::is_mdx(text) {
        DocFormat::Mdx
    } else {
        DocFormat::Markdown
    };
    interpret(name, super::detect_lang(text), format, blocks::read(text))
}

/// Builds the model of a document from its blocks.
pub(crate) fn interpret(name: &str, lang: Lang, format: DocFormat, blocks: Vec<Block>) -> DocModel {
    let mut p = Interpreter {
        doc: name.to_owned(),
        lang,
        model: DocModel {
            documents: vec![Document {
                name: name.to_owned(),
                lang,
                format,
            }],
            ..DocModel::default()
        },
        section: None,
        mode: Mode::Operations,
        part: Part::Other,
        scope: Scope::Body,
        group: 0,
    };
    for block in blocks {
        match block {
            Block::Heading { level, text, line } => p.heading(level, &text, line),
            Block::Text { text, line } => p.text(&text, line),
            Block::Table { rows } => p.table(&rows),
            Block::Code {
                lines, first_line, ..
            } => p.code_block(&lines, first_line),
        }
    }
    p.finish_section();
    p.model
}

/// What the document's current top-level part holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Operations,
    StatusCodes,
    Events,
}

/// Which part of a section the parser is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Url,
    Query,
    Request,
    Response,
    RequestExample,
    ResponseExample,
    Other,
}

const STATUS_HEADINGS: &[&str] = &[
    "响应状态码",
    "状态码",
    "Status code",
    "Status codes",
    "Response status codes",
    "Error codes",
];
const EVENT_HEADINGS: &[&str] = &["Events", "Event types", "事件类型", "事件列表"];
const COMMON_EXAMPLES: &[&str] = &["响应示例", "Response example", "Response examples"];

fn part_of_heading(title: &str) -> Part {
    match title {
        "请求参数" | "Request parameters" | "Request parameter" | "Parameters" => Part::Url,
        "响应参数" | "Response parameters" | "Response parameter" | "Response" => {
            Part::Response
        }
        "请求示例" | "Request example" | "Request examples" | "Sample request" => {
            Part::RequestExample
        }
        "响应示例" | "Response example" | "Response examples" | "Sample response" => {
            Part::ResponseExample
        }
        _ => Part::Other,
    }
}

fn part_of_label(label: &str) -> Option<Part> {
    Some(match label {
        "URL 参数" | "URL parameters" | "Path parameters" | "URL parameter" => Part::Url,
        "Query 参数" | "Query parameters" | "Query parameter" => Part::Query,
        "请求包体参数" | "Request body parameters" | "Request body" | "Body parameters" => {
            Part::Request
        }
        _ => return None,
    })
}

/// A section being read.
struct Section {
    title: String,
    line: usize,
    method: String,
    path: String,
    path_line: usize,
    path_params: Vec<DocField>,
    query: Vec<DocField>,
    request: Vec<DocField>,
    response: Vec<DocField>,
    examples: Vec<DocExample>,
}

impl Section {
    fn new(title: &str, line: usize) -> Section {
        Section {
            title: title.to_owned(),
            line,
            method: String::new(),
            path: String::new(),
            path_line: line,
            path_params: Vec::new(),
            query: Vec::new(),
            request: Vec::new(),
            response: Vec::new(),
            examples: Vec::new(),
        }
    }
}

struct Interpreter {
    doc: String,
    lang: Lang,
    model: DocModel,
    section: Option<Section>,
    mode: Mode,
    part: Part,
    scope: Scope,
    group: usize,
}

impl Interpreter {
    fn heading(&mut self, level: u8, title: &str, line: usize) {
        let title = title.trim().trim_end_matches([':', '：']).trim();
        if level <= 3 {
            self.finish_section();
            self.part = Part::Other;
            self.scope = Scope::Body;
            if STATUS_HEADINGS.contains(&title) {
                self.mode = Mode::StatusCodes;
            } else if EVENT_HEADINGS.contains(&title) {
                self.mode = Mode::Events;
            } else if level <= 2 && self.mode != Mode::Operations {
                self.mode = Mode::Operations;
            }
            if self.mode == Mode::Operations {
                self.section = Some(Section::new(title, line));
            }
        } else {
            self.scope = Scope::Body;
            self.part = part_of_heading(title);
        }
    }

    fn text(&mut self, text: &str, line: usize) {
        let plain = text.trim().trim_end_matches([':', '：']).trim();
        if let Some(part) = part_of_label(plain) {
            self.part = part;
            return;
        }
        match self.mode {
            Mode::Events => {
                if let Some(cmd) = event_cmd(text) {
                    self.model.events.push(DocEvent {
                        doc: self.doc.clone(),
                        line: line
                            + text[..text.find("event is").unwrap_or(0)]
                                .matches('\n')
                                .count(),
                        cmd,
                        fields: Vec::new(),
                    });
                }
            }
            Mode::StatusCodes => {}
            Mode::Operations => {
                let unticked = text.replace('`', "");
                if self.part == Part::Response
                    && (unticked.contains("data 中包含以下字段")
                        || unticked.contains("data contains the following fields"))
                {
                    self.scope = Scope::EventData;
                }
                let Some(section) = &mut self.section else {
                    return;
                };
                if let Some((method, _)) = labelled(&unticked, &["方法：", "方法:", "Method:"])
                    && let Some(m) = method.split_whitespace().next()
                    && is_method(m)
                {
                    section.method = m.to_ascii_uppercase();
                }
                if let Some((path, at)) = labelled(
                    &unticked,
                    &[
                        "接入点：",
                        "接入点:",
                        "请求路径：",
                        "请求路径:",
                        "Endpoint:",
                        "Request path:",
                        "Request URL:",
                    ],
                ) && let Some(p) = path.split_whitespace().next()
                    && p.contains('/')
                {
                    section.path = p.to_owned();
                    section.path_line = line + unticked[..at].matches('\n').count();
                }
            }
        }
    }

    fn finish_section(&mut self) {
        let Some(s) = self.section.take() else {
            return;
        };
        let operation = if s.method.is_empty() || s.path.is_empty() {
            None
        } else {
            self.model.operations.push(DocOperation {
                doc: self.doc.clone(),
                lang: self.lang,
                title: s.title,
                line: s.line,
                method: s.method,
                path: s.path,
                path_line: s.path_line,
                path_params: s.path_params,
                query: s.query,
                request: s.request,
                response: s.response,
            });
            Some(self.model.operations.len() - 1)
        };
        self.model
            .examples
            .extend(s.examples.into_iter().map(|mut e| {
                e.operation = operation;
                e
            }));
    }

    fn code_block(&mut self, block: &[String], first_line: usize) {
        if self.mode != Mode::Operations {
            return;
        }
        let place = match self.part {
            Part::RequestExample => Place::Request,
            Part::ResponseExample => Place::Response,
            // The common examples sit in a `### 响应示例` section of their own.
            _ if self.section.as_ref().is_some_and(|s| {
                s.method.is_empty() && COMMON_EXAMPLES.contains(&s.title.as_str())
            }) =>
            {
                Place::Response
            }
            _ => return,
        };
        if let Some(example) = example::from_block(&self.doc, block, first_line, place) {
            match &mut self.section {
                Some(s) => s.examples.push(example),
                None => self.model.examples.push(example),
            }
        }
    }

    fn table(&mut self, rows: &[Row]) {
        let Some((head, body)) = rows.split_first() else {
            return;
        };
        self.group += 1;
        let header = head.cells.join("|");
        let status_codes = self.mode == Mode::StatusCodes
            || header.contains("HTTP 响应状态码")
            || header.contains("Business status code")
            || header.contains("业务状态码");
        let has_required = head.cells.len() >= 4
            && (head.cells[2].contains("必填") || head.cells[2].contains("Required"));
        let header_name = head.cells.first().cloned().unwrap_or_default();
        for row in body {
            if status_codes {
                self.status_row(&row.cells, row.line);
                continue;
            }
            self.field_row(row, has_required, &header_name);
        }
    }

    fn field_row(&mut self, row: &Row, has_required: bool, header_name: &str) {
        let cells = &row.cells;
        if cells.len() < 3 {
            return;
        }
        let name: String = cells[0]
            .chars()
            .filter(|c| *c != '`' && !c.is_whitespace())
            .collect();
        // An empty name, or the header repeated as a row.
        if name.is_empty() || cells[0] == header_name {
            return;
        }
        let ty = cells[1].trim().to_owned();
        let desc = cells[if has_required && cells.len() >= 4 {
            3
        } else {
            2
        }..]
            .join("|");
        let (intro, items) = list::parse(&desc);
        let (subfields, values) = list::fields(&ty, &intro, &items);
        let line = row.line;
        let field = |name: String, ty: String, values: Vec<String>, group, scope| DocField {
            name,
            ty,
            line,
            values,
            group,
            scope,
        };
        let mut fields = vec![field(name.clone(), ty, values, self.group, self.scope)];
        fields.extend(subfields.into_iter().map(|f| {
            field(
                format!("{name}.{}", f.name),
                f.ty,
                f.values,
                self.group,
                self.scope,
            )
        }));
        if self.mode == Mode::Events {
            if let Some(event) = self.model.events.last_mut() {
                event.fields.extend(fields.into_iter().map(|mut f| {
                    f.scope = Scope::Body;
                    f
                }));
            }
            return;
        }
        // An event type that a table names (`cmd`: ..., 此处为 `1110`).
        if let Some(at) = desc.find("此处为 `") {
            let digits: String = desc[at + "此处为 `".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(cmd) = digits.parse() {
                self.model.events.push(DocEvent {
                    doc: self.doc.clone(),
                    line,
                    cmd,
                    fields: Vec::new(),
                });
            }
        }
        let Some(section) = &mut self.section else {
            return;
        };
        let target = match self.part {
            Part::Url => &mut section.path_params,
            Part::Query => &mut section.query,
            Part::Request => &mut section.request,
            Part::Response => &mut section.response,
            _ => return,
        };
        target.extend(fields);
    }

    fn status_row(&mut self, cells: &[String], line: usize) {
        if cells.len() < 3 {
            return;
        }
        // `N/A` and other words are no business code.
        let Ok(code) = cells[1].trim().trim_matches('`').parse() else {
            return;
        };
        self.model.error_codes.push(DocErrorCode {
            doc: self.doc.clone(),
            line,
            status: cells[0].trim().trim_matches('`').parse().ok(),
            code,
            description: cells[2..].join("|").trim().to_owned(),
        });
    }
}

/// The value after the first of `labels` in `text` (on the label's line, or the next line when the
/// label ends its line), and the byte offset of the value.
fn labelled<'t>(text: &'t str, labels: &[&str]) -> Option<(&'t str, usize)> {
    let (at, label) = labels
        .iter()
        .filter_map(|l| text.find(l).map(|at| (at, *l)))
        .min_by_key(|(at, _)| *at)?;
    let start = at + label.len();
    let rest = &text[start..];
    let first = rest.lines().next().unwrap_or("");
    if first.trim().is_empty() {
        let skip = rest.find('\n')? + 1;
        let next = rest[skip..].lines().next().unwrap_or("");
        let lead = next.len() - next.trim_start().len();
        Some((next.trim(), start + skip + lead))
    } else {
        let lead = first.len() - first.trim_start().len();
        Some((first.trim(), start + lead))
    }
}

fn is_method(word: &str) -> bool {
    matches!(
        word.to_ascii_uppercase().as_str(),
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
    )
}

/// `When the cmd property of an event is 1001, ...` gives 1001.
fn event_cmd(text: &str) -> Option<i64> {
    let unticked = text.replace('`', "");
    let at = unticked.find("property of an event is")?;
    let digits: String = unticked[at + "property of an event is".len()..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_on_one_line_or_two() {
        assert_eq!(labelled("Method: POST", &["Method:"]), Some(("POST", 8)));
        let text = "Method:\n  PUT\nEndpoint: /a/b";
        assert_eq!(labelled(text, &["Method:"]), Some(("PUT", 10)));
        assert_eq!(labelled(text, &["Endpoint:"]).map(|v| v.0), Some("/a/b"));
        assert_eq!(
            event_cmd("When the `cmd` property of an event is `1001`, the"),
            Some(1001)
        );
    }
}
