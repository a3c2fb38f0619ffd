//! `verbatim check FILE|-`: sends a text to the Checker and prints the findings the way a
//! compiler prints diagnostics: position, the line with the quotation underlined, the registered
//! words beside the submitted ones with the changes marked, verdict, severity and reasons.
//! Several files at once are `batch.rs`'s.

use std::io::{IsTerminal as _, Read as _};

use anyhow::Context as _;
use serde_json::{Value, json};

use super::client::{self, Connection};
use crate::proto::v1 as pb;

/// Reads the text to check from a file or standard input (`-`).
pub fn read_input(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))
}

/// Checks `text` through the server.
pub async fn check(
    connection: &mut Connection,
    text: String,
    document_id: String,
) -> anyhow::Result<pb::CheckTextResponse> {
    Ok(connection
        .checker
        .check_text(pb::CheckTextRequest {
            text,
            document_id,
            options: None,
        })
        .await
        .map_err(client::describe)?
        .into_inner())
}

/// True when the report should stop a publication: a misquoted or retracted quotation, or a
/// registered one credited to nobody or to someone else.
pub fn needs_attention(response: &pb::CheckTextResponse) -> bool {
    response.summary.as_ref().is_some_and(|s| {
        s.misquoted > 0
            || s.retracted > 0
            || s.attribution_missing > 0
            || s.attribution_misattributed > 0
    })
}

fn enum_name<E: TryFrom<i32>>(value: i32, name: impl Fn(E) -> &'static str) -> String {
    E::try_from(value).map_or_else(|_| value.to_string(), |e| name(e).to_owned())
}

fn verdict_name(value: i32) -> String {
    enum_name(value, |v: pb::MatchVerdict| v.as_str_name())
}

fn span_json(span: Option<&pb::Span>) -> Value {
    span.map_or(Value::Null, |s| {
        json!({"start": s.start, "end": s.end, "utf16_start": s.utf16_start, "utf16_end": s.utf16_end})
    })
}

