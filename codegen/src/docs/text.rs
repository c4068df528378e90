//! The English text reference: a title line before `Description` or `Prototype`, `- Method:` and
//! `- Endpoint:` (or `- Request path:`) lines, `Parameter | Type | Description |` tables under
//! `URL parameters`, `Query parameters`, `Request body parameters` and `Response parameters`, the
//! `data contains the following fields:Field name Type Description ...` lists of the pop-up quiz and
//! poll sections, the `Status code` table, and the `Events` section (`When the cmd property of an
//! event is N`, then a table of its data).
//!
//! The conversion to text lost the examples and every nested list of a cell (a row ending in a lone
//! `|`); inline runs (`userUuid : String. ...`, `0 : Not started.`) survived and are read.

use super::list;
use super::{
    DocErrorCode, DocEvent, DocField, DocFormat, DocModel, DocOperation, Document, Lang, Scope,
};

/// Reads the English text reference.
pub fn parse_text(name: &str, text: &str) -> DocModel {
    let lines: Vec<&str> = text.lines().collect();
    let mut p = Parser {
        doc: name.to_owned(),
        model: DocModel {
            documents: vec![Document {
                name: name.to_owned(),
                lang: Lang::En,
                format: DocFormat::Text,
            }],
            ..DocModel::default()
        },
        section: None,
        mode: Mode::Operations,
        part: Part::Other,
        group: 0,
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let line_no = i + 1;
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        if line == "Status code" {
            p.finish_section();
            p.mode = Mode::StatusCodes;
        } else if line == "Events" {
            p.finish_section();
            p.mode = Mode::Events;
        } else if p.mode == Mode::Operations
            && !matches!(line, "Description" | "Prototype")
            && (next == "Description"
                // A section without a description: its title comes right before the prototype,
                // after the previous section's prototype.
                || next == "Prototype" && p.section.as_ref().is_none_or(|s| !s.method.is_empty()))
        {
            p.finish_section();
            p.section = Some(new_section(name, line, line_no));
            p.part = Part::Other;
        } else if let Some(method) = line.strip_prefix("- Method:") {
            if let Some(s) = &mut p.section {
                s.method = method.trim().to_ascii_uppercase();
            }
        } else if let Some(path) = line
            .strip_prefix("- Endpoint:")
            .or_else(|| line.strip_prefix("- Request path:"))
        {
            if let Some(s) = &mut p.section {
                s.path = path.trim().to_owned();
                s.path_line = line_no;
            }
        } else if let Some(part) = part_of(line) {
            p.part = part;
        } else if line == "When the cmd" {
            if let Some(cmd) = next
                .strip_prefix("property of an event is")
                .and_then(|n| n.trim().parse().ok())
            {
                p.model.events.push(DocEvent {
                    doc: name.to_owned(),
                    line: line_no + 1,
                    cmd,
                    fields: Vec::new(),
                });
                i += 2;
                continue;
            }
        } else if line.starts_with("contains the following fields:Field name Type Description") {
            let end = field_list_end(&lines, i);
            p.field_list(&lines[i..end], line_no);
            i = end;
            continue;
        } else if line.contains(" | ") && line.ends_with('|') || is_row_start(line) {
            // A table row, continued on the next lines until one ends with `|`.
            let mut row = line.to_owned();
            let mut j = i;
            while !row.ends_with('|') && j + 1 < lines.len() {
                j += 1;
                row.push(' ');
                row.push_str(lines[j].trim());
            }
            p.row(&row, line_no);
            i = j + 1;
            continue;
        }
        i += 1;
    }
    p.finish_section();
    p.model
}

fn new_section(doc: &str, title: &str, line: usize) -> DocOperation {
    DocOperation {
        doc: doc.to_owned(),
        lang: Lang::En,
        title: title.to_owned(),
        line,
        method: String::new(),
        path: String::new(),
        path_line: line,
        path_params: Vec::new(),
        query: Vec::new(),
        request: Vec::new(),
        response: Vec::new(),
    }
}

fn part_of(line: &str) -> Option<Part> {
    Some(match line {
        "URL parameters" => Part::Url,
        "Query parameters" => Part::Query,
        "Request body parameters" => Part::Request,
        "Response parameters" => Part::Response,
        "Request example" | "Response example" | "Example" | "Request parameters" => Part::Other,
        _ => return None,
    })
}

/// A row that does not end on its line (`dirty | Object | (Optional) The user privilege:`).
fn is_row_start(line: &str) -> bool {
    let cells: Vec<&str> = line.split(" | ").collect();
    cells.len() >= 3 && !cells[0].contains(' ') && list::type_word(cells[1]).is_some()
}

/// The field list of one case ends before a lone `-`, the next case or the response example.
fn field_list_end(lines: &[&str], start: usize) -> usize {
    let mut end = start + 1;
    if lines[start].trim_end().ends_with(" -") {
        return end;
    }
    while end < lines.len() {
        let l = lines[end].trim();
        if l == "-" || l.starts_with("Response example") || l.starts_with("After ") {
            break;
        }
        end += 1;
        if l.ends_with(" -") {
            break;
        }
    }
    end
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Operations,
    StatusCodes,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Url,
    Query,
    Request,
    Response,
    Other,
}

