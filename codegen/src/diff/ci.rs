//! A report in the formats CI systems display: GitHub Actions workflow commands, SARIF 2.1.0 and
//! JUnit XML.
//!
//! In all three a change that fails the gates (`--fail-on`) is an error; a change that is accepted,
//! or `info` and harmless to Rust code, is a note; any other change is a warning. Expired and
//! unmatched entries of the accept file are errors located in that file. Every change carries its
//! fingerprint (SARIF: `partialFingerprints`; JUnit: the test case name; GitHub: the title).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{AcceptProblem, Change, Ci, Level, ProblemKind, RULES, Report, Side};

/// How a CI system shows a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Error,
    Warning,
    Note,
}

fn verdict(c: &Change, ci: Ci<'_>) -> Verdict {
    if c.fails(ci.gates) {
        Verdict::Error
    } else if c.accepted.is_none() && (c.level >= Level::Warning || c.rust_breaking) {
        Verdict::Warning
    } else {
        Verdict::Note
    }
}

/// The rule id a problem of the accept file is reported under.
fn problem_rule(p: &AcceptProblem) -> &'static str {
    match p.kind {
        ProblemKind::Expired => "accept-entry-expired",
        ProblemKind::Unmatched => "accept-entry-unmatched",
    }
}

/// The details beside the message: Rust impact, where a removal was, what else it affects, why
/// it is accepted.
fn details(c: &Change) -> Vec<String> {
    let mut out = Vec::new();
    let rust = if c.rust_breaking {
        "Rust (breaking)"
    } else {
        "Rust"
    };
    out.push(format!("{rust}: {}", c.rust_impact));
    if c.side == Side::Base {
        let line = c.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        out.push(format!(
            "Found in the base spec at `{}`{line}.",
            pointer_text(c)
        ));
    }
    if !c.also.is_empty() {
        out.push(format!("Also affects {}.", c.also.join(", ")));
    }
    if let Some(a) = &c.accepted {
        let until = a
            .expires
            .map(|d| format!(" (until {d})"))
            .unwrap_or_default();
        out.push(format!("Accepted{until}: {}", a.reason));
    }
    out
}

fn pointer_text(c: &Change) -> &str {
    if c.pointer.is_empty() {
        "/"
    } else {
        &c.pointer
    }
}

/// The line of a change in the head spec (a removal has none there).
fn head_line(c: &Change) -> Option<usize> {
    (c.side == Side::Head).then_some(c.line).flatten()
}

// GitHub Actions.

/// Escapes the message of a workflow command.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property (`file`, `title`) of a workflow command.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn gh_command(v: Verdict, file: &str, line: Option<usize>, title: &str, message: &str) -> String {
    let cmd = match v {
        Verdict::Error => "error",
        Verdict::Warning => "warning",
        Verdict::Note => "notice",
    };
    let line = line.map(|l| format!(",line={l}")).unwrap_or_default();
    format!(
        "::{cmd} file={}{line},title={}::{}\n",
        gh_property(file),
        gh_property(title),
        gh_data(message)
    )
}

pub(crate) fn github(r: &Report, ci: Ci<'_>) -> String {
    let mut out = String::new();
    for c in &r.changes {
        let accepted = if c.accepted.is_some() {
            ", accepted"
        } else {
            ""
        };
        let title = format!("{} ({}{accepted}) {}", c.rule, c.level, c.fingerprint);
        let mut message = c.message.clone();
        for d in details(c) {
            message.push('\n');
            message.push_str(&d);
        }
        out.push_str(&gh_command(
            verdict(c, ci),
            ci.spec_path,
            head_line(c),
            &title,
            &message,
        ));
    }
    for p in &r.accept_problems {
        out.push_str(&gh_command(
            Verdict::Error,
            &p.file,
            p.line,
            problem_rule(p),
            &p.message,
        ));
    }
    let failing = r.changes.iter().filter(|c| c.fails(ci.gates)).count();
    let gates: Vec<String> = ci.gates.iter().map(ToString::to_string).collect();
    let _ = writeln!(
        out,
        "spec diff: {} changes ({} accepted), {} failing --fail-on {}, {} accept-file problems",
        r.changes.len(),
        r.accepted(),
        failing,
        gates.join(","),
        r.accept_problems.len()
    );
    out
}

// SARIF.

fn sarif_level(v: Verdict) -> &'static str {
    match v {
        Verdict::Error => "error",
        Verdict::Warning => "warning",
        Verdict::Note => "note",
    }
}

fn sarif_location(uri: &str, line: Option<usize>) -> Value {
    let mut physical = json!({ "artifactLocation": { "uri": uri } });
    if let Some(l) = line {
        physical["region"] = json!({ "startLine": l });
    }
    json!([{ "physicalLocation": physical }])
}

