//! A report as markdown (pull-request comments), JSON (tools) or text (terminals).

use std::fmt::Write as _;

use serde::Serialize;

use super::{Bump, Change, Level, Report};

/// The first line of the markdown, so that a bot can find and update its comment.
pub(crate) const MARKER: &str = "<!-- classroom-api: cargo xtask diff -->";

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(r: &Report) -> String {
    format!(
        "{}, {}, {} other",
        plural(r.count(Level::Breaking), "breaking", "breaking"),
        plural(r.count(Level::Warning), "warning", "warnings"),
        r.count(Level::Info)
    )
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
            let _ = writeln!(out, "- {level} `{}`: {}", c.rule, c.message);
            let _ = writeln!(out, "  - At {}.", location(c));
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
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "<sub>Levels are for HTTP clients; the Rust lines are derived from the public items of the two generated crates. Rule ids: `codegen/src/diff/mod.rs`.</sub>"
    );
    out
}

#[derive(Serialize)]
struct Json<'a> {
    base: &'a str,
    head: &'a str,
    summary: Summary,
    suggested_bump: Bump,
    suggested_bump_while_zero: Bump,
    changes: &'a [Change],
}

#[derive(Serialize)]
struct Summary {
    breaking: usize,
    warning: usize,
    info: usize,
    rust_breaking: usize,
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
        },
        suggested_bump: bump,
        suggested_bump_while_zero: bump.while_zero(),
        changes: &r.changes,
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
                "  {:<8} {} at {}",
                c.level,
                c.rule,
                location(c).replace('`', "")
            );
            let _ = writeln!(out, "           {}", c.message);
            let _ = writeln!(out, "           rust: {}", c.rust_impact);
            if !c.also.is_empty() {
                let _ = writeln!(out, "           also: {}", c.also.join(", "));
            }
        }
    }
    out
}