/// The response as JSON, enum values by name.
pub fn response_json(response: &pb::CheckTextResponse) -> Value {
    let findings: Vec<Value> = response
        .findings
        .iter()
        .map(|f| {
            json!({
                "kind": enum_name(f.kind, |v: pb::FindingKind| v.as_str_name()),
                "span": span_json(f.span.as_ref()),
                "text": f.text,
                "verdict": verdict_name(f.verdict),
                "quote": f.quote.as_ref().map(super::render::quote_json),
                "similarity": f.similarity,
                "edits": f.edits.iter().map(|e| json!({
                    "op": enum_name(e.op, |v: pb::EditOp| v.as_str_name()),
                    "registered": e.registered,
                    "submitted": e.submitted,
                    "span": span_json(e.span.as_ref()),
                })).collect::<Vec<_>>(),
                "severity": enum_name(f.severity, |v: pb::Severity| v.as_str_name()),
                "reasons": f.reasons.iter().map(|r| enum_name(*r, |v: pb::SeverityReason| v.as_str_name())).collect::<Vec<_>>(),
                "attribution": f.attribution.as_ref().map(|a| json!({
                    "verdict": enum_name(a.verdict, |v: pb::AttributionVerdict| v.as_str_name()),
                    "credited": a.credited,
                    "credited_span": span_json(a.credited_span.as_ref()),
                    "resolved": a.resolved,
                    "resolved_span": span_json(a.resolved_span.as_ref()),
                    "expected": a.expected,
                })),
            })
        })
        .collect();
    let summary = response.summary.unwrap_or_default();
    json!({
        "document_id": response.document_id,
        "canonical_version": response.canonical_version,
        "findings": findings,
        "summary": {
            "verified": summary.verified,
            "misquoted": summary.misquoted,
            "unregistered": summary.unregistered,
            "retracted": summary.retracted,
            "too_short": summary.too_short,
            "total": summary.total,
            "attribution_correct": summary.attribution_correct,
            "attribution_missing": summary.attribution_missing,
            "attribution_misattributed": summary.attribution_misattributed,
            "attribution_not_applicable": summary.attribution_not_applicable,
        },
    })
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn removed(&self, text: &str) -> String {
        if self.color {
            self.paint("1;31", text)
        } else {
            format!("[-{text}-]")
        }
    }

    fn added(&self, text: &str) -> String {
        if self.color {
            self.paint("1;32", text)
        } else {
            format!("{{+{text}+}}")
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize, usize) {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..offset].matches('\n').count() + 1;
    let column = text[line_start..offset].chars().count() + 1;
    (line, column, line_start)
}

/// Characters of context shown around a finding on a long line.
const CONTEXT_CHARS: usize = 40;
/// Longest stretch of a finding underlined on a long line.
const MAX_MARKED_CHARS: usize = 60;

/// The part of a line to show for a finding, how many characters precede the finding in it, and
/// how many to underline. Long lines (news paragraphs) are cut around the finding, with `…`.
fn excerpt(
    text: &str,
    line: std::ops::Range<usize>,
    finding: std::ops::Range<usize>,
) -> (String, usize, usize) {
    let start = finding.start.clamp(line.start, line.end);
    let end = finding.end.clamp(start, line.end);
    let before: Vec<char> = text[line.start..start].chars().collect();
    let inside: Vec<char> = text[start..end].chars().collect();
    let after: Vec<char> = text[end..line.end].chars().collect();
    let mut shown = String::new();
    let lead_chars = if before.len() > CONTEXT_CHARS {
        shown.push('…');
        shown.extend(&before[before.len() - CONTEXT_CHARS..]);
        CONTEXT_CHARS + 1
    } else {
        shown.extend(&before);
        before.len()
    };
    let marked = if inside.len() > MAX_MARKED_CHARS {
        shown.extend(&inside[..MAX_MARKED_CHARS]);
        shown.push('…');
        MAX_MARKED_CHARS + 1
    } else {
        shown.extend(&inside);
        shown.extend(after.iter().take(CONTEXT_CHARS));
        if after.len() > CONTEXT_CHARS {
            shown.push('…');
        }
        inside.len()
    };
    (shown, lead_chars, marked.max(1))
}

fn diff_lines(finding: &pb::Finding, style: &Style) -> (String, String) {
    let mut registered = Vec::new();
    let mut submitted = Vec::new();
    for edit in &finding.edits {
        let op = pb::EditOp::try_from(edit.op).unwrap_or(pb::EditOp::Unspecified);
        match op {
            pb::EditOp::Keep => {
                registered.push(edit.registered.clone());
                submitted.push(edit.submitted.clone());
            }
            pb::EditOp::Replace => {
                registered.push(style.removed(&edit.registered));
                submitted.push(style.added(&edit.submitted));
            }
            pb::EditOp::Delete => registered.push(style.removed(&edit.registered)),
            pb::EditOp::Insert => submitted.push(style.added(&edit.submitted)),
            pb::EditOp::Elided => {
                registered.push(style.paint("2", &format!("({})", edit.registered)));
                submitted.push("…".into());
            }
            pb::EditOp::Editorial => {
                if !edit.registered.is_empty() {
                    registered.push(style.paint("2", &format!("({})", edit.registered)));
                }
                submitted.push(style.paint("36", &format!("[{}]", edit.submitted)));
            }
            pb::EditOp::Unspecified => {}
        }
    }
    (registered.join(" "), submitted.join(" "))
}

/// Which findings [`print_report`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    /// Misquoted or retracted quotations, and registered ones credited to nobody or to someone
    /// else.
    NeedingAttention,
}

/// True when a finding is one an editor must act on.
fn finding_needs_attention(finding: &pb::Finding) -> bool {
    let verdict = finding.verdict;
    let credit = finding.attribution.as_ref().map_or(0, |a| a.verdict);
    verdict == pb::MatchVerdict::Misquoted as i32
        || verdict == pb::MatchVerdict::Retracted as i32
        || credit == pb::AttributionVerdict::Missing as i32
        || credit == pb::AttributionVerdict::Misattributed as i32
}

