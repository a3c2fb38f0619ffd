//! Checking: finds every quotation (and uncredited reuse) in submitted text and matches it
//! against an in-memory view of the register, kept in step with every registration and
//! retraction. Joins the pure `text` core with the register; knows nothing of gRPC.

pub mod report;
mod sources;
mod table;

use std::{
    cell::OnceCell,
    ops::Range,
    sync::{Arc, RwLock},
};

use crate::record::{Attribution, IndexEntry, Outlet};
use crate::store::{Store, StoreError};
use crate::text::{
    ContentHash,
    align::{CostRows, Submitted, align, alignment_cost, word_key},
    attribution::Document,
    quotes,
    severity::{Severity, grade},
    shingles::{QuoteId, SHINGLE_WORDS, Shingles, shingle_count, shingles},
    words::{for_each_word, words},
};
pub use report::{AttributionCheck, CheckSummary, Finding, FindingKind, Report, Verdict};
use sources::{SourceList, Sources};
use table::QuoteTable;

/// Quotations shorter than this many words are reported TOO_SHORT (scare quotes, titles).
pub const DEFAULT_MIN_QUOTE_WORDS: usize = 4;
/// Below this similarity to the closest registered quotation, a quotation is UNREGISTERED
/// rather than MISQUOTED.
pub const DEFAULT_MISQUOTE_THRESHOLD: f64 = 0.6;
/// Runs of registered words outside quotation marks shorter than this are not reported.
pub const DEFAULT_REUSE_MIN_WORDS: usize = 8;
/// An excerpt (part of a registered quotation) is matched only when it keeps at least this many
/// of the quotation's content words (see [`too_little_of_an_excerpt`]).
const MIN_EXCERPT_CONTENT_WORDS: usize = 3;
/// Candidates aligned for each quotation, at most.
const CANDIDATES: usize = 6;
/// A quotation more than 1 / this times longer than a registered one is never aligned to it,
/// whatever threshold the caller asks for (its similarity could not exceed this share).
const MIN_ALIGNED_SHARE: f64 = 0.2;
/// A candidate must hold at least one in this many of the quotation's shingles.
const MIN_SHARED_SHINGLES_DIVISOR: usize = 6;
/// Quotations loaded from the store per read at start: a window of this many seq values.
const LOAD_WINDOW: i64 = 5_000;
/// Windows read at once at start.
const LOAD_CONCURRENCY: usize = 3;
/// Outlets loaded from the store per page at start.
const OUTLET_PAGE: usize = 1_000;

/// How a check is run; every field has a documented default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckOptions {
    pub min_quote_words: usize,
    pub misquote_threshold: f64,
    pub reuse_min_words: usize,
    pub include_unquoted_reuse: bool,
    /// Judge whom the text credits for each matched finding. Always on through the API; off
    /// only to measure what attribution costs (`benches/check.rs`).
    pub include_attribution: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            min_quote_words: DEFAULT_MIN_QUOTE_WORDS,
            misquote_threshold: DEFAULT_MISQUOTE_THRESHOLD,
            reuse_min_words: DEFAULT_REUSE_MIN_WORDS,
            include_unquoted_reuse: true,
            include_attribution: true,
        }
    }
}

#[derive(Default)]
struct Indexed {
    table: QuoteTable,
    shingles: Shingles,
    sources: Sources,
    /// Everyone the register credits for each quotation, by [`QuoteId`]; apart from the
    /// quotations themselves, which candidate ranking walks, to keep those compact.
    credits: Vec<SourceList>,
    /// Word keys of the quotation being added.
    scratch: Vec<u32>,
}

impl Indexed {
    /// Adds a quotation to the table, or its credits and retraction to the quotation already
    /// there; returns the id of a new one, which the caller still has to index.
    fn add_to_table(
        &mut self,
        hash: ContentHash,
        text: &str,
        keys: &[u32],
        retracted: bool,
        attributions: &[Attribution],
    ) -> Option<QuoteId> {
        let mut refs = Vec::new();
        for attribution in attributions {
            for source in self.sources.intern(attribution) {
                if !refs.contains(&source) {
                    refs.push(source);
                }
            }
        }
        if let Some(id) = self.table.find(&hash) {
            if retracted {
                self.table.retract(id);
            }
            self.credits[id as usize].extend(&refs);
            return None;
        }
        let id = self.table.push(hash, text, keys.iter().copied(), retracted);
        self.credits.push(SourceList::of(refs));
        Some(id)
    }

