//! Attribution: whom a text credits for a quotation, and whether that is one of the sources the
//! register names for it. Finds the reporting cue nearest the quotation, the noun phrase it
//! credits, and resolves references back ("he", "the report"); rules in `docs/attribution.md`.

mod lexicon;
mod tokens;

use std::{cell::OnceCell, ops::Range};

use tokens::{Kind, Token, Word};

/// Whether a registered source is a person or an outlet: only a person is matched by surname.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Speaker,
    Outlet,
}

/// A source the register credits for a quotation, with every name it goes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// The name as registered.
    pub name: String,
    /// Other names ("Express Tribune", "Taliban spokesman").
    pub aliases: Vec<String>,
}

/// How the text's credit compares with the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditVerdict {
    /// The text credits one of the registered sources.
    Correct,
    /// Nothing in the text credits anyone the reader can identify.
    Missing,
    /// The text credits someone else.
    Misattributed,
}

/// What the text credits for one quotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub verdict: CreditVerdict,
    /// Byte range of the credit as written ("Mujahid", "the report"), when there is one.
    pub credited: Option<Range<usize>>,
    /// When `credited` refers back ("he", "the report"), the earlier mention it stands for.
    pub resolved: Option<Range<usize>>,
}

impl Credit {
    fn missing(credited: Option<Range<usize>>) -> Self {
        Credit {
            verdict: CreditVerdict::Missing,
            credited,
            resolved: None,
        }
    }
}

/// What kind of noun phrase a credit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    /// Holds a name ("Mujahid", "the recent UN report"); `organisation` when it looks like one.
    Named { organisation: bool },
    /// A definite description without a name ("the report", "the spokesman"): refers back.
    Definite,
    /// "he", "she", "they", "it": refers back.
    Pronoun,
    /// Someone unnamed ("officials", "a source"): a credit, but of nobody identifiable.
    Anonymous,
}

/// A noun phrase: tokens `tokens` of paragraph `paragraph`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    paragraph: usize,
    tokens: Range<usize>,
    sort: Sort,
}

/// A reporting cue and whom it credits.
#[derive(Debug, Clone)]
struct Cue {
    /// Token index of the cue's first word.
    at: usize,
    /// Who speaks ("Mujahid" in "Mujahid said").
    primary: Option<Phrase>,
    /// Other names the cue ties to the words: an appositive ("Mujahid, the Taliban spokesman,")
    /// or the outlet spoken to ("told the BBC").
    secondary: Vec<Phrase>,
}

/// One paragraph, analysed.
#[derive(Debug)]
struct Paragraph {
    tokens: Vec<Token>,
    /// Token ranges.
    sentences: Vec<Range<usize>>,
    cues: Vec<Cue>,
    /// Every capitalised name, for references back to someone not credited by a cue.
    names: OnceCell<Vec<Phrase>>,
}

/// A text prepared for attribution. Paragraphs are analysed on first use only, so a text with
/// few matched quotations costs little.
pub struct Document<'t> {
    text: &'t str,
    masked: Vec<Range<usize>>,
    paragraphs: Vec<Range<usize>>,
    analysed: Vec<OnceCell<Paragraph>>,
}

/// References back reach at most this many references deep ("the report" → "the report" → …).
const MAX_REFERENCE_CHAIN: usize = 8;
/// A quotation standing alone is credited by the cue before a run of at most this many
/// quotations standing alone.
const MAX_QUOTATION_RUN: usize = 4;
/// A reference back looks at most this many sentences back (within the same and the previous
/// paragraph), so that hostile text cannot make each lookup walk a whole book.
const MAX_SENTENCES_BACK: usize = 40;

impl<'t> Document<'t> {
    /// Prepares `text`; `quotations` are the byte ranges of every top-level quotation's words
    /// (each piece of a split quotation separately), which are never read as credits.
    pub fn new(text: &'t str, mut quotations: Vec<Range<usize>>) -> Self {
        quotations.sort_by_key(|r| r.start);
        // Tokenizing needs disjoint ranges; overlapping ones (a quotation that extraction
        // failed to nest in another, found by fuzzing) become one.
        let mut disjoint: Vec<Range<usize>> = Vec::with_capacity(quotations.len());
        for range in quotations.into_iter().filter(|r| r.start < r.end) {
            match disjoint.last_mut() {
                Some(last) if range.start < last.end => last.end = last.end.max(range.end),
                _ => disjoint.push(range),
            }
        }
        let quotations = disjoint;
        let paragraphs = paragraphs(text);
        let analysed = paragraphs.iter().map(|_| OnceCell::new()).collect();
        Document {
            text,
            masked: quotations,
            paragraphs,
            analysed,
        }
    }

