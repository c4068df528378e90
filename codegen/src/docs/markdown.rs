//! The Chinese Markdown reference: `###` sections with `方法：` and `接入点：` (or `请求路径：`) lines,
//! parameter tables under `**URL 参数**`, `**Query 参数**`, `**请求包体参数**` and `#### 响应参数`,
//! `<li>` field lists inside the cells, ```` ```json ```` examples, and the `响应状态码` table.

use super::example::{self, Place};
use super::list;
use super::{
    DocErrorCode, DocEvent, DocExample, DocField, DocModel, DocOperation, Document, Lang, Scope,
};

/// Reads the Chinese Markdown reference.
pub fn parse_markdown(name: &str, text: &str) -> DocModel {
    let mut p = Parser {
        doc: name.to_owned(),
        model: DocModel {
            documents: vec![Document {
                name: name.to_owned(),
                lang: Lang::Zh,
            }],
            ..DocModel::default()
        },
        section: None,
        h2: String::new(),
        part: Part::Other,
        scope: Scope::Body,
        table: None,
        group: 0,
    };
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let line = lines[i].trim();
        if line.starts_with("```") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim().starts_with("```"))
                .unwrap_or(lines.len());
            p.code_block(&lines[i + 1..end], line_no + 1);
            i = end + 1;
            continue;
        }
        if !line.starts_with('|') {
            p.table = None;
        }
        if let Some(title) = line.strip_prefix("## ") {
            p.finish_section();
            p.h2 = title.trim().to_owned();
            p.part = Part::Other;
        } else if let Some(title) = line.strip_prefix("### ") {
            p.finish_section();
            p.section = Some(Section::new(title.trim(), line_no));
            p.part = Part::Other;
            p.scope = Scope::Body;
        } else if let Some(title) = line.strip_prefix("#### ") {
            p.scope = Scope::Body;
            p.part = match title.trim() {
                "请求参数" => Part::Url,
                "响应参数" => Part::Response,
                "请求示例" => Part::RequestExample,
                "响应示例" => Part::ResponseExample,
                _ => Part::Other,
            };
        } else if line.starts_with("**") {
            let label = line.trim_matches('*').trim();
            p.part = match label {
                "URL 参数" => Part::Url,
                "Query 参数" => Part::Query,
                "请求包体参数" => Part::Request,
                _ => p.part,
            };
        } else if line.starts_with('|') {
            p.table_row(line, line_no);
        } else if line.contains("`data` 中包含以下字段") {
            p.scope = Scope::EventData;
        } else {
            let item = line.trim_start_matches(['-', ' ']);
            if let Some(section) = &mut p.section {
                if let Some(method) = item.strip_prefix("方法：") {
                    section.method = method.trim().to_ascii_uppercase();
                } else if let Some(path) = item
                    .strip_prefix("接入点：")
                    .or_else(|| item.strip_prefix("请求路径："))
                {
                    section.path = path.trim().to_owned();
                    section.path_line = line_no;
                }
            }
        }
        i += 1;
    }
    p.finish_section();
    p.model
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

/// A `###` section being read.
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

/// The table being read.
struct Table {
    has_required: bool,
    status_codes: bool,
}

struct Parser {
    doc: String,
    model: DocModel,
    section: Option<Section>,
    h2: String,
    part: Part,
    scope: Scope,
    table: Option<Table>,
    group: usize,
}

impl Parser {
    fn finish_section(&mut self) {
        let Some(s) = self.section.take() else {
            return;
        };
        let operation = if s.method.is_empty() || s.path.is_empty() {
            None
        } else {
            self.model.operations.push(DocOperation {
                doc: self.doc.clone(),
                lang: Lang::Zh,
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
        let place = match self.part {
            Part::RequestExample => Place::Request,
            Part::ResponseExample => Place::Response,
            // The common examples sit in a `### 响应示例` section of their own.
            _ if self.section.as_ref().is_some_and(|s| s.title == "响应示例") => {
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

    fn table_row(&mut self, line: &str, line_no: usize) {
        let cells: Vec<&str> = line
            .trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .split('|')
            .collect();
        let Some(table) = &self.table else {
            self.group += 1;
            self.table = Some(Table {
                has_required: cells.len() >= 4 && cells[2].contains("必填"),
                status_codes: self.h2 == "响应状态码" || line.contains("HTTP 响应状态码"),
            });
            return;
        };
        if cells
            .iter()
            .all(|c| c.trim().trim_matches(':').chars().all(|ch| ch == '-'))
        {
            return;
        }
        if table.status_codes {
            self.status_row(&cells, line_no);
            return;
        }
        if cells.len() < 3 {
            return;
        }
        let name: String = cells[0]
            .chars()
            .filter(|c| *c != '`' && !c.is_whitespace())
            .collect();
        if name.is_empty() {
            return;
        }
        let ty = cells[1].trim().to_owned();
        let desc = cells[if table.has_required && cells.len() >= 4 {
            3
        } else {
            2
        }..]
            .join("|");
        let (intro, items) = list::parse(&desc);
        let (subfields, values) = list::fields(&ty, &intro, &items);
        // An event type that a table names (`cmd`: ..., 此处为 `1110`).
        if let Some(at) = desc.find("此处为 `") {
            let digits: String = desc[at + "此处为 `".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(cmd) = digits.parse() {
                self.model.events.push(DocEvent {
                    doc: self.doc.clone(),
                    line: line_no,
                    cmd,
                    fields: Vec::new(),
                });
            }
        }
        let (group, scope) = (self.group, self.scope);
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
        target.push(DocField {
            name: name.clone(),
            ty,
            line: line_no,
            values,
            group,
            scope,
        });
        target.extend(subfields.into_iter().map(|f| DocField {
            name: format!("{name}.{}", f.name),
            ty: f.ty,
            line: line_no,
            values: f.values,
            group,
            scope,
        }));
    }

    fn status_row(&mut self, cells: &[&str], line_no: usize) {
        if cells.len() < 3 {
            return;
        }
        let Ok(code) = cells[1].trim().parse() else {
            return;
        };
        self.model.error_codes.push(DocErrorCode {
            doc: self.doc.clone(),
            line: line_no,
            status: cells[0].trim().parse().ok(),
            code,
            description: cells[2..].join("|").trim().to_owned(),
        });
    }
}
