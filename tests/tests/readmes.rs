//! Every snippet of every README compiles as written: each README with Rust code is a doctest
//! (the crates' READMEs are their rustdoc front pages, the workspace's is a doctest of this
//! crate), no Rust snippet is `ignore`d, and each README's Cargo snippet lists every crate its
//! Rust snippets use.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives one level below the workspace root")
        .to_path_buf()
}

/// Every file under the workspace root (outside `target/` and hidden folders) whose name ends
/// with `suffix`.
fn files(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                files(&path, suffix, out);
            }
        } else if name.ends_with(suffix) {
            out.push(path);
        }
    }
}

/// The fenced code blocks of a markdown text: (info string, body).
fn fences(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match (&mut open, trimmed.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Whether a fence is Rust code rustdoc compiles (rustdoc's rule: no info string, or a
/// comma-separated list with `rust` or only attributes).
fn is_rust(info: &str) -> bool {
    let attrs = [
        "rust",
        "no_run",
        "should_panic",
        "compile_fail",
        "ignore",
        "edition2018",
        "edition2021",
        "edition2024",
    ];
    info.is_empty()
        || info
            .split(',')
            .map(str::trim)
            .all(|a| attrs.contains(&a) || a.starts_with('E'))
}

/// The crates a Cargo snippet lists under any `[...dependencies]` table, as Rust names.
fn listed_crates(toml: &str) -> BTreeSet<String> {
    let mut in_deps = false;
    let mut crates = BTreeSet::new();
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line
                .trim_matches(|c| c == '[' || c == ']')
                .ends_with("dependencies");
        } else if in_deps && let Some((name, _)) = line.split_once('=') {
            crates.insert(name.trim().replace('-', "_"));
        }
    }
    crates
}

/// Removes string literals (raw and plain) and comments, so that a URL or a comment is not read
/// as a path.
fn code_only(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if let Some(raw) = rest.strip_prefix("r#\"") {
            rest = raw.split_once("\"#").map_or("", |(_, after)| after);
            out.push_str("\"\"");
        } else if let Some(s) = rest.strip_prefix('"') {
            let mut escaped = false;
            let end = s
                .char_indices()
                .find(|&(_, ch)| {
                    let close = ch == '"' && !escaped;
                    escaped = ch == '\\' && !escaped;
                    close
                })
                .map_or(s.len(), |(i, _)| i + 1);
            rest = &s[end..];
            out.push_str("\"\"");
        } else if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The external crates a Rust snippet uses: the first segment of each path that is not a
/// name the snippet imports, a primitive type or `std`, `core`, `alloc`, `crate`, `self`, `super`.
fn crates_used(snippet: &str) -> BTreeSet<String> {
    // rustdoc compiles the hidden lines too.
    let code: String = snippet
        .lines()
        .map(|l| match l.trim_start().strip_prefix('#') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => rest.trim_start().to_owned(),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let code = code_only(&code);
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut imported = BTreeSet::new();
    let mut roots = BTreeSet::new();
    let mut rest = code.as_str();
    // `use` statements: their first segment is a root, every other name is imported.
    let mut body = String::new();
    while let Some(at) = rest.find("use ") {
        let starts_word = rest[..at].chars().next_back().is_none_or(|c| !ident(c));
        body.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        if !starts_word {
            body.push_str("use ");
            rest = after;
            continue;
        }
        let (tree, tail) = after.split_once(';').unwrap_or((after, ""));
        let tree = tree.trim().trim_start_matches("::");
        roots.extend(tree.split(|c: char| !ident(c)).next().map(str::to_owned));
        imported.extend(
            tree.split(|c: char| !ident(c))
                .skip(1)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        rest = tail;
    }
    body.push_str(rest);
    // Other paths: `name::` not preceded by `::` or part of a longer name.
    let bytes = body.as_bytes();
    for (at, _) in body.match_indices("::") {
        let start = body[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| ident(c))
            .last()
            .map_or(at, |(i, _)| i);
        let before_colon = start >= 1 && bytes[start - 1] == b':';
        let name = &body[start..at];
        if !before_colon && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            roots.insert(name.to_owned());
        }
    }
    const NOT_CRATES: &[&str] = &[
        "std", "core", "alloc", "crate", "self", "super", "u8", "u16", "u32", "u64", "u128",
        "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64", "bool", "char", "str",
    ];
    roots
        .into_iter()
        .filter(|r| !r.is_empty() && !imported.contains(r) && !NOT_CRATES.contains(&r.as_str()))
        .collect()
}

/// What is wrong with one README: Rust snippets that are not compiled, or crates its Rust
/// snippets use that its Cargo snippet does not list.
fn problems(readme: &str, compiled: bool) -> Vec<String> {
    let blocks = fences(readme);
    let rust: Vec<&(String, String)> = blocks.iter().filter(|(i, _)| is_rust(i)).collect();
    let mut found = Vec::new();
    if rust.is_empty() {
        return found;
    }
    if !compiled {
        found.push("its Rust snippets are not compiled: no crate includes it as rustdoc".into());
    }
    for (info, _) in &rust {
        if info.split(',').any(|a| a.trim() == "ignore") {
            found.push(format!("a snippet is `{info}`, so it is never compiled"));
        }
    }
    let listed: BTreeSet<String> = blocks
        .iter()
        .filter(|(i, _)| i == "toml")
        .flat_map(|(_, body)| listed_crates(body))
        .collect();
    let used: BTreeSet<String> = rust
        .iter()
        .flat_map(|(_, code)| crates_used(code))
        .collect();
    for missing in used.difference(&listed) {
        found.push(format!(
            "its snippets use `{missing}`, which its Cargo snippet does not list"
        ));
    }
    found
}

/// The READMEs some Rust file includes as documentation (`doc = include_str!("...README.md")`).
fn included_as_docs(root: &Path) -> BTreeSet<PathBuf> {
    let mut sources = Vec::new();
    files(root, ".rs", &mut sources);
    let mut included = BTreeSet::new();
    for source in sources {
        let text = fs::read_to_string(&source).unwrap_or_default();
        for (at, _) in text.match_indices("doc = include_str!(\"") {
            let rel = &text[at + "doc = include_str!(\"".len()..];
            let rel = &rel[..rel.find('"').unwrap_or(0)];
            if rel.ends_with("README.md")
                && let Ok(path) = source.parent().unwrap_or(root).join(rel).canonicalize()
            {
                included.insert(path);
            }
        }
    }
    included
}

#[test]
fn every_readme_snippet_compiles_and_its_cargo_snippet_lists_what_it_uses() {
    let root = root();
    let included = included_as_docs(&root);
    let mut readmes = Vec::new();
    files(&root, "README.md", &mut readmes);
    readmes.sort();
    let mut report = Vec::new();
    let mut with_rust = 0;
    for readme in &readmes {
        let text = fs::read_to_string(readme).expect("readable README");
        with_rust += usize::from(fences(&text).iter().any(|(i, _)| is_rust(i)));
        let compiled = included.contains(&readme.canonicalize().expect("a real path"));
        for p in problems(&text, compiled) {
            report.push(format!(
                "{}: {p}",
                readme.strip_prefix(&root).unwrap_or(readme).display()
            ));
        }
    }
    assert!(
        with_rust >= 3,
        "the workspace, crate and emulator READMEs have Rust snippets"
    );
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn a_crate_missing_from_the_cargo_snippet_is_reported() {
    let readme = "```toml\n[dependencies]\nclassroom-api = \"0.1\"\ntokio = \"1\"\n```\n\n\
        ```rust,no_run\nuse classroom_api::{Client, types::Region};\nuse futures::StreamExt;\n\
        # fn f() { let _ = serde_json::json!({\"url\": \"https://x.y::z\"}); } // not_a::path\n```\n";
    assert_eq!(
        problems(readme, true),
        [
            "its snippets use `futures`, which its Cargo snippet does not list",
            "its snippets use `serde_json`, which its Cargo snippet does not list",
        ]
    );
    assert_eq!(
        problems(&readme.replace("```rust,no_run", "```rust,ignore"), false)[..2],
        [
            "its Rust snippets are not compiled: no crate includes it as rustdoc",
            "a snippet is `rust,ignore`, so it is never compiled",
        ]
    );
    let used = crates_used(
        "#[tokio::main]\nasync fn main() { let d = std::time::Duration::ZERO; let n = u64::MAX; }",
    );
    assert_eq!(used.into_iter().collect::<Vec<_>>(), ["tokio"]);
}
