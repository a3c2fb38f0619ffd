//! Conversions between wire messages and records. Inbound conversions validate every field and
//! name the field they reject, so a client learns exactly what to fix.

use std::ops::Range;

use prost_types::Timestamp;

use crate::checker::{AttributionCheck, CheckOptions, FindingKind, Report, Verdict};
use crate::text::{
    align::EditOp,
    attribution::CreditVerdict,
    severity::{Severity, SeverityReason},
};

use crate::config::Limits;
use crate::proto::v1 as pb;
use crate::record::{
    ApiKey, Attribution, AuditEvent, Micros, NewQuote, Outlet, Quote, QuoteFilter, Role,
};
use crate::text::{CanonicalText, CanonicalVersion, ContentHash};

/// Longest name (outlet, speaker, alias), in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Most entries in a list of aliases or domains.
pub const MAX_LIST_ENTRIES: usize = 32;
/// Longest source URL, in characters.
pub const MAX_URL_CHARS: usize = 2_048;
/// Longest retraction reason, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;
/// Page size used when a request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page returned; larger requests are lowered to it.
pub const MAX_PAGE_SIZE: usize = 1_000;

/// A request field that cannot be accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {problem}")]
pub struct FieldError {
    /// The field's name as in the .proto file, with its path (`outlet.id`, `speaker_aliases[2]`).
    pub field: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Rejects NUL and other control characters except the line breaks and tabs text can hold.
fn check_characters(field: &str, value: &str, allow_line_breaks: bool) -> Result<(), FieldError> {
    let bad = value
        .chars()
        .find(|&c| c.is_control() && !(allow_line_breaks && matches!(c, '\n' | '\r' | '\t')));
    match bad {
        Some(c) => Err(FieldError::new(
            field,
            format!(
                "must not contain control characters (found U+{:04X})",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

/// A trimmed name of at most [`MAX_NAME_CHARS`]; empty stays empty.
fn name(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    check_characters(field, value, false)?;
    let chars = value.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(FieldError::new(
            field,
            format!("is {chars} characters; the limit is {MAX_NAME_CHARS}"),
        ));
    }
    Ok(value.to_owned())
}

/// A list of names: trimmed, empty entries dropped, duplicates (ignoring case) kept once.
fn names(field: &str, values: &[String]) -> Result<Vec<String>, FieldError> {
    if values.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            field,
            format!(
                "has {} entries; the limit is {MAX_LIST_ENTRIES}",
                values.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let value = name(&format!("{field}[{i}]"), value)?;
        if !value.is_empty() && !out.iter().any(|seen| seen.eq_ignore_ascii_case(&value)) {
            out.push(value);
        }
    }
    Ok(out)
}

/// Checks an outlet id slug: `[a-z0-9][a-z0-9-]{0,63}`.
pub fn slug(field: &str, value: &str) -> Result<String, FieldError> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-');
    if valid {
        Ok(value.to_owned())
    } else if value.is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else {
        Err(FieldError::new(
            field,
            format!(
                "{value:?} is not a valid id: use 1 to 64 lowercase letters, digits and hyphens, \
                 starting with a letter or digit (like \"express-tribune\")"
            ),
        ))
    }
}

fn domain(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if value.len() <= 253 && value.contains('.') && value.split('.').all(label_ok) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            format!(
                "{value:?} is not a domain: give a hostname such as \"tribune.com.pk\", without \
                 scheme or path"
            ),
        ))
    }
}

/// Validates an outlet from the wire.
pub fn outlet_from_proto(outlet: Option<pb::Outlet>) -> Result<Outlet, FieldError> {
    let outlet = outlet.ok_or_else(|| FieldError::new("outlet", "is required"))?;
    let id = slug("outlet.id", &outlet.id)?;
    let display_name = name("outlet.name", &outlet.name)?;
    if display_name.is_empty() {
        return Err(FieldError::new("outlet.name", "must not be empty"));
    }
    let aliases = names("outlet.aliases", &outlet.aliases)?;
    if outlet.domains.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            "outlet.domains",
            format!(
                "has {} entries; the limit is {MAX_LIST_ENTRIES}",
                outlet.domains.len()
            ),
        ));
    }
    let mut domains = Vec::with_capacity(outlet.domains.len());
    for (i, value) in outlet.domains.iter().enumerate() {
        let value = domain(&format!("outlet.domains[{i}]"), value)?;
        if !domains.contains(&value) {
            domains.push(value);
        }
    }
    Ok(Outlet {
        id,
        name: display_name,
        aliases,
        domains,
    })
}

