//! Exchanges as the proxy records them and the replay server serves them: JSON lines, one file
//! per operation, with every secret scrubbed.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::conformance::Drift;

/// What replaces a secret.
pub const SCRUBBED: &str = "[scrubbed]";

/// The file of exchanges that matched no operation.
pub const UNMATCHED_FILE: &str = "unmatched.jsonl";

/// One request and its answer, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// The operationId, `None` when no operation of the spec matched.
    pub operation: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// The path and query, as requested.
    pub path: String,
    /// The request.
    pub request: Message,
    /// The answer.
    pub response: Message,
    /// How the exchange differs from the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drifts: Vec<Drift>,
}

/// A request or an answer: headers and body, scrubbed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The HTTP status (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The headers (names in lower case; secrets scrubbed).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body: JSON when it is JSON, a string otherwise, `null` when empty.
    #[serde(default)]
    pub body: Value,
}

impl Message {
    /// A message of these headers and body bytes, scrubbed.
    pub fn scrubbed(status: Option<u16>, headers: &HeaderMap, body: &[u8]) -> Message {
        Message {
            status,
            headers: scrub_headers(headers),
            body: scrubbed_body(body),
        }
    }

    /// The body's bytes as they are served again.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Value::Null => Vec::new(),
            Value::String(s) if !self.is_json() => s.clone().into_bytes(),
            other => other.to_string().into_bytes(),
        }
    }

    fn is_json(&self) -> bool {
        self.headers
            .get("content-type")
            .is_some_and(|t| t.contains("json"))
    }
}

/// A body as recorded: parsed JSON (scrubbed), or the text (scrubbed), or `null` when empty.
pub fn scrubbed_body(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            scrub_json(&mut value, None);
            value
        }
        Err(_) => Value::String(scrub_text(&String::from_utf8_lossy(body))),
    }
}

/// Header names whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-agora-token",
    "cookie",
    "set-cookie",
];

/// The headers, names in lower case, secret values scrubbed (repeated headers joined by `, `).
pub fn scrub_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str().to_ascii_lowercase();
        let value = if SECRET_HEADERS.contains(&name.as_str()) {
            SCRUBBED.to_owned()
        } else {
            scrub_text(&String::from_utf8_lossy(value.as_bytes()))
        };
        out.entry(name)
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// Whether a JSON member of this name holds a secret.
fn secret_key(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["token", "secret", "password", "certificate", "credential"]
        .iter()
        .any(|w| lower.contains(w))
        || matches!(
            lower.as_str(),
            "appkey" | "boardappid" | "sign" | "signature"
        )
}

/// Scrubs secrets in a JSON value: members named like secrets, every string of the board's and
/// the chat's `extra` (their credentials), and tokens inside any string.
pub fn scrub_json(value: &mut Value, key: Option<&str>) {
    match value {
        Value::Object(map) => scrub_object(map, key),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, key)),
        Value::String(s) => {
            let scrubbed = scrub_text(s);
            *s = scrubbed;
        }
        _ => {}
    }
}

fn scrub_object(map: &mut Map<String, Value>, key: Option<&str>) {
    for (name, member) in map.iter_mut() {
        if secret_key(name) && !member.is_object() && !member.is_array() && !member.is_null() {
            *member = Value::String(SCRUBBED.to_owned());
        } else if name == "extra"
            && matches!(key, Some("netlessBoard" | "easemobIM"))
            && let Value::Object(extra) = member
        {
            for v in extra.values_mut() {
                if !v.is_null() {
                    *v = Value::String(SCRUBBED.to_owned());
                }
            }
        } else {
            scrub_json(member, Some(name));
        }
    }
}