pub(crate) fn sarif(r: &Report, ci: Ci<'_>) -> String {
    // The rules of the diff that found something, then the findings about the accept file.
    let mut rules: Vec<Value> = RULES
        .iter()
        .filter(|rule| r.changes.iter().any(|c| c.rule == rule.id))
        .map(|rule| {
            let level = match rule.level {
                Level::Breaking => "error",
                Level::Warning => "warning",
                Level::Info => "note",
            };
            json!({
                "id": rule.id,
                "defaultConfiguration": { "level": level },
                "properties": { "tags": ["openapi", rule.level.as_str()] },
            })
        })
        .collect();
    let accept_rules = [
        (
            "accept-entry-expired",
            "An entry of the accept file is past its date.",
        ),
        (
            "accept-entry-unmatched",
            "An entry of the accept file names no change.",
        ),
    ];
    for (id, text) in accept_rules {
        if !r.accept_problems.iter().any(|p| problem_rule(p) == id) {
            continue;
        }
        rules.push(json!({
            "id": id,
            "shortDescription": { "text": text },
            "defaultConfiguration": { "level": "error" },
        }));
    }
    let index = |id: &str| rules.iter().position(|r| r["id"] == id);
    let mut results = Vec::new();
    for c in &r.changes {
        let mut text = c.message.clone();
        for d in details(c) {
            text.push(' ');
            text.push_str(&d);
        }
        let mut result = json!({
            "ruleId": c.rule,
            "level": sarif_level(verdict(c, ci)),
            "message": { "text": text },
            "locations": sarif_location(ci.spec_path, head_line(c)),
            "partialFingerprints": { "classroomApiSpecDiff/v1": c.fingerprint },
            "properties": {
                "fingerprint": c.fingerprint,
                "level": c.level,
                "pointer": c.pointer,
                "side": c.side,
                "group": c.group,
                "rustImpact": c.rust_impact,
                "rustBreaking": c.rust_breaking,
                "bump": c.bump,
            },
        });
        if let Some(i) = index(c.rule) {
            result["ruleIndex"] = json!(i);
        }
        if let Some(a) = &c.accepted {
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": a.reason,
            }]);
        }
        results.push(result);
    }
    for p in &r.accept_problems {
        let id = problem_rule(p);
        let mut result = json!({
            "ruleId": id,
            "level": "error",
            "message": { "text": p.message },
            "locations": sarif_location(&p.file, p.line),
        });
        if let Some(i) = index(id) {
            result["ruleIndex"] = json!(i);
        }
        results.push(result);
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "classroom-api spec diff",
                    "fullName": "cargo xtask diff (classroom-api)",
                    "rules": rules,
                },
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

// JUnit.

/// An attribute value: escaped, with line breaks kept as character references.
fn attr(s: &str) -> String {
    xml(s).replace('\n', "&#10;")
}

/// Escapes text; drops characters XML 1.0 cannot hold.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\r' => out.push(' '),
            '\n' => out.push('\n'),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

struct Case {
    classname: String,
    name: String,
    file: String,
    line: Option<usize>,
    failure: Option<(String, String)>,
    out: String,
}

pub(crate) fn junit(r: &Report, ci: Ci<'_>) -> String {
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    for c in &r.changes {
        let body = details(c).join("\n");
        let case = Case {
            classname: format!("spec-diff.{}", c.rule),
            name: format!("{} at {} [{}]", c.rule, pointer_text(c), c.fingerprint),
            file: ci.spec_path.to_owned(),
            line: head_line(c),
            failure: c
                .fails(ci.gates)
                .then(|| (c.message.clone(), c.rule.to_owned())),
            out: format!("{} ({}) {}\n{body}", c.level, c.rule, c.message),
        };
        match suites.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, list)) => list.push(case),
            None => suites.push((c.group.clone(), vec![case])),
        }
    }
    for p in &r.accept_problems {
        let case = Case {
            classname: format!("spec-diff.{}", problem_rule(p)),
            name: format!(
                "{} at line {}",
                problem_rule(p),
                p.line.map_or_else(|| "?".to_owned(), |l| l.to_string())
            ),
            file: p.file.clone(),
            line: p.line,
            failure: Some((p.message.clone(), problem_rule(p).to_owned())),
            out: p.message.clone(),
        };
        match suites.iter_mut().find(|(g, _)| *g == p.file) {
            Some((_, list)) => list.push(case),
            None => suites.push((p.file.clone(), vec![case])),
        }
    }
    let count = |cases: &[Case]| {
        (
            cases.len(),
            cases.iter().filter(|c| c.failure.is_some()).count(),
        )
    };
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let failures = all.iter().filter(|c| c.failure.is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        attr(&format!("spec diff: {} -> {}", r.base, r.head)),
        all.len()
    );
    for (name, cases) in &suites {
        let (tests, failures) = count(cases);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            attr(name)
        );
        for c in cases {
            let line = c.line.map(|l| format!(" line=\"{l}\"")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"{line}>",
                attr(&c.classname),
                attr(&c.name),
                attr(&c.file)
            );
            if let Some((message, kind)) = &c.failure {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    attr(message),
                    attr(kind),
                    xml(&c.out)
                );
            } else {
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&c.out));
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    let _ = writeln!(out, "</testsuites>");
    out
}
