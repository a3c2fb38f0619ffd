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
