//! Accepted changes: the file `spec/diff-accept.yaml`, read and applied to a [`Report`].
//!
//! The file is YAML (or JSON) of this one shape; any other key is an error:
//!
//! ```yaml
//! accept:
//!   - fingerprint: 5d1c0e6f2a9b3c47   # the change's fingerprint, as every format prints it
//!     reason: The vendor removed the operation on 2026-11-02; no caller is left.
//!     expires: 2027-01-31             # optional: accepted up to and including this day (UTC)
//!   - rule: event-cmd-added           # or a rule id and the change's JSON pointer
//!     pointer: /components/schemas/ChatEvent
//!     reason: Handled by the poller's `Unknown` branch until 0.3.
//! ```
//!
//! An entry accepts every change it names that is not past its expiry: the change is still
//! reported, marked accepted with its reason, and does not fail `--fail-on`. An entry past its
//! expiry accepts nothing, and an entry that names no change is stale: both are reported as
//! [`AcceptProblem`]s, and a report with a problem fails whatever `--fail-on` says.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::{Change, Report, rule};
use crate::yaml;

/// The parsed accept file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptFile {
    /// The file's name in messages (`spec/diff-accept.yaml`).
    pub file: String,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

/// One entry of the accept file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Which change it accepts.
    pub selector: Selector,
    /// Why the change is accepted.
    pub reason: String,
    /// The last day it accepts, if any.
    pub expires: Option<Date>,
    /// The 1-based line of the entry in its file.
    pub line: Option<usize>,
}

/// How an entry names a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// By the change's fingerprint.
    Fingerprint(String),
    /// By rule id and JSON pointer.
    RulePointer {
        /// A rule id.
        rule: String,
        /// The change's pointer.
        pointer: String,
    },
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Fingerprint(fp) => write!(f, "fingerprint {fp}"),
            Selector::RulePointer { rule, pointer } => write!(f, "rule `{rule}` at `{pointer}`"),
        }
    }
}

/// A calendar day (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(all_digits(y) && all_digits(m) && all_digits(d)) {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
        let days = match date.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&date.day).then_some(date)
    }

    /// The day that contains a Unix time (days since 1970-01-01).
    pub fn from_unix_days(days: i64) -> Date {
        // Howard Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: month as u8,
            day: day as u8,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a change is accepted: from the entry that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// The entry's reason.
    pub reason: String,
    /// The last day the entry accepts, if any.
    pub expires: Option<Date>,
    /// The entry's line in the accept file.
    pub line: Option<usize>,
}

/// An entry of the accept file that is itself a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptProblem {
    /// `expired` or `unmatched`.
    pub kind: ProblemKind,
    /// The accept file's name.
    pub file: String,
    /// The entry's 1-based line.
    pub line: Option<usize>,
    /// What is wrong, in one sentence.
    pub message: String,
}

/// What is wrong with an accept entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// Past its expiry date: it accepts nothing any more.
    Expired,
    /// It names no change of this diff.
    Unmatched,
}

