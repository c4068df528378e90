//! The bodies of the fuzz targets: one function per boundary where outside bytes enter.
//!
//! `fuzz/` (cargo-fuzz, nightly) calls them with libFuzzer's inputs; `tests/tests/fuzz.rs` calls
//! them on stable with a seed corpus and proptest mutations, within a time budget. Each function
//! takes any bytes and must return without panicking, in bounded time and memory; a `panic!` here
//! is a finding.
//!
//! | target | bytes | where they go |
//! | --- | --- | --- |
//! | `response` | `STATUS\nName: value\n...\n\nBODY` | the client's reading of an answer ([`classroom_api::decode_response`]) |
//! | `event` | JSON | [`classroom_api::events::Event`] and a page of events |
//! | `token` | text (base64 of zlib for 007) | [`classroom_api::token::parse`], then checks |
//! | `spec` | YAML | [`classroom_codegen::generate`] (`Spec::load`, then the generator) |
//! | `docs` | text | [`classroom_codegen::docs::parse`] as Markdown and as the English text |
//! | `diff` | two YAML specs separated by a line `---8<---` | [`classroom_codegen::diff::diff`] |
//! | `proxy` | `METHOD PATH STATUS\nBODY` | the validating proxy's checks ([`classroom_emulator::conformance`]), its scrubbing and the replay server's reading of a recording ([`classroom_emulator::recording`]) |

use classroom_api::operations::{GET_USER, LIST_ROOM_EVENTS};
use classroom_api::token::{self, AppCertificate, AppId, ParsedToken};
use classroom_api::types::{EventPage, User};

/// The line that separates the two specs of the `diff` target.
pub const DIFF_SEPARATOR: &str = "\n---8<---\n";

/// The body of one fuzz target.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/` name them.
pub const TARGETS: &[(&str, Target)] = &[
    ("response", response),
    ("event", event),
    ("token", token),
    ("spec", spec),
    ("docs", docs),
    ("diff", diff),
    ("proxy", proxy),
];

/// A server's answer into the client: status line, headers, body.
pub fn response(data: &[u8]) {
    let (head, body) = split_once(data, b"\n\n").unwrap_or((data, b""));
    let mut lines = head.split(|b| *b == b'\n');
    let status = lines
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
        .and_then(|l| l.trim().parse::<u16>().ok())
        .unwrap_or(200);
    let headers: Vec<(&str, &[u8])> = lines
        .filter_map(|line| {
            let (name, value) = split_once(line, b":")?;
            Some((std::str::from_utf8(name).ok()?.trim(), value.trim_ascii()))
        })
        .collect();
    let _ = classroom_api::decode_response::<User>(&GET_USER, status, &headers, body);
    let _ = classroom_api::decode_response::<EventPage>(&LIST_ROOM_EVENTS, status, &headers, body);
    if let Err(err) =
        classroom_api::decode_response::<serde_json::Value>(&GET_USER, status, &headers, body)
    {
        // Every error can be shown, and keeps at most 256 bytes of the body.
        let _ = format!("{err} {err:?}");
        if let classroom_api::Error::Decode(d) = &err {
            assert!(d.body_prefix.chars().count() <= 256);
        }
    }
}

/// An event from a page of the events API.
pub fn event(data: &[u8]) {
    if let Ok(event) = serde_json::from_slice::<classroom_api::events::Event>(data) {
        let _ = format!("{event:?}");
    }
    let page = [
        br#"{"list":["#.as_slice(),
        data,
        br#"],"nextId":null}"#.as_slice(),
    ]
    .concat();
    let _ = serde_json::from_slice::<EventPage>(&page);
}

/// A token string, of either version: parsed, then checked against an app and a certificate.
pub fn token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = token::parse(text) else {
        return;
    };
    let app = AppId::new("970ca35de60c44645bbae8a215061b33").expect("a valid app id");
    let certificate =
        AppCertificate::new("5cfd2fd1755d40ecb72977518be15d3b").expect("a valid certificate");
    let _ = parsed.expires_at();
    let _ = format!("{parsed:?}");
    match parsed {
        ParsedToken::AccessToken2(t) => {
            let _ = t.validate(&app, &certificate, u64::MAX);
            let _ = t.validate(&app, &certificate, 0);
            assert!(
                t.content().len() <= 64 * 1024,
                "decompressed content is bounded"
            );
        }
        ParsedToken::Legacy(t) => {
            let _ = t.validate_rtm(&app, &certificate, "uid", u64::MAX);
        }
        // A kind of token a later version reads.
        _ => {}
    }
}

/// A spec file into the loader and the generator.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match classroom_codegen::generate(text, "fuzz.yaml") {
        Ok(generated) => assert!(!generated.files.is_empty()),
        Err(err) => {
            let _ = err.to_string();
        }
    }
}

/// A vendor document into the documents' parser, read both as Markdown and as the English text.
pub fn docs(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["fuzz.md", "fuzz.txt"] {
        if let Ok(model) = classroom_codegen::docs::parse(name, text) {
            let _ = format!("{model:?}");
        }
    }
}

/// Two specs into the diff.
pub fn diff(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (base, head) = text.split_once(DIFF_SEPARATOR).unwrap_or((text, text));
    let (Ok(base), Ok(head)) = (
        classroom_codegen::Spec::load(base, "base.yaml"),
        classroom_codegen::Spec::load(head, "head.yaml"),
    ) else {
        return;
    };
    let report = classroom_codegen::diff::diff(&base, &head);
    let _ = report.to_text();
    let _ = report.to_json();
}

/// What the validating proxy does with a request and the upstream's answer, and what the replay
/// server does with a recording: `METHOD PATH STATUS` on the first line, the body after it.
pub fn proxy(data: &[u8]) {
    use classroom_emulator::conformance::Conformance;
    use classroom_emulator::recording;
    static SPEC: std::sync::OnceLock<Conformance> = std::sync::OnceLock::new();
    let spec = SPEC.get_or_init(|| Conformance::builtin().expect("the compiled-in spec loads"));
    let (line, body) = split_once(data, b"\n").unwrap_or((data, b""));
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let method = words.next().unwrap_or("GET");
    let path = words.next().unwrap_or("/");
    let status = words
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(200);
    for drift in spec
        .check_request(method, path, Some(body))
        .into_iter()
        .chain(spec.check_response(method, path, status, body))
    {
        // Every finding can be shown, and keeps a short value.
        assert!(drift.to_string().len() < 4096 + path.len() + method.len());
    }
    let scrubbed = recording::scrubbed_body(body);
    let _ = recording::canonical(&scrubbed);
    let text = String::from_utf8_lossy(body);
    let _ = recording::scrub_text(&text);
    let _ = recording::parse(&text, "fuzz.jsonl");
}

fn split_once<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data.windows(separator.len()).position(|w| w == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}