/// Converts a stored outlet for the wire.
pub fn outlet_to_proto(outlet: Outlet) -> pb::Outlet {
    pb::Outlet {
        id: outlet.id,
        name: outlet.name,
        aliases: outlet.aliases,
        domains: outlet.domains,
    }
}

/// Checks quotation text against the limits and canonicalizes it.
pub fn quote_text(field: &str, text: &str, limits: &Limits) -> Result<CanonicalText, FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > limits.max_quote_chars {
        return Err(FieldError::new(
            field,
            format!(
                "is {chars} characters; the limit is {} (--max-quote-chars)",
                limits.max_quote_chars
            ),
        ));
    }
    if text.contains('\0') {
        return Err(FieldError::new(field, "must not contain NUL characters"));
    }
    let canonical = CanonicalText::of(text);
    if canonical.is_empty() {
        return Err(FieldError::new(
            field,
            "has no words (only punctuation, symbols or invisible characters)",
        ));
    }
    Ok(canonical)
}

fn source_url(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let chars = value.chars().count();
    if chars > MAX_URL_CHARS {
        return Err(FieldError::new(
            field,
            format!("is {chars} characters; the limit is {MAX_URL_CHARS}"),
        ));
    }
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next());
    let valid = host.is_some_and(|h| !h.is_empty())
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            field,
            format!("{value:?} is not an absolute http or https URL"),
        ))
    }
}

/// The earliest and latest instants accepted: years 0001 to 9999, as RFC 3339 can write them.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// Converts a wire timestamp to [`Micros`], refusing values RFC 3339 cannot write.
pub fn micros_from_proto(field: &str, ts: &Timestamp) -> Result<Micros, FieldError> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&ts.seconds) || !(0..1_000_000_000).contains(&ts.nanos)
    {
        return Err(FieldError::new(
            field,
            "must lie between 0001-01-01 and 9999-12-31 with nanos in [0, 999999999]",
        ));
    }
    Ok(ts.seconds * 1_000_000 + i64::from(ts.nanos / 1_000))
}

/// The role a request names.
pub fn role_from_proto(field: &str, role: i32) -> Result<Role, FieldError> {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Reader) => Ok(Role::Reader),
        Ok(pb::Role::Editor) => Ok(Role::Editor),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Unspecified) | Err(_) => Err(FieldError::new(
            field,
            "is required: ROLE_READER, ROLE_EDITOR or ROLE_ADMIN",
        )),
    }
}

/// An API key as the wire shows it (never its hash).
pub fn api_key_to_proto(key: &ApiKey) -> pb::ApiKeyInfo {
    pb::ApiKeyInfo {
        name: key.name.clone(),
        role: match key.role {
            Role::Reader => pb::Role::Reader,
            Role::Editor => pb::Role::Editor,
            Role::Admin => pb::Role::Admin,
        } as i32,
        created_at: Some(micros_to_proto(key.created_at)),
        revoked_at: key.revoked_at.map(micros_to_proto),
    }
}

/// An audit event as the wire shows it.
pub fn audit_event_to_proto(event: AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        seq: event.seq,
        at: Some(micros_to_proto(event.at)),
        actor: event.actor.unwrap_or_default(),
        action: event
            .action
            .map(|a| a.name().to_owned())
            .unwrap_or_default(),
        subject: event.subject,
        detail: event.detail,
    }
}

/// Converts [`Micros`] to a wire timestamp.
pub fn micros_to_proto(micros: Micros) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: i32::try_from(micros.rem_euclid(1_000_000) * 1_000)
            .expect("under a million microseconds fit in i32 nanos"),
    }
}

