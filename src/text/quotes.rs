//! Quotation extraction: finds the stretches of text inside quotation marks, with byte spans of
//! the quoted words (without the marks). The rules are documented in `docs/quotations.md`.
//!
//! Handles straight and typographic marks, guillemets, low-9 openers, CJK corner brackets,
//! apostrophes that look like single quotes, nesting, quotations running over several
//! paragraphs, and quotations split by their attribution. Unbalanced marks never panic and never
//! swallow the rest of the text: an opening mark left open at a paragraph's end is dropped.

use std::ops::Range;

/// One quotation found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotation {
    /// Byte ranges of the quoted words without the marks and surrounding whitespace, in order.
    /// More than one when the quotation runs over several paragraphs or is split by its
    /// attribution (“We will not,” she said, “back down.”).
    pub pieces: Vec<Range<usize>>,
    /// From the first opening mark to the last closing mark, marks included.
    pub outer: Range<usize>,
    /// The index (in the returned list) of the quotation this one is nested inside.
    pub parent: Option<usize>,
}

impl Quotation {
    /// The quoted words of every piece, joined by a space.
    pub fn text(&self, source: &str) -> String {
        self.pieces
            .iter()
            .map(|piece| &source[piece.clone()])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Families of quotation marks: an opening mark is closed only by a mark of its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `"` `“` `”` `„`
    Double,
    /// `'` `‘` `’` `‚`
    Single,
    /// `«` `»`
    Guillemet,
    /// `‹` `›`
    SingleGuillemet,
    /// `「` `」`
    Corner,
    /// `『` `』`
    WhiteCorner,
}

/// An opening mark waiting for its close.
#[derive(Debug)]
struct Open {
    family: Family,
    /// The opening character, to tell `„…“` and `»…«` apart from `“…”` and `«…»`.
    opener: char,
    /// Where the opening mark starts.
    mark_start: usize,
    /// Pieces completed so far (multi-paragraph quotations) and where the current one starts.
    pieces: Vec<Range<usize>>,
    piece_start: usize,
    id: usize,
    parent_id: Option<usize>,
}

/// What a candidate mark does here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Open,
    Close,
}

/// Deepest nesting followed; an opening mark deeper than this is read as text.
const MAX_NESTING: usize = 32;

/// Finds every quotation in `text`, ordered by where it starts.
pub fn extract(text: &str) -> Vec<Quotation> {
    let mut scanner = Scanner {
        text,
        stack: Vec::new(),
        found: Vec::new(),
        next_id: 0,
    };
    scanner.run();
    let mut found = scanner.found;
    found.sort_by_key(|(_, quotation, _)| {
        (
            quotation.outer.start,
            std::cmp::Reverse(quotation.outer.end),
        )
    });
    let index_of: std::collections::HashMap<usize, usize> = found
        .iter()
        .enumerate()
        .map(|(index, (id, _, _))| (*id, index))
        .collect();
    let quotations: Vec<Quotation> = found
        .into_iter()
        .map(|(_, mut quotation, parent_id)| {
            quotation.parent = parent_id.and_then(|p| index_of.get(&p).copied());
            quotation
        })
        .collect();
    merge_split_quotations(text, quotations)
}

struct Scanner<'t> {
    text: &'t str,
    stack: Vec<Open>,
    /// (id, quotation, parent id) of every closed quotation.
    found: Vec<(usize, Quotation, Option<usize>)>,
    next_id: usize,
}

