//! The documents' JSON examples, made valid JSON the way `spec/README.md` describes: the body of a
//! curl `--data-raw '...'`, the `"status": ..., "body":` wrapper removed, a bare member list wrapped
//! in braces, `NumberInt("1")` and `NumberLong("1")` made numbers, `{...}` placeholders and trailing
//! commas removed. What is not JSON but only leaves something out (`//` and `/* */` comments, `...`
//! elisions) is removed too, and the example says what was skipped: an example with elisions is
//! partial, so the check takes the fields that are there and does not ask for the missing ones.
//! A URL shown as the request example (`https://...?nextId=xxx`) is no JSON example.

use serde_json::Value;

use super::{DocExample, ExampleKind};

/// Where a code block sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// Under a request example heading.
    Request,
    /// Under a response example heading.
    Response,
}

/// The example of a code block whose first line is `first_line`; `None` when the block holds no JSON
/// (a curl command without a body).
pub(crate) fn from_block(
    doc: &str,
    block: &[String],
    first_line: usize,
    place: Place,
) -> Option<DocExample> {
    let start = block.iter().position(|l| !l.trim().is_empty())?;
    let head = block[start].trim();
    if [
        "http://", "https://", "/", "GET ", "POST ", "PUT ", "PATCH ", "DELETE ",
    ]
    .iter()
    .any(|p| head.starts_with(p))
    {
        return None;
    }
    let (offset, text, kind) = if head.starts_with("curl") {
        let at = block.iter().position(|l| l.contains("--data-raw '"))?;
        let mut text = String::new();
        let first = &block[at];
        text.push_str(&first[first.find("--data-raw '")? + "--data-raw '".len()..]);
        for l in &block[at + 1..] {
            text.push('\n');
            text.push_str(l);
        }
        let end = text.rfind('\'')?;
        text.truncate(end);
        (at, text, ExampleKind::Request)
    } else if head.starts_with("\"status\"") {
        let status: u16 = head
            .trim_start_matches("\"status\"")
            .trim_start_matches([' ', ':'])
            .trim_end_matches(',')
            .trim()
            .parse()
            .ok()?;
        let body = block
            .iter()
            .position(|l| l.trim().starts_with("\"body\""))?;
        let rest = block[body]
            .trim()
            .trim_start_matches("\"body\"")
            .trim_start();
        let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
        let (offset, mut text) = if rest.is_empty() {
            (body + 1, String::new())
        } else {
            (body, rest.to_owned())
        };
        for l in &block[body + 1..] {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(l);
        }
        let kind = if status >= 400 {
            ExampleKind::Error
        } else {
            ExampleKind::Response
        };
        (offset, text, kind)
    } else if head.starts_with('"') {
        let text = format!("{{{}\n}}", block[start..].join("\n"));
        (start, text, ExampleKind::EventData)
    } else {
        let kind = match place {
            Place::Request => ExampleKind::Request,
            Place::Response => ExampleKind::Response,
        };
        (start, block[start..].join("\n"), kind)
    };
    let line = first_line + offset;
    let (normalized, skipped) = normalize(&text);
    let json = serde_json::from_str::<Value>(&normalized).map_err(|e| {
        let at = line + e.line().saturating_sub(1);
        format!("line {at}: {e}")
    });
    Some(DocExample {
        doc: doc.to_owned(),
        line,
        operation: None,
        kind,
        json,
        lines: block[offset..].to_vec(),
        skipped,
    })
}

/// Makes the vendor's JSON-like text JSON, keeping its lines where they are; also says what it
/// skipped.
fn normalize(text: &str) -> (String, Skipped) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("Number") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let call = ["NumberInt(\"", "NumberLong(\""]
            .iter()
            .find(|p| rest.starts_with(**p));
        match call.and_then(|p| {
            let inner = &rest[p.len()..];
            let end = inner.find("\")")?;
            Some((&inner[..end], p.len() + end + 2))
        }) {
            Some((number, len)) => {
                out.push_str(number);
                rest = &rest[len..];
            }
            None => {
                out.push_str("Number");
                rest = &rest["Number".len()..];
            }
        }
    }
    out.push_str(rest);
    let placeholders = out.matches("{...}").count();
    let (text, mut skipped) = without_comments(&out.replace("{...},", "").replace("{...}", ""));
    skipped.elisions += placeholders;
    (without_stray_commas(&text), skipped)
}

/// What reading an example skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// `//` and `/* */` comments.
    pub comments: usize,
    /// `...` elisions and `{...}` placeholders: the example is partial.
    pub elisions: usize,
}

