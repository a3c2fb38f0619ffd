//! The labelled checking corpus (`tests/corpus/`, invented quotations written for these tests):
//! precision and recall of every verdict must be at least 0.95, and misquotes must carry the
//! reason their case names.

use std::collections::HashMap;

use serde::Deserialize;
use verbatim::checker::{CheckOptions, FindingKind, LiveRegister, Verdict};
use verbatim::record::Attribution;
use verbatim::text::{CanonicalText, ContentHash};

#[derive(Deserialize)]
struct Case {
    id: String,
    text: String,
    target: String,
    verdict: String,
    reason: Option<String>,
    kind: String,
}

fn load_register() -> LiveRegister {
    let live = LiveRegister::new();
    let register = include_str!("../corpus/register.jsonl");
    for line in register.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let text = record["text"].as_str().expect("text");
        match record["kind"].as_str() {
            Some("quote") => live.add(
                ContentHash::of_text(text),
                text,
                &Attribution::to_speaker(record["speaker"].as_str().unwrap_or_default(), &[]),
            ),
            Some("retraction") => live.retract(&ContentHash::of_text(text)),
            other => panic!("unknown line kind {other:?}"),
        }
    }
    live
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Verified => "VERIFIED",
        Verdict::Misquoted => "MISQUOTED",
        Verdict::Unregistered => "UNREGISTERED",
        Verdict::Retracted => "RETRACTED",
        Verdict::TooShort => "TOO_SHORT",
    }
}

/// Words two texts share, counting repeats.
fn shared_words(a: &str, b: &str) -> usize {
    let mut counts: HashMap<&str, i32> = HashMap::new();
    for word in a.split(' ') {
        *counts.entry(word).or_default() += 1;
    }
    b.split(' ')
        .filter(|w| {
            let count = counts.entry(w).or_default();
            *count -= 1;
            *count >= 0
        })
        .count()
}

#[test]
fn every_verdict_has_precision_and_recall_of_at_least_0_95() {
    let live = load_register();
    let cases: Vec<Case> = include_str!("../corpus/checking.jsonl")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a case"))
        .collect();
    assert!(cases.len() >= 200, "the corpus has {} cases", cases.len());

    let mut outcomes: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    let mut reasons = (0, 0);
    for case in &cases {
        let report = live.check(&case.text, &CheckOptions::default());
        let target = CanonicalText::of(&case.target);
        let finding = report
            .findings
            .iter()
            .max_by_key(|f| shared_words(target.as_str(), CanonicalText::of(&f.text).as_str()));
        let got = match finding {
            None => "NOTHING".to_owned(),
            Some(f) => {
                let kind = match f.kind {
                    FindingKind::Quotation => "QUOTATION",
                    FindingKind::UnquotedReuse => "UNQUOTED_REUSE",
                };
                if kind == case.kind {
                    verdict_name(f.verdict).to_owned()
                } else {
                    format!("{kind}:{}", verdict_name(f.verdict))
                }
            }
        };
        if let (Some(expected), Some(f)) = (&case.reason, finding) {
            reasons.1 += 1;
            if f.reasons
                .iter()
                .any(|r| format!("{r:?}").to_uppercase() == expected.replace('_', ""))
            {
                reasons.0 += 1;
            } else {
                failures.push(format!(
                    "{}: reasons {:?}, expected {expected}",
                    case.id, f.reasons
                ));
            }
        }
        if got != case.verdict {
            failures.push(format!("{}: got {got}, expected {}", case.id, case.verdict));
        }
        outcomes.push((case.verdict.clone(), got));
    }

    let mut report = String::new();
    let mut worst: f64 = 1.0;
    for verdict in [
        "VERIFIED",
        "MISQUOTED",
        "UNREGISTERED",
        "RETRACTED",
        "TOO_SHORT",
    ] {
        let predicted = outcomes.iter().filter(|(_, got)| got == verdict).count();
        let actual = outcomes.iter().filter(|(want, _)| want == verdict).count();
        let correct = outcomes
            .iter()
            .filter(|(want, got)| want == verdict && got == verdict)
            .count();
        let precision = correct as f64 / predicted.max(1) as f64;
        let recall = correct as f64 / actual.max(1) as f64;
        worst = worst.min(precision).min(recall);
        report.push_str(&format!(
            "{verdict:>13}: {actual:3} cases, precision {precision:.3}, recall {recall:.3}\n"
        ));
    }
    let reason_accuracy = f64::from(reasons.0) / f64::from(reasons.1.max(1));
    report.push_str(&format!(
        "severity reasons: {}/{} ({reason_accuracy:.3})\n",
        reasons.0, reasons.1
    ));
    println!(
        "{} cases\n{report}\nmisjudged:\n{}",
        cases.len(),
        failures.join("\n")
    );
    assert!(
        worst >= 0.95 && reason_accuracy >= 0.95,
        "{report}\nfailures:\n{}",
        failures.join("\n")
    );
}