impl Scanner<'_> {
    fn run(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            // Only these bytes can start a mark or a paragraph break.
            if !matches!(b, b'"' | b'\'' | b'\n' | 0xC2 | 0xE2 | 0xE3) {
                i += 1;
                continue;
            }
            let c = self.text[i..].chars().next().expect("i is a char boundary");
            let width = c.len_utf8();
            if c == '\n' {
                if let Some(next_paragraph) = paragraph_break_at(self.text, i) {
                    i = self.end_paragraph(i, next_paragraph);
                    continue;
                }
            } else if let Some(family) = family_of(c)
                && let Some(role) = self.role(c, family, i, width)
            {
                match role {
                    Role::Open => self.open(c, family, i, width),
                    Role::Close => self.close(family, i, width),
                }
            }
            i += width;
        }
        // Whatever is still open at the end of the text is unbalanced: dropped.
        self.stack.clear();
    }

    fn open(&mut self, c: char, family: Family, at: usize, width: usize) {
        // Real text nests three or four deep; hostile text could nest millions deep, and each
        // close searches the stack.
        if self.stack.len() >= MAX_NESTING {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.stack.push(Open {
            family,
            opener: c,
            mark_start: at,
            pieces: Vec::new(),
            piece_start: at + width,
            id,
            parent_id: self.stack.last().map(|open| open.id),
        });
    }

    fn close(&mut self, family: Family, at: usize, width: usize) {
        let Some(position) = self.stack.iter().rposition(|open| open.family == family) else {
            return;
        };
        // Marks opened inside this one and never closed are unbalanced: dropped.
        self.stack.truncate(position + 1);
        let open = self.stack.pop().expect("position is in the stack");
        let mut pieces = open.pieces;
        if let Some(piece) = trimmed(self.text, open.piece_start..at) {
            pieces.push(piece);
        }
        if pieces.is_empty() {
            return;
        }
        self.found.push((
            open.id,
            Quotation {
                pieces,
                outer: open.mark_start..at + width,
                parent: None,
            },
            open.parent_id,
        ));
    }

    /// At a paragraph break (`here` is its first line feed, `next` the next paragraph's first
    /// non-blank byte): continues a quotation whose next paragraph reopens with a mark of its
    /// family (the newspaper convention for quotations running over several paragraphs), and
    /// drops every other open mark. Returns where scanning resumes.
    fn end_paragraph(&mut self, here: usize, next: usize) -> usize {
        let Some(outermost) = self.stack.first() else {
            return next;
        };
        let reopened = self.text[next..]
            .chars()
            .next()
            .filter(|&c| family_of(c) == Some(outermost.family) && opens(c, outermost.opener));
        match reopened {
            Some(mark) => {
                // Nested marks do not run over paragraphs.
                self.stack.truncate(1);
                let text = self.text;
                let open = &mut self.stack[0];
                if let Some(piece) = trimmed(text, open.piece_start..here) {
                    open.pieces.push(piece);
                }
                open.piece_start = next + mark.len_utf8();
                next + mark.len_utf8()
            }
            None => {
                self.stack.clear();
                next
            }
        }
    }

    /// Decides whether `c` at `at` opens or closes a quotation, or is something else (an
    /// apostrophe, a stray mark).
    fn role(&self, c: char, family: Family, at: usize, width: usize) -> Option<Role> {
        let before = self.text[..at].chars().next_back();
        let after = self.text[at + width..].chars().next();
        let open_here = self.stack.iter().rev().find(|open| open.family == family);
        let looks_opening =
            before.is_none_or(is_opening_context) && after.is_some_and(|a| !a.is_whitespace());
        let looks_closing =
            before.is_some_and(|b| !b.is_whitespace()) && after.is_none_or(is_closing_context);
        match c {
            '"' => {
                if open_here.is_some_and(|open| open.opener == '"') && !looks_opening {
                    Some(Role::Close)
                } else if looks_opening {
                    Some(Role::Open)
                } else if open_here.is_some() && looks_closing {
                    Some(Role::Close)
                } else {
                    None
                }
            }
            '“' => {
                // German „…“ closes with “; an English “ after a word before a space is a typo
                // for ”.
                if open_here.is_some_and(|open| open.opener == '„')
                    || (open_here.is_some() && looks_closing && !looks_opening)
                {
                    Some(Role::Close)
                } else {
                    Some(Role::Open)
                }
            }
            '”' => {
                if open_here.is_some() {
                    Some(Role::Close)
                } else if looks_opening {
                    // Swedish and Finnish open with ” too.
                    Some(Role::Open)
                } else {
                    None
                }
            }
            '„' | '‚' | '「' | '『' => Some(Role::Open),
            '」' | '』' => open_here.map(|_| Role::Close),
            '«' | '‹' | '»' | '›' => {
                let plain_opener = matches!(c, '«' | '‹');
                match open_here {
                    // «…» closes with », and »…« (German, Danish) with «.
                    Some(open) if opens(open.opener, c) => None,
                    Some(_) => Some(Role::Close),
                    None if plain_opener || looks_opening => Some(Role::Open),
                    None => None,
                }
            }
            '‘' => {
                if open_here.is_some_and(|open| open.opener == '‚') {
                    Some(Role::Close)
                } else if is_elision(after, &self.text[at + width..]) {
                    None
                } else if looks_opening {
                    Some(Role::Open)
                } else {
                    None
                }
            }
            '\'' | '’' => {
                let between_words = before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric);
                if between_words || is_elision(after, &self.text[at + width..]) && looks_opening {
                    // don't, Taliban’s, ’90s, ’em: apostrophes.
                    None
                } else if open_here.is_some() && looks_closing {
                    // `students’ union` inside a single-quoted quotation: a plural possessive
                    // when another closing mark follows in the paragraph.
                    let possessive = before.is_some_and(|b| b == 's' || b == 'S')
                        && after.is_some_and(char::is_whitespace)
                        && closing_single_follows(&self.text[at + width..]);
                    (!possessive).then_some(Role::Close)
                } else if c == '\'' && looks_opening && open_here.is_none() {
                    Some(Role::Open)
                } else {
                    // students’ union with no single quotation open: a possessive.
                    None
                }
            }
            _ => None,
        }
    }
}

