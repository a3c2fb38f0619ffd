//! The shingle index: every run of [`SHINGLE_WORDS`] consecutive canonical words of every
//! registered quotation, hashed to 64 bits, pointing at the quotations that contain it. It finds
//! candidate quotations for a submitted one, and registered words reused without quotation marks,
//! at a cost that depends on the words looked up, not on the register's size.
//!
//! Two layouts serve together ([`Shingles`]): a compact, immutable [`FrozenShingles`] built in one
//! pass over a whole register (about 9 bytes per shingle), and a growable [`ShingleIndex`] for
//! quotations registered since. Shingles are hashed from 32-bit word keys, so the frozen layout
//! can be rebuilt from the keys alone, without tokenizing any text again.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    ops::Range,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
};

/// Words per shingle: long enough that most shingles are rare, short enough that one changed
/// word in a short quotation still leaves shingles that match.
pub const SHINGLE_WORDS: usize = 3;

/// A shingle shared by more quotations than this is too common to tell them apart ("one of
/// the"): queries skip it, and the index stops recording who else has it.
pub const MAX_POSTINGS: usize = 16;

/// Identifies a quotation inside the index (its position in the caller's table).
pub type QuoteId = u32;

/// A 64-bit hash of one word: FxHash-style, fast and well mixed for our purposes.
pub fn word_hash(word: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash: u64 = word.len() as u64;
    let mut chunks = word.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let value = u64::from_le_bytes(chunk.try_into().expect("chunks of 8 bytes"));
        hash = (hash.rotate_left(5) ^ value).wrapping_mul(K);
    }
    for &byte in chunks.remainder() {
        hash = (hash.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
    }
    hash
}