    /// Whom the text credits for the words at `target` (the pieces of a quotation, or a run of
    /// reused words), judged against the `expected` sources.
    pub fn judge(&self, target: &[Range<usize>], expected: &[Source]) -> Credit {
        let expected: Vec<Names> = expected.iter().map(Names::of).collect();
        let expected = expected.as_slice();
        let Some(first) = target.first() else {
            return Credit::missing(None);
        };
        let last = target.last().expect("not empty");
        let first_paragraph = self.paragraph_of(first.start);
        let last_paragraph = self.paragraph_of(last.start);
        // Tokens are in text order: find each piece's by binary search, so that a paragraph
        // with thousands of quotations costs no more per quotation than a short one.
        let overlapping = |paragraph: &Paragraph| -> Vec<usize> {
            let tokens = &paragraph.tokens;
            let mut found = Vec::new();
            for piece in target {
                let mut i = tokens.partition_point(|t| t.span.end <= piece.start);
                while i < tokens.len() && tokens[i].span.start < piece.end {
                    if found.last() != Some(&i) {
                        found.push(i);
                    }
                    i += 1;
                }
            }
            found
        };
        let opening = self.paragraph(first_paragraph);
        let first_tokens = overlapping(opening);
        let (closing, last_tokens) = if last_paragraph == first_paragraph {
            (opening, first_tokens.clone())
        } else {
            let closing = self.paragraph(last_paragraph);
            (closing, overlapping(closing))
        };
        let (Some(&first_token), Some(&last_token)) = (first_tokens.first(), last_tokens.last())
        else {
            return Credit::missing(None);
        };

        // 1. A quotation split by its credit: the words between the pieces.
        if last_paragraph == first_paragraph {
            for pair in first_tokens.windows(2) {
                if pair[1] > pair[0] + 1
                    && let Some(cue) = first_cue(opening, pair[0] + 1..pair[1])
                {
                    return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
                }
            }
        }
        // 2. The rest of its own sentence after it: “…,” the report noted. / “…” — Mujahid
        let closing_sentence = sentence_of(closing, last_token);
        let after = last_token + 1..closing.sentences[closing_sentence].end;
        if let Some(credit) = self.dash_credit(closing, last_paragraph, after.clone(), expected) {
            return credit;
        }
        if let Some(cue) = first_cue(closing, after.clone())
            && anchored(closing, cue, after.start)
        {
            return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
        }
        if let Some(speaker) = inverted_credit(self.text, closing, last_paragraph, after.clone()) {
            return self.decide(Some(&speaker), &[], expected);
        }
        // 3. Its own sentence before it: Mujahid said, “…” / Mujahid: “…”, then the subject of
        // a sentence that quotes in its predicate (Bush referred to Rubio as “…”), then a cue
        // further after it.
        let opening_sentence = sentence_of(opening, first_token);
        let before = opening.sentences[opening_sentence].start..first_token;
        if let Some(cue) = last_cue(opening, before.clone()) {
            return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
        }
        if let Some(credit) = self.colon_credit(opening, first_paragraph, before.clone(), expected)
        {
            return credit;
        }
        if before.len() > 1
            && let Some(subject) = sentence_subject(
                self.text,
                opening,
                first_paragraph,
                before.start,
                before.end,
            )
        {
            return self.decide(Some(&subject), &[], expected);
        }
        if let Some(cue) = first_cue(closing, after) {
            return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
        }
        // 4. The sentence before, in this paragraph or at the end of the previous one.
        let previous = if opening_sentence > 0 {
            Some((opening, opening.sentences[opening_sentence - 1].clone()))
        } else if first_paragraph > 0 {
            let paragraph = self.paragraph(first_paragraph - 1);
            paragraph
                .sentences
                .last()
                .map(|sentence| (paragraph, sentence.clone()))
        } else {
            None
        };
        if let Some((paragraph, sentence)) = previous {
            if let Some(cue) = last_cue(paragraph, sentence.clone()) {
                return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
            }
            // "Cruz called them on it:" closing the paragraph before the quotation.
            let index = if opening_sentence > 0 {
                first_paragraph
            } else {
                first_paragraph - 1
            };
            let colon = sentence.end - 1;
            if paragraph.tokens[colon].kind == Kind::Colon
                && let Some(subject) =
                    sentence_subject(self.text, paragraph, index, sentence.start, colon)
            {
                return self.decide(Some(&subject), &[], expected);
            }
        }
        // 5. The sentence after, in this paragraph.
        if let Some(sentence) = closing.sentences.get(closing_sentence + 1)
            && let Some(cue) = first_cue(closing, sentence.clone())
        {
            return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
        }
        // 6. A run of quotations after one credit: “…,” Viguerie notes. ¶ “…” ¶ “…”
        let alone = |paragraph: &Paragraph, sentence: &Range<usize>| {
            paragraph.tokens[sentence.clone()]
                .iter()
                .all(|t| t.word().is_none())
        };
        if alone(opening, &opening.sentences[opening_sentence]) {
            let mut position = self.sentence_before(first_paragraph, opening_sentence);
            for _ in 0..MAX_QUOTATION_RUN {
                let Some((index, sentence)) = position else {
                    break;
                };
                let paragraph = self.paragraph(index);
                let range = paragraph.sentences[sentence].clone();
                if !alone(paragraph, &range) {
                    if let Some(cue) = last_cue(paragraph, range) {
                        return self.decide(cue.primary.as_ref(), &cue.secondary, expected);
                    }
                    break;
                }
                position = self.sentence_before(index, sentence);
            }
        }
        Credit::missing(None)
    }

    /// The sentence before sentence `sentence` of paragraph `index`, as (paragraph, sentence).
    fn sentence_before(&self, index: usize, sentence: usize) -> Option<(usize, usize)> {
        if sentence > 0 {
            return Some((index, sentence - 1));
        }
        let previous = index.checked_sub(1)?;
        let count = self.paragraph(previous).sentences.len();
        Some((previous, count.checked_sub(1)?))
    }

    fn paragraph_of(&self, byte: usize) -> usize {
        self.paragraphs
            .partition_point(|p| p.end <= byte)
            .min(self.paragraphs.len().saturating_sub(1))
    }

    fn paragraph(&self, index: usize) -> &Paragraph {
        self.analysed[index].get_or_init(|| {
            analyse(
                self.text,
                index,
                self.paragraphs[index].clone(),
                &self.masked,
            )
        })
    }

    /// The capitalised names of paragraph `index`, found on first use: only references back
    /// need them.
    fn names(&self, index: usize) -> &[Phrase] {
        let paragraph = self.paragraph(index);
        paragraph.names.get_or_init(|| {
            paragraph
                .sentences
                .iter()
                .flat_map(|sentence| names_in(self.text, paragraph, index, sentence.clone()))
                .collect()
        })
    }

    fn span(&self, phrase: &Phrase) -> Range<usize> {
        let tokens = &self.paragraph(phrase.paragraph).tokens;
        tokens[phrase.tokens.start].span.start..tokens[phrase.tokens.end - 1].span.end
    }

    /// The verdict for a cue's phrases.
    fn decide(&self, primary: Option<&Phrase>, secondary: &[Phrase], expected: &[Names]) -> Credit {
        if let Some(phrase) = primary
            .into_iter()
            .chain(secondary)
            .find(|p| self.matches(p, expected))
        {
            return Credit {
                verdict: CreditVerdict::Correct,
                credited: Some(self.span(phrase)),
                resolved: None,
            };
        }
        let Some(primary) = primary.or_else(|| secondary.first()) else {
            return Credit::missing(None);
        };
        match primary.sort {
            Sort::Named { .. } => Credit {
                verdict: CreditVerdict::Misattributed,
                credited: Some(self.span(primary)),
                resolved: None,
            },
            Sort::Definite | Sort::Pronoun => match self.resolve(primary, 0) {
                Some(antecedent) => Credit {
                    verdict: if self.matches(&antecedent, expected) {
                        CreditVerdict::Correct
                    } else {
                        CreditVerdict::Misattributed
                    },
                    credited: Some(self.span(primary)),
                    resolved: Some(self.span(&antecedent)),
                },
                None => Credit::missing(Some(self.span(primary))),
            },
            Sort::Anonymous => Credit::missing(Some(self.span(primary))),
        }
    }

    /// A dash credit right after the quotation: “…” — Mujahid.
    fn dash_credit(
        &self,
        paragraph: &Paragraph,
        index: usize,
        after: Range<usize>,
        expected: &[Names],
    ) -> Option<Credit> {
        let dash = after.start;
        if after.is_empty() || paragraph.tokens[dash].kind != Kind::Dash {
            return None;
        }
        let end = paragraph
            .sentences
            .iter()
            .find(|s| s.contains(&dash))
            .map_or(paragraph.tokens.len(), |s| s.end);
        let (primary, secondary) = right_phrase(self.text, paragraph, index, dash + 1, end)?;
        Some(self.decide(Some(&primary), &secondary, expected))
    }

