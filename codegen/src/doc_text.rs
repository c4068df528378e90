//! The spec's prose (descriptions, summaries) as rustdoc text.
//!
//! Spec prose is documentation text, not Rust documentation: whatever the vendor writes must give
//! warning-free `cargo doc` and no doctest. Variants of input this module accepts, each with a
//! test below:
//! - code fences (```` ``` ```` or `~~~`, with or without an info string): kept as `text` blocks,
//!   closed at the end of the text when the spec leaves one open;
//! - code spans (CommonMark: a run of backticks closed by a run of the same length, possibly on a
//!   later line of the paragraph): kept as written;
//! - an unbalanced backtick: escaped, so what follows it is plain text;
//! - `[` and `]` outside code (they would be intra-doc links), except a Markdown link to an
//!   `http(s)` URL; `<` and `>` outside code (they would be HTML tags), except an autolink
//!   `<https://…>`: escaped with a backslash;
//! - bare `http(s)` URLs: wrapped in `<…>`, which rustdoc makes links;
//! - indentation: removed outside fences, so no line becomes an indented (Rust) code block.

/// The text, escaped for rustdoc, one output line per documentation line.
pub(crate) fn rustdoc_text(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    // The open fence: its character and length.
    let mut fence: Option<(char, usize)> = None;
    for line in text.trim().lines() {
        let trimmed = line.trim();
        if let Some((c, n)) = fence {
            let run = trimmed.chars().take_while(|&x| x == c).count();
            if run >= n && trimmed[run * c.len_utf8()..].trim().is_empty() {
                out.push(c.to_string().repeat(n));
                fence = None;
            } else {
                out.push(line.trim_end().to_owned());
            }
            continue;
        }
        if let Some((c, n)) = fence_start(trimmed) {
            flush(&mut paragraph, &mut out);
            out.push(format!("{}text", c.to_string().repeat(n)));
            fence = Some((c, n));
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
            out.push(String::new());
        } else {
            paragraph.push(trimmed);
        }
    }
    flush(&mut paragraph, &mut out);
    if let Some((c, n)) = fence {
        out.push(c.to_string().repeat(n));
    }
    out.join("\n")
}

/// A line that opens a code fence: three or more backticks or tildes (a backtick fence's info
/// string has no backtick).
fn fence_start(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|&x| x == c).count();
    let info = &line[n..];
    (n >= 3 && !(c == '`' && info.contains('`'))).then_some((c, n))
}

fn flush(paragraph: &mut Vec<&str>, out: &mut Vec<String>) {
    if paragraph.is_empty() {
        return;
    }
    let text = escape_inline(&paragraph.join("\n"));
    out.extend(text.lines().map(str::to_owned));
    paragraph.clear();
}

/// Escapes one paragraph: code spans kept, the rest made plain text.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            let n = rest.chars().take_while(|&x| x == '`').count();
            match closing_run(&rest[n..], n) {
                Some(end) => {
                    let span = n + end + n;
                    out.push_str(&rest[..span]);
                    rest = &rest[span..];
                }
                None => {
                    out.push_str(&"\\`".repeat(n));
                    rest = &rest[n..];
                }
            }
            continue;
        }
        if c == '['
            && let Some(len) = markdown_link(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if c == '<'
            && let Some(len) = autolink(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if rest.starts_with("https://") || rest.starts_with("http://") {
            let len = url_len(rest);
            out.push('<');
            out.push_str(&rest[..len]);
            out.push('>');
            rest = &rest[len..];
            continue;
        }
        if matches!(c, '[' | ']' | '<' | '>' | '\\') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Where a run of exactly `n` backticks starts in `text` (the end of a code span's content).
fn closing_run(text: &str, n: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == n {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// The length of a URL that starts `text`, without trailing punctuation.
fn url_len(text: &str) -> usize {
    let len = text
        .find(|c: char| c.is_whitespace() || "\"'<>`()[]".contains(c))
        .unwrap_or(text.len());
    text[..len].trim_end_matches(['.', ',', ';', ':']).len()
}

/// `[text](http…)` at the start of `text`: its length. The link text holds no bracket, backtick
/// or angle bracket.
fn markdown_link(text: &str) -> Option<usize> {
    let close = text.find(']')?;
    let label = &text[1..close];
    if label.is_empty() || label.contains(['[', '`', '<', '>', '\n']) {
        return None;
    }
    let target = text[close + 1..].strip_prefix('(')?;
    if !(target.starts_with("https://") || target.starts_with("http://")) {
        return None;
    }
    let len = url_len(target);
    target[len..]
        .starts_with(')')
        .then_some(close + 2 + len + 1)
}

/// `<http…>` at the start of `text`: its length.
fn autolink(text: &str) -> Option<usize> {
    let inner = &text[1..];
    if !(inner.starts_with("https://") || inner.starts_with("http://")) {
        return None;
    }
    let end = inner.find(|c: char| c.is_whitespace() || c == '<' || c == '>')?;
    inner[end..].starts_with('>').then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::rustdoc_text;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(rustdoc_text(input), expected, "input: {input:?}");
    }

    #[test]
    fn fences_become_text_blocks() {
        check("```rust\nfn x(\n```", "```text\nfn x(\n```");
        check("```\n[a] <b>\n```", "```text\n[a] <b>\n```");
        check("~~~json\n{}\n```\n~~~", "~~~text\n{}\n```\n~~~");
        check("a\n```python\nprint(1)", "a\n```text\nprint(1)\n```");
        check("````\n```\n````", "````text\n```\n````");
    }

    #[test]
    fn brackets_and_angle_brackets_are_escaped_outside_code() {
        check("a [b] <c> d", "a \\[b\\] \\<c\\> d");
        check("`[b] <c>` and [b]", "`[b] <c>` and \\[b\\]");
        check("Option<T>", "Option\\<T\\>");
        check("a \\ b", "a \\\\ b");
    }

    #[test]
    fn code_spans_follow_commonmark() {
        check("``a ` b`` c<d>", "``a ` b`` c\\<d\\>");
        check("a `b\nc` d", "a `b\nc` d");
        check("one ` tick Vec<String>", "one \\` tick Vec\\<String\\>");
        check("`a`` b", "\\`a\\`\\` b");
        // A code span does not cross a blank line.
        check("a `b\n\nc` d", "a \\`b\n\nc\\` d");
    }

    #[test]
    fn urls_become_links() {
        check("see https://a.b/c.", "see <https://a.b/c>.");
        check(
            "[t](https://t.x/y) and <https://y.z>",
            "[t](https://t.x/y) and <https://y.z>",
        );
        check("[t](other) x", "\\[t\\](other) x");
        check("`https://z`", "`https://z`");
    }

    #[test]
    fn indentation_outside_fences_is_removed() {
        check("a\n\n    indented code\nb", "a\n\nindented code\nb");
        check("```\n    kept\n```", "```text\n    kept\n```");
    }
}