/// Validates a registration request and canonicalizes and hashes its text.
pub fn new_quote_from_proto(
    request: pb::RegisterQuoteRequest,
    limits: &Limits,
) -> Result<NewQuote, FieldError> {
    let canonical = quote_text("text", &request.text, limits)?;
    let speaker = name("speaker", &request.speaker)?;
    let outlet_id = if request.outlet_id.is_empty() {
        String::new()
    } else {
        slug("outlet_id", &request.outlet_id)?
    };
    if speaker.is_empty() && outlet_id.is_empty() {
        return Err(FieldError::new(
            "speaker",
            "at least one of `speaker` and `outlet_id` is required: say who is credited",
        ));
    }
    let speaker_aliases = names("speaker_aliases", &request.speaker_aliases)?;
    let source_url = source_url("source_url", &request.source_url)?;
    let published_at = request
        .published_at
        .as_ref()
        .map(|ts| micros_from_proto("published_at", ts))
        .transpose()?;
    Ok(NewQuote {
        hash: ContentHash::of_canonical(CanonicalVersion::CURRENT, &canonical),
        text: request.text,
        canonical_text: canonical.into_string(),
        attribution: Attribution {
            speaker,
            speaker_aliases,
            outlet_id,
            source_url,
            published_at,
            registered_at: 0,
        },
    })
}

/// Parses a written content hash.
pub fn content_hash(field: &str, value: &str) -> Result<ContentHash, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    value
        .trim()
        .parse()
        .map_err(|e| FieldError::new(field, format!("{e}")))
}

/// A retraction reason: required, at most [`MAX_REASON_CHARS`].
pub fn retraction_reason(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(
            field,
            "must not be empty: say why the quote is retracted",
        ));
    }
    check_characters(field, value, true)?;
    let chars = value.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(FieldError::new(
            field,
            format!("is {chars} characters; the limit is {MAX_REASON_CHARS}"),
        ));
    }
    Ok(value.to_owned())
}

/// Applies the page-size rules: 0 is the default, larger than the maximum is lowered.
pub fn page_size(field: &str, value: i32) -> Result<usize, FieldError> {
    match usize::try_from(value) {
        Err(_) => Err(FieldError::new(
            field,
            format!(
                "must not be negative (found {value}); use 0 for the default of {DEFAULT_PAGE_SIZE}"
            ),
        )),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
    }
}

const QUOTE_TOKEN_PREFIX: &str = "q1.";
const OUTLET_TOKEN_PREFIX: &str = "o1.";
const AUDIT_TOKEN_PREFIX: &str = "a1.";

fn bad_token(field: &str) -> FieldError {
    FieldError::new(
        field,
        "was not issued by this server: pass the `next_page_token` of the previous page, or \
         nothing for the first page",
    )
}

/// The cursor a quotes page token carries: the last `seq` returned.
pub fn quote_page_token(field: &str, token: &str) -> Result<i64, FieldError> {
    seq_page_token(QUOTE_TOKEN_PREFIX, field, token)
}

/// The cursor an audit page token carries: the last event's seq, 0 for the first page.
pub fn audit_page_token(field: &str, token: &str) -> Result<i64, FieldError> {
    seq_page_token(AUDIT_TOKEN_PREFIX, field, token)
}

/// The token for the page after the audit event `last_seq`.
pub fn next_audit_page_token(last_seq: i64) -> String {
    format!("{AUDIT_TOKEN_PREFIX}{last_seq}")
}

fn seq_page_token(prefix: &str, field: &str, token: &str) -> Result<i64, FieldError> {
    if token.is_empty() {
        return Ok(0);
    }
    token
        .strip_prefix(prefix)
        .and_then(|seq| seq.parse::<i64>().ok())
        .filter(|&seq| seq > 0)
        .ok_or_else(|| bad_token(field))
}

/// The token for the page after the quote with `last_seq`.
pub fn next_quote_page_token(last_seq: i64) -> String {
    format!("{QUOTE_TOKEN_PREFIX}{last_seq}")
}