    /// A colon introduction with no reporting verb: Mujahid: “…”
    fn colon_credit(
        &self,
        paragraph: &Paragraph,
        index: usize,
        before: Range<usize>,
        expected: &[Names],
    ) -> Option<Credit> {
        let colon = before.end.checked_sub(1)?;
        if before.is_empty() || paragraph.tokens[colon].kind != Kind::Colon {
            return None;
        }
        let left = left_phrase(self.text, paragraph, index, before.start, colon);
        // "Kaine has adopted the stance common in public office: “…”": when the words before
        // the colon name nobody, the sentence's subject speaks.
        let names_someone = left
            .as_ref()
            .is_some_and(|(p, _)| matches!(p.sort, Sort::Named { .. } | Sort::Pronoun));
        if !names_someone
            && let Some(subject) =
                sentence_subject(self.text, paragraph, index, before.start, colon)
        {
            return Some(self.decide(Some(&subject), &[], expected));
        }
        let (primary, secondary) = left?;
        Some(self.decide(Some(&primary), &secondary, expected))
    }

    /// The most recent source named before `phrase` in its paragraph or the one before that
    /// `phrase` can refer to, following references back to a name.
    fn resolve(&self, phrase: &Phrase, depth: usize) -> Option<Phrase> {
        if depth > MAX_REFERENCE_CHAIN {
            return None;
        }
        let paragraph = self.paragraph(phrase.paragraph);
        let words = phrase_words(paragraph, phrase);
        let head = words.last().map(|w| w.lower.as_str()).unwrap_or_default();
        let pronoun = phrase.sort == Sort::Pronoun;
        let mut wants = Vec::new();
        if !pronoun {
            wants.push(Want::Head(head));
        }
        wants.push(match (pronoun, head) {
            (true, "he" | "she" | "him") => Want::Person,
            (true, "it") => Want::Organisation,
            (false, head) if lexicon::is_person_noun(head) => Want::Person,
            (false, head) if lexicon::is_org_noun(head) => Want::Organisation,
            _ => Want::Any,
        });
        for want in wants {
            // A description that shares no noun with any earlier name ("the media") refers to
            // a source credited before, not to whatever organisation was last mentioned; a
            // pronoun can refer to anyone named.
            let any_name = pronoun || matches!(want, Want::Head(_));
            if let Some(found) = self.find_antecedent(phrase, &want, any_name) {
                return match found.sort {
                    Sort::Named { .. } => Some(found),
                    _ => self.resolve(&found, depth + 1),
                };
            }
        }
        None
    }

    fn find_antecedent(&self, phrase: &Phrase, want: &Want, any_name: bool) -> Option<Phrase> {
        let earliest = phrase.paragraph.saturating_sub(1);
        let mut sentences_left = MAX_SENTENCES_BACK;
        for index in (earliest..=phrase.paragraph).rev() {
            let paragraph = self.paragraph(index);
            let before =
                |p: &Phrase| index != phrase.paragraph || p.tokens.end <= phrase.tokens.start;
            let last = if index == phrase.paragraph {
                sentence_of(paragraph, phrase.tokens.start) + 1
            } else {
                paragraph.sentences.len()
            };
            for sentence in paragraph.sentences[..last].iter().rev() {
                if sentences_left == 0 {
                    return None;
                }
                sentences_left -= 1;
                let credited = cues_in(paragraph, sentence.clone())
                    .iter()
                    .rev()
                    .flat_map(|cue| cue.primary.iter().chain(&cue.secondary));
                for candidate in credited {
                    if candidate != phrase && before(candidate) && self.accepts(want, candidate) {
                        return Some(candidate.clone());
                    }
                }
                // Someone named without a cue: the first fitting name of the sentence, which
                // is usually its subject ("Trump attacked Clinton. He said …" means Trump). A
                // description ("the paper") refers only to a name that opens its sentence.
                let names = self.names(index);
                let first = names.partition_point(|p| p.tokens.start < sentence.start);
                let named = names[first..]
                    .iter()
                    .take_while(|p| p.tokens.start < sentence.end)
                    .filter(|p| any_name || p.tokens.start == sentence.start);
                for candidate in named {
                    if before(candidate) && self.accepts(want, candidate) {
                        return Some(candidate.clone());
                    }
                }
            }
        }
        None
    }

    fn accepts(&self, want: &Want, candidate: &Phrase) -> bool {
        let paragraph = self.paragraph(candidate.paragraph);
        let words = phrase_words(paragraph, candidate);
        let head = words.last().map(|w| w.lower.as_str()).unwrap_or_default();
        match (want, candidate.sort) {
            (_, Sort::Anonymous) => false,
            (Want::Head(wanted), Sort::Named { .. } | Sort::Definite) => {
                words.iter().any(|w| w.lower == *wanted)
            }
            (Want::Head(_), _) => false,
            (Want::Person, Sort::Named { organisation }) => !organisation,
            (Want::Person, Sort::Definite) => lexicon::is_person_noun(head),
            (Want::Person, Sort::Pronoun) => matches!(head, "he" | "she"),
            (Want::Organisation, Sort::Named { organisation }) => organisation,
            (Want::Organisation, Sort::Definite) => lexicon::is_org_noun(head),
            (Want::Organisation, Sort::Pronoun) => head == "it",
            (Want::Any, _) => true,
        }
    }

    /// True when `phrase` names one of `expected`: a registered name or alias as whole words, or
    /// a speaker's surname not preceded by a different given name.
    fn matches(&self, phrase: &Phrase, expected: &[Names]) -> bool {
        let paragraph = self.paragraph(phrase.paragraph);
        let mut words = phrase_words(paragraph, phrase);
        // "Clinton's campaign manager Robby Mook" credits Mook, not Clinton.
        if let Some(owner) = words.iter().rposition(|w| w.possessive)
            && words[owner + 1..].iter().any(|w| w.capital)
        {
            words.drain(..=owner);
        }
        if words.first().is_some_and(|w| w.lower == "the") {
            words.remove(0);
        }
        let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
        expected.iter().any(|source| {
            source.forms.iter().any(|name| {
                if lower.windows(name.len()).any(|w| w == name.as_slice()) {
                    return true;
                }
                source.kind == SourceKind::Speaker
                    && name.len() >= 2
                    && surname_matches(&words, name)
            })
        })
    }
}

/// A registered source's names as lowercase words, ready to compare with phrases.
struct Names {
    kind: SourceKind,
    /// The name and each alias, none empty.
    forms: Vec<Vec<String>>,
}

impl Names {
    fn of(source: &Source) -> Self {
        Names {
            kind: source.kind,
            forms: std::iter::once(&source.name)
                .chain(&source.aliases)
                .map(|name| name_words(name))
                .filter(|words| !words.is_empty())
                .collect(),
        }
    }
}

/// What a reference back can refer to.
enum Want<'a> {
    /// A phrase holding this noun ("the report" → "the recent UN report").
    Head(&'a str),
    Person,
    Organisation,
    Any,
}

