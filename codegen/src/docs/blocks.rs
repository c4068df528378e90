//! Markdown and MDX read with pulldown-cmark (GFM tables, front matter) into the few blocks the
//! vendor's references are made of: headings, paragraphs and list items, tables and code blocks, each
//! with its line.
//!
//! Accepted variants: CommonMark with GFM tables (the Chinese page), and the vendor's MDX (YAML front
//! matter, `import`/`export` lines, JSX components such as `<Admonition>` or `<Vg k="VSDK" />`, MDX
//! escapes such as `\{region}`, `\_` and `\<`, `<ul><li>` lists or bare `<li>` in table cells, tables
//! and code blocks nested in list items). MDX expressions and components are kept as raw HTML, which
//! the interpretation ignores; they never make the reading fail. A table whose delimiter row is
//! indented deeper than its header (the Chinese quiz and poll tables, nested in list items) is
//! realigned first, as a browser-tolerant reader would; nothing else is rewritten.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A block of a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    /// A heading.
    Heading {
        /// 1 to 6.
        level: u8,
        /// The text, inline code without backticks.
        text: String,
        /// The line.
        line: usize,
    },
    /// A paragraph or the text of a list item.
    Text {
        /// The text: inline code in backticks, line breaks kept as `\n`.
        text: String,
        /// The line of its first character.
        line: usize,
    },
    /// A table: the header row, then the body rows.
    Table {
        /// The rows; each cell is cell markup (text, inline code in backticks, raw inline HTML).
        rows: Vec<Row>,
    },
    /// A fenced or indented code block.
    Code {
        /// The info string's first word (`json`, `shell`), empty when none.
        lang: String,
        /// The lines of the code.
        lines: Vec<String>,
        /// The line of the first code line.
        first_line: usize,
    },
}

/// A table row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The line.
    pub line: usize,
    /// The cells as markup.
    pub cells: Vec<String>,
}

/// Maps byte offsets to 1-based lines.
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// The line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// The blocks of a Markdown or MDX text, in document order.
pub(crate) fn read(text: &str) -> Vec<Block> {
    let realigned = realign_delimiter_rows(text);
    let text = realigned.as_str();
    let lines = Lines::new(text);
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    let mut out = Vec::new();
    // Inline text being gathered: (text, line of its first event); one per open container.
    let mut stack: Vec<(String, Option<usize>)> = Vec::new();
    let mut heading: Option<u8> = None;
    let mut rows: Vec<Row> = Vec::new();
    let mut row: Option<Row> = None;
    let mut code: Option<(String, usize, String)> = None;
    let mut in_metadata = false;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let line = lines.line(range.start);
        if let Some((_, _, body)) = &mut code {
            match event {
                Event::Text(t) => body.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, first_line, body) = code.take().expect("in a code block");
                    out.push(Block::Code {
                        lang,
                        lines: body.lines().map(str::to_owned).collect(),
                        first_line,
                    });
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_metadata = false,
            _ if in_metadata => {}
            Event::Start(Tag::CodeBlock(kind)) => {
                flush_item(&mut stack, &mut out);
                let (lang, first_line) = match kind {
                    CodeBlockKind::Fenced(info) => (
                        info.split_whitespace().next().unwrap_or("").to_owned(),
                        line + 1,
                    ),
                    CodeBlockKind::Indented => (String::new(), line),
                };
                code = Some((lang, first_line, String::new()));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(level as u8);
                stack.push((String::new(), Some(line)));
            }
            Event::End(TagEnd::Heading(_)) => {
                let (text, at) = stack.pop().unwrap_or_default();
                out.push(Block::Heading {
                    level: heading.take().unwrap_or(1),
                    text: text.replace('`', "").trim().to_owned(),
                    line: at.unwrap_or(line),
                });
            }
            Event::Start(Tag::Paragraph) => {
                flush_item(&mut stack, &mut out);
                stack.push((String::new(), None));
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some((text, at)) = stack.pop() {
                    push_text(&mut out, text, at.unwrap_or(line));
                }
            }
            Event::Start(Tag::Item) => {
                flush_item(&mut stack, &mut out);
                stack.push((String::new(), None));
            }
            Event::End(TagEnd::Item) => {
                if let Some((text, at)) = stack.pop() {
                    push_text(&mut out, text, at.unwrap_or(line));
                }
            }
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::HtmlBlock) => {
                flush_item(&mut stack, &mut out);
            }
            Event::Start(Tag::Table(_)) => {
                flush_item(&mut stack, &mut out);
                rows.clear();
            }
            Event::End(TagEnd::Table) => out.push(Block::Table {
                rows: std::mem::take(&mut rows),
            }),
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                row = Some(Row {
                    line,
                    cells: Vec::new(),
                });
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => rows.extend(row.take()),
            Event::Start(Tag::TableCell) => stack.push((String::new(), Some(line))),
            Event::End(TagEnd::TableCell) => {
                let (text, _) = stack.pop().unwrap_or_default();
                if let Some(r) = &mut row {
                    r.cells.push(text.trim().to_owned());
                }
            }
            Event::Text(t) => append(&mut stack, &t.replace('<', "&lt;"), line),
            Event::Code(t) => append(&mut stack, &format!("`{t}`"), line),
            Event::InlineHtml(t)
            | Event::Html(t)
            | Event::InlineMath(t)
            // Raw HTML inside a paragraph or cell is markup the cell readers understand; an HTML
            // block on its own (a JSX component, outside any text) is dropped by `append`.
            | Event::DisplayMath(t) => append(&mut stack, &t, line),
            Event::SoftBreak | Event::HardBreak => append(&mut stack, "\n", line),
            _ => {}
        }
    }
    // An unclosed code block at the end of the text.
    if let Some((lang, first_line, body)) = code {
        out.push(Block::Code {
            lang,
            lines: body.lines().map(str::to_owned).collect(),
            first_line,
        });
    }
    out
}