/// The cursor an outlets page token carries: the last id returned.
pub fn outlet_page_token(field: &str, token: &str) -> Result<Option<String>, FieldError> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .strip_prefix(OUTLET_TOKEN_PREFIX)
        .and_then(|id| slug(field, id).ok())
        .map(Some)
        .ok_or_else(|| bad_token(field))
}

/// The token for the page after the outlet `last_id`.
pub fn next_outlet_page_token(last_id: &str) -> String {
    format!("{OUTLET_TOKEN_PREFIX}{last_id}")
}

/// Validates listing filters.
pub fn quote_filter(outlet_id: &str, speaker: &str) -> Result<QuoteFilter, FieldError> {
    let outlet_id = if outlet_id.is_empty() {
        None
    } else {
        Some(slug("outlet_id", outlet_id)?)
    };
    let speaker = name("speaker", speaker)?;
    Ok(QuoteFilter {
        outlet_id,
        speaker: (!speaker.is_empty()).then_some(speaker),
    })
}

/// Converts a stored quote for the wire.
pub fn quote_to_proto(quote: Quote) -> pb::Quote {
    let (retracted, retraction_reason, retracted_at) = match quote.retraction {
        Some(r) => (true, r.reason, Some(micros_to_proto(r.at))),
        None => (false, String::new(), None),
    };
    pb::Quote {
        content_hash: quote.hash.to_string(),
        text: quote.text,
        canonical_text: quote.canonical_text,
        attributions: quote
            .attributions
            .into_iter()
            .map(|a| pb::Attribution {
                speaker: a.speaker,
                speaker_aliases: a.speaker_aliases,
                outlet_id: a.outlet_id,
                source_url: a.source_url,
                published_at: a.published_at.map(micros_to_proto),
                registered_at: Some(micros_to_proto(a.registered_at)),
            })
            .collect(),
        retracted,
        retraction_reason,
        retracted_at,
        registered_at: Some(micros_to_proto(quote.registered_at)),
    }
}

/// Longest `document_id`, in characters.
pub const MAX_DOCUMENT_ID_CHARS: usize = 200;

/// Validates a check request's text, document id and options.
pub fn check_request(request: &pb::CheckTextRequest) -> Result<CheckOptions, FieldError> {
    if request.text.trim().is_empty() {
        return Err(FieldError::new(
            "text",
            "must not be empty: send the article's text",
        ));
    }
    let document_id = request.document_id.chars().count();
    if document_id > MAX_DOCUMENT_ID_CHARS {
        return Err(FieldError::new(
            "document_id",
            format!("is {document_id} characters; the limit is {MAX_DOCUMENT_ID_CHARS}"),
        ));
    }
    let mut options = CheckOptions::default();
    let Some(given) = &request.options else {
        return Ok(options);
    };
    if let Some(words) = given.min_quote_words {
        if !(1..=100).contains(&words) {
            return Err(FieldError::new(
                "options.min_quote_words",
                format!("must be between 1 and 100 (found {words})"),
            ));
        }
        options.min_quote_words = words as usize;
    }
    if let Some(threshold) = given.misquote_threshold {
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(FieldError::new(
                "options.misquote_threshold",
                format!("must be greater than 0 and at most 1 (found {threshold})"),
            ));
        }
        options.misquote_threshold = threshold;
    }
    if let Some(words) = given.reuse_min_words {
        if !(3..=1_000).contains(&words) {
            return Err(FieldError::new(
                "options.reuse_min_words",
                format!("must be between 3 and 1000 (found {words})"),
            ));
        }
        options.reuse_min_words = words as usize;
    }
    if let Some(include) = given.include_unquoted_reuse {
        options.include_unquoted_reuse = include;
    }
    Ok(options)
}

/// Converts byte offsets of one text to [`pb::Span`]s with UTF-16 offsets, in one pass over the
/// text however many spans there are.
pub struct SpanMapper {
    /// Sorted (byte offset, UTF-16 offset) pairs for every offset asked for.
    offsets: Vec<(usize, u64)>,
}