    /// [`Self::add_to_table`], computing the word keys.
    fn add_text_to_table(
        &mut self,
        hash: ContentHash,
        text: &str,
        retracted: bool,
        attributions: &[Attribution],
    ) -> Option<QuoteId> {
        let mut keys = std::mem::take(&mut self.scratch);
        keys.clear();
        word_keys(text, &mut keys);
        let id = self.add_to_table(hash, text, &keys, retracted, attributions);
        self.scratch = keys;
        id
    }

    /// Adds a quotation registered after the register was loaded.
    fn add(
        &mut self,
        hash: ContentHash,
        text: &str,
        retracted: bool,
        attributions: &[Attribution],
    ) {
        if let Some(id) = self.add_text_to_table(hash, text, retracted, attributions) {
            self.shingles.insert(id, self.table.keys(id));
        }
    }

    /// Indexes every quotation of the table anew, in the compact frozen layout.
    fn freeze(&mut self) {
        let table = &self.table;
        self.shingles = Shingles::freeze(table.len(), |id| table.keys(id));
    }
}

/// Appends the canonical words' keys ([`word_key`]) of `text` to `keys`.
fn word_keys(text: &str, keys: &mut Vec<u32>) {
    for_each_word(text, |word, _| keys.push(word_key(word)));
}

/// A page of entries read at start with their word keys (see [`RegisterBuilder::page`]).
struct KeyedPage {
    entries: Vec<IndexEntry>,
    keys: Vec<u32>,
    ends: Vec<usize>,
}

impl KeyedPage {
    fn of(entries: Vec<IndexEntry>) -> Self {
        let mut keys = Vec::new();
        let ends = entries
            .iter()
            .map(|entry| {
                word_keys(&entry.text, &mut keys);
                keys.len()
            })
            .collect();
        KeyedPage {
            entries,
            keys,
            ends,
        }
    }
}

/// Builds a [`LiveRegister`] from a whole register at once, in the compact layout that
/// registrations made later join.
#[derive(Default)]
pub struct RegisterBuilder {
    indexed: Indexed,
}

impl RegisterBuilder {
    /// Records an outlet's name and aliases.
    pub fn outlet(&mut self, outlet: &Outlet) {
        self.indexed.sources.upsert_outlet(outlet);
    }

    /// Adds a quotation, or the credits and retraction of one already added.
    pub fn quote(
        &mut self,
        hash: ContentHash,
        text: &str,
        retracted: bool,
        attributions: &[Attribution],
    ) {
        self.indexed
            .add_text_to_table(hash, text, retracted, attributions);
    }

    /// Adds a page of entries whose word keys are already known: `keys` holds each entry's
    /// keys one after another, and `ends` where each entry's end.
    fn page(&mut self, entries: &[IndexEntry], keys: &[u32], ends: &[usize]) {
        let mut start = 0;
        for (entry, &end) in entries.iter().zip(ends) {
            self.indexed.add_to_table(
                entry.hash,
                &entry.text,
                &keys[start..end],
                entry.retracted,
                &entry.attributions,
            );
            start = end;
        }
    }

    /// Indexes everything added.
    pub fn build(mut self) -> LiveRegister {
        self.indexed.freeze();
        LiveRegister {
            inner: RwLock::new(self.indexed),
        }
    }
}

/// The register as the checker sees it: every quotation's words, hash and retraction flag, and
/// the shingle index over them. Shared by the Registry (which updates it) and the Checker.
#[derive(Default)]
pub struct LiveRegister {
    inner: RwLock<Indexed>,
}

impl std::fmt::Debug for LiveRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRegister")
            .field("quotes", &self.len())
            .finish()
    }
}