/// Gives a table's delimiter row the indentation of its header row; lines stay where they are.
fn realign_delimiter_rows(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = "";
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let is_delimiter = t.starts_with('|')
            && t.contains('-')
            && t.trim_end()
                .chars()
                .all(|c| matches!(c, '|' | ':' | '-' | ' ' | '\t'));
        if is_delimiter && previous.trim_start().starts_with('|') {
            let indent = previous.len() - previous.trim_start().len();
            out.push_str(&previous[..indent]);
            out.push_str(t);
        } else {
            out.push_str(line);
        }
        previous = line;
    }
    out
}

fn append(stack: &mut [(String, Option<usize>)], text: &str, line: usize) {
    if let Some((buf, at)) = stack.last_mut() {
        if at.is_none() && !text.trim().is_empty() {
            *at = Some(line);
        }
        buf.push_str(text);
    }
}

/// The text a tight list item has gathered before a nested block starts.
fn flush_item(stack: &mut [(String, Option<usize>)], out: &mut Vec<Block>) {
    if let Some((text, at)) = stack.last_mut()
        && !text.trim().is_empty()
    {
        let line = at.unwrap_or(1);
        push_text(out, std::mem::take(text), line);
        *at = None;
    }
}

fn push_text(out: &mut Vec<Block>, text: String, line: usize) {
    if !text.trim().is_empty() {
        out.push(Block::Text {
            text: text.trim().to_owned(),
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mdx_escapes_components_and_nested_tables() {
        let text = "---\ntitle: 'x'\n---\n\nimport A from 'a';\n\n## Create\n\n- Method: POST\n- Endpoint: /\\{region}/rooms/\\{roomUuid}\n\n<Admonition type=\"info\"><li>x</li></Admonition>\n\n- After it, `data` contains:\n\n  | Field | Type | Description |\n  | :-- | :-- | :-- |\n  | a\\_b | Integer | <li>`1`: one</li> \\< |\n\n  ```json\n  {\"a\": 1}\n  ```\n";
        let blocks = read(text);
        assert_eq!(
            blocks[0],
            Block::Text {
                text: "import A from 'a';".into(),
                line: 5
            }
        );
        assert_eq!(
            blocks[1],
            Block::Heading {
                level: 2,
                text: "Create".into(),
                line: 7
            }
        );
        assert_eq!(
            blocks[3],
            Block::Text {
                text: "Endpoint: /{region}/rooms/{roomUuid}".into(),
                line: 10
            }
        );
        // The component is a paragraph of raw HTML, which no label matches.
        assert!(
            matches!(&blocks[4], Block::Text { text, line: 12 } if text.starts_with("<Admonition"))
        );
        assert!(matches!(&blocks[5], Block::Text { text, line: 14 } if text.contains("`data`")));
        let Block::Table { rows } = &blocks[6] else {
            panic!("{blocks:?}")
        };
        assert_eq!(rows[1].line, 18);
        assert_eq!(rows[1].cells, ["a_b", "Integer", "<li>`1`: one</li> &lt;"]);
        assert_eq!(
            blocks[7],
            Block::Code {
                lang: "json".into(),
                lines: vec!["{\"a\": 1}".into()],
                first_line: 21
            }
        );
    }

    #[test]
    fn lines_of_offsets() {
        let l = Lines::new("a\nbc\n\nd");
        assert_eq!([0, 1, 2, 4, 5, 6].map(|o| l.line(o)), [1, 1, 2, 2, 3, 4]);
    }
}
