//! Checks 4 MiB texts built to be hard on the checker (runs of quotation marks, nesting,
//! apostrophes, brackets, ellipses, one huge quotation, repeated reuse, invisible and
//! right-to-left characters, thousands of matched quotations in one paragraph for attribution)
//! and prints how long each takes: every one must stay linear.
//!
//! `cargo run --release --example hostile_input`

use std::time::Instant;
use verbatim::checker::{CheckOptions, LiveRegister};
use verbatim::record::Attribution;
use verbatim::text::ContentHash;
fn main() {
    let live = LiveRegister::new();
    for t in [
        "We will not back down, whatever the cost to this government.",
        "The report noted that the economy grew in the last quarter.",
    ] {
        live.add(
            ContentHash::of_text(t),
            t,
            &Attribution::to_speaker("Someone", &[]),
        );
    }
    let mb = 4 * 1024 * 1024;
    let cases: Vec<(&str, String)> = vec![
        ("quote marks", "\"".repeat(mb)),
        ("curly pairs", "“a” ".repeat(mb / 8)),
        ("split quotes", "“a b,” she said, “c d” ".repeat(mb / 30)),
        ("nested", "“‘".repeat(mb / 6)),
        ("apostrophes", "‘s’ s’ ".repeat(mb / 10)),
        ("brackets", "[".repeat(mb)),
        ("ellipses", "…".repeat(mb / 3)),
        (
            "one huge quotation",
            format!("“{}”", "we will not back down ".repeat(mb / 24)),
        ),
        (
            "huge unquoted reuse",
            "we will not back down whatever the cost to this government ".repeat(mb / 60),
        ),
        ("long word", "a".repeat(mb)),
        (
            "matched quotations, one paragraph",
            "He said “we will not back down, whatever the cost to this government.” "
                .repeat(mb / 75),
        ),
        (
            "matched, credited far back",
            format!(
                "Smith spoke. {}“We will not back down, whatever the cost to this government.”",
                "The crowd waited. ".repeat(mb / 20)
            ),
        ),
        (
            "rtl and zero width",
            "\u{202E}abc\u{200B}def ".repeat(mb / 12),
        ),
    ];
    for (name, text) in cases {
        let started = Instant::now();
        let report = live.check(&text, &CheckOptions::default());
        println!(
            "{name:24} {:>5} KB  {:>8.2?}  {} findings",
            text.len() / 1024,
            started.elapsed(),
            report.findings.len()
        );
    }
}