fn surname_matches(words: &[&Word], name: &[String]) -> bool {
    let Some(surname) = name.iter().rev().find(|w| !lexicon::is_suffix(w)) else {
        return false;
    };
    words.iter().enumerate().any(|(i, word)| {
        word.lower == *surname
            && word.capital
            && i.checked_sub(1).is_none_or(|before| {
                let before = words[before];
                !before.capital
                    || before.classes.has(lexicon::TITLE)
                    || name.iter().any(|n| before.lower == *n)
            })
    })
}

/// A registered name as lowercase words, possessives and a leading "the" removed.
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = tokens::tokenize(name, 0..name.len(), &[])
        .into_iter()
        .filter_map(|t| match t.kind {
            Kind::Word(word) => Some(word.lower.to_string()),
            _ => None,
        })
        .collect();
    if words.first().is_some_and(|w| w == "the") {
        words.remove(0);
    }
    words
}

fn phrase_words<'p>(paragraph: &'p Paragraph, phrase: &Phrase) -> Vec<&'p Word> {
    paragraph.tokens[phrase.tokens.clone()]
        .iter()
        .filter_map(Token::word)
        .collect()
}

fn sentence_of(paragraph: &Paragraph, token: usize) -> usize {
    paragraph
        .sentences
        .partition_point(|s| s.end <= token)
        .min(paragraph.sentences.len() - 1)
}

/// The first cue in `range` that credits someone.
fn first_cue(paragraph: &Paragraph, range: Range<usize>) -> Option<&Cue> {
    cues_in(paragraph, range).iter().find(|cue| credits(cue))
}

/// The last cue in `range` that credits someone.
fn last_cue(paragraph: &Paragraph, range: Range<usize>) -> Option<&Cue> {
    cues_in(paragraph, range)
        .iter()
        .rev()
        .find(|cue| credits(cue))
}

/// The cues starting in token range `range` (cues are in text order).
fn cues_in(paragraph: &Paragraph, range: Range<usize>) -> &[Cue] {
    let start = paragraph.cues.partition_point(|c| c.at < range.start);
    let end = paragraph.cues.partition_point(|c| c.at < range.end);
    &paragraph.cues[start..end.max(start)]
}

/// True when only punctuation stands between token `start` (just after a quotation) and the
/// cue or the phrase it credits: “…,” Mujahid said. / “…,” said Mujahid.
fn anchored(paragraph: &Paragraph, cue: &Cue, start: usize) -> bool {
    let lead = cue
        .primary
        .as_ref()
        .map_or(cue.at, |p| p.tokens.start.min(cue.at));
    if !(start..lead).all(|i| paragraph.tokens[i].word().is_none()) {
        return false;
    }
    // “Why now?” Mills then writes back, “You look cute.”: the cue introduces the next
    // quotation, not this one.
    let after_cue = (cue.at + 1..paragraph.tokens.len())
        .take(4)
        .find(|&i| paragraph.tokens[i].word().is_none());
    !after_cue.is_some_and(|i| match paragraph.tokens[i].kind {
        Kind::Colon => true,
        Kind::Comma => matches!(
            paragraph.tokens.get(i + 1).map(|t| &t.kind),
            Some(Kind::Quote { .. })
        ),
        _ => false,
    })
}

/// A name or pronoun right after a quotation followed by any past-tense verb, the way news
/// writing credits speech: “Go back to Univision,” Trump barked.
fn inverted_credit(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    after: Range<usize>,
) -> Option<Phrase> {
    let start = (after.clone()).find(|&i| paragraph.tokens[i].word().is_some())?;
    if !(after.start..start).all(|i| matches!(paragraph.tokens[i].kind, Kind::Comma | Kind::Dash)) {
        return None;
    }
    let first = word_at(paragraph, start)?;
    let end = if is_pronoun(&first.lower) {
        start + 1
    } else {
        let mut end = start;
        while end < after.end && word_at(paragraph, end).is_some_and(|w| w.capital) {
            end += 1;
        }
        end
    };
    let verb = word_at(paragraph, end)?;
    let past = !verb.capital
        && (verb.lower.ends_with("ed")
            || matches!(
                verb.lower.as_str(),
                "shot"
                    | "spoke"
                    | "went"
                    | "fired"
                    | "began"
                    | "hit"
                    | "says"
                    | "adds"
                    | "writes"
                    | "tells"
                    | "asks"
                    | "chimed"
                    | "shrugged"
            ));
    if end == start || !past {
        return None;
    }
    let phrase = classify(text, paragraph, index, usize::MAX, start..end)?;
    matches!(phrase.sort, Sort::Named { .. } | Sort::Pronoun).then_some(phrase)
}

fn credits(cue: &Cue) -> bool {
    cue.primary.is_some() || !cue.secondary.is_empty()
}

/// Byte ranges of the paragraphs: separated by blank lines when the text has any, by line
/// breaks otherwise (one paragraph a line).
fn paragraphs(text: &str) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        lines.push(start..i);
        start = i + 1;
    }
    lines.push(start..text.len());
    let blank = |r: &Range<usize>| text[r.clone()].trim().is_empty();
    let blank_separated = lines.iter().any(blank);
    let mut paragraphs: Vec<Range<usize>> = Vec::new();
    let mut open: Option<Range<usize>> = None;
    for line in lines {
        if blank(&line) {
            paragraphs.extend(open.take());
        } else if blank_separated {
            open = Some(open.map_or(line.clone(), |o| o.start..line.end));
        } else {
            paragraphs.push(line);
        }
    }
    paragraphs.extend(open);
    if paragraphs.is_empty() {
        paragraphs.push(0..text.len());
    }
    // Cover the gaps so every byte belongs to a paragraph.
    let count = paragraphs.len();
    for i in 0..count {
        if i + 1 < count {
            paragraphs[i].end = paragraphs[i + 1].start;
        }
    }
    paragraphs[0].start = 0;
    paragraphs[count - 1].end = text.len();
    paragraphs
}

fn analyse(text: &str, index: usize, range: Range<usize>, masked: &[Range<usize>]) -> Paragraph {
    let tokens = tokens::tokenize(text, range, masked);
    let sentences = tokens::sentences(&tokens);
    let mut paragraph = Paragraph {
        tokens,
        sentences,
        cues: Vec::new(),
        names: OnceCell::new(),
    };
    let mut cues = Vec::new();
    for sentence in &paragraph.sentences {
        for at in sentence.clone() {
            if let Some(cue) = cue_at(text, &paragraph, index, sentence.clone(), at) {
                cues.push(cue);
            }
        }
    }
    // "Hollande said Tuesday in Paris, noting …": a participle speaks for the subject of the
    // reporting verb before it in its sentence, when there is one.
    for i in 1..cues.len() {
        let at = cues[i].at;
        let participle = lower_at(&paragraph, at).ends_with("ing")
            && paragraph.tokens[at - 1].kind == Kind::Comma;
        let sentence = sentence_of(&paragraph, at);
        if participle
            && sentence_of(&paragraph, cues[i - 1].at) == sentence
            && let Some(primary) = cues[i - 1].primary.clone()
        {
            cues[i].primary = Some(primary);
        }
    }
    paragraph.cues = cues;
    paragraph
}

