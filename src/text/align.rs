//! Word alignment of a submitted quotation against a registered one, honouring the conventions
//! journalists use: an ellipsis (`…`, `...`, `. . .`) stands for dropped words, `[bracketed]`
//! words are editorial insertions or substitutions, `[sic]` is ignored, and quoting an excerpt
//! of a longer registered quotation is fine. Case and punctuation never matter.

use std::ops::Range;

use super::words::for_each_word;

/// How many registered words one bracketed insertion may stand for (`[he]` for
/// "Zabihullah Mujahid", `[the Taliban]` for "they").
const MAX_BRACKET_REPLACES: usize = 4;

/// What one step of the alignment does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOp {
    /// The same word on both sides.
    Keep,
    /// A registered word written as another word.
    Replace,
    /// A word in the submitted quotation that the registered one lacks.
    Insert,
    /// A registered word the submitted quotation drops without an ellipsis.
    Delete,
    /// Registered words an ellipsis stands for.
    Elided,
    /// A bracketed editorial insertion or substitution.
    Editorial,
}

/// One step of the alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub op: EditOp,
    /// Registered words involved (canonical form), joined by spaces; empty for insertions.
    pub registered: String,
    /// Submitted words involved, as written; empty for deletions and elisions.
    pub submitted: String,
    /// Where the submitted words stand in the submitted text (byte range), when there are any.
    pub span: Option<Range<usize>>,
    /// Indexes (in the registered quotation's words) of the registered words involved.
    pub registered_words: Range<usize>,
}

/// The submitted quotation, parsed into what the alignment consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A word: where its canonical form is in [`Submitted::words`], and its byte span in the
    /// submitted text.
    Word(Range<usize>, Range<usize>),
    /// An ellipsis.
    Gap(Range<usize>),
    /// A bracketed insertion: its canonical words and the byte span of the brackets.
    Bracket(Vec<String>, Range<usize>),
}

/// A submitted quotation parsed for alignment and for finding candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    items: Vec<Item>,
    /// The canonical words one after another: one allocation for all of them.
    words: String,
}

