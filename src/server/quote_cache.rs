//! Registered quotations as the Checker returns them, kept in memory so that a check does not
//! read the store for every finding. The Registry drops an entry whenever its quotation changes
//! (a new attribution, a retraction); a full cache is emptied and refilled as checks need.

use std::{collections::HashMap, sync::Mutex};

use crate::proto::v1 as pb;
use crate::text::ContentHash;

/// Quotations kept at most.
const CAPACITY: usize = 50_000;

/// Wire-ready quotations by content hash.
#[derive(Default, Debug)]
pub struct QuoteCache {
    quotes: Mutex<HashMap<ContentHash, pb::Quote>>,
}

impl QuoteCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached quotation, if any.
    pub fn get(&self, hash: &ContentHash) -> Option<pb::Quote> {
        self.quotes
            .lock()
            .expect("the cache lock is never poisoned")
            .get(hash)
            .cloned()
    }

    /// Remembers a quotation as read from the store.
    pub fn put(&self, hash: ContentHash, quote: pb::Quote) {
        let mut quotes = self
            .quotes
            .lock()
            .expect("the cache lock is never poisoned");
        if quotes.len() >= CAPACITY {
            quotes.clear();
        }
        quotes.insert(hash, quote);
    }

    /// Forgets every quotation.
    pub fn clear(&self) {
        self.quotes
            .lock()
            .expect("the cache lock is never poisoned")
            .clear();
    }

    /// Forgets a quotation that changed.
    pub fn invalidate(&self, hash: &ContentHash) {
        self.quotes
            .lock()
            .expect("the cache lock is never poisoned")
            .remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_until_invalidated() {
        let cache = QuoteCache::new();
        let hash = ContentHash::of_text("some words");
        assert!(cache.get(&hash).is_none());
        let quote = pb::Quote {
            content_hash: hash.to_string(),
            ..Default::default()
        };
        cache.put(hash, quote.clone());
        assert_eq!(cache.get(&hash), Some(quote));
        cache.invalidate(&hash);
        assert!(cache.get(&hash).is_none());
    }
}
