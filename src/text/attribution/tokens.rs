//! A light tokenizer for attribution: words with their case, the punctuation that bounds a
//! credit (commas, colons, dashes, sentence ends), and each quotation collapsed into one token so
//! that quoted words are never mistaken for a credit.

use std::ops::Range;

use super::lexicon::{self, Classes};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Word(Word),
    Comma,
    Colon,
    Semicolon,
    /// `—`, `–`, ` - ` or `--`.
    Dash,
    /// Brackets and parentheses.
    Bracket,
    /// `.`, `!` or `?` that ends a sentence.
    Terminal,
    /// A quotation's words; `full_stop` when they end with one (“… in 2020.”).
    Quote {
        full_stop: bool,
    },
}

/// A lowercase word, kept inline when short (nearly every word is): analysing a paragraph
/// allocates once per token list rather than once per word.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Lower {
    Inline { bytes: [u8; INLINE], len: u8 },
    Heap(Box<str>),
}

const INLINE: usize = 22;

impl Lower {
    fn new(word: &str) -> Self {
        if word.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..word.len()].copy_from_slice(word.as_bytes());
            Lower::Inline {
                bytes,
                len: u8::try_from(word.len()).expect("at most INLINE bytes"),
            }
        } else {
            Lower::Heap(word.into())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Lower::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).expect("copied from a str")
            }
            Lower::Heap(word) => word,
        }
    }
}

