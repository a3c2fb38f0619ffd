//! Real text for benchmarks, read from `../shared/corpus/` (never copied into the repository).

use std::path::Path;

/// Article texts of the shared news corpora, or `None` (after saying so) when they are absent.
pub fn news_articles() -> Option<Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut articles = Vec::new();
    for file in ["bbc-news-dev.jsonl", "polnear-news-train.jsonl"] {
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            eprintln!("skipped: ../shared/corpus/{file} is absent");
            return None;
        };
        for line in text.lines() {
            let record: serde_json::Value =
                serde_json::from_str(line).expect("corpus lines are JSON");
            if let Some(body) = record["text"].as_str() {
                articles.push(body.to_owned());
            }
        }
    }
    Some(articles)
}

/// Distinct sentences of at least four words from the articles, for generated registers.
pub fn sentences(articles: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for article in articles {
        for sentence in article.split_inclusive(['.', '!', '?']) {
            let sentence = sentence.trim();
            if sentence.split_whitespace().count() >= 4
                && sentence.chars().count() <= 1_000
                && seen.insert(sentence.to_owned())
            {
                out.push(sentence.to_owned());
            }
        }
    }
    out
}

/// `count` distinct quotations made from real sentences. The corpora hold far fewer sentences
/// than a large register, so past them each quotation is a real sentence with every other word
/// swapped for another word of the corpora's vocabulary (chosen by a fixed hash; the vocabulary
/// keeps repeats, so frequent words stay frequent). Every three-word phrase then holds a swapped
/// word, so quotations share phrases about as often as distinct real ones do; keeping more of
/// each sentence would make the register a set of near-duplicates, which no real register is.
#[allow(dead_code)]
pub fn generated_quotes(sentences: &[String], count: usize) -> Vec<String> {
    let vocabulary = vocabulary(sentences);
    (0..count)
        .map(|i| generated_quote(sentences, &vocabulary, i))
        .collect()
}

/// Every word of `sentences`, repeats kept, for [`generated_quote`].
#[allow(dead_code)]
pub fn vocabulary(sentences: &[String]) -> Vec<&str> {
    sentences
        .iter()
        .flat_map(|s| s.split_whitespace())
        .collect()
}

/// Quotation number `i` of [`generated_quotes`], on its own: a register of millions can be
/// written without holding it in memory.
#[allow(dead_code)]
pub fn generated_quote(sentences: &[String], vocabulary: &[&str], i: usize) -> String {
    let n = sentences.len();
    if i < n {
        return sentences[i].clone();
    }
    let mix = |x: u64| {
        let x = (x ^ (x >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^ (x >> 29)
    };
    sentences[i % n]
        .split_whitespace()
        .enumerate()
        .map(|(position, word)| {
            let h = mix(i as u64 * 1_000_003 + position as u64);
            if (position + i).is_multiple_of(2) {
                vocabulary[h as usize % vocabulary.len()]
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
