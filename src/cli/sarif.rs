//! `verbatim check --format sarif`: the findings that need attention as a SARIF 2.1.0 log, the
//! format code-review and CI tools read to show findings inline. One rule per kind of problem;
//! locations in lines and columns counted in Unicode code points (`columnKind`).

use serde_json::{Value, json};

use crate::proto::v1 as pb;

/// The rules a result can break: (id, short description, full description).
const RULES: &[(&str, &str, &str)] = &[
    (
        "misquoted",
        "Misquoted",
        "The words in quotation marks differ from the registered quotation they are closest to \
         beyond the editorial conventions (ellipses, brackets).",
    ),
    (
        "retracted",
        "Retracted quotation",
        "The words match a registered quotation that was retracted.",
    ),
    (
        "attribution-missing",
        "Attribution missing",
        "A registered quotation is used without crediting anyone.",
    ),
    (
        "misattributed",
        "Misattributed",
        "A registered quotation is credited to a speaker or outlet the register does not credit.",
    ),
    (
        "unregistered",
        "Unregistered quotation",
        "The words in quotation marks match nothing in the register.",
    ),
];

/// A SARIF log being filled with the checks of one or more texts.
#[derive(Default)]
pub struct SarifLog {
    artifacts: Vec<String>,
    results: Vec<Value>,
}

/// 1-based line and column (in code points) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

fn region(text: &str, span: &pb::Span) -> Value {
    let (start_line, start_column) = position(text, span.start as usize);
    let (end_line, end_column) = position(text, span.end as usize);
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

fn rule_index(id: &str) -> usize {
    RULES
        .iter()
        .position(|(rule, ..)| *rule == id)
        .expect("every rule used is listed")
}

impl SarifLog {
    /// Adds the results of checking `text`, known to tools as `uri`.
    pub fn add(&mut self, uri: &str, text: &str, response: &pb::CheckTextResponse) {
        let artifact = self.artifacts.len();
        self.artifacts.push(uri.to_owned());
        for finding in &response.findings {
            let span = finding.span.unwrap_or_default();
            let location = |span: &pb::Span| {
                json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "index": artifact},
                        "region": region(text, span),
                    }
                })
            };
            let mut add = |rule: &str, level: &str, message: String, related: Option<Value>| {
                let mut result = json!({
                    "ruleId": rule,
                    "ruleIndex": rule_index(rule),
                    "level": level,
                    "message": {"text": message},
                    "locations": [location(&span)],
                });
                if let Some(quote) = &finding.quote {
                    result["partialFingerprints"] =
                        json!({"registeredQuote/v1": quote.content_hash});
                }
                if let Some(related) = related {
                    result["relatedLocations"] = json!([related]);
                }
                self.results.push(result);
            };
            let verdict = pb::MatchVerdict::try_from(finding.verdict)
                .unwrap_or(pb::MatchVerdict::Unspecified);
            let registered = finding.quote.as_ref().map_or("", |q| q.text.as_str());
            match verdict {
                pb::MatchVerdict::Misquoted => {
                    let high = finding.severity == pb::Severity::High as i32;
                    let reasons: Vec<String> = finding
                        .reasons
                        .iter()
                        .filter_map(|r| pb::SeverityReason::try_from(*r).ok())
                        .map(|r| {
                            r.as_str_name()
                                .trim_start_matches("SEVERITY_REASON_")
                                .replace('_', " ")
                                .to_lowercase()
                        })
                        .collect();
                    add(
                        "misquoted",
                        if high { "error" } else { "warning" },
                        format!(
                            "Misquoted ({}): the register has “{registered}”.",
                            reasons.join(", ")
                        ),
                        None,
                    );
                }
                pb::MatchVerdict::Retracted => add(
                    "retracted",
                    "error",
                    format!(
                        "These words were registered and then retracted: {}.",
                        finding
                            .quote
                            .as_ref()
                            .map_or("", |q| q.retraction_reason.as_str())
                    ),
                    None,
                ),
                pb::MatchVerdict::Unregistered => add(
                    "unregistered",
                    "note",
                    "No registered quotation matches these words.".to_owned(),
                    None,
                ),
                _ => {}
            }
            let Some(check) = &finding.attribution else {
                continue;
            };
            let expected = check.expected.join(", ");
            match pb::AttributionVerdict::try_from(check.verdict) {
                Ok(pb::AttributionVerdict::Missing) => add(
                    "attribution-missing",
                    "warning",
                    format!(
                        "Nothing in the text credits these words; the register credits {expected}."
                    ),
                    None,
                ),
                Ok(pb::AttributionVerdict::Misattributed) => add(
                    "misattributed",
                    "error",
                    format!(
                        "The text credits “{}”; the register credits {expected}.",
                        check.credited
                    ),
                    check.credited_span.as_ref().map(|credited| {
                        let mut related = location(credited);
                        related["message"] = json!({"text": "the credit given"});
                        related
                    }),
                ),
                _ => {}
            }
        }
    }

    /// The log, as SARIF 2.1.0 JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "verbatim",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": RULES.iter().map(|(id, short, full)| json!({
                        "id": id,
                        "name": short.replace(' ', ""),
                        "shortDescription": {"text": short},
                        "fullDescription": {"text": full},
                    })).collect::<Vec<_>>(),
                }},
                "columnKind": "unicodeCodePoints",
                "artifacts": self.artifacts.iter().map(|uri| json!({
                    "location": {"uri": uri},
                    "mimeType": "text/plain",
                })).collect::<Vec<_>>(),
                "results": self.results,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64) -> pb::Span {
        pb::Span {
            start,
            end,
            ..Default::default()
        }
    }

    #[test]
    fn a_misquote_becomes_an_error_result_located_in_code_points() {
        let text = "Line one.\nÉtienne said “we will raise taxes”.";
        let start = text.find("we").expect("quoted") as u64;
        let response = pb::CheckTextResponse {
            findings: vec![pb::Finding {
                span: Some(span(start, start + "we will raise taxes".len() as u64)),
                verdict: pb::MatchVerdict::Misquoted as i32,
                severity: pb::Severity::High as i32,
                reasons: vec![pb::SeverityReason::NegationChanged as i32],
                quote: Some(pb::Quote {
                    content_hash: "sha256:ab".into(),
                    text: "We will not raise taxes.".into(),
                    ..Default::default()
                }),
                attribution: Some(pb::AttributionCheck {
                    verdict: pb::AttributionVerdict::Correct as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut log = SarifLog::default();
        log.add("articles/a.txt", text, &response);
        let json = log.to_json();
        assert_eq!(json["version"], "2.1.0");
        let result = &json["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "misquoted");
        assert_eq!(result["level"], "error");
        assert_eq!(
            json["runs"][0]["tool"]["driver"]["rules"]
                [result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "misquoted"
        );
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 2);
        // "Étienne said “" is 14 code points.
        assert_eq!(region["startColumn"], 15);
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .contains("negation changed")
        );
        assert_eq!(json["runs"][0]["results"].as_array().unwrap().len(), 1);
    }
}
