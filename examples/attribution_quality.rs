//! Measures attribution on real news: PolNeAR's direct quotations whose annotated source is a
//! name. Each quotation is registered under that name and its article checked (the share judged
//! CORRECT), then registered under another person named as a source in the same article (the
//! share judged MISATTRIBUTED).
//!
//! `cargo run --release --example attribution_quality [-- --show N]` (reads `../shared/corpus/`,
//! skips when it is absent); `--show N` prints N misjudged cases of each kind.

use std::{collections::HashMap, ops::Range, path::Path};

use serde_json::Value;
use verbatim::checker::{CheckOptions, LiveRegister};
use verbatim::record::Attribution;
use verbatim::text::{ContentHash, attribution::CreditVerdict, quotes};

fn byte_offsets(text: &str) -> Vec<usize> {
    let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    offsets.push(text.len());
    offsets
}

fn fragments(value: &Value, offsets: &[usize]) -> Vec<Range<usize>> {
    value
        .as_array()
        .expect("fragments")
        .iter()
        .map(|f| {
            offsets[f[0].as_u64().expect("start") as usize]
                ..offsets[f[1].as_u64().expect("end") as usize]
        })
        .collect()
}

const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "that", "his", "her", "their", "its",
];
const PRONOUNS: &[&str] = &["he", "she", "they", "it", "i", "we", "you", "him", "them"];

/// The capitalised words of a source that is a name ("Donald Trump", "the Daily News"), or
/// `None` for a pronoun or a description ("he", "the newspaper").
fn name_words(source: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = source.split_whitespace().collect();
    let first = words.first()?.to_lowercase();
    if PRONOUNS.contains(&first.as_str()) {
        return None;
    }
    let body = if DETERMINERS.contains(&first.as_str()) {
        &words[1..]
    } else {
        &words[..]
    };
    let capitalised: Vec<String> = body
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .map(|w| {
            w.trim_end_matches(['’', '\'', 's', ',', '.'])
                .to_lowercase()
        })
        .collect();
    (!capitalised.is_empty()).then_some(capitalised)
}

struct Case {
    article: usize,
    quotation: Range<usize>,
    text: String,
    source: String,
    words: Vec<String>,
}

#[derive(Default)]
struct Tally {
    cases: usize,
    counts: HashMap<&'static str, usize>,
    misjudged: Vec<String>,
}

impl Tally {
    fn add(&mut self, verdict: &'static str, wanted: &'static str, detail: String) {
        self.cases += 1;
        *self.counts.entry(verdict).or_default() += 1;
        if verdict != wanted {
            self.misjudged.push(detail);
        }
    }

    fn report(&self, name: &str, wanted: &str, show: usize) {
        let share =
            |v: &str| self.counts.get(v).copied().unwrap_or(0) as f64 / self.cases.max(1) as f64;
        println!(
            "{name}: {} cases; {wanted} {:.3} (correct {:.3}, missing {:.3}, misattributed {:.3}, not matched {:.3})",
            self.cases,
            share(wanted),
            share("CORRECT"),
            share("MISSING"),
            share("MISATTRIBUTED"),
            share("NOT_MATCHED"),
        );
        for detail in self.misjudged.iter().take(show) {
            println!("  {detail}");
        }
    }
}

fn verdict_name(verdict: Option<CreditVerdict>) -> &'static str {
    match verdict {
        Some(CreditVerdict::Correct) => "CORRECT",
        Some(CreditVerdict::Missing) => "MISSING",
        Some(CreditVerdict::Misattributed) => "MISATTRIBUTED",
        None => "NOT_MATCHED",
    }
}