impl Submitted {
    /// Parses the quotation text `text`; spans are reported relative to `offset`.
    pub fn parse(text: &str, offset: usize) -> Self {
        let mut items = Vec::new();
        let mut canonical = String::with_capacity(text.len());
        let bytes = text.as_bytes();
        let mut plain_start = 0;
        let mut i = 0;
        let flush = |items: &mut Vec<Item>, canonical: &mut String, range: Range<usize>| {
            for_each_word(&text[range.clone()], |word, span| {
                let at = canonical.len()..canonical.len() + word.len();
                canonical.push_str(word);
                items.push(Item::Word(
                    at,
                    offset + range.start + span.start..offset + range.start + span.end,
                ));
            });
        };
        while i < bytes.len() {
            if let Some(length) = ellipsis_at(text, i) {
                flush(&mut items, &mut canonical, plain_start..i);
                items.push(Item::Gap(offset + i..offset + i + length));
                i += length;
                plain_start = i;
            } else if bytes[i] == b'['
                && let Some(close) = text[i + 1..].find(']')
            {
                let inner = &text[i + 1..i + 1 + close];
                flush(&mut items, &mut canonical, plain_start..i);
                let mut words = Vec::new();
                for_each_word(inner, |word, _| words.push(word.to_owned()));
                let end = i + close + 2;
                // `[sic]` marks an error kept from the original: nothing to align.
                if words != ["sic"] {
                    if words.is_empty() {
                        // `[…]` or `[...]`: an ellipsis in brackets.
                        items.push(Item::Gap(offset + i..offset + end));
                    } else {
                        items.push(Item::Bracket(words, offset + i..offset + end));
                    }
                }
                i = end;
                plain_start = i;
            } else {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
        flush(&mut items, &mut canonical, plain_start..bytes.len());
        Submitted {
            items,
            words: canonical,
        }
    }

    /// The canonical word at `at` in [`Self::words`].
    fn word(&self, at: &Range<usize>) -> &str {
        &self.words[at.clone()]
    }

    /// The quotation's own words (outside brackets) as [`word_key`]s, in runs split at ellipses
    /// and brackets: each run must appear verbatim in a registered quotation it quotes
    /// correctly.
    pub fn runs(&self) -> Vec<Vec<u32>> {
        let mut runs = vec![Vec::with_capacity(self.items.len())];
        for item in &self.items {
            match item {
                Item::Word(at, _) => runs
                    .last_mut()
                    .expect("never empty")
                    .push(word_key(self.word(at))),
                Item::Gap(_) | Item::Bracket(..) => runs.push(Vec::new()),
            }
        }
        runs.retain(|run| !run.is_empty());
        runs
    }

    /// Appends the items of a following piece of the same quotation.
    pub fn extend(&mut self, next: Submitted) {
        let shift = self.words.len();
        self.words.push_str(&next.words);
        self.items
            .extend(next.items.into_iter().map(|item| match item {
                Item::Word(at, span) => Item::Word(at.start + shift..at.end + shift, span),
                other => other,
            }));
    }

    /// The quotation reduced to what [`alignment_cost`] compares: word hashes, ellipses and
    /// brackets.
    pub fn keys(&self) -> Vec<Key> {
        self.items
            .iter()
            .map(|item| match item {
                Item::Word(at, _) => Key::Word(word_key(self.word(at))),
                Item::Gap(_) => Key::Gap,
                Item::Bracket(..) => Key::Bracket,
            })
            .collect()
    }

    /// How many words the quotation has outside brackets.
    pub fn word_count(&self) -> usize {
        self.items
            .iter()
            .filter(|item| matches!(item, Item::Word(..)))
            .count()
    }
}

/// A submitted item as the cost-only alignment sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A word, by [`word_key`].
    Word(u32),
    /// An ellipsis.
    Gap,
    /// A bracketed insertion.
    Bracket,
}

/// A 32-bit key of a canonical word. Two different words rarely share one; when they do, the
/// cost-only alignment merely ranks a candidate too well, and the full alignment corrects it.
pub fn word_key(word: &str) -> u32 {
    let hash = super::shingles::word_hash(word);
    (hash ^ (hash >> 32)) as u32
}

/// Scratch rows for [`alignment_cost`], reused across calls.
#[derive(Debug, Default)]
pub struct CostRows {
    previous: Vec<u32>,
    current: Vec<u32>,
}

/// The cost [`align`] would find (replaced, added and dropped words; ellipses and brackets are
/// free), computed on word keys in two rows without building the edits: cheap enough to rank
/// every candidate before aligning only the best.
pub fn alignment_cost(keys: &[Key], registered: &[u32], rows: &mut CostRows) -> u32 {
    let m = registered.len();
    let CostRows { previous, current } = rows;
    previous.clear();
    previous.resize(m + 1, 0);
    current.clear();
    current.resize(m + 1, 0);
    for key in keys {
        match *key {
            Key::Word(word) => {
                current[0] = previous[0] + 1;
                for j in 1..=m {
                    let matched = previous[j - 1] + u32::from(registered[j - 1] != word);
                    current[j] = matched.min(previous[j] + 1).min(current[j - 1] + 1);
                }
            }
            Key::Gap => {
                let mut best = u32::MAX;
                for j in 0..=m {
                    best = best.min(previous[j]);
                    current[j] = best;
                }
            }
            Key::Bracket => {
                for j in 0..=m {
                    current[j] = (0..=MAX_BRACKET_REPLACES.min(j))
                        .map(|k| previous[j - k])
                        .min()
                        .expect("k = 0 is always there");
                }
            }
        }
        std::mem::swap(previous, current);
    }
    previous.iter().copied().min().unwrap_or(0)
}

/// `Some(length)` when an ellipsis starts at byte `i`: `…`, `...` (or more dots), `. . .`.
fn ellipsis_at(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    if rest.starts_with('…') {
        return Some('…'.len_utf8());
    }
    if rest.starts_with("...") {
        return Some(rest.len() - rest.trim_start_matches('.').len());
    }
    if rest.starts_with(". . .") {
        return Some(5);
    }
    None
}

/// The alignment of a submitted quotation against a registered one.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Every step, in order; registered words before and after the quoted excerpt are not
    /// included.
    pub edits: Vec<Edit>,
    /// Share of aligned words that agree, in [0, 1]: kept words over kept, replaced, inserted
    /// and deleted ones (elisions and editorial brackets count as neither).
    pub similarity: f64,
}