/// True when `opener` is the character that opens a quotation which `c` would reopen or match
/// as the same kind of opener.
fn opens(opener: char, c: char) -> bool {
    match (opener, c) {
        (a, b) if a == b => true,
        ('“' | '„' | '"' | '”', '“' | '„' | '"' | '”') => true,
        ('‘' | '‚' | '\'', '‘' | '‚' | '\'') => true,
        _ => false,
    }
}

fn family_of(c: char) -> Option<Family> {
    Some(match c {
        '"' | '“' | '”' | '„' => Family::Double,
        '\'' | '‘' | '’' | '‚' => Family::Single,
        '«' | '»' => Family::Guillemet,
        '‹' | '›' => Family::SingleGuillemet,
        '「' | '」' => Family::Corner,
        '『' | '』' => Family::WhiteCorner,
        _ => return None,
    })
}

/// What may stand just before an opening mark.
fn is_opening_context(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | '['
                | '{'
                | '—'
                | '–'
                | '-'
                | '/'
                | ':'
                | ','
                | ';'
                | '“'
                | '"'
                | '‘'
                | '\''
                | '«'
                | '‹'
                | '„'
                | '‚'
        )
}

/// What may stand just after a closing mark.
fn is_closing_context(c: char) -> bool {
    c.is_whitespace() || (!c.is_alphanumeric() && !matches!(c, '"' | '\''))
}

/// True when a mark that could close a single quotation follows in the same paragraph.
fn closing_single_follows(rest: &str) -> bool {
    /// How far ahead to look: a quotation's closing mark is rarely further, and a bound keeps
    /// text made of thousands of apostrophes linear.
    const LOOKAHEAD_CHARS: usize = 2_000;
    let mut previous: Option<char> = None;
    let mut chars = rest.chars().take(LOOKAHEAD_CHARS).peekable();
    while let Some(c) = chars.next() {
        if c == '\n' && chars.peek() == Some(&'\n') {
            // The paragraph ends here.
            return false;
        }
        if matches!(c, '’' | '\'')
            && previous.is_some_and(|p| !p.is_whitespace())
            && chars.peek().is_none_or(|n| !n.is_alphanumeric())
        {
            return true;
        }
        previous = Some(c);
    }
    false
}

/// An apostrophe standing for dropped letters at a word's start: ’90s, ’em, ’til, ’cause.
fn is_elision(after: Option<char>, rest: &str) -> bool {
    if after.is_some_and(|c| c.is_ascii_digit()) {
        return true;
    }
    const ELIDED: &[&str] = &["em", "til", "tis", "twas", "cause", "n", "bout", "round"];
    let word: String = rest
        .chars()
        .take(6)
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    ELIDED.contains(&word.as_str())
}

/// When a blank line starts at `at` (a line feed followed by optional horizontal whitespace and
/// another line feed), returns where the next paragraph's first non-whitespace character is.
fn paragraph_break_at(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at + 1..];
    let blank = rest.trim_start_matches([' ', '\t', '\r', '\u{00A0}']);
    if !blank.starts_with('\n') {
        return None;
    }
    let next = blank.trim_start();
    Some(text.len() - next.len())
}

/// `range` without surrounding whitespace, or `None` when nothing is left.
fn trimmed(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.end - (slice.len() - slice.trim_end().len());
    (start < end).then_some(start..end)
}