/// Prints the findings as diagnostics, then a summary line.
pub fn print_report(name: &str, text: &str, response: &pb::CheckTextResponse, which: Which) {
    let style = Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    for finding in &response.findings {
        if which == Which::NeedingAttention && !finding_needs_attention(finding) {
            continue;
        }
        let span = finding.span.unwrap_or_default();
        let (start, end) = (span.start as usize, span.end as usize);
        let (line, column, line_start) = line_column(text, start);
        let verdict =
            pb::MatchVerdict::try_from(finding.verdict).unwrap_or(pb::MatchVerdict::Unspecified);
        let (label, code) = match verdict {
            pb::MatchVerdict::Verified => ("verified", "32"),
            pb::MatchVerdict::Misquoted => ("misquoted", "1;31"),
            pb::MatchVerdict::Retracted => ("retracted", "1;35"),
            pb::MatchVerdict::Unregistered => ("unregistered", "33"),
            pb::MatchVerdict::TooShort => ("too short to verify", "2"),
            pb::MatchVerdict::Unspecified => ("unknown", "0"),
        };
        let kind = if finding.kind == pb::FindingKind::UnquotedReuse as i32 {
            " (registered words used without quotation marks)"
        } else {
            ""
        };
        let mut header = format!("{name}:{line}:{column}: {}{kind}", style.paint(code, label));
        if verdict == pb::MatchVerdict::Misquoted {
            let severity = enum_name(finding.severity, |v: pb::Severity| v.as_str_name())
                .trim_start_matches("SEVERITY_")
                .to_lowercase();
            let reasons: Vec<String> = finding
                .reasons
                .iter()
                .map(|r| {
                    enum_name(*r, |v: pb::SeverityReason| v.as_str_name())
                        .trim_start_matches("SEVERITY_REASON_")
                        .replace('_', " ")
                        .to_lowercase()
                })
                .collect();
            header.push_str(&format!(" [severity {severity}: {}]", reasons.join(", ")));
        }
        println!("{header}");
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let (shown, lead, marked) = excerpt(text, line_start..line_end, start..end);
        let gutter = line.to_string().len();
        println!("{:gutter$} |", "");
        println!("{line} | {shown}");
        println!(
            "{:gutter$} | {}{}",
            "",
            " ".repeat(lead),
            style.paint(code, &"^".repeat(marked))
        );
        if let Some(quote) = &finding.quote {
            if verdict != pb::MatchVerdict::Verified
                || finding
                    .edits
                    .iter()
                    .any(|e| e.op != pb::EditOp::Keep as i32)
            {
                let (registered, submitted) = diff_lines(finding, &style);
                println!("{:gutter$} = registered: {registered}", "");
                println!("{:gutter$} = submitted:  {submitted}", "");
            }
            let credits: Vec<String> = quote
                .attributions
                .iter()
                .map(|a| match (a.speaker.is_empty(), a.outlet_id.is_empty()) {
                    (false, false) => format!("{} ({})", a.speaker, a.outlet_id),
                    (false, true) => a.speaker.clone(),
                    _ => a.outlet_id.clone(),
                })
                .collect();
            println!(
                "{:gutter$} = quote {} credited to {}{}",
                "",
                quote.content_hash,
                credits.join(", "),
                if quote.retracted {
                    format!("; RETRACTED: {}", quote.retraction_reason)
                } else {
                    String::new()
                }
            );
        }
        if let Some(line) = attribution_line(finding, &style) {
            println!("{:gutter$} = {line}", "");
        }
        println!();
    }
    if which == Which::NeedingAttention {
        // The caller sums up (a table of files).
        return;
    }
    let summary = response.summary.unwrap_or_default();
    println!(
        "{name}: {} quotations: {} verified, {} misquoted, {} unregistered, {} retracted, {} too short",
        summary.total,
        summary.verified,
        summary.misquoted,
        summary.unregistered,
        summary.retracted,
        summary.too_short
    );
    println!(
        "{name}: attribution: {} correct, {} missing, {} misattributed",
        summary.attribution_correct, summary.attribution_missing, summary.attribution_misattributed
    );
}

/// "attribution correct: credits “the report” (the recent UN report)", or `None` when nothing
/// matched.
fn attribution_line(finding: &pb::Finding, style: &Style) -> Option<String> {
    let check = finding.attribution.as_ref()?;
    let verdict = pb::AttributionVerdict::try_from(check.verdict).ok()?;
    let expected = check.expected.join(", ");
    let credited = if check.resolved.is_empty() {
        format!("“{}”", check.credited)
    } else {
        format!("“{}” ({})", check.credited, check.resolved)
    };
    Some(match verdict {
        pb::AttributionVerdict::Correct => format!(
            "attribution {}: credits {credited}",
            style.paint("32", "correct")
        ),
        pb::AttributionVerdict::Missing if check.credited.is_empty() => format!(
            "attribution {}: nothing credits {expected}",
            style.paint("1;31", "missing")
        ),
        pb::AttributionVerdict::Missing => format!(
            "attribution {}: {credited} does not say who, expected {expected}",
            style.paint("1;31", "missing")
        ),
        pb::AttributionVerdict::Misattributed => format!(
            "attribution {}: credits {credited}, registered to {expected}",
            style.paint("1;31", "misattributed")
        ),
        pb::AttributionVerdict::NotApplicable | pb::AttributionVerdict::Unspecified => {
            return None;
        }
    })
}
