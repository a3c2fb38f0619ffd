//! Attribution of every quotation in any text, against sources named by the input: never panics,
//! and credits point into the text on character boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verbatim::text::{
    attribution::{Document, Source, SourceKind},
    quotes::extract,
};

fuzz_target!(|input: &str| {
    // The first line names the registered sources ("speaker|outlet|alias,alias"), the rest is the
    // article.
    let (sources, text) = input.split_once('\n').unwrap_or(("", input));
    let expected: Vec<Source> = sources
        .split('|')
        .enumerate()
        .take(4)
        .map(|(i, names)| {
            let mut names = names.split(',').map(str::to_owned);
            Source {
                kind: if i % 2 == 0 {
                    SourceKind::Speaker
                } else {
                    SourceKind::Outlet
                },
                name: names.next().unwrap_or_default(),
                aliases: names.take(3).collect(),
            }
        })
        .collect();
    let quotations = extract(text);
    let masked = quotations
        .iter()
        .filter(|q| q.parent.is_none())
        .flat_map(|q| q.pieces.iter().cloned())
        .collect();
    let document = Document::new(text, masked);
    for quotation in &quotations {
        let credit = document.judge(&quotation.pieces, &expected);
        for range in credit.credited.iter().chain(credit.resolved.iter()) {
            assert!(range.start < range.end && range.end <= text.len());
            assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        }
    }
});
