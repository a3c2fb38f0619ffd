//! What a check reports, as domain types: one finding per quotation or stretch of reused words.

use std::ops::Range;

use crate::text::{
    ContentHash,
    align::Edit,
    attribution::{Credit, CreditVerdict},
    severity::{Severity, SeverityReason},
};

/// Where a finding's words stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// Words inside quotation marks.
    Quotation,
    /// Registered words used without quotation marks.
    UnquotedReuse,
}

/// How a finding's words compare with the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The registered words, apart from the editorial conventions.
    Verified,
    /// Close to a registered quotation, but words differ.
    Misquoted,
    /// Not in the register.
    Unregistered,
    /// Matches a quotation that was retracted.
    Retracted,
    /// Fewer words than the minimum: a scare quote or a title.
    TooShort,
}

impl Verdict {
    /// The verdict's name in lowercase (`verified`, `too_short`), for metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Misquoted => "misquoted",
            Verdict::Unregistered => "unregistered",
            Verdict::Retracted => "retracted",
            Verdict::TooShort => "too_short",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    /// Byte range of the words (without the quotation marks) in the submitted text.
    pub span: Range<usize>,
    /// The words as written (pieces of a split quotation joined by a space).
    pub text: String,
    pub verdict: Verdict,
    /// The registered quotation it was matched to.
    pub quote: Option<ContentHash>,
    /// Agreement with the matched quotation, in [0, 1]; 0 when unmatched.
    pub similarity: f64,
    /// Word-level alignment against the matched quotation.
    pub edits: Vec<Edit>,
    pub severity: Severity,
    pub reasons: Vec<SeverityReason>,
    /// Whom the text credits, compared with the register; `None` when nothing matched.
    pub attribution: Option<AttributionCheck>,
}

/// How a matched finding is credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionCheck {
    pub credit: Credit,
    /// The register's speakers and outlets for the matched quotation, names as registered.
    pub expected: Vec<String>,
}

impl Finding {
    /// A finding matched to nothing.
    pub fn unmatched(
        kind: FindingKind,
        span: Range<usize>,
        text: String,
        verdict: Verdict,
    ) -> Self {
        Finding {
            kind,
            span,
            text,
            verdict,
            quote: None,
            similarity: 0.0,
            edits: Vec::new(),
            severity: Severity::None,
            reasons: Vec::new(),
            attribution: None,
        }
    }
}

/// Findings counted by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckSummary {
    pub verified: usize,
    pub misquoted: usize,
    pub unregistered: usize,
    pub retracted: usize,
    pub too_short: usize,
    /// Matched findings credited to a registered source.
    pub attribution_correct: usize,
    /// Matched findings credited to nobody.
    pub attribution_missing: usize,
    /// Matched findings credited to someone else.
    pub attribution_misattributed: usize,
}

/// The outcome of checking one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// In text order.
    pub findings: Vec<Finding>,
    pub summary: CheckSummary,
}

impl Report {
    /// A report over `findings`, with its summary.
    pub fn new(findings: Vec<Finding>) -> Self {
        let mut summary = CheckSummary::default();
        for finding in &findings {
            *match finding.verdict {
                Verdict::Verified => &mut summary.verified,
                Verdict::Misquoted => &mut summary.misquoted,
                Verdict::Unregistered => &mut summary.unregistered,
                Verdict::Retracted => &mut summary.retracted,
                Verdict::TooShort => &mut summary.too_short,
            } += 1;
            if let Some(check) = &finding.attribution {
                *match check.credit.verdict {
                    CreditVerdict::Correct => &mut summary.attribution_correct,
                    CreditVerdict::Missing => &mut summary.attribution_missing,
                    CreditVerdict::Misattributed => &mut summary.attribution_misattributed,
                } += 1;
            }
        }
        Report { findings, summary }
    }

    /// True when a newsroom should look before publishing: a misquoted or retracted quotation,
    /// or a registered one credited to nobody or to someone else.
    pub fn needs_attention(&self) -> bool {
        self.summary.misquoted > 0
            || self.summary.retracted > 0
            || self.summary.attribution_missing > 0
            || self.summary.attribution_misattributed > 0
    }
}