/// Registers each case under `speaker_of(case)`, checks each article once, and tallies.
fn run(
    articles: &[String],
    cases: &[Case],
    speaker_of: impl Fn(&Case) -> Option<String>,
    wanted: &'static str,
) -> Tally {
    let mut tally = Tally::default();
    let mut by_article: HashMap<usize, Vec<&Case>> = HashMap::new();
    for case in cases {
        by_article.entry(case.article).or_default().push(case);
    }
    let mut keys: Vec<usize> = by_article.keys().copied().collect();
    keys.sort_unstable();
    for article in keys {
        let text = &articles[article];
        let live = LiveRegister::new();
        let mut registered = Vec::new();
        for case in &by_article[&article] {
            let Some(speaker) = speaker_of(case) else {
                continue;
            };
            live.add(
                ContentHash::of_text(&case.text),
                &case.text,
                &Attribution::to_speaker(&speaker, &[]),
            );
            registered.push((case, speaker));
        }
        let report = live.check(text, &CheckOptions::default());
        for (case, speaker) in registered {
            let finding = report
                .findings
                .iter()
                .find(|f| f.span.start == case.quotation.start);
            let credit = finding
                .and_then(|f| f.attribution.as_ref())
                .map(|a| &a.credit);
            let written = |r: Option<&Range<usize>>| r.map_or("", |r| &text[r.clone()]);
            let context_start = text[..case.quotation.start]
                .char_indices()
                .rev()
                .nth(100)
                .map_or(0, |(i, _)| i);
            let context_end = text[case.quotation.end..]
                .char_indices()
                .nth(60)
                .map_or(text.len(), |(i, _)| case.quotation.end + i);
            tally.add(
                verdict_name(credit.map(|c| c.verdict)),
                wanted,
                format!(
                    "{} registered to {speaker:?}; credited {:?} → {:?} (annotated {:?}): …{}…",
                    verdict_name(credit.map(|c| c.verdict)),
                    written(credit.and_then(|c| c.credited.as_ref())),
                    written(credit.and_then(|c| c.resolved.as_ref())),
                    case.source,
                    text[context_start..context_end].replace('\n', " ¶ "),
                ),
            );
        }
    }
    tally
}

fn main() {
    let show: usize = std::env::args()
        .skip_while(|a| a != "--show")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(polnear) = std::fs::read_to_string(dir.join("polnear-news-train.jsonl")) else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let mut articles = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    for line in polnear.lines() {
        let record: Value = serde_json::from_str(line).expect("JSON");
        let text = record["text"].as_str().expect("text").to_owned();
        let offsets = byte_offsets(&text);
        let quotations = quotes::extract(&text);
        let article = articles.len();
        let mut taken = Vec::new();
        for attribution in record["attributions"].as_array().expect("attributions") {
            if attribution["content_has_quote_marks"] != true {
                continue;
            }
            // The name without an appositive or a parenthesis ("Graham, a former candidate,").
            let source = attribution["source_text"]
                .as_str()
                .unwrap_or_default()
                .split([',', '('])
                .next()
                .unwrap_or_default()
                .trim();
            let Some(words) = name_words(source) else {
                continue;
            };
            let content = fragments(&attribution["content"], &offsets);
            // The extracted quotation that lies mostly inside the annotated content.
            let Some((index, quotation)) = quotations.iter().enumerate().find(|(_, q)| {
                let span = q.pieces[0].start..q.pieces.last().expect("a piece").end;
                let inside: usize = content
                    .iter()
                    .map(|c| c.end.min(span.end).saturating_sub(c.start.max(span.start)))
                    .sum();
                q.parent.is_none() && inside * 2 >= span.len()
            }) else {
                continue;
            };
            let quoted = quotation.text(&text);
            if quoted.split_whitespace().count() < 4 || taken.contains(&index) {
                continue;
            }
            taken.push(index);
            cases.push(Case {
                article,
                quotation: quotation.pieces[0].start..quotation.pieces.last().expect("a piece").end,
                text: quoted,
                source: source.to_owned(),
                words,
            });
        }
        articles.push(text);
    }

    let correct = run(
        &articles,
        &cases,
        |case| Some(case.source.clone()),
        "CORRECT",
    );
    correct.report("registered under the annotated source", "CORRECT", show);

    // Another person credited in the same article, sharing no name word with this source.
    let others = |case: &Case| {
        cases
            .iter()
            .filter(|other| other.article == case.article)
            .find(|other| !other.words.iter().any(|w| case.words.contains(w)))
            .map(|other| other.source.clone())
    };
    let misattributed = run(&articles, &cases, others, "MISATTRIBUTED");
    misattributed.report(
        "registered under another source of the article",
        "MISATTRIBUTED",
        show,
    );
}