/// Joins a quotation split by its attribution (“We will not,” she said, “back down.”) into one
/// quotation with two pieces: the first ends with a comma, a short credit with no sentence end
/// stands between them, and the second goes on in lower case.
fn merge_split_quotations(text: &str, quotations: Vec<Quotation>) -> Vec<Quotation> {
    // One pass: each quotation is compared with the previous one at its nesting level. Parents
    // come before their children (they start earlier), so their new indexes are known.
    let mut merged: Vec<Quotation> = Vec::with_capacity(quotations.len());
    let mut new_index = Vec::with_capacity(quotations.len());
    let mut last_at_level: std::collections::HashMap<Option<usize>, usize> =
        std::collections::HashMap::new();
    for mut quotation in quotations {
        quotation.parent = quotation.parent.map(|p| new_index[p]);
        let previous = last_at_level.get(&quotation.parent).copied();
        match previous {
            Some(previous) if splits_one_quotation(text, &merged[previous], &quotation) => {
                let first = &mut merged[previous];
                first.pieces.extend(quotation.pieces);
                first.outer.end = quotation.outer.end;
                new_index.push(previous);
            }
            _ => {
                last_at_level.insert(quotation.parent, merged.len());
                new_index.push(merged.len());
                merged.push(quotation);
            }
        }
    }
    merged
}

