//! The word tokenizer every other step shares: it turns text into canonical words (version 1 of
//! the canonical form, see `docs/canonical-form.md`) together with the byte span each came from.
//!
//! The normative definition works token by token (a token is a run of non-White_Space
//! characters): drop default-ignorable characters, apply NFKC, lowercase, split at White_Space
//! again, then keep the UAX #29 words that hold a letter or a digit, with curly apostrophes
//! written as `'`. Most news text is ASCII plus a few typographic marks, so tokens made only of
//! those take a hand-written path that gives the same words several times faster; a property test
//! holds the two paths equal.

use std::{borrow::Cow, ops::Range};

use unicode_normalization::UnicodeNormalization as _;
use unicode_segmentation::UnicodeSegmentation as _;

/// Calls `visit` with each canonical word of `text` and the byte range of `text` it came from.
///
/// For tokens on the fast path the range covers exactly the word; elsewhere it covers the word
/// as UAX #29 finds it in the original text when the normalized token has the same number of
/// words, and the whole whitespace-delimited token otherwise (NFKC can split or merge words, and
/// then no finer mapping back is meaningful).
pub fn for_each_word(text: &str, mut visit: impl FnMut(&str, Range<usize>)) {
    let mut scratch = Scratch::default();
    let len = text.len();
    let mut i = 0;
    while i < len {
        let (class, width) = class_at(text, i);
        if class == Class::Space {
            i += width;
            continue;
        }
        let start = i;
        let mut fast = true;
        while i < len {
            let (class, width) = class_at(text, i);
            match class {
                Class::Space => break,
                Class::Slow => fast = false,
                _ => {}
            }
            i += width;
        }
        if fast {
            fast_words(text, start..i, &mut scratch.word, &mut visit);
        } else {
            slow_words(&text[start..i], start, &mut scratch, &mut visit);
        }
    }
}

/// Returns the canonical words of `text` with their byte ranges. Words that are already
/// canonical in the text (most of them) borrow from it instead of being copied.
pub fn words(text: &str) -> Vec<(Cow<'_, str>, Range<usize>)> {
    let bounds = text.as_bytes().as_ptr_range();
    let mut out = Vec::new();
    for_each_word(text, |word, span| {
        let start = word.as_ptr();
        let word = if bounds.contains(&start) {
            let offset = start as usize - bounds.start as usize;
            Cow::Borrowed(&text[offset..offset + word.len()])
        } else {
            Cow::Owned(word.to_owned())
        };
        out.push((word, span));
    });
    out
}

#[derive(Default)]
struct Scratch {
    word: String,
    visible: String,
    normalized: String,
    lowered: String,
}

/// Word-break classes of the characters the fast path handles (UAX #29 names in brackets).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// `A`–`Z`, `a`–`z` (ALetter).
    Letter,
    /// `0`–`9` (Numeric).
    Digit,
    /// `_` (ExtendNumLet): joins words but is not itself alphanumeric.
    Underscore,
    /// `:` (MidLetter): joins two letters.
    MidLetter,
    /// `.`, `'`, `‘`, `’` (MidNumLet, Single_Quote): joins two letters or two digits.
    MidNumLet,
    /// `,`, `;` (MidNum): joins two digits.
    MidNum,
    /// Any other ASCII character, and `“ ” — – …`: always a boundary.
    Break,
    /// White_Space: separates tokens.
    Space,
    /// Anything else: the token goes through the full Unicode path.
    Slow,
}

const fn ascii_class(b: u8) -> Class {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
        b'0'..=b'9' => Class::Digit,
        b'_' => Class::Underscore,
        b':' => Class::MidLetter,
        b'.' | b'\'' => Class::MidNumLet,
        b',' | b';' => Class::MidNum,
        b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' => Class::Space,
        _ => Class::Break,
    }
}

static ASCII_CLASSES: [Class; 128] = {
    let mut table = [Class::Break; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = ascii_class(b as u8);
        b += 1;
    }
    table
};

/// The class of the character starting at byte `i`, and its length in bytes.
#[inline(always)]
fn class_at(text: &str, i: usize) -> (Class, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return (ASCII_CLASSES[b as usize], 1);
    }
    let c = text[i..]
        .chars()
        .next()
        .expect("i is on a char boundary inside text");
    let class = match c {
        '\u{2018}' | '\u{2019}' => Class::MidNumLet,
        // NFKC leaves the quotes and dashes alone and turns `…` into `...`; none of them can
        // join two words, so for word finding they are plain boundaries.
        '\u{201C}' | '\u{201D}' | '\u{2013}' | '\u{2014}' | '\u{2026}' => Class::Break,
        c if c.is_whitespace() => Class::Space,
        _ => Class::Slow,
    };
    (class, c.len_utf8())
}