struct Parser {
    doc: String,
    model: DocModel,
    section: Option<DocOperation>,
    mode: Mode,
    part: Part,
    group: usize,
}

impl Parser {
    fn finish_section(&mut self) {
        if let Some(s) = self.section.take()
            && !s.method.is_empty()
            && !s.path.is_empty()
        {
            self.model.operations.push(s);
        }
    }

    fn row(&mut self, row: &str, line_no: usize) {
        let cells: Vec<&str> = row.trim_end_matches('|').split('|').collect();
        if cells.len() < 3 {
            return;
        }
        let name = cells[0].trim();
        let ty = cells[1].trim();
        let desc = cells[2..].join("|");
        if name == "Parameter" || name == "Response status code" || name.starts_with("---") {
            self.group += 1;
            return;
        }
        match self.mode {
            Mode::StatusCodes => {
                if let Ok(code) = ty.parse() {
                    self.model.error_codes.push(DocErrorCode {
                        doc: self.doc.clone(),
                        line: line_no,
                        status: name.parse().ok(),
                        code,
                        description: desc.trim().to_owned(),
                    });
                }
            }
            Mode::Events => {
                let fields = self.fields(name, ty, &desc, line_no, Scope::Body);
                if let Some(event) = self.model.events.last_mut() {
                    event.fields.extend(fields);
                }
            }
            Mode::Operations => {
                let fields = self.fields(name, ty, &desc, line_no, Scope::Body);
                let Some(section) = &mut self.section else {
                    return;
                };
                match self.part {
                    Part::Url => section.path_params.extend(fields),
                    Part::Query => section.query.extend(fields),
                    Part::Request => section.request.extend(fields),
                    Part::Response => section.response.extend(fields),
                    Part::Other => {}
                }
            }
        }
    }

    /// A row's field and the fields its inline runs name; values only when it names no field.
    fn fields(&self, name: &str, ty: &str, desc: &str, line: usize, scope: Scope) -> Vec<DocField> {
        let (subfields, values) = list::inline(desc);
        let mut out = vec![DocField {
            name: name.to_owned(),
            ty: ty.to_owned(),
            line,
            values: if subfields.is_empty() {
                values
            } else {
                Vec::new()
            },
            group: self.group,
            scope,
        }];
        out.extend(subfields.into_iter().map(|f| DocField {
            name: format!("{name}.{}", f.name),
            ty: f.ty,
            line,
            values: f.values,
            group: self.group,
            scope,
        }));
        out
    }

    /// `contains the following fields:Field name Type Description action Integer The action type ...`:
    /// a field is a (dotted) lower camel name followed by a type; its description runs to the next.
    fn field_list(&mut self, lines: &[&str], first_line: usize) {
        self.group += 1;
        let mut tokens: Vec<(&str, usize)> = Vec::new();
        for (k, l) in lines.iter().enumerate() {
            let l = if k == 0 {
                l.trim()
                    .trim_start_matches("contains the following fields:")
                    .trim_start_matches("Field name Type Description")
            } else {
                l
            };
            tokens.extend(l.split_whitespace().map(|t| (t, first_line + k)));
        }
        let starts: Vec<(usize, usize)> = (0..tokens.len())
            .filter_map(|i| {
                let width = type_width(&tokens[i + 1..])?;
                is_field_name(tokens[i].0).then_some((i, width))
            })
            .collect();
        let Some(section) = &mut self.section else {
            return;
        };
        for (k, &(i, width)) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(tokens.len(), |s| s.0);
            let ty: Vec<&str> = tokens[i + 1..i + 1 + width].iter().map(|t| t.0).collect();
            let desc: Vec<&str> = tokens[i + 1 + width..end].iter().map(|t| t.0).collect();
            let desc = desc.join(" ");
            section.response.push(DocField {
                name: tokens[i].0.trim_start_matches('.').to_owned(),
                ty: ty.join(" "),
                line: tokens[i].1,
                values: list::inline(desc.trim_end_matches(" -")).1,
                group: self.group,
                scope: Scope::EventData,
            });
        }
    }
}

/// How many tokens the type at the start of `tokens` takes (`Map<String, Object>` takes two).
fn type_width(tokens: &[(&str, usize)]) -> Option<usize> {
    let first = tokens.first()?.0;
    if first.starts_with("Map<") {
        let end = tokens.iter().position(|t| t.0.ends_with('>'))?;
        return Some(end + 1);
    }
    const WORDS: &[&str] = &[
        "Integer", "String", "Object", "Object[]", "Long", "Float", "Boolean", "Number",
    ];
    WORDS.contains(&first).then_some(1)
}

/// A lower camel name, possibly dotted, possibly after a stray `.` of the conversion.
fn is_field_name(token: &str) -> bool {
    let t = token.trim_start_matches('.');
    !t.is_empty()
        && t.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_lowercase())
                && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}
