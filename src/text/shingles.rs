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
pub const MAX_POSTINGS: usize = 64;

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

/// Maps shingles to the quotations containing them.
#[derive(Default)]
pub struct ShingleIndex {
    postings: HashMap<u64, Postings, BuildHasherDefault<IdentityHasher>>,
}

impl ShingleIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records every shingle of a quotation's canonical words under `id`.
    pub fn insert(&mut self, id: QuoteId, words: &[&str]) {
        let hashes: Vec<u64> = words.iter().map(|w| word_hash(w)).collect();
        for shingle in shingles(&hashes) {
            match self.postings.get_mut(&shingle) {
                None => {
                    self.postings.insert(shingle, Postings::One(id));
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
        match self.postings.get(&shingle) {
            Some(Postings::One(id)) => std::slice::from_ref(id),
            Some(Postings::Many(ids)) => ids,
            Some(Postings::Common) | None => &[],
        }
    }

    /// Candidate quotations for runs of words that should each appear in the quotation, best
    /// first: ranked by how many of the runs' shingles they hold. At most `limit`.
    pub fn candidates(&self, runs: &[Vec<&str>], limit: usize) -> Vec<(QuoteId, usize)> {
        let mut hits: HashMap<QuoteId, usize> = HashMap::new();
        for run in runs {
            let hashes: Vec<u64> = run.iter().map(|w| word_hash(w)).collect();
            for shingle in shingles(&hashes) {
                for &id in self.lookup(shingle) {
                    *hits.entry(id).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<(QuoteId, usize)> = hits.into_iter().collect();
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
        table + lists
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