fn word_at(paragraph: &Paragraph, index: usize) -> Option<&Word> {
    paragraph.tokens.get(index).and_then(Token::word)
}

/// True when token `index` is a word in list `class`.
fn has_at(paragraph: &Paragraph, index: usize, class: u32) -> bool {
    word_at(paragraph, index).is_some_and(|w| w.classes.has(class))
}

fn lower_at(paragraph: &Paragraph, index: usize) -> &str {
    word_at(paragraph, index).map_or("", |w| w.lower.as_str())
}

/// The cue starting at token `at`, if one does.
fn cue_at(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    sentence: Range<usize>,
    at: usize,
) -> Option<Cue> {
    let word = word_at(paragraph, at)?;
    // Most words start no cue: answer them from the word's classes alone.
    if !word.classes.has(lexicon::CUE_VERB)
        && !matches!(word.lower.as_str(), "according" | "in" | "put")
    {
        return None;
    }
    let first_of_sentence = at == sentence.start;
    // "Murphy, the head of the group, Tweeted": a capitalised past tense is still a verb, but
    // "Post" or "Reports" inside a name is not.
    if word.capital && !first_of_sentence && !word.lower.ends_with("ed") {
        return None;
    }
    let lo = sentence.start;
    let hi = sentence.end;
    let cue = |primary: Option<(Phrase, Vec<Phrase>)>, mut more: Vec<Phrase>| {
        let (primary, mut secondary) = match primary {
            Some((p, s)) => (Some(p), s),
            None => (None, Vec::new()),
        };
        secondary.append(&mut more);
        Cue {
            at,
            primary,
            secondary,
        }
    };
    match word.lower.as_str() {
        "according" if lower_at(paragraph, at + 1) == "to" => Some(cue(
            right_phrase(text, paragraph, index, at + 2, hi).or_else(|| {
                // "according to local media, …", "according to officials"
                let end = (at + 2..hi)
                    .find(|&i| {
                        word_at(paragraph, i).is_none_or(|w| w.classes.has(lexicon::PHRASE_BREAK))
                    })
                    .unwrap_or(hi);
                let phrase = classify(text, paragraph, index, usize::MAX, at + 2..end)?;
                appositive_after(text, paragraph, index, phrase, end, hi)
            }),
            Vec::new(),
        )),
        "in" => {
            // "in a statement", "in a televised interview with the BBC"
            let noun = (at + 2..(at + 5).min(hi))
                .find(|&i| matches!(lower_at(paragraph, i), "statement" | "interview"))?;
            if !matches!(
                lower_at(paragraph, at + 1),
                "a" | "an" | "his" | "her" | "its" | "their"
            ) {
                return None;
            }
            // "Smith said in a statement": the verb's cue already holds the credit.
            if at > lo
                && word_at(paragraph, at - 1).is_some_and(|w| w.classes.has(lexicon::CUE_VERB))
            {
                return None;
            }
            let interview = lower_at(paragraph, noun) == "interview";
            let after = noun + 1;
            let right = matches!(lower_at(paragraph, after), "with" | "from" | "by" | "to")
                .then(|| right_phrase(text, paragraph, index, after + 1, hi))
                .flatten();
            let left = left_phrase(text, paragraph, index, lo, at);
            match (left, right, interview) {
                (Some(left), right, _) => {
                    Some(cue(Some(left), right.map(|(p, _)| p).into_iter().collect()))
                }
                (None, Some(right), false) => Some(cue(Some(right), Vec::new())),
                (None, Some((outlet, _)), true) => Some(cue(None, vec![outlet])),
                (None, None, _) => None,
            }
        }
        // "As Vulture put it, …"
        "put" if lower_at(paragraph, at + 1) == "it" => {
            left_phrase(text, paragraph, index, lo, at).map(|left| cue(Some(left), Vec::new()))
        }
        verb if lexicon::is_cue_verb(verb) => {
            let before = at.checked_sub(1).filter(|&b| b >= lo);
            // "the report", "a post", "his claims": a noun, not a verb.
            if before.is_some_and(|b| {
                let w = lower_at(paragraph, b);
                lexicon::is_definite(w) || lexicon::is_indefinite(w) || w == "to" && verb == "state"
            }) || lower_at(paragraph, at + 1) == "of" && lexicon::is_noun_or_verb(verb)
            {
                return None;
            }
            // "the recent UN report", "UN reports, …": words that are nouns as often as verbs
            // count only where a verb stands ("they report", "the paper notes that").
            if lexicon::is_noun_or_verb(verb) {
                let previous = before.map_or("", |b| lower_at(paragraph, b));
                let next = paragraph.tokens.get(at + 1).map(|t| &t.kind);
                let verb_position = if verb.ends_with('s') {
                    // "… ,” Conway notes."
                    let after_a_name = before.is_some_and(|b| {
                        word_at(paragraph, b).is_some_and(|w| w.capital && !w.possessive)
                    }) && matches!(next, Some(Kind::Terminal) | None);
                    matches!(previous, "he" | "she" | "it")
                        || after_a_name
                        || matches!(next, Some(Kind::Quote { .. } | Kind::Colon))
                        || lower_at(paragraph, at + 1) == "that"
                } else {
                    lexicon::is_subject_pronoun_or_auxiliary(previous)
                };
                if !verb_position {
                    return None;
                }
            }
            let addressee = lexicon::is_addressee_verb(verb);
            let object = object_phrase(text, paragraph, index, at + 1, hi, addressee);
            // "Clinton celebrated with supporters, declaring …": a participle after a comma
            // shares the subject of the sentence.
            if verb.ends_with("ing") && at > lo && paragraph.tokens[at - 1].kind == Kind::Comma {
                return sentence_subject(text, paragraph, index, lo, at - 1)
                    .map(|subject| cue(Some((subject, Vec::new())), object.into_iter().collect()));
            }
            // "… for the EU, said Geert Wilders.": after a comma, a name following the verb
            // is its subject.
            if !addressee
                && at > lo
                && paragraph.tokens[at - 1].kind == Kind::Comma
                && let Some(right) = inverted_subject(text, paragraph, index, at + 1, hi)
                && matches!(right.0.sort, Sort::Named { .. })
            {
                return Some(cue(Some(right), Vec::new()));
            }
            if let Some(left) = left_phrase(text, paragraph, index, lo, at) {
                return Some(cue(Some(left), object.into_iter().collect()));
            }
            if addressee {
                return object.map(|o| cue(None, vec![o]));
            }
            inverted_subject(text, paragraph, index, at + 1, hi)
                .map(|right| cue(Some(right), Vec::new()))
        }
        _ => None,
    }
}