impl LiveRegister {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every outlet and quotation of `store`.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn load<S: Store>(store: &Arc<S>) -> Result<Self, StoreError> {
        let mut outlets = Vec::new();
        loop {
            let after = outlets.last().map(|o: &Outlet| o.id.clone());
            let page = store.list_outlets(after.as_deref(), OUTLET_PAGE).await?;
            let full = page.len() == OUTLET_PAGE;
            outlets.extend(page);
            if !full {
                break;
            }
        }
        // Reading pages and indexing them overlap: a thread indexes one page while the next is
        // read, which on two cores nearly halves the start-up time of a large register.
        let (pages, mut received) = tokio::sync::mpsc::channel::<KeyedPage>(2);
        let indexer = tokio::task::spawn_blocking(move || {
            let mut builder = RegisterBuilder::default();
            for outlet in &outlets {
                builder.outlet(outlet);
            }
            while let Some(page) = received.blocking_recv() {
                builder.page(&page.entries, &page.keys, &page.ends);
            }
            let indexing = std::time::Instant::now();
            let live = builder.build();
            tracing::info!(elapsed = ?indexing.elapsed(), "shingle index built");
            live
        });
        let reading = std::time::Instant::now();
        // Windows of seq are read several at once, each on a connection of its own, their words
        // turned into keys on a thread of their own, and handed to the indexer in order.
        let last = store.last_quote_seq().await?;
        let mut windows = (0..last).step_by(LOAD_WINDOW as usize);
        let mut reads = std::collections::VecDeque::new();
        let mut outcome = Ok(());
        loop {
            while reads.len() < LOAD_CONCURRENCY {
                let Some(after) = windows.next() else {
                    break;
                };
                let store = Arc::clone(store);
                reads.push_back(tokio::spawn(async move {
                    let entries = store.list_index_entries(after, after + LOAD_WINDOW).await?;
                    let page = tokio::task::spawn_blocking(move || KeyedPage::of(entries));
                    Ok::<_, StoreError>(page.await.expect("keying a page does not panic"))
                }));
            }
            let Some(read) = reads.pop_front() else {
                break;
            };
            match read.await.expect("a read task does not panic") {
                Ok(page) => {
                    if !page.entries.is_empty() && pages.send(page).await.is_err() {
                        break;
                    }
                }
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            }
        }
        for read in reads {
            read.abort();
        }
        drop(pages);
        tracing::info!(elapsed = ?reading.elapsed(), "register read from the store");
        let live = indexer.await.expect("the indexing task does not panic");
        outcome?;
        Ok(live)
    }

    /// Adds quotations (already registered ones are left as they are, but pick up retraction).
    pub fn add_entries(&self, entries: &[IndexEntry]) {
        let mut inner = self
            .inner
            .write()
            .expect("the index lock is never poisoned");
        for entry in entries {
            inner.add(
                entry.hash,
                &entry.text,
                entry.retracted,
                &entry.attributions,
            );
        }
    }

    /// Adds a newly registered quotation, or a new attribution of a registered one.
    pub fn add(&self, hash: ContentHash, text: &str, attribution: &Attribution) {
        self.inner
            .write()
            .expect("the index lock is never poisoned")
            .add(hash, text, false, std::slice::from_ref(attribution));
    }

    /// Replaces everything indexed with what `fresh` indexed (after reloading the register).
    pub fn replace_with(&self, fresh: LiveRegister) {
        let fresh = fresh
            .inner
            .into_inner()
            .expect("the index lock is never poisoned");
        *self
            .inner
            .write()
            .expect("the index lock is never poisoned") = fresh;
    }

    /// Records an outlet's current name and aliases.
    pub fn upsert_outlet(&self, outlet: &Outlet) {
        self.inner
            .write()
            .expect("the index lock is never poisoned")
            .sources
            .upsert_outlet(outlet);
    }

    /// Marks a quotation retracted.
    pub fn retract(&self, hash: &ContentHash) {
        let mut inner = self
            .inner
            .write()
            .expect("the index lock is never poisoned");
        if let Some(id) = inner.table.find(hash) {
            inner.table.retract(id);
        }
    }

