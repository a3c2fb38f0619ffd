//! Keeps this replica's live register in step with writes made through other replicas of a
//! shared store: follows the store's change feed, woken by its notifications and polling in case
//! one is lost, and reports the Registry NOT_SERVING while the store cannot be read.

use std::{sync::Arc, time::Duration};

use super::health::Health;
use super::quote_cache::QuoteCache;
use crate::checker::LiveRegister;
use crate::record::{Change, Changed};
use crate::store::Store;

/// Changes applied per read.
const PAGE: usize = 1_000;
/// Longest wait between two reads of the feed when no notification arrives: the bound on how
/// late a change whose notification was lost is seen.
const POLL: Duration = Duration::from_millis(500);
/// Wait before reading again after the store failed.
const RETRY: Duration = Duration::from_secs(1);

/// Follows the feed from position `after` (read before the register was loaded) forever.
pub async fn follow<S: Store>(
    store: Arc<S>,
    live: Arc<LiveRegister>,
    cache: Arc<QuoteCache>,
    health: Health,
    mut after: i64,
) {
    let mut reachable = true;
    loop {
        match store.changes_since(after, PAGE).await {
            Ok(changes) => {
                apply(&live, &cache, &changes);
                if let Some(last) = changes.last() {
                    after = last.seq;
                }
                if changes.len() == PAGE {
                    continue;
                }
                if !reachable {
                    reachable = true;
                    tracing::info!(position = after, "store reachable again; caught up");
                    health.set_registry_serving(true).await;
                }
            }
            Err(error) => {
                if reachable {
                    reachable = false;
                    tracing::warn!(
                        %error,
                        "store unreachable: checks go on from the index, registrations fail \
                         until it returns"
                    );
                    health.set_registry_serving(false).await;
                }
                tokio::time::sleep(RETRY).await;
                continue;
            }
        }
        store.wait_for_change(POLL).await;
    }
}

/// Applies changes to the live register and forgets cached copies of the quotes they touch.
pub fn apply(live: &LiveRegister, cache: &QuoteCache, changes: &[Change]) {
    for change in changes {
        match &change.what {
            Changed::Quote(entry) => {
                live.add_entries(std::slice::from_ref(entry));
                cache.invalidate(&entry.hash);
            }
            Changed::Outlet(outlet) => live.upsert_outlet(outlet),
        }
    }
}