/// True when a mid character of class `mid` between `before` and `after` joins them (WB6, WB7,
/// WB11, WB12).
#[inline]
fn mid_joins(before: Class, mid: Class, after: Class) -> bool {
    match mid {
        Class::MidLetter => before == Class::Letter && after == Class::Letter,
        Class::MidNumLet => {
            (before == Class::Letter && after == Class::Letter)
                || (before == Class::Digit && after == Class::Digit)
        }
        Class::MidNum => before == Class::Digit && after == Class::Digit,
        _ => false,
    }
}

#[inline]
fn is_word_class(class: Class) -> bool {
    matches!(class, Class::Letter | Class::Digit | Class::Underscore)
}

/// Segments the token `token` of `text`, made only of fast-path characters. Words that are
/// already canonical (lowercase, no curly apostrophe) are handed out as slices of `text`.
fn fast_words(
    text: &str,
    token: Range<usize>,
    word: &mut String,
    visit: &mut impl FnMut(&str, Range<usize>),
) {
    let bytes = text.as_bytes();
    let end = token.end;
    let mut k = token.start;
    while k < end {
        let (mut class, mut width) = class_at(text, k);
        if !is_word_class(class) {
            k += width;
            continue;
        }
        let start = k;
        let mut alphanumeric = false;
        let mut needs_rewrite = false;
        loop {
            match class {
                Class::Letter => {
                    alphanumeric = true;
                    needs_rewrite |= bytes[k].is_ascii_uppercase();
                }
                Class::Digit => alphanumeric = true,
                // A curly apostrophe (three bytes) is written as `'`.
                Class::MidNumLet => needs_rewrite |= width > 1,
                _ => {}
            }
            k += width;
            if k >= end {
                break;
            }
            let (next, next_width) = class_at(text, k);
            if is_word_class(next) {
                // WB5, WB8–WB10, WB13a, WB13b: runs of letters, digits and `_` never break.
                (class, width) = (next, next_width);
                continue;
            }
            let after = k + next_width;
            if after < end && mid_joins(class, next, class_at(text, after).0) {
                (class, width) = (next, next_width);
                continue;
            }
            break;
        }
        if !alphanumeric {
            continue;
        }
        if needs_rewrite {
            word.clear();
            for c in text[start..k].chars() {
                word.push(match c {
                    '\u{2018}' | '\u{2019}' => '\'',
                    c => c.to_ascii_lowercase(),
                });
            }
            visit(word, start..k);
        } else {
            visit(&text[start..k], start..k);
        }
    }
}

/// Segments any token by the normative definition.
fn slow_words(
    token: &str,
    offset: usize,
    scratch: &mut Scratch,
    visit: &mut impl FnMut(&str, Range<usize>),
) {
    scratch.visible.clear();
    scratch
        .visible
        .extend(token.chars().filter(|&c| !is_default_ignorable(c)));
    scratch.normalized.clear();
    scratch.normalized.extend(scratch.visible.nfkc());
    scratch.lowered.clear();
    // `str::to_lowercase` applies the Final_Sigma rule as Python's `str.lower` does.
    scratch.lowered.push_str(&scratch.normalized.to_lowercase());
    // Lowercasing can leave text that is not normalized (`İ` becomes `i` + U+0307, which must
    // then be reordered after a following mark of lower combining class), and the form must be
    // idempotent: normalize once more when that happens (found by fuzzing).
    if !unicode_normalization::is_nfkc(&scratch.lowered) {
        scratch.normalized.clear();
        scratch.normalized.extend(scratch.lowered.nfkc());
        std::mem::swap(&mut scratch.normalized, &mut scratch.lowered);
    }

    let mut count = 0;
    for piece in scratch.lowered.split(char::is_whitespace) {
        count += piece.unicode_words().count();
    }
    let original: Vec<(usize, &str)> = token.unicode_word_indices().collect();
    let precise = original.len() == count;

    let mut n = 0;
    for piece in scratch.lowered.split(char::is_whitespace) {
        for w in piece.unicode_words() {
            scratch.word.clear();
            scratch.word.extend(w.chars().map(|c| match c {
                '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
                c => c,
            }));
            let span = if precise {
                let (start, original_word) = original[n];
                offset + start..offset + start + original_word.len()
            } else {
                offset..offset + token.len()
            };
            n += 1;
            // `ʼ` is a letter to UAX #29 but `'` is not, so writing it as `'` can split the
            // word (`e'ʼ1` holds together, `e''1` does not): read such a word again, so that
            // the canonical form of a canonical form is itself.
            if w.contains('\u{02BC}') {
                let mapped = std::mem::take(&mut scratch.word);
                for part in mapped.unicode_words() {
                    visit_trimmed(part, span.clone(), visit);
                }
                scratch.word = mapped;
            } else {
                visit_trimmed(&scratch.word, span, visit);
            }
        }
    }
}