/// The speaker before a cue at `cue`: "Mujahid said", "the report also noted", "Mujahid, the
/// Taliban spokesman, said".
fn left_phrase(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    lo: usize,
    cue: usize,
) -> Option<(Phrase, Vec<Phrase>)> {
    let mut end = cue;
    // "Kelly said": a capitalised word ending in -ly is a name, not an adverb.
    while end > lo
        && word_at(paragraph, end - 1).is_some_and(|w| !w.capital && w.classes.has(lexicon::ADVERB))
    {
        end -= 1;
    }
    // The comma closing an appositive or a relative clause: "Mujahid, the spokesman, said".
    if end > lo + 1 && paragraph.tokens[end - 1].kind == Kind::Comma {
        end -= 1;
    }
    // A parenthesis: "John Kasich (R-OH) said".
    if end > lo + 1 && paragraph.tokens[end - 1].kind == Kind::Bracket {
        let opening = (lo..end - 1)
            .rev()
            .take(8)
            .find(|&i| paragraph.tokens[i].kind == Kind::Bracket)?;
        end = opening;
    }
    let mut zone = end;
    while zone > lo && word_at(paragraph, zone - 1).is_some() {
        zone -= 1;
    }
    let mut start = zone;
    for i in (zone..end).rev() {
        let word = word_at(paragraph, i).expect("a word");
        // Another reporting verb ends the phrase: "Cruz said he's certain Rubio will continue".
        if !word.capital
            && word.classes.has(lexicon::CUE_VERB)
            && !word.classes.has(lexicon::NOUN_OR_VERB_WORD)
        {
            start = i + 1;
            break;
        }
        if word.classes.has(lexicon::PHRASE_BREAK) {
            start = i + 1;
            // "Smith spoke to the crowd and said": the verbs share the clause's subject.
            if start == end && matches!(lower_at(paragraph, i), "and" | "but" | "then") {
                return clause_subject(text, paragraph, index, lo, zone..i).or_else(|| {
                    sentence_subject(text, paragraph, index, lo, i).map(|p| (p, Vec::new()))
                });
            }
            break;
        }
    }
    let phrase = (start < end)
        .then(|| classify(text, paragraph, index, lo, start..end))
        .flatten();
    let relative = zone < end && has_at(paragraph, zone, lexicon::RELATIVE);
    // "Bozell, founder of the Center, said" / "Golden, Twitter's director, said" / "Huntley,
    // a delegate from California, said": a description between commas, not the speaker.
    let descriptive_zone = zone < end
        && word_at(paragraph, zone).is_some_and(|w| {
            !w.capital
                || w.possessive
                || w.classes.has(lexicon::DEFINITE_DETERMINER)
                || w.classes.has(lexicon::INDEFINITE_DETERMINER)
        });
    if (relative || descriptive_zone || phrase.is_none() || place_continuation(paragraph, lo, zone))
        && let Some(named) = named_before_appositive(text, paragraph, index, lo, zone)
    {
        // "Ruiz, a former Northern Post columnist, said": an indefinite description says what
        // someone is, not who published the words.
        let identifying =
            phrase.filter(|_| !has_at(paragraph, zone, lexicon::INDEFINITE_DETERMINER));
        return Some((named, identifying.into_iter().collect()));
    }
    if relative {
        return None;
    }
    // "The leader of the Anti-Defamation League, Jonathan Greenblatt, warned": the description
    // opening the sentence names the same speaker.
    let described_before = (zone > lo + 1 && paragraph.tokens[zone - 1].kind == Kind::Comma)
        .then(|| {
            let end = zone - 1;
            let start = lo;
            (start < end
                && (start..end).all(|i| word_at(paragraph, i).is_some())
                && word_at(paragraph, start)
                    .is_some_and(|w| w.classes.has(lexicon::DEFINITE_DETERMINER) || w.possessive))
            .then(|| classify(text, paragraph, index, lo, start..end))
            .flatten()
        })
        .flatten();
    phrase.map(|p| (p, described_before.into_iter().collect()))
}

/// The subject that opens a sentence, before token `upto`: "Clinton" in "Clinton celebrated in
/// Florida, declaring …", "Republican front-runner Donald Trump" in "Republican front-runner
/// Donald Trump is questioning …". An opening phrase closed by a comma ("In Florida, …") is
/// skipped. Only a name or a pronoun counts.
fn sentence_subject(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    lo: usize,
    upto: usize,
) -> Option<Phrase> {
    let mut start = lo;
    // A dateline: "WASHINGTON —", "PHILADELPHIA (AP) —".
    if let Some(dash) = (lo..upto.min(lo + 6)).find(|&i| paragraph.tokens[i].kind == Kind::Dash)
        && (lo..dash).all(|i| {
            paragraph.tokens[i].kind == Kind::Bracket
                || !text[paragraph.tokens[i].span.clone()]
                    .chars()
                    .any(char::is_lowercase)
        })
    {
        start = dash + 1;
    }
    let opener = word_at(paragraph, start)?;
    if opener.classes.has(lexicon::PHRASE_BREAK)
        || opener.classes.has(lexicon::NOT_A_NAME)
            && !opener.classes.has(lexicon::DEFINITE_DETERMINER)
        || opener.lower.ends_with("ing")
    {
        let comma = (start..upto).find(|&i| paragraph.tokens[i].kind == Kind::Comma)?;
        start = comma + 1;
    }
    let first = word_at(paragraph, start)?;
    let lo = start;
    if is_pronoun(&first.lower) {
        return classify(text, paragraph, index, lo, start..start + 1);
    }
    let body = start + usize::from(first.classes.has(lexicon::DEFINITE_DETERMINER));
    let is_name = |i: usize| {
        word_at(paragraph, i).is_some_and(|w| w.capital && !w.classes.has(lexicon::NOT_A_NAME))
    };
    let mut end = body;
    while end < upto {
        let Some(word) = word_at(paragraph, end) else {
            break;
        };
        if is_name(end) || word.classes.has(lexicon::NAME_CONNECTOR) && is_name(end + 1) {
            end += 1;
            continue;
        }
        if word.classes.has(lexicon::PHRASE_BREAK) {
            break;
        }
        // A lowercase word inside a name's description ("front-runner Donald Trump").
        let name_follows = (end + 1..(end + 3).min(upto))
            .take_while(|&j| {
                word_at(paragraph, j).is_some_and(|w| !w.classes.has(lexicon::PHRASE_BREAK))
            })
            .any(is_name);
        if !name_follows || !is_descriptive(&word.lower) {
            break;
        }
        end += 1;
    }
    while end > body && !is_name(end - 1) {
        end -= 1;
    }
    if end == body {
        return None;
    }
    // "The Florida senator", "The GOP presidential candidate".
    if let Some(noun) = (end..(end + 2).min(upto)).find(|&i| {
        word_at(paragraph, i).is_some_and(|w| {
            w.classes.has(lexicon::PERSON_NOUN) || w.classes.has(lexicon::ORG_NOUN)
        })
    }) && (end..noun).all(|i| {
        word_at(paragraph, i).is_some_and(|w| !w.capital && !w.classes.has(lexicon::PHRASE_BREAK))
    }) {
        end = noun + 1;
    }
    let phrase = classify(text, paragraph, index, lo, start..end)?;
    matches!(phrase.sort, Sort::Named { .. }).then_some(phrase)
}