    /// The registered words, their canonical form and the retraction flag of a quotation.
    pub fn quote_summary(&self, hash: &ContentHash) -> Option<(String, String, bool)> {
        let inner = self.inner.read().expect("the index lock is never poisoned");
        let id = inner.table.find(hash)?;
        let text = inner.table.text(id);
        let canonical = crate::text::CanonicalText::of(text).into_string();
        Some((text.to_owned(), canonical, inner.table.is_retracted(id)))
    }

    /// How many quotations are indexed.
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .expect("the index lock is never poisoned")
            .table
            .len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes held: quotation texts, the table and the shingle index.
    pub fn heap_bytes(&self) -> usize {
        let inner = self.inner.read().expect("the index lock is never poisoned");
        inner.table.heap_bytes()
            + inner.shingles.heap_bytes()
            + inner.credits.capacity() * size_of::<SourceList>()
            + inner
                .credits
                .iter()
                .map(SourceList::heap_bytes)
                .sum::<usize>()
            + inner.sources.heap_bytes()
    }

    /// Checks `text` against the register.
    pub fn check(&self, text: &str, options: &CheckOptions) -> Report {
        let inner = self.inner.read().expect("the index lock is never poisoned");
        let mut findings = Vec::new();
        let quotations = quotes::extract(text);
        // Built on the first matched finding: most texts checked match nothing.
        let document = OnceCell::new();
        let document = || {
            document.get_or_init(|| {
                let masked = quotations
                    .iter()
                    .filter(|q| q.parent.is_none())
                    .flat_map(|q| q.pieces.iter().cloned())
                    .collect();
                Document::new(text, masked)
            })
        };
        for quotation in &quotations {
            let submitted = Submitted::parse_pieces(text, &quotation.pieces);
            let span =
                quotation.pieces[0].start..quotation.pieces.last().expect("at least one piece").end;
            let written = quotation.text(text);
            if submitted.word_count() < options.min_quote_words {
                findings.push(Finding::unmatched(
                    FindingKind::Quotation,
                    span,
                    written,
                    Verdict::TooShort,
                ));
                continue;
            }
            let mut finding = match_against(
                &inner,
                text,
                &submitted,
                FindingKind::Quotation,
                span,
                written,
                options,
            );
            // A title ("Afghanistan’s Regional Cooperation Initiative") names something rather
            // than quoting anyone: when nothing matches it, it is not worth flagging.
            if finding.verdict == Verdict::Unregistered && looks_like_a_title(&finding.text) {
                finding.verdict = Verdict::TooShort;
            }
            if let Some(hash) = finding.quote.filter(|_| options.include_attribution) {
                // A quotation nested in another is credited where the outer one is.
                let mut outermost = quotation;
                while let Some(parent) = outermost.parent {
                    outermost = &quotations[parent];
                }
                finding.attribution = Some(attribute(&inner, document(), &outermost.pieces, &hash));
            }
            findings.push(finding);
        }
        if options.include_unquoted_reuse {
            let quoted: Vec<Range<usize>> = quotations
                .iter()
                .filter(|q| q.parent.is_none())
                .map(|q| q.outer.clone())
                .collect();
            for mut finding in unquoted_reuse(&inner, text, &quoted, options) {
                if let Some(hash) = finding.quote.filter(|_| options.include_attribution) {
                    let target = [finding.span.clone()];
                    finding.attribution = Some(attribute(&inner, document(), &target, &hash));
                }
                findings.push(finding);
            }
            findings.sort_by_key(|f| f.span.start);
        }
        Report::new(findings)
    }
}

/// Judges whom `document` credits for the words at `target`, matched to quotation `hash`.
fn attribute(
    inner: &Indexed,
    document: &Document<'_>,
    target: &[Range<usize>],
    hash: &ContentHash,
) -> AttributionCheck {
    let refs = inner
        .table
        .find(hash)
        .map_or(&[][..], |id| inner.credits[id as usize].as_slice());
    let expected = inner.sources.expected(refs);
    AttributionCheck {
        credit: document.judge(target, &expected),
        expected: expected.into_iter().map(|source| source.name).collect(),
    }
}