/// An accept file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct AcceptError {
    /// The file's name.
    pub file: String,
    /// The 1-based line of the offending node.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl AcceptFile {
    /// Parses an accept file; `file` names it in messages and findings.
    pub fn parse(text: &str, file: &str) -> Result<AcceptFile, AcceptError> {
        let doc = yaml::parse(text).map_err(|e| AcceptError {
            file: file.to_owned(),
            line: e.line,
            message: format!("invalid YAML at column {}: {}", e.col, e.message),
        })?;
        let line = |p: &str| doc.lines.get(p).copied().unwrap_or(1);
        let fail = |p: &str, message: String| AcceptError {
            file: file.to_owned(),
            line: line(p),
            message,
        };
        let list = match &doc.value {
            Value::Null => return Ok(AcceptFile::empty(file)),
            Value::Object(top) => {
                if let Some(k) = top.keys().find(|k| *k != "accept") {
                    return Err(fail(
                        &format!("/{}", yaml::escape_token(k)),
                        format!("unknown key `{k}`: the file has one key, `accept`"),
                    ));
                }
                match top.get("accept") {
                    None | Some(Value::Null) => return Ok(AcceptFile::empty(file)),
                    Some(Value::Array(list)) => list,
                    Some(_) => return Err(fail("/accept", "`accept` must be a list".into())),
                }
            }
            _ => {
                return Err(fail(
                    "",
                    "the file must be a mapping with the key `accept`".into(),
                ));
            }
        };
        let mut entries = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let at = format!("/accept/{i}");
            let Value::Object(map) = item else {
                return Err(fail(&at, format!("entry {} must be a mapping", i + 1)));
            };
            let known = ["fingerprint", "rule", "pointer", "reason", "expires"];
            if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
                return Err(fail(
                    &format!("{at}/{}", yaml::escape_token(k)),
                    format!("unknown key `{k}`; an entry has {}", known.join(", ")),
                ));
            }
            let text = |key: &str| -> Result<Option<String>, AcceptError> {
                match map.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
                    // An all-digit fingerprint or a date YAML reads as a number: its text, checked below.
                    Some(Value::Number(n)) => Ok(Some(n.to_string())),
                    Some(_) => Err(fail(
                        &format!("{at}/{key}"),
                        format!("`{key}` must be text"),
                    )),
                }
            };
            let selector = match (text("fingerprint")?, text("rule")?, text("pointer")?) {
                (Some(fp), None, None) => {
                    if fp.len() != 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(fail(
                            &format!("{at}/fingerprint"),
                            format!(
                                "`{fp}` is not a fingerprint (16 hex digits, as the diff prints it; quote it if it is all digits)"
                            ),
                        ));
                    }
                    Selector::Fingerprint(fp.to_ascii_lowercase())
                }
                (None, Some(r), Some(pointer)) => {
                    if rule(&r).is_none() {
                        return Err(fail(
                            &format!("{at}/rule"),
                            format!("`{r}` is not a rule id (see `codegen/src/diff/mod.rs`)"),
                        ));
                    }
                    if !(pointer.is_empty() || pointer.starts_with('/')) {
                        return Err(fail(
                            &format!("{at}/pointer"),
                            format!("`{pointer}` is not a JSON pointer (it starts with `/`)"),
                        ));
                    }
                    Selector::RulePointer { rule: r, pointer }
                }
                (None, None, None) => {
                    return Err(fail(
                        &at,
                        format!(
                            "entry {} names no change: give its `fingerprint`, or its `rule` and `pointer`",
                            i + 1
                        ),
                    ));
                }
                (None, Some(_), None) | (None, None, Some(_)) => {
                    return Err(fail(
                        &at,
                        format!("entry {} needs both `rule` and `pointer`", i + 1),
                    ));
                }
                _ => {
                    return Err(fail(
                        &at,
                        format!(
                            "entry {} names a change by `fingerprint`, or by `rule` and `pointer`, not both",
                            i + 1
                        ),
                    ));
                }
            };
            let reason = text("reason")?
                .filter(|r| !r.is_empty())
                .ok_or_else(|| fail(&at, format!("entry {} has no `reason`", i + 1)))?;
            let expires = match text("expires")? {
                None => None,
                Some(d) => Some(Date::parse(&d).ok_or_else(|| {
                    fail(
                        &format!("{at}/expires"),
                        format!("`{d}` is not a date (YYYY-MM-DD)"),
                    )
                })?),
            };
            entries.push(Entry {
                selector,
                reason,
                expires,
                line: doc.lines.get(&at).copied(),
            });
        }
        Ok(AcceptFile {
            file: file.to_owned(),
            entries,
        })
    }

    fn empty(file: &str) -> AcceptFile {
        AcceptFile {
            file: file.to_owned(),
            entries: Vec::new(),
        }
    }
}

impl Entry {
    fn matches(&self, c: &Change) -> bool {
        match &self.selector {
            Selector::Fingerprint(fp) => *fp == c.fingerprint,
            Selector::RulePointer { rule, pointer } => rule == c.rule && *pointer == c.pointer,
        }
    }
}

/// Marks the changes the file accepts on `today`, and records its expired and unmatched entries.
pub(crate) fn apply(report: &mut Report, accept: &AcceptFile, today: Date) {
    for entry in &accept.entries {
        let expired = entry.expires.is_some_and(|d| d < today);
        let mut matched = 0;
        for c in report.changes.iter_mut().filter(|c| entry.matches(c)) {
            matched += 1;
            if !expired && c.accepted.is_none() {
                c.accepted = Some(Accepted {
                    reason: entry.reason.clone(),
                    expires: entry.expires,
                    line: entry.line,
                });
            }
        }
        let problem = |kind, message| AcceptProblem {
            kind,
            file: accept.file.clone(),
            line: entry.line,
            message,
        };
        if expired {
            let on = entry.expires.map(|d| d.to_string()).unwrap_or_default();
            let what = if matched == 0 {
                "and names no change of this diff".to_owned()
            } else {
                format!(
                    "so the {} it names {} not accepted",
                    if matched == 1 { "change" } else { "changes" },
                    if matched == 1 { "is" } else { "are" }
                )
            };
            report.accept_problems.push(problem(
                ProblemKind::Expired,
                format!(
                    "The entry for {} accepted up to {on} ({}) and has expired, {what}: renew its date or remove it.",
                    entry.selector, entry.reason
                ),
            ));
        } else if matched == 0 {
            report.accept_problems.push(problem(
                ProblemKind::Unmatched,
                format!(
                    "The entry for {} names no change of this diff ({}): remove it.",
                    entry.selector, entry.reason
                ),
            ));
        }
    }
}