/// True when `second` continues `first` after a short credit: “We will not,” she said, “back
/// down.”
fn splits_one_quotation(text: &str, first: &Quotation, second: &Quotation) -> bool {
    const MAX_GAP_BYTES: usize = 80;
    let gap_range = first.outer.end..second.outer.start;
    if gap_range.start > gap_range.end || gap_range.len() > MAX_GAP_BYTES {
        return false;
    }
    let gap = &text[gap_range];
    let first_words = &text[first.pieces.last().expect("a piece").clone()];
    let comma_inside = first_words.trim_end().ends_with(',');
    let comma_outside = gap.trim_start().starts_with(',');
    let credit = gap.trim().trim_start_matches(',').trim();
    (comma_inside || comma_outside)
        && credit.ends_with([',', ':'])
        && !credit.contains(['.', '!', '?', '\n', '"', '“', '”'])
        && credit.split_whitespace().count() <= 10
        && text[second.pieces[0].clone()]
            .chars()
            .find(|c| c.is_alphabetic())
            .is_some_and(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The text of every quotation, in order.
    fn quoted(text: &str) -> Vec<String> {
        extract(text).iter().map(|q| q.text(text)).collect()
    }

    #[test]
    fn typographic_and_straight_double_quotes() {
        assert_eq!(quoted("He said “we will win” today."), ["we will win"]);
        assert_eq!(quoted("He said \"we will win\" today."), ["we will win"]);
        assert_eq!(
            quoted("\"One,\" and \"two\" and \"three.\""),
            ["One,", "two", "three."]
        );
    }

    #[test]
    fn apostrophes_are_not_quotation_marks() {
        let text = "The Taliban’s envoy said the students’ union don't care about the ’90s.";
        assert!(extract(text).is_empty(), "{:?}", quoted(text));
        assert_eq!(
            quoted("“The Taliban’s envoy isn’t here,” she said."),
            ["The Taliban’s envoy isn’t here,"]
        );
        assert_eq!(quoted("Rock ’n’ roll, ’em all."), Vec::<String>::new());
    }

    #[test]
    fn single_quotes_as_quotations() {
        assert_eq!(
            quoted("The minister called it ‘a disgrace’ on Monday."),
            ["a disgrace"]
        );
        assert_eq!(quoted("He said 'not now' and left."), ["not now"]);
        assert_eq!(
            quoted("‘The students’ union is closed,’ he said."),
            ["The students’ union is closed,"]
        );
    }

    #[test]
    fn guillemets_low_quotes_and_corner_brackets() {
        assert_eq!(
            quoted("Il a dit « nous ne céderons pas » hier."),
            ["nous ne céderons pas"]
        );
        assert_eq!(
            quoted("Er sagte „wir geben nicht auf“ gestern."),
            ["wir geben nicht auf"]
        );
        assert_eq!(
            quoted("Er sagte »wir geben nicht auf« gestern."),
            ["wir geben nicht auf"]
        );
        assert_eq!(
            quoted("Hon sa ”vi ger inte upp” igår."),
            ["vi ger inte upp"]
        );
        assert_eq!(quoted("Powiedział ‚nie teraz‘ wczoraj."), ["nie teraz"]);
        assert_eq!(quoted("彼は「諦めない」と言った。"), ["諦めない"]);
        assert_eq!(quoted("『本の題』を読んだ。"), ["本の題"]);
        assert_eq!(quoted("Il a dit ‹ non › hier."), ["non"]);
    }

    #[test]
    fn nested_quotations_are_found_with_their_parent() {
        let text = "“He told me ‘never again’ and left,” she said.";
        let found = extract(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].text(text), "He told me ‘never again’ and left,");
        assert_eq!(found[0].parent, None);
        assert_eq!(found[1].text(text), "never again");
        assert_eq!(found[1].parent, Some(0));
    }

    #[test]
    fn a_quotation_over_several_paragraphs_is_one() {
        let text = "She said: “The first paragraph ends here.\n\n“The second one goes on.\n\n“And the third closes it.”\n\nThen the reporter wrote on.";
        let found = extract(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].text(text),
            "The first paragraph ends here. The second one goes on. And the third closes it."
        );
        assert_eq!(found[0].pieces.len(), 3);
    }

    #[test]
    fn a_quotation_split_by_its_attribution_is_one() {
        let text = "“We will not,” she said, “back down.”";
        let found = extract(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pieces.len(), 2);
        assert_eq!(found[0].text(text), "We will not, back down.");
        let british = "‘We will not’, she said, ‘back down.’";
        assert_eq!(quoted(british), ["We will not back down."]);
        // Two separate sentences stay two quotations.
        let two = "“We will not.” She left. “Never.”";
        assert_eq!(quoted(two).len(), 2);
    }

    #[test]
    fn unbalanced_marks_never_swallow_the_rest() {
        let text = "He said “this never closes.\n\nA new paragraph with “a real quote” in it.";
        assert_eq!(quoted(text), ["a real quote"]);
        assert!(extract("“").is_empty());
        // Millions of openers of one family then closers of another: bounded work, nothing
        // found, and no stack of millions.
        let hostile = format!("{}{}", "«".repeat(500_000), "”".repeat(500_000));
        assert!(extract(&hostile).is_empty());
        assert!(extract("”closing only” here").len() <= 1);
        assert_eq!(quoted("A stray ” and then “a quote”."), ["a quote"]);
    }

    #[test]
    fn spans_exclude_marks_and_whitespace() {
        let text = "x « spaced » y";
        let found = extract(text);
        assert_eq!(&text[found[0].pieces[0].clone()], "spaced");
        assert_eq!(&text[found[0].outer.clone()], "« spaced »");
    }

    #[test]
    fn the_shared_example_article_shapes() {
        let text = "“The initiative for a joint protest originated from Pakistan,” according to Pakistani media. titled “Afghanistan’s Regional Cooperation Initiative”, bringing. held a “sympathetic” view. Mujahid said, “a regular program of accusing the IEA [Taliban] has been started.”";
        assert_eq!(
            quoted(text),
            [
                "The initiative for a joint protest originated from Pakistan,",
                "Afghanistan’s Regional Cooperation Initiative",
                "sympathetic",
                "a regular program of accusing the IEA [Taliban] has been started."
            ]
        );
    }

    #[test]
    fn long_runs_of_apostrophes_and_split_quotes_are_handled() {
        // Both once took time quadratic in the text's length (a paragraph search per
        // apostrophe; a list shift per merged quotation).
        let apostrophes = "‘s’ s’ ".repeat(20_000);
        assert!(extract(&apostrophes).len() <= 1);
        let split = "“a b,” she said, “c d” ".repeat(20_000);
        let found = extract(&split);
        assert_eq!(found.len(), 20_000);
        assert!(found.iter().all(|q| q.pieces.len() == 2));
    }

    proptest! {
        #[test]
        fn never_panics_and_spans_are_inside_the_text(text in "\\PC{0,200}") {
            for quotation in extract(&text) {
                prop_assert!(quotation.outer.end <= text.len());
                for piece in &quotation.pieces {
                    prop_assert!(piece.start < piece.end && piece.end <= text.len());
                    prop_assert!(text.is_char_boundary(piece.start) && text.is_char_boundary(piece.end));
                    prop_assert!(quotation.outer.start <= piece.start && piece.end <= quotation.outer.end);
                }
            }
        }

        #[test]
        fn never_panics_on_mark_soup(text in "[\"'“”‘’„‚«»‹›「」『』 a\\n,.]{0,80}") {
            let _ = extract(&text);
        }
    }
}