impl Submitted {
    /// Parses a quotation made of several pieces of `text` as one.
    pub fn parse_pieces(text: &str, pieces: &[Range<usize>]) -> Submitted {
        let mut parsed = Submitted::parse(&text[pieces[0].clone()], pieces[0].start);
        for piece in &pieces[1..] {
            parsed.extend(Submitted::parse(&text[piece.clone()], piece.start));
        }
        parsed
    }
}

/// Most words a title can have.
const MAX_TITLE_WORDS: usize = 12;

/// True for Title Case without sentence punctuation: every word that is not a function word
/// starts with a capital, as in titles of events, books and programmes.
fn looks_like_a_title(written: &str) -> bool {
    let trimmed = written.trim_end();
    if trimmed.ends_with(['.', '!', '?', ',', ';', ':']) {
        return false;
    }
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let capitalised = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    let lower_content = words.iter().any(|w| {
        w.chars().next().is_some_and(char::is_lowercase)
            && !crate::text::severity::is_function_word(&w.to_lowercase())
    });
    words.len() <= MAX_TITLE_WORDS && capitalised >= 2 && !lower_content
}

/// The best registered match for a submitted quotation, as a finding.
fn match_against(
    inner: &Indexed,
    text: &str,
    submitted: &Submitted,
    kind: FindingKind,
    span: Range<usize>,
    written: String,
    options: &CheckOptions,
) -> Finding {
    let runs = submitted.runs();
    // A registered quotation this text misquotes still shares a good part of its shingles
    // (each changed word breaks at most SHINGLE_WORDS of them); one that only shares a common
    // phrase is not worth aligning.
    let shingles_held: usize = runs.iter().map(|run| shingle_count(run.len())).sum();
    let min_hits = shingles_held.div_ceil(MIN_SHARED_SHINGLES_DIVISOR).max(1);
    let candidates = inner.shingles.candidates(&runs, CANDIDATES);
    let top_hits = candidates.first().map_or(0, |&(_, hits)| hits);
    // Rank the candidates by alignment cost on word keys, then align only the best in full.
    let keys = submitted.keys();
    let mut rows = CostRows::default();
    let mut best: Option<(u32, QuoteId)> = None;
    for (id, hits) in candidates {
        if hits < min_hits || hits * 3 < top_hits {
            break;
        }
        // Kept words cannot outnumber the registered ones, so a quotation much longer than the
        // candidate cannot reach the threshold; skipping it also bounds the alignment's cost
        // on a hostile, huge quotation.
        let registered_keys = inner.table.keys(id);
        // The floor keeps that bound when a caller asks for a tiny threshold: the full
        // alignment's table is submitted × registered words.
        let threshold = options.misquote_threshold.max(MIN_ALIGNED_SHARE);
        if (registered_keys.len() as f64) < threshold * submitted.word_count() as f64 {
            continue;
        }
        let cost = alignment_cost(&keys, registered_keys, &mut rows);
        if best.is_none_or(|(best_cost, _)| cost < best_cost) {
            best = Some((cost, id));
        }
        if cost == 0 {
            break;
        }
    }
    let Some((cost, id)) = best else {
        return Finding::unmatched(kind, span, written, Verdict::Unregistered);
    };
    // Kept words are at most the submitted words, and every unit of cost is at least a
    // dropped registered word: similarity cannot exceed n / (n + cost).
    let words_submitted = submitted.word_count() as f64;
    if words_submitted / (words_submitted + f64::from(cost)) < options.misquote_threshold {
        return Finding::unmatched(kind, span, written, Verdict::Unregistered);
    }
    let quote_text = inner.table.text(id);
    let registered = words(quote_text);
    let canonical: Vec<&str> = registered.iter().map(|(w, _)| w.as_ref()).collect();
    let spans: Vec<Range<usize>> = registered.iter().map(|(_, s)| s.clone()).collect();
    let alignment = align(submitted, &canonical);
    let grade = grade(&alignment, text, quote_text, &spans);
    let faithful = alignment.is_faithful() && grade.severity == Severity::None;
    let verdict = if !faithful && alignment.similarity < options.misquote_threshold
        || too_little_of_an_excerpt(&alignment, &canonical)
    {
        return Finding::unmatched(kind, span, written, Verdict::Unregistered);
    } else if inner.table.is_retracted(id) {
        Verdict::Retracted
    } else if faithful {
        Verdict::Verified
    } else {
        Verdict::Misquoted
    };
    Finding {
        kind,
        span,
        text: written,
        verdict,
        quote: Some(inner.table.hash(id)),
        similarity: alignment.similarity,
        edits: alignment.edits,
        severity: grade.severity,
        reasons: grade.reasons,
        attribution: None,
    }
}

