//! Canonical form and content hash of any text: never panics, is idempotent, and the hash of a
//! text is the hash of its canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verbatim::text::{CanonicalText, CanonicalVersion, ContentHash};

fuzz_target!(|text: &str| {
    let once = CanonicalText::of(text);
    let twice = CanonicalText::of(once.as_str());
    assert_eq!(once, twice, "canonical form is not idempotent");
    assert_eq!(
        ContentHash::of_text(text),
        ContentHash::of_canonical(CanonicalVersion::CURRENT, &once)
    );
    assert_eq!(once.is_empty(), once.word_count() == 0);
    assert!(!once.as_str().starts_with(' ') && !once.as_str().ends_with(' '));
});
