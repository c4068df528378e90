//! YAML text to a JSON value, remembering the line of every node by its JSON pointer.

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
    Seq(Vec<Value>, String),
    Map(Map<String, Value>, String, Option<String>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    lines: BTreeMap<String, usize>,
    anchors: BTreeMap<usize, Value>,
    error: Option<YamlError>,
}

impl Builder {
    /// The pointer of the node that starts now, and records its line.
    fn next_pointer(&mut self, mark: Marker) -> Option<String> {
        let pointer = match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq(items, base)) => format!("{base}/{}", items.len()),
            Some(Frame::Map(_, base, Some(key))) => format!("{base}/{}", escape_token(key)),
            // A key is starting: it is recorded when it completes.
            Some(Frame::Map(_, _, None)) => return None,
        };
        self.lines.entry(pointer.clone()).or_insert(mark.line());
        Some(pointer)
    }

    fn push_value(&mut self, value: Value, anchor: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, base, key)) => match key.take() {
                Some(k) => {
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
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.next_pointer(mark);
                let value = scalar(text, style, tag.as_ref());
                self.push_value(value, anchor, mark);
            }
            Event::SequenceStart(_, _) => {
                let pointer = self.next_pointer(mark).unwrap_or_default();
                self.stack.push(Frame::Seq(Vec::new(), pointer));
            }
            Event::MappingStart(_, _) => {
                let pointer = self.next_pointer(mark).unwrap_or_default();
                self.stack.push(Frame::Map(Map::new(), pointer, None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Seq(items, _)) => Value::Array(items),
                    Some(Frame::Map(map, _, _)) => Value::Object(map),
                    None => return,
                };
                self.push_value(value, 0, mark);
            }
            Event::Alias(id) => {
                self.next_pointer(mark);
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                self.push_value(value, 0, mark);
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
    fn syntax_error_has_a_line() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.line >= 1, "{err:?}");
    }
}
