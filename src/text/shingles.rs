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

/// One quotation holding a shingle, in the frozen layout: the shingle's fingerprint (32 of its
/// bits, which tell it from the other shingles of its bucket) above the quotation's id, so that
/// sorting postings sorts them by shingle, then by quotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
struct Posting(u64);

impl Posting {
    fn new(fingerprint: u32, id: QuoteId) -> Self {
        Posting((u64::from(fingerprint) << 32) | u64::from(id))
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
/// A partition's buckets, at most 2^this: their counters (a megabyte) stay in a core's cache
/// while the partition is sorted.
const BUCKET_BITS_PER_PARTITION: u32 = 18;

/// How a shingle's 64 bits are used: the top `partition_bits` choose a partition of the build,
/// the top `bucket_bits` a bucket, the 32 bits below the partition's are the fingerprint kept in
/// each posting (so a posting's bucket can be told from its partition and fingerprint), and the
/// top `filter_bits` choose the presence filter's bit.
#[derive(Debug, Clone, Copy)]
struct Layout {
    partition_bits: u32,
    bucket_bits: u32,
    filter_bits: u32,
}

impl Layout {
    fn for_postings(postings: usize, bucket_bits_per_partition: u32) -> Self {
        let bucket_bits = (postings / POSTINGS_PER_BUCKET)
            .next_power_of_two()
            .max(2)
            .trailing_zeros();
        let filter_bits = (postings * FILTER_BITS_PER_POSTING)
            .next_power_of_two()
            .max(64)
            .trailing_zeros();
        Layout {
            partition_bits: bucket_bits.saturating_sub(bucket_bits_per_partition),
            bucket_bits,
            filter_bits,
        }
    }

    fn partition(self, shingle: u64) -> usize {
        if self.partition_bits == 0 {
            0
        } else {
            (shingle >> (64 - self.partition_bits)) as usize
        }
    }

    fn bucket(self, shingle: u64) -> usize {
        (shingle >> (64 - self.bucket_bits)) as usize
    }

    fn fingerprint(self, shingle: u64) -> u32 {
        ((shingle << self.partition_bits) >> 32) as u32
    }

    /// The bucket of a posting of `partition`, from its fingerprint.
    fn bucket_in(self, partition: usize, fingerprint: u32) -> usize {
        let below = self.bucket_bits - self.partition_bits;
        let high = if below == 0 {
            0
        } else {
            (fingerprint >> (32 - below)) as usize
        };
        (partition << below) | high
    }

    /// The filter word and bit of a shingle.
    fn filter_bit(self, shingle: u64) -> (usize, u64) {
        let bit = (shingle >> (64 - self.filter_bits)) as usize;
        (bit / 64, 1 << (bit % 64))
    }

    /// The filter bit of a posting of `partition`, from its fingerprint (the filter's bits are
    /// at most the partition's and the fingerprint's).
    fn filter_bit_in(self, partition: usize, fingerprint: u32) -> (usize, u64) {
        let top = if self.partition_bits == 0 {
            0
        } else {
            (partition as u64) << (64 - self.partition_bits)
        };
        self.filter_bit(top | (u64::from(fingerprint) << (32 - self.partition_bits)))
    }

    fn buckets(self) -> usize {
        1 << self.bucket_bits
    }

    fn partitions(self) -> usize {
        1 << self.partition_bits
    }
}

/// An immutable map from shingles to quotations, laid out as sorted postings in buckets chosen
/// by the shingle's high bits (a compressed sparse row table): 8 bytes per posting and about one
/// byte of bucket offsets, with no empty slots, and a lookup reads two nearby words and one
/// bucket. A one-hash Bloom filter of 1 to 2 bytes per posting answers for most shingles that
/// are absent (most of an article's) with one read instead of two. Shingles held by more than
/// [`MAX_POSTINGS`] quotations are left out, as the growable index leaves them out.
pub struct FrozenShingles {
    layout: Layout,
    /// Where each bucket's postings start in `postings`; one more entry than buckets.
    offsets: Vec<u32>,
    postings: Vec<Posting>,
    /// A power of two of bits, one set for each shingle kept.
    filter: Vec<u64>,
}

impl Default for FrozenShingles {
    fn default() -> Self {
        FrozenShingles::build(0, |_| &[])
    }
}

/// Splits `0..len` into `parts` contiguous ranges of nearly equal length.
fn split_range(len: usize, parts: usize) -> Vec<Range<usize>> {
    (0..parts)
        .map(|p| len * p / parts..len * (p + 1) / parts)
        .collect()
}

/// Splits `slice` into consecutive pieces of the given lengths.
fn split_lengths<'a, T>(mut slice: &'a mut [T], lengths: &[usize]) -> Vec<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(lengths.len());
    for &length in lengths {
        let (piece, rest) = std::mem::take(&mut slice).split_at_mut(length);
        pieces.push(piece);
        slice = rest;
    }
    pieces
}

