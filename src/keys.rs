//! `verbatim key add|list|revoke --store` and `verbatim audit --store`: administration straight
//! against the store (so the first admin key can be made before any server runs). A new key is
//! printed once; only its SHA-256 is stored. Running servers apply additions and revocations from
//! the store's change feed. Without `--store` the same commands go through a server (admin role).

use anyhow::{Context as _, bail};

use crate::record::{Actor, ApiKey, AuditEvent, Micros, Role, now_micros};
use crate::server::auth::{key_hash, key_name_problem, new_key_secret};
use crate::store::{PgSettings, PgStore, SqliteStore, Store};

/// Either store, opened from its URL.
enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    async fn open(url: &str) -> anyhow::Result<Self> {
        Ok(
            if url.starts_with("postgres:") || url.starts_with("postgresql:") {
                AnyStore::Postgres(PgStore::open(url, PgSettings::default()).await?)
            } else {
                AnyStore::Sqlite(SqliteStore::open(url).await?)
            },
        )
    }

    async fn add_key(&self, key: &ApiKey) -> anyhow::Result<bool> {
        Ok(match self {
            AnyStore::Sqlite(store) => store.add_key(key, &Actor::local("key add")).await?,
            AnyStore::Postgres(store) => store.add_key(key, &Actor::local("key add")).await?,
        })
    }

    async fn list_keys(&self) -> anyhow::Result<Vec<ApiKey>> {
        Ok(match self {
            AnyStore::Sqlite(store) => store.list_keys().await?,
            AnyStore::Postgres(store) => store.list_keys().await?,
        })
    }

    async fn revoke_key(&self, name: &str) -> anyhow::Result<bool> {
        Ok(match self {
            AnyStore::Sqlite(store) => {
                store
                    .revoke_key(name, now_micros(), &Actor::local("key revoke"))
                    .await?
            }
            AnyStore::Postgres(store) => {
                store
                    .revoke_key(name, now_micros(), &Actor::local("key revoke"))
                    .await?
            }
        })
    }

    async fn list_audit(
        &self,
        after: i64,
        since: Micros,
        limit: usize,
    ) -> anyhow::Result<Vec<AuditEvent>> {
        Ok(match self {
            AnyStore::Sqlite(store) => store.list_audit(after, since, limit).await?,
            AnyStore::Postgres(store) => store.list_audit(after, since, limit).await?,
        })
    }

    async fn close(&self) {
        match self {
            AnyStore::Sqlite(store) => store.close().await,
            AnyStore::Postgres(store) => store.close().await,
        }
    }
}

/// Adds a key named `name` with `role` to the store at `url` and returns the key's text.
///
/// # Errors
/// When the name is invalid or taken, or the store fails.
pub async fn add(url: &str, name: &str, role: &str) -> anyhow::Result<String> {
    if let Some(problem) = key_name_problem(name) {
        bail!(problem);
    }
    let Some(role) = Role::parse(role) else {
        bail!("role {role:?}: use reader, editor or admin");
    };
    let key = new_key_secret().context("reading /dev/urandom for a new key")?;
    let store = AnyStore::open(url).await?;
    let added = store
        .add_key(&ApiKey {
            name: name.to_owned(),
            role,
            key_hash: key_hash(&key),
            created_at: now_micros(),
            revoked_at: None,
        })
        .await;
    store.close().await;
    if !added? {
        bail!("a key named {name:?} exists already (revoked keys keep their names)");
    }
    Ok(key)
}

/// Every key of the store at `url`.
///
/// # Errors
/// When the store fails.
pub async fn list(url: &str) -> anyhow::Result<Vec<ApiKey>> {
    let store = AnyStore::open(url).await?;
    let keys = store.list_keys().await;
    store.close().await;
    keys
}

/// Revokes the key named `name`.
///
/// # Errors
/// When there is no such key, or the store fails.
pub async fn revoke(url: &str, name: &str) -> anyhow::Result<()> {
    let store = AnyStore::open(url).await?;
    let found = store.revoke_key(name).await;
    store.close().await;
    if !found? {
        bail!("no key named {name:?}");
    }
    Ok(())
}

/// Every audit event of the store at `url` at or after `since`, oldest first, handed to `visit`
/// a page at a time (the trail can be long).
///
/// # Errors
/// When the store fails.
pub async fn audit(
    url: &str,
    since: Micros,
    mut visit: impl FnMut(&[AuditEvent]),
) -> anyhow::Result<()> {
    const PAGE: usize = 1_000;
    let store = AnyStore::open(url).await?;
    let mut after = 0;
    let outcome = loop {
        match store.list_audit(after, since, PAGE).await {
            Ok(page) => {
                visit(&page);
                match page.last() {
                    Some(last) if page.len() == PAGE => after = last.seq,
                    _ => break Ok(()),
                }
            }
            Err(error) => break Err(error),
        }
    };
    store.close().await;
    outcome
}