/// True when `alignment` covers only part of the registered quotation (`registered` words) and
/// keeps fewer than [`MIN_EXCERPT_CONTENT_WORDS`] of its content words: a few common words
/// shared with a longer quotation ("product of the Cold War" and "…at the end of the Cold War")
/// are no evidence that the text quotes it, rightly or wrongly.
fn too_little_of_an_excerpt(
    alignment: &crate::text::align::Alignment,
    registered: &[&str],
) -> bool {
    use crate::text::align::EditOp;
    let touched = alignment
        .edits
        .iter()
        .filter(|edit| edit.op != EditOp::Insert)
        .map(|edit| edit.registered_words.clone());
    let covered = touched.fold(None, |all: Option<Range<usize>>, words| {
        Some(all.map_or(words.clone(), |all| {
            all.start.min(words.start)..all.end.max(words.end)
        }))
    });
    let Some(covered) = covered else {
        return true;
    };
    let excerpt = covered.start > 0 || covered.end < registered.len();
    let kept_content = alignment
        .edits
        .iter()
        .filter(|edit| edit.op == EditOp::Keep)
        .filter(|edit| !crate::text::severity::is_function_word(&edit.registered))
        .count();
    excerpt && kept_content < MIN_EXCERPT_CONTENT_WORDS
}