impl SpanMapper {
    /// Prepares the UTF-16 offsets of every byte offset in `wanted`.
    pub fn new(text: &str, wanted: impl IntoIterator<Item = usize>) -> Self {
        let mut bytes: Vec<usize> = wanted.into_iter().collect();
        bytes.sort_unstable();
        bytes.dedup();
        let mut offsets = Vec::with_capacity(bytes.len());
        let mut utf16 = 0u64;
        let mut chars = text.char_indices().peekable();
        for byte in bytes {
            while let Some(&(at, c)) = chars.peek() {
                if at >= byte {
                    break;
                }
                utf16 += c.len_utf16() as u64;
                chars.next();
            }
            offsets.push((byte, utf16));
        }
        SpanMapper { offsets }
    }

    fn utf16(&self, byte: usize) -> u64 {
        let i = self
            .offsets
            .binary_search_by_key(&byte, |&(b, _)| b)
            .expect("every offset was registered with SpanMapper::new");
        self.offsets[i].1
    }

    /// The wire span of a byte range registered with [`SpanMapper::new`].
    pub fn span(&self, range: &Range<usize>) -> pb::Span {
        pb::Span {
            start: range.start as u64,
            end: range.end as u64,
            utf16_start: self.utf16(range.start),
            utf16_end: self.utf16(range.end),
        }
    }
}

fn edit_op(op: EditOp) -> pb::EditOp {
    match op {
        EditOp::Keep => pb::EditOp::Keep,
        EditOp::Replace => pb::EditOp::Replace,
        EditOp::Insert => pb::EditOp::Insert,
        EditOp::Delete => pb::EditOp::Delete,
        EditOp::Elided => pb::EditOp::Elided,
        EditOp::Editorial => pb::EditOp::Editorial,
    }
}

fn severity(severity: Severity) -> pb::Severity {
    match severity {
        Severity::None => pb::Severity::None,
        Severity::Low => pb::Severity::Low,
        Severity::Medium => pb::Severity::Medium,
        Severity::High => pb::Severity::High,
    }
}

fn severity_reason(reason: SeverityReason) -> pb::SeverityReason {
    match reason {
        SeverityReason::NegationChanged => pb::SeverityReason::NegationChanged,
        SeverityReason::NumberChanged => pb::SeverityReason::NumberChanged,
        SeverityReason::NameChanged => pb::SeverityReason::NameChanged,
        SeverityReason::WordsChanged => pb::SeverityReason::WordsChanged,
        SeverityReason::WordsAdded => pb::SeverityReason::WordsAdded,
        SeverityReason::WordsDropped => pb::SeverityReason::WordsDropped,
    }
}

fn verdict(verdict: Verdict) -> pb::MatchVerdict {
    match verdict {
        Verdict::Verified => pb::MatchVerdict::Verified,
        Verdict::Misquoted => pb::MatchVerdict::Misquoted,
        Verdict::Unregistered => pb::MatchVerdict::Unregistered,
        Verdict::Retracted => pb::MatchVerdict::Retracted,
        Verdict::TooShort => pb::MatchVerdict::TooShort,
    }
}

fn kind(kind: FindingKind) -> pb::FindingKind {
    match kind {
        FindingKind::Quotation => pb::FindingKind::Quotation,
        FindingKind::UnquotedReuse => pb::FindingKind::UnquotedReuse,
    }
}

fn attribution_to_proto(
    text: &str,
    mapper: &SpanMapper,
    check: Option<AttributionCheck>,
) -> pb::AttributionCheck {
    let Some(check) = check else {
        return pb::AttributionCheck {
            verdict: pb::AttributionVerdict::NotApplicable as i32,
            ..Default::default()
        };
    };
    let verdict = match check.credit.verdict {
        CreditVerdict::Correct => pb::AttributionVerdict::Correct,
        CreditVerdict::Missing => pb::AttributionVerdict::Missing,
        CreditVerdict::Misattributed => pb::AttributionVerdict::Misattributed,
    };
    let written = |span: &Option<Range<usize>>| {
        span.as_ref()
            .map(|s| text[s.clone()].to_owned())
            .unwrap_or_default()
    };
    pb::AttributionCheck {
        verdict: verdict as i32,
        credited: written(&check.credit.credited),
        credited_span: check.credit.credited.as_ref().map(|s| mapper.span(s)),
        expected: check.expected,
        resolved: written(&check.credit.resolved),
        resolved_span: check.credit.resolved.as_ref().map(|s| mapper.span(s)),
    }
}