impl Skipped {
    /// `2 comments, 1 `...` elision`, or empty when nothing was skipped.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.comments > 0 {
            parts.push(format!(
                "{} comment{}",
                self.comments,
                if self.comments == 1 { "" } else { "s" }
            ));
        }
        if self.elisions > 0 {
            parts.push(format!(
                "{} `...` elision{}",
                self.elisions,
                if self.elisions == 1 { "" } else { "s" }
            ));
        }
        parts.join(", ")
    }
}

/// Removes comments and `...` elisions outside strings; line breaks stay where they are.
fn without_comments(text: &str) -> (String, Skipped) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut skipped = Skipped::default();
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            skipped.comments += 1;
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            skipped.comments += 1;
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == '.' && next == Some('.') && chars.get(i + 2) == Some(&'.') || c == '…' {
            skipped.elisions += 1;
            while i < chars.len() && (chars[i] == '.' || chars[i] == '…') {
                i += 1;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
        i += 1;
    }
    (out, skipped)
}

/// Removes the commas that stand right before `]` or `}`, right after `[`, `{` or another comma
/// (outside strings): what trailing commas and removed elisions leave.
fn without_stray_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let previous = out.chars().rev().find(|c| !c.is_whitespace());
            if matches!(next, Some(']' | '}' | ','))
                || matches!(previous, Some('[' | '{' | ',') | None)
            {
                continue;
            }
        }
        out.push(c);
    }
    out
}

impl DocExample {
    /// The line of the member an instance path (`/data/list/0/type`) names, found by searching the
    /// example's text for each key in turn; dotted keys (`"extra.totalCount"`) are found too.
    pub fn line_of(&self, pointer: &str) -> usize {
        let segments: Vec<&str> = pointer.split('/').skip(1).collect();
        let mut row = 0;
        let mut col = 0;
        let mut i = 0;
        while i < segments.len() {
            let seg = segments[i];
            // The longest dotted key that joins this and the next segments, then the key alone.
            let found = (i..segments.len()).rev().find_map(|j| {
                let key = format!("\"{}\"", segments[i..=j].join("."));
                self.find(&key, row, col).map(|at| (j, at))
            });
            match found {
                Some((j, (r, c))) => {
                    row = r;
                    col = c;
                    i = j + 1;
                }
                None => {
                    if seg.parse::<usize>().is_err() {
                        break;
                    }
                    i += 1;
                }
            }
        }
        self.line + row
    }

    /// The position just after the first `key` followed by `:` at or after (row, col).
    fn find(&self, key: &str, row: usize, col: usize) -> Option<(usize, usize)> {
        for (r, text) in self.lines.iter().enumerate().skip(row) {
            let from = if r == row { col.min(text.len()) } else { 0 };
            let mut search = from;
            while let Some(at) = text.get(search..).and_then(|t| t.find(key)) {
                let end = search + at + key.len();
                if text[end..].trim_start().starts_with(':') {
                    return Some((r, end));
                }
                search = end;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn wrappers_calls_and_placeholders() {
        let block = lines(
            "\"status\": 200,\n\"body\":\n{\n  \"n\": NumberInt(\"1\"),\n  \"list\": [{\"a\": 1}, {...},],\n}",
        );
        let e = from_block("zh", &block, 10, Place::Response).unwrap();
        assert_eq!(e.line, 12);
        assert_eq!(e.kind, ExampleKind::Response);
        assert_eq!(
            e.json.unwrap(),
            serde_json::json!({"n": 1, "list": [{"a": 1}]})
        );
        let e = from_block(
            "zh",
            &lines("\"status\": 404,\n\"body\":\n{\"code\": 1}"),
            1,
            Place::Response,
        )
        .unwrap();
        assert_eq!(e.kind, ExampleKind::Error);
    }

    #[test]
    fn curl_bodies_and_fragments() {
        let block = lines("curl -X PUT 'x' \\\n-H 'a: b' \\\n--data-raw '{\n  \"a\": 1\n}'");
        let e = from_block("zh", &block, 5, Place::Request).unwrap();
        assert_eq!((e.line, e.kind), (7, ExampleKind::Request));
        assert_eq!(e.json.unwrap(), serde_json::json!({"a": 1}));
        assert!(from_block("zh", &lines("curl -X GET 'x'"), 5, Place::Request).is_none());
        let block = lines(
            "\"action\": NumberInt(\"1\"),\n\"changeProperties\": {\n  \"extra.totalCount\": 2\n}",
        );
        let e = from_block("zh", &block, 20, Place::Response).unwrap();
        assert_eq!(e.kind, ExampleKind::EventData);
        assert_eq!(e.line_of("/changeProperties/extra/totalCount"), 22);
        assert_eq!(e.line_of("/action"), 20);
    }
}