/// Scrubs tokens inside a text: Agora tokens (`006…`, `007…` and a long base64 tail), and the
/// values of URL query parameters named like secrets (`rtmToken=…`).
pub fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        // A query parameter named like a secret: `name=value`.
        if bytes[i] == b'=' {
            let start = text[..i]
                .char_indices()
                .rev()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                .map_or(0, |(p, c)| p + c.len_utf8());
            if start < i && secret_key(&text[start..i]) {
                let end = text[i + 1..]
                    .find(['&', '#', '"', '\'', ' ', '\n', '\t'])
                    .map_or(text.len(), |p| i + 1 + p);
                if end > i + 1 {
                    out.push_str(&text[copied..=i]);
                    out.push_str(SCRUBBED);
                    copied = end;
                    i = end;
                    continue;
                }
            }
        }
        // An Agora token: `006` or `007`, then at least 60 base64 characters.
        if text.is_char_boundary(i)
            && (text[i..].starts_with("006") || text[i..].starts_with("007"))
            && (i == 0 || !is_token_char(bytes[i - 1]))
        {
            let len = bytes[i..].iter().take_while(|b| is_token_char(**b)).count();
            if len >= 63 {
                out.push_str(&text[copied..i]);
                out.push_str(SCRUBBED);
                copied = i + len;
                i += len;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Appends exchanges to `DIR/<operationId>.jsonl` (`DIR/unmatched.jsonl`), a line each, flushed
/// as written.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    files: Mutex<BTreeMap<String, BufWriter<File>>>,
}

impl Recorder {
    /// Records into `dir`, created if missing.
    pub fn new(dir: &Path) -> std::io::Result<Recorder> {
        std::fs::create_dir_all(dir)?;
        Ok(Recorder {
            dir: dir.to_owned(),
            files: Mutex::new(BTreeMap::new()),
        })
    }

    /// Appends one exchange.
    pub fn record(&self, exchange: &Exchange) -> std::io::Result<()> {
        let name = match &exchange.operation {
            Some(op) if op.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                format!("{op}.jsonl")
            }
            _ => UNMATCHED_FILE.to_owned(),
        };
        let line = serde_json::to_string(exchange).map_err(std::io::Error::other)?;
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if !files.contains_key(&name) {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(&name))?;
            files.insert(name.clone(), BufWriter::new(file));
        }
        let Some(file) = files.get_mut(&name) else {
            return Ok(());
        };
        file.write_all(line.as_bytes())?;
        file.write_all(b"\n")?;
        file.flush()
    }
}

/// Every exchange recorded in `dir` (files ending in `.jsonl`, in name order, lines in order).
pub fn load(dir: &Path) -> Result<Vec<Exchange>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut exchanges = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        exchanges.extend(parse(&text, &file.display().to_string())?);
    }
    Ok(exchanges)
}

/// The exchanges of one recording file's text; an error names `file` and the line.
pub fn parse(text: &str, file: &str) -> Result<Vec<Exchange>, String> {
    let mut exchanges = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let exchange: Exchange =
            serde_json::from_str(line).map_err(|e| format!("{file}:{}: {e}", n + 1))?;
        exchanges.push(exchange);
    }
    Ok(exchanges)
}

/// A JSON value as a string with object members sorted, so that equal bodies compare equal
/// whatever their member order.
pub fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_scrubbed_wherever_they_are() {
        let token = format!("007{}", "eJxTYBBY".repeat(12));
        let mut body = json!({
            "url": format!("https://x.example/?userUuid=u&rtmToken={token}&language=en"),
            "boardToken": "NETLESSSDK_abc",
            "widgets": {"netlessBoard": {"extra": {"boardAppId": "app", "boardId": "b1"}, "state": 1},
                        "easemobIM": {"extra": {"orgName": "org", "appKey": "k#1"}}},
            "note": format!("token {token} here"),
            "userName": "Ann",
        });
        scrub_json(&mut body, None);
        let text = body.to_string();
        for secret in [
            token.as_str(),
            "NETLESSSDK_abc",
            "k#1",
            "\"app\"",
            "\"org\"",
            "b1",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(
            text.contains("Ann") && text.contains("language=en"),
            "{text}"
        );
    }

    #[test]
    fn text_around_many_byte_characters_is_scrubbed_without_a_panic() {
        // Found by the `proxy` fuzz target: a multi-byte character before `=`.
        assert_eq!(scrub_text("\u{b3}=x"), "\u{b3}=x");
        assert_eq!(
            scrub_text("é rtmToken=abc&z=1"),
            "é rtmToken=[scrubbed]&z=1"
        );
        assert_eq!(scrub_text("ü007"), "ü007");
    }

    #[test]
    fn canonical_ignores_member_order() {
        assert_eq!(
            canonical(&json!({"b": 1, "a": {"y": 2, "x": 1}})),
            canonical(&json!({"a": {"x": 1, "y": 2}, "b": 1}))
        );
    }
}