/// Combines consecutive word keys into a shingle hash, order-sensitively.
fn combine(word_keys: &[u32]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &word in word_keys {
        hash = (hash ^ u64::from(word)).wrapping_mul(0x0000_0100_0000_01b3);
        hash ^= hash >> 29;
    }
    // A final avalanche so that every bit (the frozen index buckets by the high ones and
    // fingerprints with the low ones) depends on every input bit.
    hash = (hash ^ (hash >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash = (hash ^ (hash >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The shingle hashes of a run of word keys (see [`crate::text::align::word_key`]): one per
/// window of [`SHINGLE_WORDS`] words, or a single one of all the words when the run is shorter.
pub fn shingles(word_keys: &[u32]) -> impl Iterator<Item = u64> + '_ {
    let window = SHINGLE_WORDS.min(word_keys.len().max(1));
    word_keys.windows(window).map(combine)
}

/// How many shingles [`shingles`] yields for a run of `words` words.
pub fn shingle_count(words: usize) -> usize {
    words.saturating_sub(SHINGLE_WORDS - 1).max(1)
}

/// Keys are already well-mixed hashes: hashing them again would only cost time.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Who has a shingle. Most shingles belong to one quotation, so that case stores no vector.
#[derive(Debug, Clone)]
enum Postings {
    One(QuoteId),
    Many(Vec<QuoteId>),
    /// More than [`MAX_POSTINGS`] quotations: too common to use.
    Common,
}

/// A growable map from shingles to the quotations containing them, for quotations registered
/// one by one.
#[derive(Default)]
pub struct ShingleIndex {
    postings: HashMap<u64, Postings, BuildHasherDefault<IdentityHasher>>,
}

impl ShingleIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records every shingle of a quotation's word keys under `id`.
    pub fn insert(&mut self, id: QuoteId, word_keys: &[u32]) {
        for shingle in shingles(word_keys) {
            let postings = self.postings.entry(shingle).or_insert(Postings::One(id));
            match postings {
                Postings::One(existing) if *existing != id => {
                    *postings = Postings::Many(vec![*existing, id]);
                }
                Postings::Many(ids) if !ids.contains(&id) => {
                    if ids.len() >= MAX_POSTINGS {
                        *postings = Postings::Common;
                    } else {
                        ids.push(id);
                    }
                }
                _ => {}
            }
        }
    }

    /// The quotations holding `shingle`, or none when it is unknown or too common.
    pub fn lookup(&self, shingle: u64) -> &[QuoteId] {
        match self.postings.get(&shingle) {
            Some(Postings::One(id)) => std::slice::from_ref(id),
            Some(Postings::Many(ids)) => ids,
            Some(Postings::Common) | None => &[],
        }
    }

    /// How many distinct shingles are indexed.
    pub fn len(&self) -> usize {
        self.postings.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        let table = self.postings.capacity() * (size_of::<u64>() + size_of::<Postings>() + 1);
        let lists: usize = self
            .postings
            .values()
            .map(|p| match p {
                Postings::Many(ids) => ids.capacity() * size_of::<QuoteId>(),
                _ => 0,
            })
            .sum();
        table + lists
    }
}

/// One quotation holding a shingle, in the frozen layout: the shingle's low 32 bits (which tell
/// it from the other shingles of its bucket) above the quotation's id, so that sorting postings
/// sorts them by shingle, then by quotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Posting(u64);

impl Posting {
    fn new(shingle: u64, id: QuoteId) -> Self {
        Posting((shingle << 32) | u64::from(id))
    }

    fn fingerprint(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn id(self) -> QuoteId {
        self.0 as u32
    }
}

/// Postings per bucket aimed at: a bucket's postings mostly share one cache line.
const POSTINGS_PER_BUCKET: usize = 4;
/// Bits of the presence filter per posting, at least: about one lookup in nine of an absent
/// shingle gets past it.
const FILTER_BITS_PER_POSTING: usize = 8;

/// An immutable map from shingles to quotations, laid out as sorted postings in buckets chosen
/// by the shingle's high bits (a compressed sparse row table): 8 bytes per posting and about one
/// byte of bucket offsets, with no empty slots, and a lookup reads two nearby words and one
/// bucket. A one-hash Bloom filter of 1 to 2 bytes per posting answers for most shingles that
/// are absent (most of an article's) with one read instead of two. Shingles held by more than
/// [`MAX_POSTINGS`] quotations are left out, as the growable index leaves them out.
pub struct FrozenShingles {
    /// `64 - bits of the bucket number`.
    shift: u32,
    /// Where each bucket's postings start in `postings`; one more entry than buckets.
    offsets: Vec<u32>,
    postings: Vec<Posting>,
    /// A power of two of bits, one set for each shingle kept.
    filter: Vec<u64>,
}

impl Default for FrozenShingles {
    fn default() -> Self {
        FrozenShingles {
            shift: 63,
            offsets: vec![0; 3],
            postings: Vec::new(),
            filter: vec![0],
        }
    }
}

/// Splits `0..len` into `parts` contiguous ranges of nearly equal length.
fn split_range(len: usize, parts: usize) -> Vec<Range<usize>> {
    (0..parts)
        .map(|p| len * p / parts..len * (p + 1) / parts)
        .collect()
}

/// The filter word and bit of a shingle, in a filter of `words` 64-bit words (a power of two):
/// from the fingerprint's bits (the low 32), which every posting keeps, so that the filter can
/// be filled from the postings alone.
#[inline]
fn filter_bit(words: usize, shingle: u64) -> (usize, u64) {
    let bit = (shingle as u32).rotate_right(7) as usize & (words * 64 - 1);
    (bit / 64, 1 << (bit % 64))
}

impl FrozenShingles {
    /// Builds the index of quotations `0..count`, whose word keys `keys_of` gives, on every
    /// core the machine has.
    ///
    /// Two passes over the keys (count each bucket's postings, then place them), one over the
    /// buckets (sort, drop repeats and common shingles, close the gaps) and one over the
    /// postings (the filter); memory is the result plus nothing of the input's size.
    ///
    /// # Panics
    /// When the quotations hold 2^32 shingles or more.
    pub fn build<'k>(count: usize, keys_of: impl Fn(QuoteId) -> &'k [u32] + Sync) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
        let id_of = |i: usize| QuoteId::try_from(i).expect("fewer than 2^32 quotes");
        let total: usize = (0..count)
            .map(|i| shingle_count(keys_of(id_of(i)).len()))
            .sum();
        assert!(u32::try_from(total).is_ok(), "fewer than 2^32 shingles");
        let buckets = (total / POSTINGS_PER_BUCKET).next_power_of_two().max(2);
        let shift = 64 - buckets.trailing_zeros();
        let bucket = |shingle: u64| (shingle >> shift) as usize;
        let quote_ranges = split_range(count, threads);

        // Count each bucket's postings, every thread over its share of the quotations.
        let counts: Vec<AtomicU32> = (0..=buckets).map(|_| AtomicU32::new(0)).collect();
        std::thread::scope(|scope| {
            for ids in &quote_ranges {
                let (counts, keys_of) = (&counts, &keys_of);
                scope.spawn(move || {
                    for i in ids.clone() {
                        for shingle in shingles(keys_of(id_of(i))) {
                            counts[bucket(shingle)].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        // Each count becomes the end of its bucket, then moves back once per posting placed,
        // ending at the bucket's start.
        let mut cursors = counts;
        let mut end = 0u32;
        for cursor in &mut cursors[..buckets] {
            end += *cursor.get_mut();
            *cursor.get_mut() = end;
        }
        *cursors[buckets].get_mut() = end;
        let placed: Vec<AtomicU64> = (0..total).map(|_| AtomicU64::new(0)).collect();
        std::thread::scope(|scope| {
            for ids in &quote_ranges {
                let (cursors, placed, keys_of) = (&cursors, &placed, &keys_of);
                scope.spawn(move || {
                    for i in ids.clone() {
                        let id = id_of(i);
                        for shingle in shingles(keys_of(id)) {
                            let at = cursors[bucket(shingle)].fetch_sub(1, Ordering::Relaxed) - 1;
                            placed[at as usize]
                                .store(Posting::new(shingle, id).0, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        // Both reuse their allocations: an atomic has the layout of its plain value.
        let mut offsets: Vec<u32> = cursors.into_iter().map(AtomicU32::into_inner).collect();
        let mut postings: Vec<Posting> = placed
            .into_iter()
            .map(|p| Posting(p.into_inner()))
            .collect();

        // Sort each bucket, drop repeats (a quotation that holds a shingle twice) and shingles
        // too common to use, every thread over its share of the buckets, each compacting its
        // postings to the start of its share; then close the gaps between the shares.
        let bucket_ranges = split_range(buckets, threads);
        let share_ends: Vec<usize> = bucket_ranges
            .iter()
            .map(|range| offsets[range.end] as usize)
            .collect();
        let mut kept_by_share = Vec::with_capacity(threads);
        std::thread::scope(|scope| {
            let mut rest_postings = &mut postings[..];
            let mut rest_offsets = &mut offsets[..buckets];
            let mut base = 0usize;
            let mut handles = Vec::new();
            for (range, &end) in bucket_ranges.iter().zip(&share_ends) {
                let (share_offsets, more_offsets) =
                    std::mem::take(&mut rest_offsets).split_at_mut(range.len());
                rest_offsets = more_offsets;
                let (share, more) = std::mem::take(&mut rest_postings).split_at_mut(end - base);
                rest_postings = more;
                let share_base = base;
                base = end;
                handles.push(scope.spawn(move || compact(share, share_offsets, share_base, end)));
            }
            for handle in handles {
                kept_by_share.push(handle.join().expect("compaction does not panic"));
            }
        });
        let mut kept = 0usize;
        for (range, (share_start, share_kept)) in bucket_ranges.iter().zip(kept_by_share) {
            postings.copy_within(share_start..share_start + share_kept, kept);
            let shift_back = u32::try_from(share_start - kept).expect("fits");
            for offset in &mut offsets[range.clone()] {
                *offset -= shift_back;
            }
            kept += share_kept;
        }
        offsets[buckets] = u32::try_from(kept).expect("fits: kept <= total");
        postings.truncate(kept);
        postings.shrink_to_fit();

        let words = (kept * FILTER_BITS_PER_POSTING).next_power_of_two().max(64) / 64;
        let filter: Vec<AtomicU64> = (0..words).map(|_| AtomicU64::new(0)).collect();
        std::thread::scope(|scope| {
            for share in postings.chunks(kept.div_ceil(threads).max(1)) {
                let filter = &filter;
                scope.spawn(move || {
                    for posting in share {
                        let (word, mask) = filter_bit(words, u64::from(posting.fingerprint()));
                        filter[word].fetch_or(mask, Ordering::Relaxed);
                    }
                });
            }
        });
        FrozenShingles {
            shift,
            offsets,
            postings,
            filter: filter.into_iter().map(AtomicU64::into_inner).collect(),
        }
    }

    /// The postings of `shingle` (empty when it is unknown or too common).
    #[inline]
    fn postings_of(&self, shingle: u64) -> &[Posting] {
        let (word, mask) = filter_bit(self.filter.len(), shingle);
        if self.filter[word] & mask == 0 {
            return &[];
        }
        let b = (shingle >> self.shift) as usize;
        let bucket = &self.postings[self.offsets[b] as usize..self.offsets[b + 1] as usize];
        let fingerprint = shingle as u32;
        let Some(first) = bucket.iter().position(|p| p.fingerprint() == fingerprint) else {
            return &[];
        };
        let run = bucket[first..]
            .iter()
            .take_while(|p| p.fingerprint() == fingerprint)
            .count();
        &bucket[first..first + run]
    }

    /// How many postings are held.
    pub fn len(&self) -> usize {
        self.postings.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * size_of::<u32>()
            + self.postings.capacity() * size_of::<Posting>()
            + self.filter.capacity() * size_of::<u64>()
    }
}

/// Sorts and compacts the buckets of one share: `postings` holds the share's postings (which
/// start at `base` in the whole table) and `offsets` the start of each of its buckets, in whole
/// table positions; `end` is where the share's last bucket ends. Kept postings move to the
/// start of `postings`, and `offsets` are rewritten to where they now start (in whole table
/// positions). Returns (`base`, postings kept).
fn compact(
    postings: &mut [Posting],
    offsets: &mut [u32],
    base: usize,
    end: usize,
) -> (usize, usize) {
    let mut kept = 0usize;
    for b in 0..offsets.len() {
        let start = offsets[b] as usize - base;
        let stop = offsets.get(b + 1).map_or(end, |&o| o as usize) - base;
        offsets[b] = u32::try_from(base + kept).expect("fits: within the table");
        postings[start..stop].sort_unstable();
        let mut group = start;
        while group < stop {
            let fingerprint = postings[group].fingerprint();
            let mut next = group;
            let mut distinct = 0;
            while next < stop && postings[next].fingerprint() == fingerprint {
                if next == group || postings[next] != postings[next - 1] {
                    distinct += 1;
                }
                next += 1;
            }
            if distinct <= MAX_POSTINGS {
                for i in group..next {
                    if i == group || postings[i] != postings[i - 1] {
                        postings[kept] = postings[i];
                        kept += 1;
                    }
                }
            }
            group = next;
        }
    }
    (base, kept)
}

/// The frozen index of a whole register together with the growable one of quotations registered
/// since it was built.
#[derive(Default)]
pub struct Shingles {
    frozen: FrozenShingles,
    recent: ShingleIndex,
}

impl Shingles {
    /// Indexes quotations `0..count` in the frozen layout, whose word keys `keys_of` gives.
    pub fn freeze<'k>(count: usize, keys_of: impl Fn(QuoteId) -> &'k [u32] + Sync) -> Self {
        Shingles {
            frozen: FrozenShingles::build(count, keys_of),
            recent: ShingleIndex::new(),
        }
    }

    /// Records a newly registered quotation.
    pub fn insert(&mut self, id: QuoteId, word_keys: &[u32]) {
        self.recent.insert(id, word_keys);
    }

    /// Calls `found` with each quotation holding `shingle` (none when it is unknown or too
    /// common).
    #[inline]
    pub fn for_each(&self, shingle: u64, mut found: impl FnMut(QuoteId)) {
        for posting in self.frozen.postings_of(shingle) {
            found(posting.id());
        }
        if !self.recent.is_empty() {
            for &id in self.recent.lookup(shingle) {
                found(id);
            }
        }
    }

    /// True when quotation `id` holds `shingle` (and it is not too common).
    pub fn holds(&self, shingle: u64, id: QuoteId) -> bool {
        self.frozen
            .postings_of(shingle)
            .iter()
            .any(|p| p.id() == id)
            || self.recent.lookup(shingle).contains(&id)
    }

    /// Candidate quotations for runs of word keys that should each appear in the quotation, best
    /// first: ranked by how many of the runs' shingles they hold. At most `limit`.
    pub fn candidates(&self, runs: &[Vec<u32>], limit: usize) -> Vec<(QuoteId, usize)> {
        let mut ids: Vec<QuoteId> = Vec::with_capacity(64);
        for run in runs {
            for shingle in shingles(run) {
                self.for_each(shingle, |id| ids.push(id));
            }
        }
        ids.sort_unstable();
        let mut ranked: Vec<(QuoteId, usize)> = Vec::new();
        for id in ids {
            match ranked.last_mut() {
                Some((last, hits)) if *last == id => *hits += 1,
                _ => ranked.push((id, 1)),
            }
        }
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }

    /// Shingles (postings, in the frozen layout) indexed.
    pub fn len(&self) -> usize {
        self.frozen.len() + self.recent.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.frozen.is_empty() && self.recent.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.frozen.heap_bytes() + self.recent.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::text::align::word_key;

    fn keys(text: &str) -> Vec<u32> {
        text.split(' ').map(word_key).collect()
    }

    /// The same quotations in both layouts: frozen, and registered one by one.
    fn both(texts: &[&str]) -> [Shingles; 2] {
        let all: Vec<Vec<u32>> = texts.iter().map(|t| keys(t)).collect();
        let frozen = Shingles::freeze(all.len(), |id| &all[id as usize]);
        let mut growing = Shingles::default();
        for (id, k) in all.iter().enumerate() {
            growing.insert(id as QuoteId, k);
        }
        [frozen, growing]
    }

    #[test]
    fn finds_the_quotation_that_holds_the_words() {
        for index in both(&[
            "we will not back down whatever it costs",
            "the economy is growing faster than expected",
        ]) {
            let found = index.candidates(&[keys("not back down whatever")], 5);
            assert_eq!(found, [(0, 2)]);
            // One changed word still leaves shingles that match.
            let found =
                index.candidates(&[keys("the economy is shrinking faster than expected")], 5);
            assert_eq!(found[0].0, 1);
            assert!(
                index
                    .candidates(&[keys("nothing like any of them")], 5)
                    .is_empty()
            );
        }
    }

    #[test]
    fn short_quotations_are_indexed_whole() {
        for index in both(&["no comment"]) {
            assert_eq!(index.candidates(&[keys("no comment")], 5), [(0, 1)]);
        }
    }

    #[test]
    fn common_shingles_stop_counting_in_both_layouts() {
        let texts: Vec<String> = (0..MAX_POSTINGS + 10)
            .map(|id| format!("one of the reasons number {id}"))
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        for index in both(&texts) {
            let common = combine(&keys("one of the"));
            let mut found = Vec::new();
            index.for_each(common, |id| found.push(id));
            assert!(found.is_empty(), "{found:?}");
            assert!(!index.holds(common, 3));
            let found = index.candidates(&[keys("the reasons number 12")], 5);
            assert_eq!(found[0].0, 12);
            assert!(index.heap_bytes() > 0);
        }
    }

    #[test]
    fn a_shingle_repeated_in_one_quotation_counts_once() {
        for index in both(&["very very very very good", "very very very nice"]) {
            let mut found = Vec::new();
            index.for_each(combine(&keys("very very very")), |id| found.push(id));
            found.sort_unstable();
            assert_eq!(found, [0, 1]);
        }
    }

    #[test]
    fn recent_registrations_join_the_frozen_index() {
        let all = [keys("the first quotation of the register")];
        let mut index = Shingles::freeze(1, |id| &all[id as usize]);
        index.insert(1, &keys("a second quotation registered later"));
        assert_eq!(
            index.candidates(&[keys("a second quotation registered")], 5),
            [(1, 2)]
        );
        assert!(index.holds(combine(&keys("the first quotation")), 0));
        assert!(index.holds(combine(&keys("second quotation registered")), 1));
        assert!(!index.holds(combine(&keys("second quotation registered")), 0));
    }

    proptest! {
        #[test]
        fn both_layouts_find_the_same_quotations(
            texts in proptest::collection::vec(
                proptest::collection::vec("[a-d]{1,2}", 1..12), 1..40),
            probe in proptest::collection::vec("[a-d]{1,2}", 3..3usize + 1),
        ) {
            let texts: Vec<String> = texts.iter().map(|words| words.join(" ")).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let [frozen, growing] = both(&texts);
            let shingle = combine(&keys(&probe.join(" ")));
            let (mut a, mut b) = (Vec::new(), Vec::new());
            frozen.for_each(shingle, |id| a.push(id));
            growing.for_each(shingle, |id| b.push(id));
            a.sort_unstable();
            b.sort_unstable();
            prop_assert_eq!(a, b);
        }

        #[test]
        fn every_inserted_shingle_is_found(words in proptest::collection::vec("[a-z]{1,6}", 1..20)) {
            let text = words.join(" ");
            for index in both(&[&text]) {
                let found = index.candidates(&[keys(&text)], 1);
                prop_assert_eq!(found.first().map(|f| f.0), Some(0));
            }
        }
    }
}
