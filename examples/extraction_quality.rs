//! Measures quotation extraction against human annotations in the shared corpora: span precision
//! and recall, exact and at 50% overlap, over PolNeAR's direct quotations and PDNC's quotations.
//!
//! `cargo run --release --example extraction_quality` (reads `../shared/corpus/`, skips when it is
//! absent). A gold span and a predicted span match at 50% overlap when the characters they share
//! are at least half of the longer one; each span matches at most once.

use std::{ops::Range, path::Path};

use serde_json::Value;
use verbatim::text::quotes;

/// Byte offset of every code point index (and of the end).
fn byte_offsets(text: &str) -> Vec<usize> {
    let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    offsets.push(text.len());
    offsets
}

const MARKS: &[char] = &['"', '\'', '“', '”', '‘', '’', '«', '»', '„', '‚'];

/// A span without surrounding whitespace and quotation marks (annotators differ on including
/// them), or `None` when nothing is left.
fn strip(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let slice = &text[span.clone()];
    let inner = slice.trim_matches(|c: char| c.is_whitespace() || MARKS.contains(&c));
    if inner.is_empty() {
        return None;
    }
    let start = span.start + slice.find(inner).expect("inner is a part of slice");
    Some(start..start + inner.len())
}

fn strip_trailing_punctuation(text: &str, span: &Range<usize>) -> Range<usize> {
    let slice = &text[span.clone()];
    let kept = slice.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    span.start..span.start + kept.len()
}

#[derive(Default)]
struct Score {
    gold: usize,
    predicted: usize,
    exact: usize,
    overlap_gold: usize,
    overlap_predicted: usize,
}

impl Score {
    fn add(&mut self, text: &str, gold: &[Range<usize>], predicted: &[Range<usize>]) {
        self.gold += gold.len();
        self.predicted += predicted.len();
        let same = |a: &Range<usize>, b: &Range<usize>| {
            strip_trailing_punctuation(text, a) == strip_trailing_punctuation(text, b)
        };
        let overlaps = |a: &Range<usize>, b: &Range<usize>| {
            let shared = a.end.min(b.end).saturating_sub(a.start.max(b.start));
            shared * 2 >= a.len().max(b.len())
        };
        let mut used = vec![false; predicted.len()];
        for g in gold {
            if let Some(i) = (0..predicted.len()).find(|&i| !used[i] && same(g, &predicted[i])) {
                used[i] = true;
                self.exact += 1;
            }
        }
        let mut used = vec![false; predicted.len()];
        for g in gold {
            if let Some(i) = (0..predicted.len()).find(|&i| !used[i] && overlaps(g, &predicted[i]))
            {
                used[i] = true;
                self.overlap_gold += 1;
            }
        }
        self.overlap_predicted += used.iter().filter(|u| **u).count();
    }

    fn report(&self, name: &str) {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        println!(
            "{name}: {} gold spans, {} predicted\n  exact:       precision {:.3}  recall {:.3}\n  50% overlap: precision {:.3}  recall {:.3}",
            self.gold,
            self.predicted,
            ratio(self.exact, self.predicted),
            ratio(self.exact, self.gold),
            ratio(self.overlap_predicted, self.predicted),
            ratio(self.overlap_gold, self.gold),
        );
    }
}

fn predicted_pieces(text: &str) -> Vec<Range<usize>> {
    quotes::extract(text)
        .into_iter()
        .flat_map(|q| q.pieces)
        .collect()
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(polnear) = std::fs::read_to_string(dir.join("polnear-news-train.jsonl")) else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let mut all_direct = Score::default();
    let mut fully_quoted = Score::default();
    for line in polnear.lines() {
        let record: Value = serde_json::from_str(line).expect("JSON");
        let text = record["text"].as_str().expect("text");
        let offsets = byte_offsets(text);
        let mut gold = Vec::new();
        let mut gold_pure = Vec::new();
        for attribution in record["attributions"].as_array().expect("attributions") {
            if attribution["content_has_quote_marks"] != true {
                continue;
            }
            for fragment in attribution["content"].as_array().expect("content") {
                let start = offsets[fragment[0].as_u64().expect("start") as usize];
                let end = offsets[fragment[1].as_u64().expect("end") as usize];
                let raw = text[start..end].trim();
                let Some(span) = strip(text, start..end) else {
                    continue;
                };
                gold.push(span.clone());
                let opens = raw.starts_with(['"', '“', '\'', '‘']);
                let closes = raw
                    .trim_end_matches(['.', ',', '!', '?'])
                    .ends_with(['"', '”', '\'', '’']);
                if opens && closes {
                    gold_pure.push(span);
                }
            }
        }
        // Only predictions inside annotated regions can be judged: PolNeAR annotates
        // attributions, not every quoted phrase (titles, scare quotes).
        let predicted = predicted_pieces(text);
        all_direct.add(text, &gold, &predicted);
        fully_quoted.add(text, &gold_pure, &predicted);
    }
    all_direct.report("PolNeAR train, content of every attribution with quotation marks");
    fully_quoted.report("PolNeAR train, attributions whose content is entirely one quotation");

    let Ok(pdnc) = std::fs::read_to_string(dir.join("pdnc-novels-dev.jsonl")) else {
        eprintln!("skipped: pdnc-novels-dev.jsonl is absent");
        return;
    };
    let mut novels = Score::default();
    for line in pdnc.lines() {
        let record: Value = serde_json::from_str(line).expect("JSON");
        let text = record["text"].as_str().expect("text");
        let offsets = byte_offsets(text);
        let mut gold = Vec::new();
        for quote in record["quotes"].as_array().expect("quotes") {
            for span in quote["spans"].as_array().expect("spans") {
                let start = offsets[span[0].as_u64().expect("start") as usize];
                let end = offsets[span[1].as_u64().expect("end") as usize];
                if let Some(span) = strip(text, start..end) {
                    gold.push(span);
                }
            }
        }
        novels.add(text, &gold, &predicted_pieces(text));
    }
    novels.report("PDNC dev, every quotation span");
}