/// The subject that opens the clause `range`: a pronoun or a run of capitalised words.
fn clause_subject(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    lo: usize,
    range: Range<usize>,
) -> Option<(Phrase, Vec<Phrase>)> {
    let first = word_at(paragraph, range.start)?;
    if is_pronoun(&first.lower) {
        return classify(text, paragraph, index, lo, range.start..range.start + 1)
            .map(|p| (p, Vec::new()));
    }
    let start = range.start + usize::from(first.lower == "the");
    let mut end = start;
    while end < range.end && word_at(paragraph, end).is_some_and(|w| w.capital) {
        end += 1;
    }
    let phrase = classify(text, paragraph, index, lo, range.start..end)?;
    matches!(phrase.sort, Sort::Named { .. }).then_some((phrase, Vec::new()))
}

/// True when the comma before token `zone` continues a place named in the segment before it
/// ("a salesman from Sumter, South Carolina, says").
fn place_continuation(paragraph: &Paragraph, lo: usize, zone: usize) -> bool {
    if zone <= lo + 1 || paragraph.tokens[zone - 1].kind != Kind::Comma {
        return false;
    }
    (zone.saturating_sub(4).max(lo)..zone - 1)
        .any(|i| matches!(lower_at(paragraph, i), "from" | "of" | "in" | "near" | "at"))
}

/// The name that a chain of comma-separated descriptions ending at token `zone` follows:
/// "Dean Johnson" in "Dean Johnson, a salesman from Sumter, South Carolina, says".
fn named_before_appositive(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    lo: usize,
    zone: usize,
) -> Option<Phrase> {
    let mut boundary = zone;
    for _ in 0..3 {
        if boundary <= lo + 1 || paragraph.tokens[boundary - 1].kind != Kind::Comma {
            return None;
        }
        let mut name_end = boundary - 1;
        // "Rep. Elijah Cummings (D-Md.), chair of the committee, said"
        if name_end > lo && paragraph.tokens[name_end - 1].kind == Kind::Bracket {
            name_end = (lo..name_end - 1)
                .rev()
                .take(8)
                .find(|&i| paragraph.tokens[i].kind == Kind::Bracket)?;
        }
        let mut start = name_end;
        while start > lo && word_at(paragraph, start - 1).is_some() {
            start -= 1;
        }
        let clean = start < name_end
            && (start..name_end).all(|i| !has_at(paragraph, i, lexicon::PHRASE_BREAK))
            && word_at(paragraph, start).is_some_and(|w| {
                w.capital
                    || w.classes.has(lexicon::DEFINITE_DETERMINER)
                    || w.classes.has(lexicon::INDEFINITE_DETERMINER)
            });
        if clean
            && let Some(named) = classify(text, paragraph, index, lo, start..name_end)
            && matches!(named.sort, Sort::Named { .. })
        {
            return Some(named);
        }
        boundary = start;
    }
    None
}

/// The speaker after a cue, from token `from`: "said Mujahid", "according to Pakistani media,
/// The Express Tribune" (the appositive is secondary).
fn right_phrase(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    from: usize,
    hi: usize,
) -> Option<(Phrase, Vec<Phrase>)> {
    let mut start = from;
    if lower_at(paragraph, start) == "by" {
        start += 1;
    }
    let first = word_at(paragraph, start)?;
    // "said former Sen. Evan Bayh"
    let titled = (first.classes.has(lexicon::TITLE) || is_descriptive(&first.lower))
        && (start + 1..(start + 3).min(hi))
            .any(|i| word_at(paragraph, i).is_some_and(|w| w.capital));
    if start >= hi
        || !(first.capital
            || titled
            || first.classes.has(lexicon::DEFINITE_DETERMINER)
            || first.classes.has(lexicon::INDEFINITE_DETERMINER)
            || is_pronoun(&first.lower))
    {
        return None;
    }
    let mut end = start + 1;
    while end < hi && word_at(paragraph, end).is_some_and(|w| !w.classes.has(lexicon::PHRASE_BREAK))
    {
        end += 1;
    }
    // Nothing after a cue starts a sentence: every capital there is meaningful.
    let phrase = classify(text, paragraph, index, usize::MAX, start..end)?;
    appositive_after(text, paragraph, index, phrase, end, hi)
}

/// `phrase` (ending at token `end`) with the name in apposition after it, if any: "according
/// to Pakistani media, The Express Tribune".
fn appositive_after(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    phrase: Phrase,
    end: usize,
    hi: usize,
) -> Option<(Phrase, Vec<Phrase>)> {
    let mut secondary = Vec::new();
    if end + 1 < hi && paragraph.tokens[end].kind == Kind::Comma {
        let mut stop = end + 1;
        while stop < hi && word_at(paragraph, stop).is_some() {
            stop += 1;
        }
        let clean = (end + 1..stop).all(|i| !has_at(paragraph, i, lexicon::PHRASE_BREAK));
        if clean
            && stop > end + 1
            && let Some(appositive) = classify(text, paragraph, index, usize::MAX, end + 1..stop)
            && matches!(appositive.sort, Sort::Named { .. })
        {
            // "according to Pakistani media, The Express Tribune": the appositive is the
            // more specific name.
            let head = lower_at(paragraph, end - 1);
            if lexicon::is_org_noun(head)
                || lexicon::is_person_noun(head)
                || lexicon::is_generic_source(head)
            {
                return Some((appositive, vec![phrase]));
            }
            secondary.push(appositive);
        }
    }
    Some((phrase, secondary))
}

/// The speaker after a reporting verb ("said Mujahid", "noted the report."): a noun phrase that
/// ends the clause, unlike the object of "said the plan was good".
fn inverted_subject(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    from: usize,
    hi: usize,
) -> Option<(Phrase, Vec<Phrase>)> {
    // "described his leadership skills as …": an object, not a speaker.
    if matches!(
        lower_at(paragraph, from),
        "his" | "her" | "its" | "their" | "our" | "my" | "your" | "this" | "these" | "those"
    ) {
        return None;
    }
    let (phrase, secondary) = right_phrase(text, paragraph, index, from, hi)?;
    let ends_clause = match paragraph.tokens.get(phrase.tokens.end) {
        None => true,
        Some(token) => match &token.kind {
            Kind::Word(word) => matches!(
                word.lower.as_str(),
                "on" | "in"
                    | "at"
                    | "during"
                    | "after"
                    | "before"
                    | "while"
                    | "when"
                    | "as"
                    | "from"
                    | "to"
                    | "with"
                    | "about"
                    | "of"
            ),
            _ => true,
        },
    } || phrase.tokens.end >= hi;
    ends_clause.then_some((phrase, secondary))
}