impl std::ops::Deref for Lower {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Lower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl PartialEq<str> for Lower {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Lower {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Lower {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    /// Lowercase, without a possessive ending.
    pub lower: Lower,
    /// Starts with an uppercase letter.
    pub capital: bool,
    /// Ended with `'s`, `’s` or `s'`.
    pub possessive: bool,
    /// The word lists `lower` belongs to.
    pub classes: Classes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub span: Range<usize>,
    pub kind: Kind,
}

impl Token {
    pub fn word(&self) -> Option<&Word> {
        match &self.kind {
            Kind::Word(word) => Some(word),
            _ => None,
        }
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// Splits `text[range]` into tokens; `masked` (sorted, disjoint) are the quotations' words.
pub(super) fn tokenize(text: &str, range: Range<usize>, masked: &[Range<usize>]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut next_mask = masked.partition_point(|m| m.end <= range.start);
    let mut i = range.start;
    let end = range.end;
    while i < end {
        if let Some(mask) = masked.get(next_mask).filter(|m| m.start <= i) {
            let stop = mask.end.min(end);
            let full_stop = text[mask.start.max(range.start)..stop]
                .trim_end_matches(|c: char| c.is_whitespace() || is_closing_mark(c))
                .ends_with('.');
            tokens.push(Token {
                span: mask.start.max(range.start)..stop,
                kind: Kind::Quote { full_stop },
            });
            i = stop;
            next_mask += 1;
            continue;
        }
        let mask_start = masked.get(next_mask).map_or(end, |m| m.start.min(end));
        let c = text[i..].chars().next().expect("i is inside the text");
        let width = c.len_utf8();
        if c.is_alphanumeric() {
            let word_end = word_end(text, i, mask_start);
            tokens.push(word_token(text, i..word_end));
            i = word_end;
            continue;
        }
        let kind = match c {
            ',' | '…' => Some(Kind::Comma),
            ':' => Some(Kind::Colon),
            ';' => Some(Kind::Semicolon),
            '—' | '–' => Some(Kind::Dash),
            '-' if text[i..].starts_with("--") => Some(Kind::Dash),
            '-' if text[..i].ends_with(char::is_whitespace)
                && text[i + 1..].starts_with(char::is_whitespace) =>
            {
                Some(Kind::Dash)
            }
            '(' | ')' | '[' | ']' => Some(Kind::Bracket),
            '.' | '!' | '?' => ends_sentence(text, i, &tokens).then_some(Kind::Terminal),
            _ => None,
        };
        if let Some(kind) = kind {
            // A run of dashes or stops is one token.
            if tokens
                .last()
                .is_none_or(|t: &Token| t.kind != kind || t.span.end != i)
            {
                tokens.push(Token {
                    span: i..i + width,
                    kind,
                });
            } else if let Some(last) = tokens.last_mut() {
                last.span.end = i + width;
            }
        }
        i += width;
    }
    tokens
}

fn is_closing_mark(c: char) -> bool {
    matches!(
        c,
        '"' | '”' | '’' | '\'' | '»' | '›' | '」' | '』' | '“' | '‘'
    )
}

/// Where the word starting at `start` ends: letters and digits, joined by an apostrophe, a
/// hyphen, or a full stop between letters ("U.S.") or a separator between digits ("3.5").
fn word_end(text: &str, start: usize, limit: usize) -> usize {
    let mut i = start;
    let mut chars = text[start..limit].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c.is_alphanumeric() {
            i = start + offset + c.len_utf8();
            continue;
        }
        let joins = matches!(c, '\'' | '’' | 'ʼ' | '-' | '.' | ',' | '&')
            && chars
                .peek()
                .is_some_and(|&(_, next)| next.is_alphanumeric());
        let joins = joins
            && match c {
                ',' => text[..start + offset].ends_with(|p: char| p.is_ascii_digit()),
                '.' => !text[start + offset + 1..].starts_with(|n: char| n.is_lowercase()),
                _ => true,
            };
        if !joins {
            break;
        }
    }
    i
}

fn word_token(text: &str, span: Range<usize>) -> Token {
    let written = &text[span.clone()];
    let capital = written.chars().next().is_some_and(char::is_uppercase);
    // Most words are short ASCII: lowercase them on the stack.
    let mut buffer = [0u8; INLINE];
    let heap;
    let mut lower: &str = if written.is_ascii() && written.len() <= INLINE {
        let bytes = &mut buffer[..written.len()];
        bytes.copy_from_slice(written.as_bytes());
        bytes.make_ascii_lowercase();
        std::str::from_utf8(bytes).expect("ASCII")
    } else {
        heap = written.to_lowercase();
        &heap
    };
    let mut possessive = false;
    for suffix in ["'s", "’s", "ʼs"] {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            lower = &lower[..lower.len() - suffix.len()];
            possessive = true;
            break;
        }
    }
    // "Jones'" – the apostrophe after a plural possessive is left outside the word; look for it.
    if !possessive
        && lower.ends_with('s')
        && text[span.end..].starts_with(is_apostrophe)
        && !text[span.end..]
            .chars()
            .nth(1)
            .is_some_and(char::is_alphanumeric)
    {
        possessive = true;
    }
    let straightened;
    if lower.contains('’') {
        straightened = lower.replace('’', "'");
        lower = &straightened;
    }
    let classes = Classes::of(lower);
    Token {
        span,
        kind: Kind::Word(Word {
            lower: Lower::new(lower),
            capital,
            possessive,
            classes,
        }),
    }
}

/// Whether the `.`, `!` or `?` at `at` ends a sentence: it is followed by a space (or the end),
/// and a full stop does not follow an abbreviation or an initial ("Mr.", "J.").
fn ends_sentence(text: &str, at: usize, tokens: &[Token]) -> bool {
    let rest = &text[at + 1..];
    let followed_by_space = rest
        .trim_start_matches(is_closing_mark)
        .chars()
        .next()
        .is_none_or(char::is_whitespace);
    if !followed_by_space {
        return false;
    }
    if !text[at..].starts_with('.') {
        return true;
    }
    match tokens.last() {
        Some(Token {
            span,
            kind: Kind::Word(word),
        }) if span.end == at => {
            let next_is_capital = rest.trim_start().starts_with(char::is_uppercase);
            if word.capital && word.lower.chars().count() == 1 {
                false
            } else if word.lower.contains('.') {
                next_is_capital
            } else {
                !lexicon::is_abbreviation(&word.lower)
            }
        }
        _ => true,
    }
}

/// Token ranges of the sentences of `tokens`. A sentence ends at a terminal stop, or after a
/// quotation whose words end with a full stop when a capitalised word or another quotation
/// follows (“We won.” The crowd cheered.).
pub(super) fn sentences(tokens: &[Token]) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        let ends = match token.kind {
            Kind::Terminal => true,
            Kind::Quote { full_stop: true } => match tokens.get(i + 1).map(|t| &t.kind) {
                Some(Kind::Word(word)) => word.capital,
                Some(Kind::Quote { .. }) => true,
                _ => false,
            },
            _ => false,
        };
        if ends {
            sentences.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        sentences.push(start..tokens.len());
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, masked: &[Range<usize>]) -> Vec<String> {
        tokenize(text, 0..text.len(), masked)
            .iter()
            .map(|t| match &t.kind {
                Kind::Word(w) => format!(
                    "{}{}",
                    w.lower.as_str(),
                    if w.possessive { "'s" } else { "" }
                ),
                Kind::Quote { .. } => "Q".to_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn words_punctuation_and_quotations() {
        let text = "Mujahid’s aide said, “we won.” — U.S. officials. Mr. Smith: 3.5 -- no";
        let quote = text.find("we").unwrap()..text.find("won.").unwrap() + 4;
        assert_eq!(
            kinds(text, &[quote]),
            [
                "mujahid's",
                "aide",
                "said",
                "Comma",
                "Q",
                "Dash",
                "u.s",
                "officials",
                "Terminal",
                "mr",
                "smith",
                "Colon",
                "3.5",
                "Dash",
                "no"
            ]
        );
    }

    #[test]
    fn sentences_end_at_stops_and_after_quotations_that_end_one() {
        let text = "He spoke. “It is done.” Smith left. “Go,” he said";
        let masked = [
            text.find("It").unwrap()..text.find("done.").unwrap() + 5,
            text.find("Go").unwrap()..text.find("Go").unwrap() + 3,
        ];
        let tokens = tokenize(text, 0..text.len(), &masked);
        assert_eq!(sentences(&tokens).len(), 4);
    }
}
