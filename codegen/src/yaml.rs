//! YAML text to a JSON value, remembering the line of every node by its JSON pointer.
//!
//! A spec is outside input: an alias (`*a`) copies its anchor's value, so a few lines of aliases
//! of aliases (or of one long string) can stand for gigabytes (the "billion laughs"). The
//! document may weigh at most [`MAX_NODES`] (a node weighs 1, plus 1 per 32 bytes of its text;
//! aliases weigh what they copy) and nest at most [`MAX_DEPTH`] levels; past either the parse
//! stops with a located error, before the memory is spent.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A parsed document: the value and the 1-based line where each JSON pointer starts.
#[derive(Debug, Clone)]
pub struct Located {
    /// The document as JSON.
    pub value: Value,
    /// JSON pointer (`""` for the root) to the 1-based line of the node (for object members, of the key).
    pub lines: BTreeMap<String, usize>,
}

/// Where a YAML text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What went wrong.
    pub message: String,
}

/// The most a document may weigh, aliases expanded: nodes, plus 1 per 32 bytes of text (the
/// real spec weighs about 20 000).
pub const MAX_NODES: usize = 1_000_000;
/// The deepest nesting of sequences and mappings a document may have.
pub const MAX_DEPTH: usize = 128;

/// Parses YAML (or JSON, a subset of it) into a [`Located`] value.
pub fn parse(text: &str) -> Result<Located, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| YamlError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    let value = builder.root.unwrap_or(Value::Null);
    Ok(Located {
        value,
        lines: builder.lines,
    })
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

enum Frame {
    /// Items, pointer, nodes so far (the sequence itself included).
    Seq(Vec<Value>, String, usize),
    /// Members, pointer, pending key, nodes so far (the mapping itself included).
    Map(Map<String, Value>, String, Option<String>, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    lines: BTreeMap<String, usize>,
    /// Each anchored value with its node count.
    anchors: BTreeMap<usize, (Value, usize)>,
    /// The anchor id (0 for none) of each open sequence or mapping, innermost last.
    open_anchors: Vec<usize>,
    /// Nodes in the document so far, aliases counted expanded.
    nodes: usize,
    error: Option<YamlError>,
}

impl Builder {
    /// The pointer of the node that starts now, and records its line.
    fn next_pointer(&mut self, mark: Marker) -> Option<String> {
        let pointer = match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq(items, base, _)) => format!("{base}/{}", items.len()),
            Some(Frame::Map(_, base, Some(key), _)) => format!("{base}/{}", escape_token(key)),
            // A key is starting: it is recorded when it completes.
            Some(Frame::Map(_, _, None, _)) => return None,
        };
        self.lines.entry(pointer.clone()).or_insert(mark.line());
        Some(pointer)
    }

    /// Counts `count` more nodes; false (with the error recorded) past [`MAX_NODES`].
    fn count(&mut self, count: usize, mark: Marker) -> bool {
        self.nodes = self.nodes.saturating_add(count);
        if self.nodes <= MAX_NODES {
            return true;
        }
        self.fail(
            mark,
            format!(
                "the document weighs more than {MAX_NODES} nodes, aliases expanded \
                 (an alias bomb?)"
            ),
        );
        false
    }

    fn fail(&mut self, mark: Marker, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: mark.line(),
                col: mark.col() + 1,
                message,
            });
        }
    }

    /// Adds a completed node of `count` nodes to its parent.
    fn push_value(&mut self, value: Value, count: usize, anchor: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), count));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq(items, _, nodes)) => {
                *nodes = nodes.saturating_add(count);
                items.push(value);
            }
            Some(Frame::Map(map, base, key, nodes)) => match key.take() {
                Some(k) => {
                    *nodes = nodes.saturating_add(count);
                    map.insert(k, value);
                }
                None => {
                    let k = match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    let pointer = format!("{base}/{}", escape_token(&k));
                    if map.contains_key(&k) && self.error.is_none() {
                        self.error = Some(YamlError {
                            line: mark.line(),
                            col: mark.col() + 1,
                            message: format!("duplicate key `{k}`"),
                        });
                    }
                    self.lines.insert(pointer, mark.line());
                    *key = Some(k);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        // After an error the rest of the document is only scanned, not built.
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let weight = 1 + text.len() / 32;
                if !self.count(weight, mark) {
                    return;
                }
                self.next_pointer(mark);
                let value = scalar(text, style, tag.as_ref());
                self.push_value(value, weight, anchor, mark);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if !self.count(1, mark) {
                    return;
                }
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        mark,
                        format!("the document nests deeper than {MAX_DEPTH} levels"),
                    );
                    return;
                }
                let pointer = self.next_pointer(mark).unwrap_or_default();
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new(), pointer, 1)
                } else {
                    Frame::Map(Map::new(), pointer, None, 1)
                };
                self.stack.push(frame);
                // The anchor is recorded when the node ends.
                self.open_anchors.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, count) = match self.stack.pop() {
                    Some(Frame::Seq(items, _, count)) => (Value::Array(items), count),
                    Some(Frame::Map(map, _, _, count)) => (Value::Object(map), count),
                    None => return,
                };
                let anchor = self.open_anchors.pop().unwrap_or(0);
                self.push_value(value, count, anchor, mark);
            }
            Event::Alias(id) => {
                let count = self.anchors.get(&id).map_or(1, |(_, count)| *count);
                // Counted before the copy is made.
                if !self.count(count, mark) {
                    return;
                }
                let value = self
                    .anchors
                    .get(&id)
                    .map_or(Value::Null, |(value, _)| value.clone());
                self.next_pointer(mark);
                self.push_value(value, count, 0, mark);
            }
            _ => {}
        }
    }
}

/// Resolves a scalar by the YAML 1.2 core schema.
fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    if let Some(tag) = tag
        && tag.suffix == "str"
    {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && text.chars().any(|c| c.is_ascii_digit());
    if looks_numeric
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_types() {
        let doc = parse("a:\n  b: 1\n  c: 'x'\n  '200':\n    - null\n    - 2.5\n").unwrap();
        assert_eq!(
            doc.value,
            serde_json::json!({"a": {"b": 1, "c": "x", "200": [null, 2.5]}})
        );
        assert_eq!(doc.lines["/a"], 1);
        assert_eq!(doc.lines["/a/b"], 2);
        assert_eq!(doc.lines["/a/200"], 4);
        assert_eq!(doc.lines["/a/200/1"], 6);
    }

    #[test]
    fn duplicate_key_is_an_error() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("duplicate key `a`"));
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let doc = parse("a: &a {x: [1, 2]}\nb: *a\nc: &c s\nd: [*c, *a]\n").unwrap();
        assert_eq!(
            doc.value,
            serde_json::json!({"a": {"x": [1, 2]}, "b": {"x": [1, 2]}, "c": "s",
                "d": ["s", {"x": [1, 2]}]})
        );
    }

    #[test]
    fn an_alias_bomb_is_a_located_error() {
        // Nine levels of ten aliases each: 10^9 strings.
        let mut text = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
        assert!((6..=10).contains(&err.line), "{err:?}");
    }

    #[test]
    fn a_long_string_aliased_many_times_is_an_error() {
        // 10 kB aliased 20 000 times: 200 MB from a 100 kB text.
        let mut text = format!("s: &s {}\nl: [", "x".repeat(10_000));
        text.push_str(&vec!["*s"; 20_000].join(", "));
        text.push_str("]\n");
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("deeper than"), "{err:?}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.line >= 1, "{err:?}");
    }
}