/// A named listener or medium after a cue (`addressee` for "told", "asked"): "told the BBC", "wrote in The Guardian".
fn object_phrase(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    from: usize,
    hi: usize,
    addressee: bool,
) -> Option<Phrase> {
    // "told the BBC", "wrote in The Guardian"; but "described Okafor's proposal" names a topic.
    let start = if matches!(lower_at(paragraph, from), "to" | "in" | "on" | "with") {
        from + 1
    } else if addressee {
        from
    } else {
        return None;
    };
    let (phrase, _) = right_phrase(text, paragraph, index, start, hi)?;
    matches!(phrase.sort, Sort::Named { .. }).then_some(phrase)
}

/// A lowercase word that can describe a named person ("presidential", "front-runner",
/// "delegate", "17-year-old") rather than start a predicate ("attacked").
fn is_descriptive(word: &str) -> bool {
    lexicon::is_person_noun(word)
        || lexicon::is_org_noun(word)
        || [
            "al", "ic", "an", "ive", "ary", "old", "er", "or", "ist", "ent",
        ]
        .iter()
        .any(|suffix| word.ends_with(suffix))
}

fn is_pronoun(word: &str) -> bool {
    matches!(word, "he" | "she" | "they" | "it" | "him")
}

/// What the words `range` are as a credit, if they are a noun phrase at all. `sentence_start`
/// is the first token of the sentence, where capitals say nothing.
fn classify(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    sentence_start: usize,
    range: Range<usize>,
) -> Option<Phrase> {
    let determiner = lower_at(paragraph, range.start).to_owned();
    let has_determiner = lexicon::is_definite(&determiner) || lexicon::is_indefinite(&determiner);
    let body = if has_determiner {
        range.start + 1..range.end
    } else {
        range.clone()
    };
    if body.is_empty() {
        return None;
    }
    let words: Vec<&Word> = paragraph.tokens[body.clone()]
        .iter()
        .filter_map(Token::word)
        .collect();
    let last = words.last()?.lower.as_str();
    let phrase = |sort| {
        Some(Phrase {
            paragraph: index,
            tokens: range.clone(),
            sort,
        })
    };
    if body.len() == 1 && !has_determiner && is_pronoun(last) {
        return phrase(Sort::Pronoun);
    }
    if body.len() == 1 && matches!(last, "i" | "we" | "you") {
        return phrase(Sort::Anonymous);
    }
    let named = body.clone().any(|i| {
        let word = word_at(paragraph, i).expect("a word");
        word.capital
            && !word.classes.has(lexicon::NOT_A_NAME)
            && !(i == sentence_start && is_common(&word.lower))
    });
    if named {
        // "the chamber Amina Okafor" credits "Amina Okafor"; "the Taliban spokesman …" and
        // "The Northern Post" keep their article.
        let first_name = body
            .clone()
            .find(|&i| {
                word_at(paragraph, i).is_some_and(|w| {
                    w.capital
                        && !w.classes.has(lexicon::NOT_A_NAME)
                        && !(i == sentence_start && is_common(&w.lower))
                })
            })
            .expect("a name");
        // A name that only modifies a noun ("the recent UN report") keeps the whole phrase.
        let ends_with_name = words.last().is_some_and(|w| w.capital);
        let range = if first_name > body.start && ends_with_name {
            let article = first_name - 1 == range.start && has_determiner;
            if article {
                range.clone()
            } else {
                first_name..range.end
            }
        } else {
            range.clone()
        };
        let organisation = determiner == "the"
            || words.iter().any(|w| w.classes.has(lexicon::ORG_NOUN))
            || body.clone().any(|i| {
                let written = &text[paragraph.tokens[i].span.clone()];
                written.chars().filter(|c| c.is_alphabetic()).count() >= 2
                    && !written.chars().any(char::is_lowercase)
            });
        return Some(Phrase {
            paragraph: index,
            tokens: range,
            sort: Sort::Named { organisation },
        });
    }
    if lexicon::is_definite(&determiner) {
        return phrase(Sort::Definite);
    }
    if has_determiner
        || lexicon::is_generic_source(last)
        || body.len() <= 3 && (lexicon::is_person_noun(last) || lexicon::is_org_noun(last))
    {
        return phrase(Sort::Anonymous);
    }
    None
}

/// A word that is capitalised at the start of a sentence without being a name.
fn is_common(word: &str) -> bool {
    lexicon::is_generic_source(word)
        || lexicon::is_person_noun(word)
        || lexicon::is_org_noun(word)
        || lexicon::is_not_a_name(word)
        || lexicon::is_phrase_break(word)
}

/// The capitalised names of a sentence, for references back ("the Taliban spokesman
/// Zabihullah Mujahid called it propaganda. He said …").
fn names_in(
    text: &str,
    paragraph: &Paragraph,
    index: usize,
    sentence: Range<usize>,
) -> Vec<Phrase> {
    let mut names = Vec::new();
    let mut i = sentence.start;
    while i < sentence.end {
        let is_name = |i: usize| {
            word_at(paragraph, i).is_some_and(|w| {
                w.capital
                    && !w.classes.has(lexicon::NOT_A_NAME)
                    && !(i == sentence.start && is_common(&w.lower))
            })
        };
        if !is_name(i) {
            i += 1;
            continue;
        }
        let mut start = i;
        let mut end = i + 1;
        while end < sentence.end && !word_at(paragraph, end - 1).is_some_and(|w| w.possessive) {
            if is_name(end) {
                end += 1;
            } else if word_at(paragraph, end)
                .is_some_and(|w| w.classes.has(lexicon::NAME_CONNECTOR))
                && is_name(end + 1)
            {
                end += 2;
            } else {
                break;
            }
        }
        if start > sentence.start && lower_at(paragraph, start - 1) == "the" {
            start -= 1;
        }
        let mut extended = end;
        while extended < sentence.end
            && extended < end + 2
            && word_at(paragraph, extended).is_some_and(|w| {
                !w.capital
                    && (w.classes.has(lexicon::PERSON_NOUN) || w.classes.has(lexicon::ORG_NOUN))
            })
        {
            extended += 1;
        }
        // A dateline ("ISLAMABAD, PAKISTAN –") names a place, not a source.
        let dateline = start == sentence.start
            && (start..end).all(|t| {
                !text[paragraph.tokens[t].span.clone()]
                    .chars()
                    .any(char::is_lowercase)
            });
        if !dateline
            && let Some(phrase) = classify(text, paragraph, index, sentence.start, start..extended)
        {
            names.push(phrase);
        }
        i = extended.max(i + 1);
    }
    names
}

#[cfg(test)]
mod tests;
