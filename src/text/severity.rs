//! Grades a misquotation by how much the changed words can change its meaning: a dropped "not",
//! a changed number or a changed name outranks any number of changed "the"s.

use std::ops::Range;

use super::align::{Alignment, EditOp};

/// How badly a quotation departs from the registered words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The words agree (apart from the conventions).
    None,
    /// Only function words changed ("the", "of", "that").
    Low,
    /// Content words changed.
    Medium,
    /// A negation, a number or a name changed.
    High,
}

/// Why a misquotation got its severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeverityReason {
    NegationChanged,
    NumberChanged,
    NameChanged,
    WordsChanged,
    WordsAdded,
    WordsDropped,
}

/// A severity with its reasons, most serious first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    pub severity: Severity,
    pub reasons: Vec<SeverityReason>,
}

const NEGATIONS: &[&str] = &[
    "not", "no", "never", "none", "nobody", "nothing", "nowhere", "neither", "nor", "without",
    "cannot", "nay", "non",
];

const NUMERALS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "half",
    "quarter",
    "dozen",
    "dozens",
    "once",
    "twice",
    "double",
    "triple",
    "percent",
];

const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "as", "of", "to", "in", "on", "at",
    "by", "for", "with", "from", "into", "onto", "about", "over", "under", "up", "down", "out",
    "off", "than", "that", "this", "these", "those", "there", "here", "it", "its", "it's", "is",
    "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "has", "have", "had",
    "will", "would", "shall", "should", "can", "could", "may", "might", "must", "i", "we", "you",
    "he", "she", "they", "me", "us", "him", "her", "them", "my", "our", "your", "his", "their",
    "who", "whom", "whose", "which", "what", "when", "where", "why", "how", "all", "any", "some",
    "such", "very", "just", "also", "too", "only", "even", "still", "yet", "now", "well", "really",
    "quite", "rather", "while", "because", "since", "though", "although", "both", "each", "every",
    "either", "other", "another", "more", "most", "much", "many", "own", "same", "again",
];

/// True for a negation: "not", "never", "without", and any "…n't" contraction.
pub fn is_negation(word: &str) -> bool {
    NEGATIONS.contains(&word) || word.ends_with("n't")
}

/// True for a number: any word with a digit, or a numeral word.
pub fn is_number(word: &str) -> bool {
    word.chars().any(|c| c.is_numeric()) || NUMERALS.contains(&word)
}

/// True for words that carry grammar rather than content ("the", "of", "would").
pub fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.contains(&word)
}

/// True when the word at `span` of `text` is capitalised where a sentence does not start:
/// a name ("Mujahid", "the UN").
fn is_name_at(text: &str, span: &Range<usize>) -> bool {
    let starts_upper = text[span.clone()]
        .chars()
        .next()
        .is_some_and(char::is_uppercase);
    if !starts_upper {
        return false;
    }
    let before = text[..span.start].trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '“' | '‘' | '«' | '„' | '(' | '[')
    });
    !(before.is_empty() || before.ends_with(['.', '!', '?', ':', '…']))
}

/// The words on each side of an alignment that differ, for grading.
struct Changes<'a> {
    submitted: Vec<(&'a str, Option<&'a Range<usize>>)>,
    registered: Vec<(&'a str, usize)>,
}

