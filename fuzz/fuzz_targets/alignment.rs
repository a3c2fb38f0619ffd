//! Word alignment of a submitted quotation (ellipses, brackets, anything) against a registered
//! one: never panics, similarity stays in [0, 1], spans point into the submitted text, and a
//! quotation aligned against its own words is faithful.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verbatim::text::{
    align::{Submitted, align},
    words::words,
};

fuzz_target!(|input: &str| {
    // The first line is the registered quotation, the rest the submitted one.
    let (registered, submitted) = input.split_once('\n').unwrap_or((input, input));
    // The alignment table is submitted × registered words; the server caps both lengths.
    if registered.len() > 4096 || submitted.len() > 4096 {
        return;
    }
    let offset = 7;
    let parsed = Submitted::parse(submitted, offset);
    let registered_words = words(registered);
    let canonical: Vec<&str> = registered_words.iter().map(|(w, _)| w.as_ref()).collect();
    let alignment = align(&parsed, &canonical);
    assert!(
        (0.0..=1.0).contains(&alignment.similarity),
        "{}",
        alignment.similarity
    );
    for edit in &alignment.edits {
        assert!(edit.registered_words.end <= canonical.len());
        if let Some(span) = &edit.span {
            assert!(span.start >= offset && span.end <= offset + submitted.len());
            let local = span.start - offset..span.end - offset;
            assert!(
                submitted.is_char_boundary(local.start) && submitted.is_char_boundary(local.end)
            );
        }
    }
    // Its own words, without conventions, align faithfully.
    let plain: Vec<&str> = canonical
        .iter()
        .copied()
        .filter(|w| !w.is_empty())
        .collect();
    if !plain.is_empty() {
        let itself = Submitted::parse(&plain.join(" "), 0);
        if itself.word_count() == plain.len() {
            assert!(align(&itself, &canonical).is_faithful(), "{plain:?}");
        }
    }
});