impl FrozenShingles {
    /// Builds the index of quotations `0..count`, whose word keys `keys_of` gives, on every
    /// core the machine has.
    ///
    /// Postings are first spread into partitions by their shingles' top bits (each thread
    /// writing its own stretch of each partition), then each partition is sorted into its
    /// buckets with counters that stay in cache, cleaned of repeats and common shingles, and
    /// its share of the presence filter filled: every pass either streams through memory or
    /// works within one partition, which is what keeps ten million quotations to seconds.
    /// Memory is the result plus one partition per thread.
    ///
    /// # Panics
    /// When the quotations hold 2^32 shingles or more.
    pub fn build<'k>(count: usize, keys_of: impl Fn(QuoteId) -> &'k [u32] + Sync) -> Self {
        Self::build_in_partitions(count, keys_of, BUCKET_BITS_PER_PARTITION)
    }

    /// [`Self::build`], with partitions of at most 2^`bucket_bits_per_partition` buckets.
    fn build_in_partitions<'k>(
        count: usize,
        keys_of: impl Fn(QuoteId) -> &'k [u32] + Sync,
        bucket_bits_per_partition: u32,
    ) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
        let id_of = |i: usize| QuoteId::try_from(i).expect("fewer than 2^32 quotes");
        let total: usize = (0..count)
            .map(|i| shingle_count(keys_of(id_of(i)).len()))
            .sum();
        assert!(u32::try_from(total).is_ok(), "fewer than 2^32 shingles");
        let layout = Layout::for_postings(total, bucket_bits_per_partition);
        let partitions = layout.partitions();
        let quote_ranges = split_range(count, threads);

        // Each thread counts its quotations' postings in each partition ...
        let counts: Vec<Vec<usize>> = std::thread::scope(|scope| {
            let handles: Vec<_> = quote_ranges
                .iter()
                .map(|ids| {
                    let keys_of = &keys_of;
                    scope.spawn(move || {
                        let mut counts = vec![0usize; partitions];
                        for i in ids.clone() {
                            for shingle in shingles(keys_of(id_of(i))) {
                                counts[layout.partition(shingle)] += 1;
                            }
                        }
                        counts
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("counting does not panic"))
                .collect()
        });
        // ... and writes them to its own stretch of each partition: partition-major, thread
        // after thread.
        let mut postings = vec![Posting::default(); total];
        let mut partition_sizes = vec![0usize; partitions];
        let mut stretches = Vec::with_capacity(partitions * threads);
        for p in 0..partitions {
            for thread_counts in &counts {
                stretches.push(thread_counts[p]);
                partition_sizes[p] += thread_counts[p];
            }
        }
        {
            let mut pieces = split_lengths(&mut postings, &stretches).into_iter();
            let mut by_thread: Vec<Vec<&mut [Posting]>> = (0..threads)
                .map(|_| Vec::with_capacity(partitions))
                .collect();
            for _ in 0..partitions {
                for own in &mut by_thread {
                    own.push(pieces.next().expect("one piece per thread and partition"));
                }
            }
            std::thread::scope(|scope| {
                for (ids, mut own) in quote_ranges.iter().zip(by_thread) {
                    let keys_of = &keys_of;
                    scope.spawn(move || {
                        let mut cursors = vec![0usize; partitions];
                        for i in ids.clone() {
                            let id = id_of(i);
                            for shingle in shingles(keys_of(id)) {
                                let p = layout.partition(shingle);
                                own[p][cursors[p]] = Posting::new(layout.fingerprint(shingle), id);
                                cursors[p] += 1;
                            }
                        }
                    });
                }
            });
        }

        // Sort each partition into its buckets, clean it, and fill its share of the filter,
        // every thread over its share of the partitions.
        let buckets_per_partition = layout.buckets() / partitions;
        let filter_words = (1usize << layout.filter_bits) / 64;
        let words_per_partition = filter_words / partitions;
        let mut offsets = vec![0u32; layout.buckets() + 1];
        let mut filter = vec![0u64; filter_words];
        let mut kept = vec![0usize; partitions];
        {
            let postings_by_partition = split_lengths(&mut postings, &partition_sizes);
            let offsets_by_partition: Vec<&mut [u32]> = offsets[..layout.buckets()]
                .chunks_mut(buckets_per_partition)
                .collect();
            // The filter's top bits are the partition's: each partition fills its own words.
            let filter_by_partition: Vec<&mut [u64]> =
                filter.chunks_mut(words_per_partition).collect();
            assert_eq!(
                filter_by_partition.len(),
                partitions,
                "a filter word per partition"
            );
            let mut work: Vec<_> = postings_by_partition
                .into_iter()
                .zip(offsets_by_partition)
                .zip(filter_by_partition)
                .zip(kept.iter_mut())
                .enumerate()
                .collect();
            let share = work.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                while !work.is_empty() {
                    let mine: Vec<_> = work.drain(..share.min(work.len())).collect();
                    scope.spawn(move || {
                        let mut scratch = Vec::new();
                        let mut counters = Vec::new();
                        for (p, (((postings, offsets), filter), kept)) in mine {
                            *kept = sort_partition(
                                layout,
                                p,
                                postings,
                                offsets,
                                &mut scratch,
                                &mut counters,
                            );
                            let filter_base = p * words_per_partition;
                            for posting in &postings[..*kept] {
                                let (word, mask) = layout.filter_bit_in(p, posting.fingerprint());
                                filter[word - filter_base] |= mask;
                            }
                        }
                    });
                }
            });
        }
        // Close the gaps each partition left behind, making its offsets global.
        let mut start = 0usize;
        let mut written = 0usize;
        for p in 0..partitions {
            postings.copy_within(start..start + kept[p], written);
            let buckets = p * buckets_per_partition..(p + 1) * buckets_per_partition;
            let base = u32::try_from(written).expect("fits: written <= total");
            for offset in &mut offsets[buckets] {
                *offset += base;
            }
            start += partition_sizes[p];
            written += kept[p];
        }
        offsets[layout.buckets()] = u32::try_from(written).expect("fits: written <= total");
        postings.truncate(written);
        postings.shrink_to_fit();
        FrozenShingles {
            layout,
            offsets,
            postings,
            filter,
        }
    }

    /// The postings of `shingle` (empty when it is unknown or too common).
    #[inline]
    fn postings_of(&self, shingle: u64) -> &[Posting] {
        let (word, mask) = self.layout.filter_bit(shingle);
        if self.filter[word] & mask == 0 {
            return &[];
        }
        let b = self.layout.bucket(shingle);
        let bucket = &self.postings[self.offsets[b] as usize..self.offsets[b + 1] as usize];
        let fingerprint = self.layout.fingerprint(shingle);
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

/// Sorts partition `p`'s postings into its buckets, drops repeats (a quotation that holds a
/// shingle twice) and shingles too common to use, and moves what is kept to the start of
/// `postings`. `offsets` receives where each of its buckets starts, counted from the
/// partition's start. Returns how many postings were kept.
fn sort_partition(
    layout: Layout,
    p: usize,
    postings: &mut [Posting],
    offsets: &mut [u32],
    scratch: &mut Vec<Posting>,
    counters: &mut Vec<u32>,
) -> usize {
    let first_bucket = p * offsets.len();
    counters.clear();
    counters.resize(offsets.len() + 1, 0);
    for posting in postings.iter() {
        counters[layout.bucket_in(p, posting.fingerprint()) - first_bucket + 1] += 1;
    }
    for b in 1..counters.len() {
        counters[b] += counters[b - 1];
    }
    scratch.clear();
    scratch.resize(postings.len(), Posting::default());
    {
        let mut cursors = counters[..offsets.len()].to_vec();
        for &posting in postings.iter() {
            let b = layout.bucket_in(p, posting.fingerprint()) - first_bucket;
            scratch[cursors[b] as usize] = posting;
            cursors[b] += 1;
        }
    }
    let mut kept = 0usize;
    for b in 0..offsets.len() {
        let (start, stop) = (counters[b] as usize, counters[b + 1] as usize);
        offsets[b] = u32::try_from(kept).expect("fits: within a partition");
        let bucket = &mut scratch[start..stop];
        bucket.sort_unstable();
        let mut group = 0;
        while group < bucket.len() {
            let fingerprint = bucket[group].fingerprint();
            let mut next = group;
            let mut distinct = 0;
            while next < bucket.len() && bucket[next].fingerprint() == fingerprint {
                if next == group || bucket[next] != bucket[next - 1] {
                    distinct += 1;
                }
                next += 1;
            }
            if distinct <= MAX_POSTINGS {
                for i in group..next {
                    if i == group || bucket[i] != bucket[i - 1] {
                        postings[kept] = bucket[i];
                        kept += 1;
                    }
                }
            }
            group = next;
        }
    }
    kept
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

    #[test]
    fn many_partitions_find_what_one_finds() {
        // Quotations enough for buckets of many partitions, with shared phrases and repeats.
        let texts: Vec<Vec<u32>> = (0..3_000u32)
            .map(|i| {
                (0..12)
                    .map(|w| (i * 7 + w * 13) % 997 + (w % 3) * 1_000)
                    .collect()
            })
            .collect();
        let keys_of = |id: QuoteId| texts[id as usize].as_slice();
        let one = FrozenShingles::build_in_partitions(texts.len(), keys_of, 32);
        let many = FrozenShingles::build_in_partitions(texts.len(), keys_of, 2);
        assert_eq!(one.layout.partition_bits, 0);
        assert!(many.layout.partition_bits >= 6, "{:?}", many.layout);
        assert_eq!(one.len(), many.len());
        let mut growing = ShingleIndex::new();
        for (id, keys) in texts.iter().enumerate() {
            growing.insert(id as QuoteId, keys);
        }
        let mut found = 0;
        for keys in texts.iter().step_by(7) {
            for shingle in shingles(keys) {
                let ids = |frozen: &FrozenShingles| {
                    let mut ids: Vec<QuoteId> =
                        frozen.postings_of(shingle).iter().map(|p| p.id()).collect();
                    ids.sort_unstable();
                    ids
                };
                let mut expected = growing.lookup(shingle).to_vec();
                expected.sort_unstable();
                assert_eq!(ids(&one), expected);
                assert_eq!(ids(&many), expected);
                found += expected.len();
            }
        }
        assert!(found > 1_000, "the probes hit: {found}");
        // Shingles that are not there are (nearly always) turned away by the filter alone.
        let absent = (0..10_000u32).filter(|n| {
            let shingle = combine(&[n + 5_000, n + 6_000, n + 7_000]);
            let (word, mask) = many.layout.filter_bit(shingle);
            assert!(many.postings_of(shingle).is_empty());
            many.filter[word] & mask != 0
        });
        assert!(absent.count() < 2_500, "the filter lets too much through");
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
