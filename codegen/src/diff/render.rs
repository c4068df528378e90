//! A report as markdown (pull-request comments), JSON (tools) or text (terminals).

use std::fmt::Write as _;

use serde::Serialize;

use super::{AcceptProblem, Bump, Change, Level, Report};

/// The first line of the markdown, so that a bot can find and update its comment.
pub(crate) const MARKER: &str = "<!-- classroom-api: cargo xtask diff -->";

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(r: &Report) -> String {
    let accepted = match r.accepted() {
        0 => String::new(),
        n => format!(" ({n} accepted)"),
    };
    format!(
        "{}, {}, {} other{accepted}",
        plural(r.count(Level::Breaking), "breaking", "breaking"),
        plural(r.count(Level::Warning), "warning", "warnings"),
        r.count(Level::Info)
    )
}

fn accepted_text(c: &Change) -> Option<String> {
    let a = c.accepted.as_ref()?;
    let until = a.expires.map(|d| format!(" until {d}")).unwrap_or_default();
    Some(format!("Accepted{until}: {}", a.reason))
}

fn problem_location(p: &AcceptProblem) -> String {
    match p.line {
        Some(l) => format!("{}:{l}", p.file),
        None => p.file.clone(),
    }
}

fn bump_text(b: Bump) -> String {
    match b {
        Bump::None => "none".to_owned(),
        Bump::Patch => "patch".to_owned(),
        b => format!("{b} ({}, since 0.x)", b.while_zero()),
    }
}

/// The changes grouped by heading, in report order.
fn groups(r: &Report) -> Vec<(&str, Vec<&Change>)> {
    let mut out: Vec<(&str, Vec<&Change>)> = Vec::new();
    for c in &r.changes {
        match out.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, list)) => list.push(c),
            None => out.push((&c.group, vec![c])),
        }
    }
    out
}

fn location(c: &Change) -> String {
    let pointer = if c.pointer.is_empty() {
        "/"
    } else {
        &c.pointer
    };
    match c.line {
        Some(l) => format!("`{pointer}` (line {l})"),
        None => format!("`{pointer}`"),
    }
}

pub(crate) fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(out, "## Spec diff: `{}` → `{}`", r.base, r.head);
    let _ = writeln!(out);
    if r.is_empty() {
        let _ = writeln!(
            out,
            "No change in the HTTP API or in the generated Rust API. Suggested `classroom-api` bump: **none**."
        );
        markdown_problems(&mut out, r);
        return out;
    }
    let _ = writeln!(
        out,
        "**{}** · Rust API: {} · Suggested `classroom-api` bump: **{}**",
        summary(r),
        plural(r.rust_breaking(), "breaking change", "breaking changes"),
        bump_text(r.suggested_bump())
    );
    for (group, changes) in groups(r) {
        let _ = writeln!(out);
        let _ = writeln!(out, "### {group}");
        let _ = writeln!(out);
        for c in changes {
            let level = match c.level {
                Level::Breaking => "**Breaking**",
                Level::Warning => "**Warning**",
                Level::Info => "Info",
            };
            let accepted = if c.accepted.is_some() {
                " (accepted)"
            } else {
                ""
            };
            let _ = writeln!(out, "- {level}{accepted} `{}`: {}", c.rule, c.message);
            let _ = writeln!(
                out,
                "  - At {}{} · fingerprint `{}`.",
                location(c),
                side_text(c),
                c.fingerprint
            );
            if let Some(a) = accepted_text(c) {
                let _ = writeln!(out, "  - {a}");
            }
            let rust = if c.rust_breaking {
                "Rust (breaking)"
            } else if c.bump == Bump::Minor {
                "Rust (additive)"
            } else {
                "Rust"
            };
            let _ = writeln!(out, "  - {rust}: {}", c.rust_impact);
            if !c.also.is_empty() {
                let also: Vec<String> = c.also.iter().map(|a| format!("`{a}`")).collect();
                let _ = writeln!(out, "  - Also affects {}.", also.join(", "));
            }
        }
    }
    markdown_problems(&mut out, r);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "<sub>Levels are for HTTP clients; the Rust lines are derived from the public items of the two generated crates. Rule ids: `codegen/src/diff/mod.rs`.</sub>"
    );
    out
}

fn side_text(c: &Change) -> &'static str {
    match c.side {
        super::Side::Base => " in the base",
        super::Side::Head => "",
    }
}

fn markdown_problems(out: &mut String, r: &Report) {
    if r.accept_problems.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "### Accept file");
    let _ = writeln!(out);
    for p in &r.accept_problems {
        let kind = match p.kind {
            super::ProblemKind::Expired => "Expired",
            super::ProblemKind::Unmatched => "Unmatched",
        };
        let _ = writeln!(
            out,
            "- **{kind}** entry at `{}`: {}",
            problem_location(p),
            p.message
        );
    }
}

