//! What the checker keeps of each registered quotation, column by column: content hashes, the
//! words as registered and their 32-bit word keys in two arenas, the retraction flags, and a
//! table from content hash to [`QuoteId`]. One allocation per column rather than several per
//! quotation keeps ten million quotations within a few gigabytes.

use std::ops::Range;

use crate::text::{ContentHash, shingles::QuoteId};

/// The registered quotations, by [`QuoteId`] (their order of arrival).
#[derive(Default)]
pub(super) struct QuoteTable {
    hashes: Vec<ContentHash>,
    /// Where each quotation's words end in `texts`; they start where the previous one's end.
    text_ends: Vec<u64>,
    texts: String,
    /// Where each quotation's word keys end in `keys`.
    key_ends: Vec<u64>,
    keys: Vec<u32>,
    retracted: Vec<bool>,
    ids: IdsByHash,
}

impl QuoteTable {
    /// Appends a quotation that is not in the table yet and returns its id.
    ///
    /// # Panics
    /// Past 2^32 - 1 quotations.
    pub fn push(
        &mut self,
        hash: ContentHash,
        text: &str,
        keys: impl IntoIterator<Item = u32>,
        retracted: bool,
    ) -> QuoteId {
        let id = QuoteId::try_from(self.hashes.len())
            .ok()
            .filter(|&id| id != IdsByHash::EMPTY)
            .expect("fewer than 2^32 - 1 quotations");
        self.hashes.push(hash);
        self.texts.push_str(text);
        self.text_ends.push(self.texts.len() as u64);
        self.keys.extend(keys);
        self.key_ends.push(self.keys.len() as u64);
        self.retracted.push(retracted);
        self.ids.insert(id, &self.hashes);
        id
    }

    /// The id of the quotation with content hash `hash`.
    pub fn find(&self, hash: &ContentHash) -> Option<QuoteId> {
        self.ids.find(hash, &self.hashes)
    }

    fn range(ends: &[u64], id: QuoteId) -> Range<usize> {
        let i = id as usize;
        let start = if i == 0 { 0 } else { ends[i - 1] as usize };
        start..ends[i] as usize
    }

    pub fn hash(&self, id: QuoteId) -> ContentHash {
        self.hashes[id as usize]
    }

    /// The words as registered.
    pub fn text(&self, id: QuoteId) -> &str {
        &self.texts[Self::range(&self.text_ends, id)]
    }

    /// The canonical words' keys ([`crate::text::align::word_key`]).
    pub fn keys(&self, id: QuoteId) -> &[u32] {
        &self.keys[Self::range(&self.key_ends, id)]
    }

    pub fn is_retracted(&self, id: QuoteId) -> bool {
        self.retracted[id as usize]
    }

    pub fn retract(&mut self, id: QuoteId) {
        self.retracted[id as usize] = true;
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * size_of::<ContentHash>()
            + (self.text_ends.capacity() + self.key_ends.capacity()) * size_of::<u64>()
            + self.texts.capacity()
            + self.keys.capacity() * size_of::<u32>()
            + self.retracted.capacity()
            + self.ids.heap_bytes()
    }
}

/// An open-addressing table of quotation ids keyed by their content hashes, which live in the
/// table's `hashes` column: 4 bytes a slot instead of a copy of each 32-byte hash.
#[derive(Default)]
struct IdsByHash {
    /// A power of two in length (or empty); [`Self::EMPTY`] marks a free slot.
    slots: Vec<QuoteId>,
    len: usize,
}

impl IdsByHash {
    const EMPTY: QuoteId = QuoteId::MAX;

    /// The slot a hash probes first: SHA-256 output is uniform, so its first bytes will do.
    fn home(&self, hash: &ContentHash) -> usize {
        let first = u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"));
        first as usize & (self.slots.len() - 1)
    }

    fn find(&self, hash: &ContentHash, hashes: &[ContentHash]) -> Option<QuoteId> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.home(hash);
        loop {
            match self.slots[slot] {
                Self::EMPTY => return None,
                id if hashes[id as usize] == *hash => return Some(id),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// Adds `id`, whose hash is `hashes[id]`, keeping the table at most 70% full.
    fn insert(&mut self, id: QuoteId, hashes: &[ContentHash]) {
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            let size = (self.slots.len() * 2).max(1024);
            let old = std::mem::replace(&mut self.slots, vec![Self::EMPTY; size]);
            self.len = 0;
            for existing in old.into_iter().filter(|&i| i != Self::EMPTY) {
                self.place(existing, hashes);
            }
        }
        self.place(id, hashes);
    }

    fn place(&mut self, id: QuoteId, hashes: &[ContentHash]) {
        let mask = self.slots.len() - 1;
        let mut slot = self.home(&hashes[id as usize]);
        while self.slots[slot] != Self::EMPTY {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = id;
        self.len += 1;
    }

    fn heap_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<QuoteId>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotations_are_found_by_hash_and_read_back_by_id() {
        let mut table = QuoteTable::default();
        let texts: Vec<String> = (0..3_000)
            .map(|i| format!("quotation number {i}"))
            .collect();
        for (i, text) in texts.iter().enumerate() {
            let id = table.push(ContentHash::of_text(text), text, [i as u32, 7], i % 3 == 0);
            assert_eq!(id as usize, i);
        }
        assert_eq!(table.len(), 3_000);
        for (i, text) in texts.iter().enumerate() {
            let id = table
                .find(&ContentHash::of_text(text))
                .expect("every pushed hash is found");
            assert_eq!(id as usize, i);
            assert_eq!(table.text(id), text);
            assert_eq!(table.keys(id), [i as u32, 7]);
            assert_eq!(table.is_retracted(id), i % 3 == 0);
        }
        assert_eq!(table.find(&ContentHash::of_text("never pushed")), None);
        table.retract(1);
        assert!(table.is_retracted(1));
        assert!(table.heap_bytes() > 3_000 * 32);
    }
}
