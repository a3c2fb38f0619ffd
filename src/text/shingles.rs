//! The shingle index: every run of [`SHINGLE_WORDS`] consecutive canonical words of every
//! registered quotation, hashed to 64 bits, pointing at the quotations that contain it. It finds
//! candidate quotations for a submitted one, and registered words reused without quotation marks,
//! at a cost that depends on the words looked up, not on the register's size.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
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

/// Combines consecutive word hashes into a shingle hash, order-sensitively.
fn combine(word_hashes: &[u64]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &word in word_hashes {
        hash = (hash ^ word).wrapping_mul(0x0000_0100_0000_01b3);
        hash ^= hash >> 29;
    }
    // A final avalanche so the low bits (bucket choice) depend on every input bit.
    hash = (hash ^ (hash >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

/// The shingle hashes of a run of words: one per window of [`SHINGLE_WORDS`] words, or a single
/// one of all the words when the run is shorter.
pub fn shingles(word_hashes: &[u64]) -> impl Iterator<Item = u64> + '_ {
    let window = SHINGLE_WORDS.min(word_hashes.len().max(1));
    word_hashes.windows(window).map(combine)
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

/// Bits of the presence filter per indexed shingle: about one lookup in nine of an absent
/// shingle gets past it.
const FILTER_BITS_PER_SHINGLE: usize = 8;
/// The presence filter's smallest size, in bits.
const MIN_FILTER_BITS: usize = 1 << 16;

/// Maps shingles to the quotations containing them.
pub struct ShingleIndex {
    postings: HashMap<u64, Postings, BuildHasherDefault<IdentityHasher>>,
    /// A one-hash Bloom filter of the indexed shingles. Most shingles of an article are in no
    /// quotation; the filter answers for them from a table a few bytes per shingle large,
    /// instead of a cache miss into the much larger postings table.
    filter: Vec<u64>,
}

impl Default for ShingleIndex {
    fn default() -> Self {
        ShingleIndex {
            postings: HashMap::default(),
            filter: vec![0; MIN_FILTER_BITS / 64],
        }
    }
}

impl ShingleIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// The filter bit of a shingle: from its high bits, which the postings table uses least.
    #[inline]
    fn filter_bit(&self, shingle: u64) -> (usize, u64) {
        let bits = self.filter.len() * 64;
        let bit = (shingle >> 32) as usize & (bits - 1);
        (bit / 64, 1 << (bit % 64))
    }

    fn filter_set(&mut self, shingle: u64) {
        let (word, mask) = self.filter_bit(shingle);
        self.filter[word] |= mask;
    }

    /// Doubles the filter when it gets too full, setting every bit again.
    fn grow_filter_if_needed(&mut self) {
        let bits = self.filter.len() * 64;
        if self.postings.len() * FILTER_BITS_PER_SHINGLE <= bits {
            return;
        }
        self.filter = vec![0; bits * 2 / 64];
        let keys: Vec<u64> = self.postings.keys().copied().collect();
        for shingle in keys {
            self.filter_set(shingle);
        }
    }

    /// Records every shingle of a quotation's canonical words under `id`.
    pub fn insert(&mut self, id: QuoteId, words: &[&str]) {
        let hashes: Vec<u64> = words.iter().map(|w| word_hash(w)).collect();
        for shingle in shingles(&hashes) {
            match self.postings.get_mut(&shingle) {
                None => {
                    self.postings.insert(shingle, Postings::One(id));
                    self.filter_set(shingle);
                    self.grow_filter_if_needed();
                }
                Some(Postings::One(existing)) => {
                    if *existing != id {
                        let existing = *existing;
                        self.postings
                            .insert(shingle, Postings::Many(vec![existing, id]));
                    }
                }
                Some(Postings::Many(ids)) => {
                    if ids.last() != Some(&id) && !ids.contains(&id) {
                        if ids.len() >= MAX_POSTINGS {
                            self.postings.insert(shingle, Postings::Common);
                        } else {
                            ids.push(id);
                        }
                    }
                }
                Some(Postings::Common) => {}
            }
        }
    }

    /// The quotations holding `shingle`, or none when it is unknown or too common.
    pub fn lookup(&self, shingle: u64) -> &[QuoteId] {
        let (word, mask) = self.filter_bit(shingle);
        if self.filter[word] & mask == 0 {
            return &[];
        }
        match self.postings.get(&shingle) {
            Some(Postings::One(id)) => std::slice::from_ref(id),
            Some(Postings::Many(ids)) => ids,
            Some(Postings::Common) | None => &[],
        }
    }

    /// Candidate quotations for runs of words that should each appear in the quotation, best
    /// first: ranked by how many of the runs' shingles they hold. At most `limit`.
    pub fn candidates(&self, runs: &[Vec<&str>], limit: usize) -> Vec<(QuoteId, usize)> {
        let mut ids: Vec<QuoteId> = Vec::new();
        let mut hashes: Vec<u64> = Vec::new();
        for run in runs {
            hashes.clear();
            hashes.extend(run.iter().map(|w| word_hash(w)));
            for shingle in shingles(&hashes) {
                ids.extend_from_slice(self.lookup(shingle));
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

    /// How many distinct shingles are indexed.
    pub fn len(&self) -> usize {
        self.postings.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// Approximate heap bytes the index holds.
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
        table + lists + self.filter.capacity() * size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn split(text: &str) -> Vec<&str> {
        text.split(' ').collect()
    }

    #[test]
    fn finds_the_quotation_that_holds_the_words() {
        let mut index = ShingleIndex::new();
        index.insert(0, &split("we will not back down whatever it costs"));
        index.insert(1, &split("the economy is growing faster than expected"));
        let found = index.candidates(&[split("not back down whatever")], 5);
        assert_eq!(found, [(0, 2)]);
        // One changed word still leaves shingles that match.
        let found = index.candidates(&[split("the economy is shrinking faster than expected")], 5);
        assert_eq!(found[0].0, 1);
        assert!(
            index
                .candidates(&[split("nothing like any of them")], 5)
                .is_empty()
        );
    }

    #[test]
    fn short_quotations_are_indexed_whole() {
        let mut index = ShingleIndex::new();
        index.insert(7, &split("no comment"));
        assert_eq!(index.candidates(&[split("no comment")], 5), [(7, 1)]);
    }

    #[test]
    fn common_shingles_stop_counting() {
        let mut index = ShingleIndex::new();
        for id in 0..(MAX_POSTINGS as u32 + 10) {
            let text = format!("one of the reasons number {id}");
            index.insert(id, &split(&text));
        }
        let common = combine(&["one", "of", "the"].map(word_hash));
        assert!(index.lookup(common).is_empty());
        let found = index.candidates(&[split("the reasons number 12")], 5);
        assert_eq!(found[0].0, 12);
        assert!(index.heap_bytes() > 0);
    }

    proptest! {
        #[test]
        fn every_inserted_shingle_is_found(words in proptest::collection::vec("[a-z]{1,6}", 1..20)) {
            let mut index = ShingleIndex::new();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            index.insert(3, &words);
            let found = index.candidates(std::slice::from_ref(&words), 1);
            prop_assert_eq!(found.first().map(|f| f.0), Some(3));
        }
    }
}