/// Converts a report for the wire; `quote_of` supplies the registered quotation of each hash.
pub fn report_to_proto(
    text: &str,
    document_id: String,
    report: Report,
    mut quote_of: impl FnMut(&ContentHash) -> Option<pb::Quote>,
) -> pb::CheckTextResponse {
    let mapper = SpanMapper::new(
        text,
        report.findings.iter().flat_map(|f| {
            let credit = f.attribution.as_ref().map(|a| &a.credit);
            [f.span.start, f.span.end]
                .into_iter()
                .chain(
                    f.edits
                        .iter()
                        .filter_map(|e| e.span.clone())
                        .flat_map(|s| [s.start, s.end]),
                )
                .chain(
                    credit
                        .into_iter()
                        .flat_map(|c| c.credited.iter().chain(&c.resolved))
                        .flat_map(|s| [s.start, s.end]),
                )
        }),
    );
    let summary = report.summary;
    let findings = report
        .findings
        .into_iter()
        .map(|finding| pb::Finding {
            kind: kind(finding.kind) as i32,
            span: Some(mapper.span(&finding.span)),
            text: finding.text,
            verdict: verdict(finding.verdict) as i32,
            quote: finding.quote.as_ref().and_then(&mut quote_of),
            similarity: finding.similarity,
            edits: finding
                .edits
                .into_iter()
                .map(|edit| pb::Edit {
                    op: edit_op(edit.op) as i32,
                    registered: edit.registered,
                    submitted: edit.submitted,
                    span: edit.span.as_ref().map(|s| mapper.span(s)),
                })
                .collect(),
            severity: severity(finding.severity) as i32,
            reasons: finding
                .reasons
                .into_iter()
                .map(|r| severity_reason(r) as i32)
                .collect(),
            attribution: Some(attribution_to_proto(text, &mapper, finding.attribution)),
        })
        .collect::<Vec<_>>();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    pb::CheckTextResponse {
        document_id,
        summary: Some(pb::CheckSummary {
            verified: count(summary.verified),
            misquoted: count(summary.misquoted),
            unregistered: count(summary.unregistered),
            retracted: count(summary.retracted),
            too_short: count(summary.too_short),
            total: count(findings.len()),
            attribution_correct: count(summary.attribution_correct),
            attribution_missing: count(summary.attribution_missing),
            attribution_misattributed: count(summary.attribution_misattributed),
            attribution_not_applicable: count(
                findings.len()
                    - summary.attribution_correct
                    - summary.attribution_missing
                    - summary.attribution_misattributed,
            ),
        }),
        findings,
        canonical_version: CanonicalVersion::CURRENT.number(),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> pb::RegisterQuoteRequest {
        pb::RegisterQuoteRequest {
            text: text.into(),
            speaker: "Jane Roe".into(),
            ..Default::default()
        }
    }

    #[test]
    fn slugs_follow_the_documented_pattern() {
        for good in ["a", "express-tribune", "bbc2", &"x".repeat(64)] {
            assert!(slug("id", good).is_ok(), "{good}");
        }
        for bad in ["", "-lead", "Upper", "with space", "ünï", &"x".repeat(65)] {
            let error = slug("outlet.id", bad).expect_err(bad);
            assert_eq!(error.field, "outlet.id");
        }
    }

    #[test]
    fn text_errors_name_the_field_and_the_limit_flag() {
        let limits = Limits {
            max_quote_chars: 10,
            ..Limits::default()
        };
        let too_long = new_quote_from_proto(request("twelve chars"), &limits).unwrap_err();
        assert_eq!(too_long.field, "text");
        assert!(too_long.problem.contains("--max-quote-chars"), "{too_long}");
        for (text, needle) in [("   \n", "empty"), ("…!?", "no words"), ("a\0b", "NUL")] {
            let error = new_quote_from_proto(request(text), &Limits::default()).unwrap_err();
            assert_eq!(error.field, "text");
            assert!(error.problem.contains(needle), "{error}");
        }
    }

    #[test]
    fn someone_must_be_credited() {
        let mut anonymous = request("Words from nowhere.");
        anonymous.speaker = "  ".into();
        let error = new_quote_from_proto(anonymous, &Limits::default()).unwrap_err();
        assert!(error.problem.contains("outlet_id"), "{error}");
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(source_url("u", "https://example.com/a?b#c").is_ok());
        assert!(source_url("u", "").is_ok());
        for bad in ["example.com", "ftp://x.org", "https://", "https://a b.com"] {
            assert!(source_url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip_at_microsecond_precision() {
        let ts = Timestamp {
            seconds: 1_706_486_400,
            nanos: 123_456_000,
        };
        let micros = micros_from_proto("t", &ts).expect("valid");
        assert_eq!(micros_to_proto(micros), ts);
        let before_1970 = Timestamp {
            seconds: -1,
            nanos: 500_000_000,
        };
        assert_eq!(
            micros_to_proto(micros_from_proto("t", &before_1970).expect("valid")),
            before_1970
        );
        assert!(
            micros_from_proto(
                "t",
                &Timestamp {
                    seconds: 0,
                    nanos: -1
                }
            )
            .is_err()
        );
    }

    #[test]
    fn page_tokens_round_trip_and_forgeries_fail() {
        assert_eq!(quote_page_token("t", ""), Ok(0));
        assert_eq!(quote_page_token("t", &next_quote_page_token(42)), Ok(42));
        assert!(quote_page_token("t", "42").is_err());
        assert!(quote_page_token("t", "q1.-5").is_err());
        assert_eq!(
            outlet_page_token("t", &next_outlet_page_token("bbc")),
            Ok(Some("bbc".into()))
        );
        assert!(outlet_page_token("t", "o1.NOT A SLUG").is_err());
        assert_eq!(page_size("p", 0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size("p", 5_000), Ok(MAX_PAGE_SIZE));
        assert!(page_size("p", -1).is_err());
    }

    #[test]
    fn utf16_offsets_count_surrogate_pairs() {
        let text = "a😀b “é”";
        let mapper = SpanMapper::new(text, [0, 1, 5, 6, text.len()]);
        let span = mapper.span(&(5..6));
        assert_eq!((span.utf16_start, span.utf16_end), (3, 4));
        assert_eq!(mapper.span(&(0..text.len())).utf16_end, 8);
    }

    #[test]
    fn check_options_default_when_unset_and_refuse_out_of_range() {
        let mut request = pb::CheckTextRequest {
            text: "Some article.".into(),
            ..Default::default()
        };
        assert_eq!(check_request(&request), Ok(CheckOptions::default()));
        request.options = Some(pb::CheckOptions {
            misquote_threshold: Some(1.5),
            ..Default::default()
        });
        assert_eq!(
            check_request(&request).unwrap_err().field,
            "options.misquote_threshold"
        );
        request.options = Some(pb::CheckOptions {
            min_quote_words: Some(0),
            ..Default::default()
        });
        assert_eq!(
            check_request(&request).unwrap_err().field,
            "options.min_quote_words"
        );
        request.text = " \n".into();
        assert_eq!(check_request(&request).unwrap_err().field, "text");
    }

    #[test]
    fn aliases_are_trimmed_and_deduplicated() {
        let got = names(
            "aliases",
            &[
                " Express Tribune ".into(),
                "".into(),
                "express tribune".into(),
            ],
        )
        .expect("valid");
        assert_eq!(got, ["Express Tribune"]);
        assert!(names("aliases", &vec!["a".to_string(); 33]).is_err());
    }
}
