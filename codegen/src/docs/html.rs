//! A rendered reference page saved as HTML, read with html5ever's tokenizer (the WHATWG HTML
//! tokenizer of Servo) into the same blocks as Markdown, so one interpretation serves both.
//!
//! Accepted variants: a whole page (`<!DOCTYPE html>`, navigation and scripts around the article) or
//! a fragment; headings `<h1>` to `<h6>`; `<p>`, `<li>` (closed or not) and `<dt>`/`<dd>` as text;
//! `<table>` rows of `<th>`/`<td>` cells, whose lists and inline code are kept as cell markup;
//! `<pre>` code blocks (`class="language-json"`); character references decoded. Script and style
//! contents are skipped.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use super::blocks::{Block, Row};
use super::markdown::interpret;
use super::{DocFormat, DocModel, detect_lang};

/// Reads a reference page saved as HTML, in either language.
pub fn parse_html(name: &str, text: &str) -> DocModel {
    let blocks = read(text);
    let words: String = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { text, .. } | Block::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    interpret(name, detect_lang(&words), DocFormat::Html, blocks)
}

/// The blocks of an HTML text, in document order.
pub(crate) fn read(text: &str) -> Vec<Block> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(text));
    let tokenizer = Tokenizer::new(
        Sink {
            state: RefCell::new(State::default()),
        },
        TokenizerOpts::default(),
    );
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut state = tokenizer.sink.state.into_inner();
    state.flush_text();
    if let Some(code) = state.code.take() {
        state.blocks.push(code.into_block());
    }
    state.blocks
}

struct Sink {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    blocks: Vec<Block>,
    /// The text being gathered (a paragraph, a list item, a heading) and its first line.
    text: String,
    line: Option<usize>,
    heading: Option<u8>,
    /// The table being read: its rows, the row, the cell.
    rows: Option<Vec<Row>>,
    row: Option<Row>,
    cell: Option<String>,
    code: Option<Code>,
    /// Inside `<script>` or `<style>`.
    skipping: bool,
}

struct Code {
    lang: String,
    line: usize,
    body: String,
}

impl Code {
    fn into_block(self) -> Block {
        // The line break right after `<pre>` is not content.
        let (body, first_line) = match self.body.strip_prefix('\n') {
            Some(rest) => (rest.to_owned(), self.line + 1),
            None => (self.body, self.line),
        };
        Block::Code {
            lang: self.lang,
            lines: body.lines().map(str::to_owned).collect(),
            first_line,
        }
    }
}