/// Visits `word` without apostrophes at its edges (`ŉ` is `ʼn` under NFKC; a straight one there
/// would not be part of the word either), unless nothing with a letter or digit is left.
fn visit_trimmed(word: &str, span: Range<usize>, visit: &mut impl FnMut(&str, Range<usize>)) {
    let trimmed = trim_edge_apostrophes(word);
    if trimmed.chars().any(char::is_alphanumeric) {
        visit(trimmed, span);
    }
}

/// `word` without apostrophes at its edges, nor the combining marks that sit on them.
fn trim_edge_apostrophes(mut word: &str) -> &str {
    use unicode_normalization::char::is_combining_mark;
    loop {
        let before = word.len();
        if let Some(rest) = word.strip_prefix('\'') {
            word = rest.trim_start_matches(is_combining_mark);
        }
        if let Some(rest) = word.trim_end_matches(is_combining_mark).strip_suffix('\'') {
            word = rest;
        }
        if word.len() == before {
            return word;
        }
    }
}

/// Default_Ignorable_Code_Point (Unicode 17.0 DerivedCoreProperties): characters that render as
/// nothing, such as zero-width spaces and joiners, soft hyphens, bidi controls and variation
/// selectors. Readers cannot see them, so the canonical form drops them.
pub fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn list(text: &str) -> Vec<String> {
        words(text)
            .into_iter()
            .map(|(w, _)| w.into_owned())
            .collect()
    }

    /// The normative definition applied to the whole text, with no fast path.
    fn reference(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for token in text.split(char::is_whitespace) {
            let mut scratch = Scratch::default();
            slow_words(token, 0, &mut scratch, &mut |w, _| out.push(w.to_owned()));
        }
        out
    }

    #[test]
    fn splits_on_spaces_and_punctuation() {
        assert_eq!(
            list("Hello, World!  It's 3.5%"),
            ["hello", "world", "it's", "3.5"]
        );
    }

    #[test]
    fn keeps_numbers_with_separators_whole() {
        assert_eq!(
            list("1,000 people; 10% rise"),
            ["1,000", "people", "10", "rise"]
        );
    }

    #[test]
    fn curly_apostrophes_become_straight_and_edge_ones_drop() {
        assert_eq!(
            list("Taliban’s ’90s students’ don't"),
            ["taliban's", "90s", "students", "don't"]
        );
    }

    #[test]
    fn hyphenated_words_split() {
        assert_eq!(
            list("long-time cross-border"),
            ["long", "time", "cross", "border"]
        );
    }

    #[test]
    fn fast_spans_cover_exactly_the_word() {
        let text = "“Hello,” she said.";
        let got = words(text);
        let spans: Vec<&str> = got.iter().map(|(_, s)| &text[s.clone()]).collect();
        assert_eq!(spans, ["Hello", "she", "said"]);
    }

    #[test]
    fn slow_spans_cover_the_word_when_counts_agree() {
        let text = "«Café», dit-elle.";
        let got = words(text);
        let spans: Vec<&str> = got.iter().map(|(_, s)| &text[s.clone()]).collect();
        assert_eq!(spans, ["Café", "dit", "elle"]);
        assert_eq!(got[0].0, "café");
    }

    #[test]
    fn invisible_characters_vanish() {
        assert_eq!(
            list("re\u{00AD}port zero\u{200B}width"),
            ["report", "zerowidth"]
        );
    }

    #[test]
    fn compatibility_forms_fold() {
        assert_eq!(list("ﬁnance ＡＢＣ ①"), ["finance", "abc", "1"]);
    }

    #[test]
    fn a_modifier_apostrophe_at_a_word_edge_goes() {
        // Found by the idempotence property: NFKC turns `ŉ` into `ʼn`.
        assert_eq!(list("ŉ donʼt"), ["n", "don't"]);
        assert_eq!(list("ʼʼ"), Vec::<String>::new());
    }

    #[test]
    fn emoji_are_not_words() {
        assert_eq!(list("great 👍 news 🎉"), ["great", "news"]);
    }

    fn fast_alphabet() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('B'),
                Just('z'),
                Just('0'),
                Just('7'),
                Just('_'),
                Just(':'),
                Just('.'),
                Just(','),
                Just(';'),
                Just('\''),
                Just('-'),
                Just(' '),
                Just('\n'),
                Just('"'),
                Just('\u{2018}'),
                Just('\u{2019}'),
                Just('\u{201C}'),
                Just('\u{201D}'),
                Just('\u{2014}'),
                Just('\u{2013}'),
                Just('\u{2026}'),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_the_definition(text in fast_alphabet()) {
            prop_assert_eq!(list(&text), reference(&text));
        }

        #[test]
        fn any_text_agrees_with_the_definition(text in "\\PC{0,40}") {
            prop_assert_eq!(list(&text), reference(&text));
        }

        #[test]
        fn spans_are_char_boundaries_inside_the_text(text in any::<String>()) {
            for (_, span) in words(&text) {
                prop_assert!(span.start < span.end && span.end <= text.len());
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }
}
