//! Keeps this server's live register and API keys in step with writes made through other
//! processes (replicas of a shared store, `verbatim key` commands): follows the store's change
//! feed, woken by its notifications and polling in case one is lost, and reports the Registry
//! NOT_SERVING while the store cannot be read.

use std::{sync::Arc, time::Duration};

use super::auth::KeyRing;
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
/// How often a caught-up follower checks that the feed has not gone backwards (a database
/// restored from a backup, or a failover to a standby that lost the last transactions).
const REWIND_CHECK: Duration = Duration::from_secs(5);

/// Follows the feed from position `after` (read before the register was loaded) forever.
pub async fn follow<S: Store>(
    store: Arc<S>,
    live: Arc<LiveRegister>,
    cache: Arc<QuoteCache>,
    keys: Arc<KeyRing>,
    health: Health,
    mut after: i64,
) {
    let mut reachable = true;
    let mut last_rewind_check = tokio::time::Instant::now();
    loop {
        match store.changes_since(after, PAGE).await {
            Ok(changes) => {
                apply(&live, &cache, &keys, &changes);
                if let Some(last) = changes.last() {
                    after = last.seq;
                }
                if changes.len() == PAGE {
                    continue;
                }
                if last_rewind_check.elapsed() >= REWIND_CHECK {
                    last_rewind_check = tokio::time::Instant::now();
                    match rewound(store.as_ref(), after).await {
                        Ok(Some(position)) => {
                            reload(&store, &live, &cache, &health, position, &mut after).await;
                            continue;
                        }
                        Ok(None) => {}
                        Err(()) => continue,
                    }
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

/// The feed's newest position when it is behind `after` (the feed went backwards).
async fn rewound<S: Store>(store: &S, after: i64) -> Result<Option<i64>, ()> {
    match store.latest_change().await {
        Ok(latest) if latest < after => Ok(Some(latest)),
        Ok(_) => Ok(None),
        Err(error) => {
            tracing::debug!(%error, "cannot read the feed's position");
            Err(())
        }
    }
}

/// Reloads the whole register into the index after the feed went backwards: what the index
/// holds may include changes the database no longer has.
async fn reload<S: Store>(
    store: &Arc<S>,
    live: &LiveRegister,
    cache: &QuoteCache,
    health: &Health,
    position: i64,
    after: &mut i64,
) {
    tracing::warn!(
        position,
        followed = *after,
        "the change feed went backwards (database restored or failed over with loss): reloading"
    );
    health.set_registry_serving(false).await;
    match LiveRegister::load(store).await {
        Ok(fresh) => {
            live.replace_with(fresh);
            cache.clear();
            *after = position;
            health.set_registry_serving(true).await;
            tracing::info!(quotes = live.len(), "register reloaded");
        }
        Err(error) => tracing::warn!(%error, "reloading the register failed; retrying"),
    }
}

/// Applies changes to the live register and forgets cached copies of the quotes they touch.
pub fn apply(live: &LiveRegister, cache: &QuoteCache, keys: &KeyRing, changes: &[Change]) {
    for change in changes {
        match &change.what {
            Changed::Quote(entry) => {
                live.add_entries(std::slice::from_ref(entry));
                cache.invalidate(&entry.hash);
            }
            Changed::Outlet(outlet) => live.upsert_outlet(outlet),
            Changed::Key(key) => keys.apply(key),
        }
    }
}