impl Alignment {
    /// True when the words agree apart from the conventions (ellipses, brackets).
    pub fn is_faithful(&self) -> bool {
        self.edits
            .iter()
            .all(|e| matches!(e.op, EditOp::Keep | EditOp::Elided | EditOp::Editorial))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Start,
    Match,
    Insert,
    Delete,
    Gap(u32),
    Bracket(u32),
}

/// Table cells an alignment's scratch tables keep between calls, at most; a larger table (a
/// hostile, huge quotation) is given back after its call.
const KEPT_TABLE_CELLS: usize = 1 << 16;

thread_local! {
    /// The alignment's cost and step tables, reused from call to call: they are the largest
    /// allocations of a check.
    static TABLES: std::cell::RefCell<(Vec<u32>, Vec<Step>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Aligns `submitted` against the registered quotation's canonical words, letting the submitted
/// quotation start and end anywhere in the registered one (an excerpt).
pub fn align(submitted: &Submitted, registered: &[&str]) -> Alignment {
    TABLES.with_borrow_mut(|(cost, step)| {
        let alignment = align_in(submitted, registered, cost, step);
        if cost.capacity() > KEPT_TABLE_CELLS {
            *cost = Vec::new();
            *step = Vec::new();
        }
        alignment
    })
}

/// [`align`], with its tables in `cost` and `step`.
fn align_in(
    submitted: &Submitted,
    registered: &[&str],
    cost: &mut Vec<u32>,
    step: &mut Vec<Step>,
) -> Alignment {
    let items = &submitted.items;
    let (n, m) = (items.len(), registered.len());
    const INF: u32 = u32::MAX / 2;
    // cost[i][j]: best cost of aligning the first i items so that they end at registered word j.
    let width = m + 1;
    cost.clear();
    cost.resize((n + 1) * width, INF);
    step.clear();
    step.resize((n + 1) * width, Step::Start);
    // Free start: the excerpt may begin at any registered word.
    cost[..width].fill(0);
    for i in 1..=n {
        let row = i * width;
        let prev = (i - 1) * width;
        match &items[i - 1] {
            Item::Word(at, _) => {
                let word = submitted.word(at);
                for j in 0..=m {
                    // On ties a substitution wins over an insertion: at the excerpt's edges an
                    // insertion would let a changed word (`nobody` → `somebody`) slip out of
                    // the comparison.
                    let mut best = (INF, Step::Insert);
                    if j > 0 {
                        let matched = cost[prev + j - 1] + u32::from(registered[j - 1] != word);
                        best = (matched, Step::Match);
                    }
                    if cost[prev + j] + 1 < best.0 {
                        best = (cost[prev + j] + 1, Step::Insert);
                    }
                    if j > 0 {
                        let deleted = cost[row + j - 1] + 1;
                        if deleted < best.0 {
                            best = (deleted, Step::Delete);
                        }
                    }
                    cost[row + j] = best.0;
                    step[row + j] = best.1;
                }
            }
            Item::Gap(_) => {
                // An ellipsis may stand for any number of registered words, at no cost.
                let mut best = (INF, 0);
                for j in 0..=m {
                    if cost[prev + j] < best.0 {
                        best = (cost[prev + j], j);
                    }
                    cost[row + j] = best.0;
                    step[row + j] = Step::Gap(best.1 as u32);
                }
            }
            Item::Bracket(..) => {
                for j in 0..=m {
                    let mut best = (INF, Step::Bracket(j as u32));
                    // On a tie (at the quotation's start) prefer a substitution: `[He] said`.
                    for k in (0..=MAX_BRACKET_REPLACES.min(j)).rev() {
                        if cost[prev + j - k] < best.0 {
                            best = (cost[prev + j - k], Step::Bracket((j - k) as u32));
                        }
                    }
                    cost[row + j] = best.0;
                    step[row + j] = best.1;
                }
            }
        }
    }
    // Free end: the excerpt may stop anywhere. Among equal costs prefer the latest end, so a
    // changed last word counts as replaced rather than as added.
    let end = (0..=m)
        .min_by_key(|&j| (cost[n * width + j], std::cmp::Reverse(j)))
        .unwrap_or(0);

    let mut edits = Vec::new();
    let (mut i, mut j) = (n, end);
    while i > 0 {
        let here = step[i * width + j];
        match (&items[i - 1], here) {
            (Item::Word(at, span), Step::Match) => {
                let word = submitted.word(at);
                let op = if registered[j - 1] == word {
                    EditOp::Keep
                } else {
                    EditOp::Replace
                };
                edits.push(Edit {
                    op,
                    registered: registered[j - 1].to_owned(),
                    submitted: word.to_owned(),
                    span: Some(span.clone()),
                    registered_words: j - 1..j,
                });
                i -= 1;
                j -= 1;
            }
            (Item::Word(at, span), Step::Insert) => {
                edits.push(Edit {
                    op: EditOp::Insert,
                    registered: String::new(),
                    submitted: submitted.word(at).to_owned(),
                    span: Some(span.clone()),
                    registered_words: j..j,
                });
                i -= 1;
            }
            (Item::Word(..), Step::Delete) => {
                edits.push(Edit {
                    op: EditOp::Delete,
                    registered: registered[j - 1].to_owned(),
                    submitted: String::new(),
                    span: None,
                    registered_words: j - 1..j,
                });
                j -= 1;
            }
            (Item::Gap(span), Step::Gap(from)) => {
                let from = from as usize;
                if from < j {
                    edits.push(Edit {
                        op: EditOp::Elided,
                        registered: registered[from..j].join(" "),
                        submitted: String::new(),
                        span: Some(span.clone()),
                        registered_words: from..j,
                    });
                }
                i -= 1;
                j = from;
            }
            (Item::Bracket(words, span), Step::Bracket(from)) => {
                let from = from as usize;
                edits.push(Edit {
                    op: EditOp::Editorial,
                    registered: registered[from..j].join(" "),
                    submitted: words.join(" "),
                    span: Some(span.clone()),
                    registered_words: from..j,
                });
                i -= 1;
                j = from;
            }
            (item, step) => unreachable!("step {step:?} cannot follow item {item:?}"),
        }
    }
    edits.reverse();
    // Ellipses at either end of the quotation stand for nothing an excerpt would not drop anyway.
    while edits.first().is_some_and(|e| e.op == EditOp::Elided) {
        edits.remove(0);
    }
    while edits.last().is_some_and(|e| e.op == EditOp::Elided) {
        edits.pop();
    }
    let counted = |op: EditOp| edits.iter().filter(|e| e.op == op).count();
    let kept = counted(EditOp::Keep);
    let changed = counted(EditOp::Replace) + counted(EditOp::Insert) + counted(EditOp::Delete);
    let similarity = if kept + changed == 0 {
        0.0
    } else {
        kept as f64 / (kept + changed) as f64
    };
    Alignment { edits, similarity }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_word(text, |w, _| out.push(w.to_owned()));
        out
    }

    fn check(submitted: &str, registered: &str) -> Alignment {
        let registered = words(registered);
        let registered: Vec<&str> = registered.iter().map(String::as_str).collect();
        align(&Submitted::parse(submitted, 0), &registered)
    }

    fn ops(alignment: &Alignment) -> Vec<EditOp> {
        alignment.edits.iter().map(|e| e.op).collect()
    }

    const REGISTERED: &str = "A regular program of accusing the IEA has been started from the address of the UN, which is always spreading propaganda.";

    #[test]
    fn identical_words_keep_everything() {
        let alignment = check("“We will not back down.”", "We will NOT back down");
        assert!(alignment.is_faithful());
        assert_eq!(alignment.similarity, 1.0);
        assert!(ops(&alignment).iter().all(|op| *op == EditOp::Keep));
    }

    #[test]
    fn an_editorial_insertion_is_reported_and_faithful() {
        let alignment = check(
            "a regular program of accusing the IEA [Taliban] has been started from the address of the UN, which is always spreading propaganda.",
            REGISTERED,
        );
        assert!(alignment.is_faithful(), "{alignment:?}");
        let editorial: Vec<&Edit> = alignment
            .edits
            .iter()
            .filter(|e| e.op == EditOp::Editorial)
            .collect();
        assert_eq!(editorial.len(), 1);
        assert_eq!(editorial[0].submitted, "taliban");
        assert_eq!(editorial[0].registered, "");
    }

    #[test]
    fn a_bracketed_substitution_replaces_registered_words() {
        let alignment = check(
            "[He] said the plan would work",
            "Mr Smith said the plan would work",
        );
        assert!(alignment.is_faithful(), "{alignment:?}");
        assert_eq!(alignment.edits[0].op, EditOp::Editorial);
        assert_eq!(alignment.edits[0].registered, "mr smith");
    }

    #[test]
    fn ellipses_stand_for_dropped_words_in_order() {
        for ellipsis in ["…", "...", ". . .", "[…]"] {
            let submitted = format!(
                "A regular program of accusing the IEA {ellipsis} always spreading propaganda"
            );
            let alignment = check(&submitted, REGISTERED);
            assert!(alignment.is_faithful(), "{ellipsis}: {alignment:?}");
            let elided: Vec<&Edit> = alignment
                .edits
                .iter()
                .filter(|e| e.op == EditOp::Elided)
                .collect();
            assert_eq!(elided.len(), 1);
            assert_eq!(
                elided[0].registered,
                "has been started from the address of the un which is"
            );
        }
        // Pieces out of order are not faithful.
        let swapped = check(
            "always spreading propaganda … a regular program",
            REGISTERED,
        );
        assert!(!swapped.is_faithful(), "{swapped:?}");
    }

    #[test]
    fn excerpts_are_faithful_without_ellipses() {
        let alignment = check("accusing the IEA has been started", REGISTERED);
        assert!(alignment.is_faithful());
        assert_eq!(alignment.edits.len(), 6);
    }

    #[test]
    fn sic_is_ignored() {
        let alignment = check("the goverment [sic] has acted", "the goverment has acted");
        assert!(alignment.is_faithful(), "{alignment:?}");
    }

    #[test]
    fn changed_added_and_dropped_words_are_edits() {
        let replaced = check("We will never back down", "We will not back down");
        assert_eq!(ops(&replaced)[2], EditOp::Replace);
        assert_eq!(replaced.edits[2].registered, "not");
        assert_eq!(replaced.edits[2].submitted, "never");
        assert!((replaced.similarity - 0.8).abs() < 1e-9);

        let dropped = check("We will back down now", "We will not back down now");
        assert!(ops(&dropped).contains(&EditOp::Delete), "{dropped:?}");

        let added = check("We will not ever back down", "We will not back down");
        assert!(ops(&added).contains(&EditOp::Insert), "{added:?}");
    }

    #[test]
    fn spans_point_into_the_submitted_text() {
        let text = "“We will never back down”";
        let alignment = align(
            &Submitted::parse(text, 100),
            &["we", "will", "not", "back", "down"],
        );
        let replaced = alignment
            .edits
            .iter()
            .find(|e| e.op == EditOp::Replace)
            .expect("a replace");
        let span = replaced.span.clone().expect("a span");
        assert_eq!(&text[span.start - 100..span.end - 100], "never");
    }

    #[test]
    fn the_cost_only_alignment_agrees_with_the_full_one() {
        let cases = [
            ("we will never back down", "we will not back down"),
            ("accusing the IEA has been started", REGISTERED),
            (
                "A regular program … always spreading propaganda",
                REGISTERED,
            ),
            (
                "[He] said the plan would work",
                "Mr Smith said the plan would work",
            ),
            ("totally unrelated words here", REGISTERED),
            ("we will back down now", "we will not back down now"),
        ];
        let mut rows = CostRows::default();
        for (submitted, registered) in cases {
            let registered_words = words(registered);
            let keys: Vec<u32> = registered_words.iter().map(|w| word_key(w)).collect();
            let parsed = Submitted::parse(submitted, 0);
            let full = check(submitted, registered);
            let changed = full
                .edits
                .iter()
                .filter(|e| matches!(e.op, EditOp::Replace | EditOp::Insert | EditOp::Delete))
                .count() as u32;
            assert_eq!(
                alignment_cost(&parsed.keys(), &keys, &mut rows),
                changed,
                "{submitted}"
            );
        }
    }

    #[test]
    fn runs_split_at_ellipses_and_brackets() {
        let submitted = Submitted::parse("one two … three [x] four five [sic] six", 0);
        let keys = |words: &[&str]| words.iter().map(|w| word_key(w)).collect::<Vec<_>>();
        assert_eq!(
            submitted.runs(),
            vec![
                keys(&["one", "two"]),
                keys(&["three"]),
                keys(&["four", "five", "six"])
            ]
        );
        assert_eq!(submitted.word_count(), 6);
    }
}