/// Grades `alignment` of a submitted quotation (spans into `submitted_text`) against registered
/// words, whose spans in `registered_text` are `registered_spans` (one per canonical word).
pub fn grade(
    alignment: &Alignment,
    submitted_text: &str,
    registered_text: &str,
    registered_spans: &[Range<usize>],
) -> Grade {
    let mut changes = Changes {
        submitted: Vec::new(),
        registered: Vec::new(),
    };
    let mut reasons = Vec::new();
    for edit in &alignment.edits {
        match edit.op {
            EditOp::Keep | EditOp::Elided => continue,
            EditOp::Editorial => {
                // Brackets may clarify, never add a negation or a number of their own.
                let added = |test: fn(&str) -> bool| {
                    edit.submitted.split(' ').filter(|w| test(w)).count()
                        > edit.registered.split(' ').filter(|w| test(w)).count()
                };
                if added(is_negation) {
                    reasons.push(SeverityReason::NegationChanged);
                }
                // A bracket may add a number ("[in 2024]"), but not replace one with another.
                let numbers = |words: &str| -> Vec<String> {
                    let mut found: Vec<String> = words
                        .split(' ')
                        .filter(|w| is_number(w))
                        .map(str::to_owned)
                        .collect();
                    found.sort_unstable();
                    found
                };
                let replaced = numbers(&edit.registered);
                if !replaced.is_empty() && replaced != numbers(&edit.submitted) {
                    reasons.push(SeverityReason::NumberChanged);
                }
                continue;
            }
            EditOp::Replace => reasons.push(SeverityReason::WordsChanged),
            EditOp::Insert => reasons.push(SeverityReason::WordsAdded),
            EditOp::Delete => reasons.push(SeverityReason::WordsDropped),
        }
        if !edit.submitted.is_empty() {
            changes
                .submitted
                .push((edit.submitted.as_str(), edit.span.as_ref()));
        }
        if !edit.registered.is_empty() {
            changes
                .registered
                .push((edit.registered.as_str(), edit.registered_words.start));
        }
    }
    let negations =
        |words: &mut dyn Iterator<Item = &str>| words.filter(|w| is_negation(w)).count();
    if negations(&mut changes.submitted.iter().map(|(w, _)| *w))
        != negations(&mut changes.registered.iter().map(|(w, _)| *w))
    {
        reasons.push(SeverityReason::NegationChanged);
    }
    let mut submitted_numbers: Vec<&str> = changes
        .submitted
        .iter()
        .map(|(w, _)| *w)
        .filter(|w| is_number(w))
        .collect();
    let mut registered_numbers: Vec<&str> = changes
        .registered
        .iter()
        .map(|(w, _)| *w)
        .filter(|w| is_number(w))
        .collect();
    submitted_numbers.sort_unstable();
    registered_numbers.sort_unstable();
    if submitted_numbers != registered_numbers {
        reasons.push(SeverityReason::NumberChanged);
    }
    let submitted_name = changes
        .submitted
        .iter()
        .any(|(_, span)| span.is_some_and(|s| is_name_at(submitted_text, s)));
    let registered_name = changes.registered.iter().any(|(_, index)| {
        registered_spans
            .get(*index)
            .is_some_and(|s| is_name_at(registered_text, s))
    });
    if submitted_name || registered_name {
        reasons.push(SeverityReason::NameChanged);
    }
    reasons.sort_unstable();
    reasons.dedup();

    let high = reasons.iter().any(|r| {
        matches!(
            r,
            SeverityReason::NegationChanged
                | SeverityReason::NumberChanged
                | SeverityReason::NameChanged
        )
    });
    let content = changes
        .submitted
        .iter()
        .map(|(w, _)| *w)
        .chain(changes.registered.iter().map(|(w, _)| *w))
        .any(|w| !is_function_word(w));
    let severity = if high {
        Severity::High
    } else if content {
        Severity::Medium
    } else if reasons.is_empty() {
        Severity::None
    } else {
        Severity::Low
    };
    Grade { severity, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::align::{Submitted, align};
    use crate::text::words::words;

    fn grade_of(submitted: &str, registered: &str) -> Grade {
        let registered_words = words(registered);
        let canonical: Vec<&str> = registered_words.iter().map(|(w, _)| w.as_ref()).collect();
        let spans: Vec<Range<usize>> = registered_words.iter().map(|(_, s)| s.clone()).collect();
        let alignment = align(&Submitted::parse(submitted, 0), &canonical);
        grade(&alignment, submitted, registered, &spans)
    }

    #[test]
    fn faithful_quotes_have_no_severity() {
        let grade = grade_of("we will not back down", "We will not back down.");
        assert_eq!(grade.severity, Severity::None);
        assert!(grade.reasons.is_empty());
    }

    #[test]
    fn a_dropped_negation_is_high() {
        let grade = grade_of("We will back down", "We will not back down");
        assert_eq!(grade.severity, Severity::High);
        assert!(grade.reasons.contains(&SeverityReason::NegationChanged));
        assert!(grade.reasons.contains(&SeverityReason::WordsDropped));
        let contraction = grade_of("We can stop it", "We can't stop it");
        assert!(
            contraction
                .reasons
                .contains(&SeverityReason::NegationChanged),
            "{contraction:?}"
        );
    }

    #[test]
    fn a_changed_number_is_high() {
        let grade = grade_of(
            "at least 30 people died in the attack",
            "at least 13 people died in the attack",
        );
        assert_eq!(grade.severity, Severity::High);
        assert!(grade.reasons.contains(&SeverityReason::NumberChanged));
        let spelled = grade_of("three people were hurt", "two people were hurt");
        assert!(spelled.reasons.contains(&SeverityReason::NumberChanged));
    }

    #[test]
    fn a_changed_name_is_high() {
        let grade = grade_of(
            "the decision was made by Johnson today",
            "the decision was made by Smith today",
        );
        assert_eq!(grade.severity, Severity::High);
        assert!(grade.reasons.contains(&SeverityReason::NameChanged));
    }

    #[test]
    fn content_words_are_medium_and_function_words_low() {
        let medium = grade_of(
            "the economy is growing fast",
            "the economy is shrinking fast",
        );
        assert_eq!(medium.severity, Severity::Medium);
        assert_eq!(medium.reasons, [SeverityReason::WordsChanged]);
        let low = grade_of(
            "the plan of the government works",
            "the plan of a government works",
        );
        assert_eq!(low.severity, Severity::Low);
    }

    #[test]
    fn a_bracket_that_adds_a_negation_is_high() {
        let grade = grade_of("we will [not] back down", "we will back down");
        assert_eq!(grade.severity, Severity::High);
        assert!(grade.reasons.contains(&SeverityReason::NegationChanged));
        let clarifying = grade_of(
            "[the Taliban] will not back down",
            "they will not back down",
        );
        assert_eq!(clarifying.severity, Severity::None);
    }
}