impl State {
    fn flush_text(&mut self) {
        let text = std::mem::take(&mut self.text);
        let line = self.line.take();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            self.heading = None;
            return;
        }
        let line = line.unwrap_or(1);
        match self.heading.take() {
            Some(level) => self.blocks.push(Block::Heading {
                level,
                text: trimmed.replace('`', ""),
                line,
            }),
            None => self.blocks.push(Block::Text {
                text: trimmed.to_owned(),
                line,
            }),
        }
    }

    fn end_cell(&mut self) {
        let cell = self.cell.take().unwrap_or_default();
        if let Some(row) = &mut self.row {
            row.cells.push(cell.trim().to_owned());
        }
    }

    fn characters(&mut self, text: &str, line: usize) {
        if self.skipping {
            return;
        }
        if let Some(code) = &mut self.code {
            code.body.push_str(text);
        } else if let Some(cell) = &mut self.cell {
            cell.push_str(&text.replace('<', "&lt;"));
        } else if self.rows.is_none() {
            if self.line.is_none() && !text.trim().is_empty() {
                self.line = Some(line);
            }
            self.text.push_str(text);
        }
    }

    fn tag(&mut self, start: bool, name: &str, lang: Option<String>, line: usize) -> bool {
        if name == "script" || name == "style" {
            self.skipping = start;
            return start;
        }
        if self.skipping {
            return false;
        }
        if self.code.is_some() {
            if name == "pre" && !start {
                let code = self.code.take().expect("in a code block");
                self.blocks.push(code.into_block());
            } else if let Some(code) = &mut self.code {
                match name {
                    "br" => code.body.push('\n'),
                    // `<pre><code class="language-json">`: the language is on the code element.
                    "code" if start && code.lang.is_empty() => {
                        code.lang = lang.unwrap_or_default();
                    }
                    _ => {}
                }
            }
            return false;
        }
        if self.cell.is_some() {
            match (name, start) {
                ("td" | "th", false) => self.end_cell(),
                // A new cell or row closes the cell left open.
                ("td" | "th" | "tr", true) | ("tr" | "table", false) => {
                    self.end_cell();
                    return self.tag(start, name, lang, line);
                }
                _ => {
                    let markup = match (name, start) {
                        ("code", _) => "`".to_owned(),
                        ("ul" | "ol" | "li", true) => format!("<{name}>"),
                        ("ul" | "ol" | "li", false) => format!("</{name}>"),
                        ("br", _) => " ".to_owned(),
                        _ => String::new(),
                    };
                    if let Some(cell) = &mut self.cell {
                        cell.push_str(&markup);
                    }
                }
            }
            return false;
        }
        match (name, start) {
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                self.flush_text();
                self.heading = name[1..].parse().ok();
                self.line = Some(line);
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false)
            | ("p" | "li" | "dt" | "dd" | "div" | "ul" | "ol" | "blockquote", _) => {
                self.flush_text();
            }
            ("br", _) => self.text.push('\n'),
            ("code", _) if self.rows.is_none() => self.text.push('`'),
            ("pre", true) => {
                self.flush_text();
                self.code = Some(Code {
                    lang: lang.unwrap_or_default(),
                    line,
                    body: String::new(),
                });
            }
            ("table", true) => {
                self.flush_text();
                self.rows = Some(Vec::new());
            }
            ("table", false) => {
                if let Some(row) = self.row.take() {
                    self.rows.get_or_insert_with(Vec::new).push(row);
                }
                if let Some(rows) = self.rows.take() {
                    self.blocks.push(Block::Table { rows });
                }
            }
            ("tr", true) if self.rows.is_some() => {
                if let Some(row) = self.row.take() {
                    self.rows.get_or_insert_with(Vec::new).push(row);
                }
                self.row = Some(Row {
                    line,
                    cells: Vec::new(),
                });
            }
            ("tr", false) => {
                if let Some(row) = self.row.take() {
                    self.rows.get_or_insert_with(Vec::new).push(row);
                }
            }
            ("td" | "th", true) if self.row.is_some() => self.cell = Some(String::new()),
            _ => {}
        }
        false
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<()> {
        let line = usize::try_from(line_number).unwrap_or(usize::MAX);
        let mut state = self.state.borrow_mut();
        match token {
            Token::CharacterTokens(text) => state.characters(&text, line),
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                let lang = tag
                    .attrs
                    .iter()
                    .find(|a| &*a.name.local == "class")
                    .and_then(|a| {
                        a.value
                            .split_whitespace()
                            .find_map(|c| c.strip_prefix("language-").map(str::to_owned))
                    });
                let start = tag.kind == TagKind::StartTag;
                let raw = state.tag(start, &name, lang, line);
                if raw && start && !tag.self_closing {
                    return TokenSinkResult::RawData(if name == "script" {
                        RawKind::ScriptData
                    } else {
                        RawKind::Rawtext
                    });
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_page() {
        let html = "<!DOCTYPE html>\n<html><head><script>if (a < b) {}</script></head><body>\n<h3>Create</h3>\n<ul>\n<li>Method: POST</li>\n<li>Endpoint: <code>/{region}/rooms/{roomUuid}</code>\n</ul>\n<table><thead><tr><th>Parameter<th>Type<th>Description</tr></thead>\n<tbody><tr><td><code>a</code></td><td>Integer</td><td>x &lt; y<ul><li><code>1</code>: one</li></ul></td></tr></tbody></table>\n<pre><code class=\"language-json\">\n{\"a\": 1}\n</code></pre>\n</body></html>";
        let blocks = read(html);
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 3,
                text: "Create".into(),
                line: 3
            }
        );
        assert_eq!(
            blocks[2],
            Block::Text {
                text: "Endpoint: `/{region}/rooms/{roomUuid}`".into(),
                line: 6
            }
        );
        let Block::Table { rows } = &blocks[3] else {
            panic!("{blocks:?}")
        };
        assert_eq!(rows[0].cells, ["Parameter", "Type", "Description"]);
        assert_eq!(rows[1].line, 9);
        assert_eq!(
            rows[1].cells,
            ["`a`", "Integer", "x &lt; y<ul><li>`1`: one</li></ul>"]
        );
        assert_eq!(
            blocks[4],
            Block::Code {
                lang: "json".into(),
                lines: vec!["{\"a\": 1}".into()],
                first_line: 11
            }
        );
    }
}