#[derive(Serialize)]
struct Json<'a> {
    base: &'a str,
    head: &'a str,
    summary: Summary,
    suggested_bump: Bump,
    suggested_bump_while_zero: Bump,
    changes: &'a [Change],
    accept_problems: &'a [AcceptProblem],
}

#[derive(Serialize)]
struct Summary {
    breaking: usize,
    warning: usize,
    info: usize,
    rust_breaking: usize,
    accepted: usize,
}

pub(crate) fn json(r: &Report) -> String {
    let bump = r.suggested_bump();
    let doc = Json {
        base: &r.base,
        head: &r.head,
        summary: Summary {
            breaking: r.count(Level::Breaking),
            warning: r.count(Level::Warning),
            info: r.count(Level::Info),
            rust_breaking: r.rust_breaking(),
            accepted: r.accepted(),
        },
        suggested_bump: bump,
        suggested_bump_while_zero: bump.while_zero(),
        changes: &r.changes,
        accept_problems: &r.accept_problems,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

pub(crate) fn text(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "spec diff: {} -> {}", r.base, r.head);
    if r.is_empty() {
        let _ = writeln!(out, "no change; suggested bump: none");
        text_problems(&mut out, r);
        return out;
    }
    let _ = writeln!(
        out,
        "{}; Rust API: {}; suggested bump: {}",
        summary(r),
        plural(r.rust_breaking(), "breaking change", "breaking changes"),
        bump_text(r.suggested_bump())
    );
    for (group, changes) in groups(r) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", group.replace('`', ""));
        for c in changes {
            let _ = writeln!(
                out,
                "  {:<8} {} at {}{} [{}]",
                c.level,
                c.rule,
                location(c).replace('`', ""),
                side_text(c),
                c.fingerprint
            );
            let _ = writeln!(out, "           {}", c.message);
            if let Some(a) = accepted_text(c) {
                let _ = writeln!(out, "           {a}");
            }
            let _ = writeln!(out, "           rust: {}", c.rust_impact);
            if !c.also.is_empty() {
                let _ = writeln!(out, "           also: {}", c.also.join(", "));
            }
        }
    }
    text_problems(&mut out, r);
    out
}

fn text_problems(out: &mut String, r: &Report) {
    if r.accept_problems.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "accept file");
    for p in &r.accept_problems {
        let _ = writeln!(out, "  {} {}", problem_location(p), p.message);
    }
}

/// Where a change goes in Keep a Changelog's sections.
fn changelog_section(c: &Change) -> Option<&'static str> {
    let rule = c.rule;
    Some(match rule {
        "description-changed" => return None,
        "operation-deprecated" => "Deprecated",
        r if r.starts_with("security-") => "Security",
        r if r.ends_with("-removed")
            || r.ends_with("-removed-required")
            || r.ends_with("-removed-optional") =>
        {
            "Removed"
        }
        r if r.contains("-added") && !r.ends_with("-required") => "Added",
        _ => "Changed",
    })
}

pub(crate) fn changelog(r: &Report) -> String {
    const SECTIONS: [&str; 5] = ["Added", "Changed", "Deprecated", "Removed", "Security"];
    let mut out = String::new();
    let _ = writeln!(out, "## [Unreleased]");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "<!-- From `cargo xtask diff`: {} -> {}. Suggested `classroom-api` bump: {}. -->",
        r.base,
        r.head,
        bump_text(r.suggested_bump())
    );
    let docs = r
        .changes
        .iter()
        .filter(|c| changelog_section(c).is_none())
        .count();
    for section in SECTIONS {
        let entries: Vec<&Change> = r
            .changes
            .iter()
            .filter(|c| changelog_section(c) == Some(section))
            .collect();
        let doc_line = section == "Changed" && docs > 0;
        if entries.is_empty() && !doc_line {
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "### {section}");
        let _ = writeln!(out);
        for c in entries {
            let whose = match &c.operation {
                Some(op) => format!("`{op}`: "),
                None if c.group == "Rust API" => String::new(),
                None => format!("{}: ", c.group.replace('`', "")),
            };
            let breaking = if c.rust_breaking {
                "**Breaking:** "
            } else {
                ""
            };
            let _ = writeln!(out, "- {breaking}{whose}{}", c.message);
            if c.rust_breaking {
                let _ = writeln!(out, "  {}", c.rust_impact);
            }
        }
        if doc_line {
            let _ = writeln!(
                out,
                "- Documentation: {} of the spec changed (rustdoc only).",
                plural(docs, "description", "descriptions")
            );
        }
    }
    out
}