/// Runs of at least `reuse_min_words` registered words outside quotation marks.
fn unquoted_reuse(
    inner: &Indexed,
    text: &str,
    quoted: &[Range<usize>],
    options: &CheckOptions,
) -> Vec<Finding> {
    if inner.table.is_empty() {
        return Vec::new();
    }
    // The text's words outside quotations, in stretches of consecutive words.
    let mut stretches: Vec<Vec<(u32, Range<usize>)>> = vec![Vec::new()];
    // Top-level quotations come sorted and never overlap: walk them alongside the words.
    let mut next_quoted = 0;
    for_each_word(text, |word, span| {
        while quoted.get(next_quoted).is_some_and(|q| q.end <= span.start) {
            next_quoted += 1;
        }
        let inside = quoted
            .get(next_quoted)
            .is_some_and(|q| q.start <= span.start && span.end <= q.end);
        if inside {
            if !stretches.last().expect("never empty").is_empty() {
                stretches.push(Vec::new());
            }
        } else {
            stretches
                .last_mut()
                .expect("never empty")
                .push((word_key(word), span));
        }
    });
    let mut findings = Vec::new();
    let mut covered: Vec<Range<usize>> = Vec::new();
    for stretch in stretches
        .iter()
        .filter(|s| s.len() >= options.reuse_min_words.max(SHINGLE_WORDS))
    {
        let keys: Vec<u32> = stretch.iter().map(|(key, _)| *key).collect();
        let stretch_shingles: Vec<u64> = shingles(&keys).collect();
        let holds =
            |id: QuoteId, position: usize| inner.shingles.holds(stretch_shingles[position], id);
        // Every word belongs to exactly one shingle looked up: a run of reused words long
        // enough to report still shows up, with a third of the lookups (each of which, in a
        // large register, is likely a cache miss). Runs found are widened exactly below.
        // (quote, position of the shingle's first word)
        let mut hits: Vec<(QuoteId, usize)> = Vec::new();
        for position in (0..stretch_shingles.len()).step_by(SHINGLE_WORDS) {
            inner
                .shingles
                .for_each(stretch_shingles[position], |id| hits.push((id, position)));
        }
        hits.sort_unstable();
        let mut regions: Vec<(QuoteId, Range<usize>)> = Vec::new();
        for (id, position) in hits {
            match regions.last_mut() {
                // Near-verbatim reuse: a changed word breaks at most SHINGLE_WORDS shingles,
                // so at most one sampled one. A run never grows past the registered
                // quotation's length (plus a few added words): the same words reused twice in
                // a row are two findings, not one.
                Some((last_id, words))
                    if *last_id == id
                        && position <= words.end + SHINGLE_WORDS
                        && words.len() < inner.table.keys(id).len() + SHINGLE_WORDS =>
                {
                    words.end = position + SHINGLE_WORDS;
                }
                _ => regions.push((id, position..position + SHINGLE_WORDS)),
            }
        }
        // Widen each run over the shingles between samples at its edges.
        for (id, words) in &mut regions {
            let mut first = words.start;
            while first > 0 && words.start - first < SHINGLE_WORDS - 1 && holds(*id, first - 1) {
                first -= 1;
            }
            let mut last = words.end - SHINGLE_WORDS;
            let sampled_last = last;
            while last + 1 < stretch_shingles.len()
                && last - sampled_last < SHINGLE_WORDS - 1
                && holds(*id, last + 1)
            {
                last += 1;
            }
            *words = first..last + SHINGLE_WORDS;
        }
        regions.retain(|(_, words)| words.len() >= options.reuse_min_words);
        regions.sort_by_key(|(_, words)| std::cmp::Reverse(words.len()));
        for (_, words) in regions {
            let start = stretch[words.start].1.start;
            let end = stretch[words.end.min(stretch.len()) - 1].1.end;
            if covered.iter().any(|c| c.start < end && start < c.end) {
                continue;
            }
            let submitted = Submitted::parse(&text[start..end], start);
            let finding = match_against(
                inner,
                text,
                &submitted,
                FindingKind::UnquotedReuse,
                start..end,
                text[start..end].to_owned(),
                options,
            );
            if finding.quote.is_some() {
                covered.push(start..end);
                findings.push(finding);
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::text::severity::SeverityReason;

    fn register(texts: &[&str]) -> LiveRegister {
        let live = LiveRegister::new();
        for text in texts {
            live.add(
                ContentHash::of_text(text),
                text,
                &Attribution::to_speaker("Test Speaker", &[]),
            );
        }
        live
    }

    const QUOTE: &str = "We will not back down, whatever the cost to this government.";

    #[test]
    fn a_verbatim_quotation_is_verified() {
        let live = register(&[QUOTE]);
        let report = live.check(
            "The minister said: “We will not back down, whatever the cost to this government.”",
            &CheckOptions::default(),
        );
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert_eq!(finding.verdict, Verdict::Verified);
        assert_eq!(finding.quote, Some(ContentHash::of_text(QUOTE)));
        assert_eq!(finding.similarity, 1.0);
    }

    #[test]
    fn a_tiny_threshold_never_aligns_a_huge_quotation() {
        // A hostile caller asks for any similarity at all, with a quotation that repeats a
        // registered one thousands of times: aligning it would cost a table of submitted ×
        // registered words; it is refused as far longer than the registered words instead.
        let live = register(&[QUOTE]);
        let options = CheckOptions {
            misquote_threshold: 0.000_1,
            ..CheckOptions::default()
        };
        let text = format!("“{}”", QUOTE.repeat(2_000));
        let report = live.check(&text, &options);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].verdict, Verdict::Unregistered);
        let report = live.check(&format!("“{}”", QUOTE.repeat(4)), &options);
        assert_eq!(
            report.findings[0].verdict,
            Verdict::Misquoted,
            "within five times"
        );
    }

    #[test]
    fn a_few_common_words_shared_with_a_longer_quotation_are_no_match() {
        let live = register(&[
            "Speakers will mark the anniversary of a document on the economy at the end of the Cold War.",
            "The minister said the economy will grow by 3 percent next year despite the war.",
        ]);
        let verdicts = |text: &str| -> Vec<Verdict> {
            live.check(text, &CheckOptions::default())
                .findings
                .iter()
                .map(|f| f.verdict)
                .collect()
        };
        // Four words, two of them content words, shared with the end of a long quotation.
        assert_eq!(
            verdicts("The wall was a “product of the Cold War” to many."),
            [Verdict::Unregistered]
        );
        // A short excerpt that keeps enough of the quotation's content is still judged.
        assert_eq!(
            verdicts("He promised the economy would “grow by 5 percent next year”."),
            [Verdict::Misquoted]
        );
        assert_eq!(
            verdicts("He promised the economy would “grow by 3 percent next year”."),
            [Verdict::Verified]
        );
    }

    #[test]
    fn a_dropped_negation_is_a_high_severity_misquote() {
        let live = register(&[QUOTE]);
        let report = live.check(
            "She said “we will back down, whatever the cost to this government” on Monday.",
            &CheckOptions::default(),
        );
        let finding = &report.findings[0];
        assert_eq!(finding.verdict, Verdict::Misquoted);
        assert_eq!(finding.severity, Severity::High);
        assert!(finding.reasons.contains(&SeverityReason::NegationChanged));
    }

    #[test]
    fn short_unregistered_and_retracted_quotations() {
        let live = register(&[QUOTE]);
        let report = live.check(
            "A “sympathetic” view. He said “the sky is green and full of fish today.”",
            &CheckOptions::default(),
        );
        let verdicts: Vec<Verdict> = report.findings.iter().map(|f| f.verdict).collect();
        assert_eq!(verdicts, [Verdict::TooShort, Verdict::Unregistered]);

        live.retract(&ContentHash::of_text(QUOTE));
        let report = live.check(&format!("“{QUOTE}”"), &CheckOptions::default());
        assert_eq!(report.findings[0].verdict, Verdict::Retracted);
    }

    #[test]
    fn unquoted_reuse_is_found_and_common_phrases_are_not() {
        let live = register(&[
            QUOTE,
            "The report noted that the economy grew in the last quarter.",
        ]);
        let text = "Officials insisted they will not back down, whatever the cost to this government, and left. \
                    The economy grew in the north.";
        let report = live.check(text, &CheckOptions::default());
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let finding = &report.findings[0];
        assert_eq!(finding.kind, FindingKind::UnquotedReuse);
        assert_eq!(
            finding.verdict,
            Verdict::Verified,
            "an excerpt, reused verbatim: {finding:?}"
        );
        let no_reuse = CheckOptions {
            include_unquoted_reuse: false,
            ..CheckOptions::default()
        };
        assert!(live.check(text, &no_reuse).findings.is_empty());
    }

    proptest! {
        #[test]
        fn a_registered_quote_checked_as_is_is_verified(
            words in proptest::collection::vec("[a-z]{1,8}", 4..16),
        ) {
            let text = words.join(" ");
            let live = register(&[&text]);
            let report = live.check(&format!("She said: “{text}.”"), &CheckOptions::default());
            prop_assert_eq!(report.findings.len(), 1);
            prop_assert_eq!(report.findings[0].verdict, Verdict::Verified);
        }

        #[test]
        fn a_single_changed_word_is_never_verified(
            words in proptest::collection::vec("[a-z]{1,8}", 4..16),
            position in any::<prop::sample::Index>(),
            replacement in "[a-z]{1,8}",
        ) {
            let i = position.index(words.len());
            prop_assume!(words[i] != replacement);
            let live = register(&[&words.join(" ")]);
            let mut changed = words.clone();
            changed[i] = replacement;
            let report = live.check(&format!("“{}”", changed.join(" ")), &CheckOptions::default());
            prop_assert!(report.findings.iter().all(|f| f.verdict != Verdict::Verified), "{:?}", report.findings);
        }

        #[test]
        fn any_text_is_checked_without_panicking(text in "\\PC{0,300}") {
            let live = register(&[QUOTE, "the minister said that “nothing” would change"]);
            let report = live.check(&text, &CheckOptions::default());
            for finding in &report.findings {
                prop_assert!(finding.span.end <= text.len());
            }
        }
    }
}
