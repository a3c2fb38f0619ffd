//! `verbatim key add|list|revoke`: API key management, straight against the store (so the first
//! admin key can be made before any server runs). A new key is printed once; only its SHA-256
//! is stored. Running servers apply additions and revocations from the store's change feed.

use std::io::Read as _;

use anyhow::{Context as _, bail};

use crate::record::{ApiKey, Role, now_micros};
use crate::server::auth::key_hash;
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
            AnyStore::Sqlite(store) => store.add_key(key).await?,
            AnyStore::Postgres(store) => store.add_key(key).await?,
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
            AnyStore::Sqlite(store) => store.revoke_key(name, now_micros()).await?,
            AnyStore::Postgres(store) => store.revoke_key(name, now_micros()).await?,
        })
    }

    async fn close(&self) {
        match self {
            AnyStore::Sqlite(store) => store.close().await,
            AnyStore::Postgres(store) => store.close().await,
        }
    }
}

/// A new key: `vbk_` and 64 hex digits of randomness from the operating system.
fn new_key() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("reading /dev/urandom for a new key")?;
    Ok(format!(
        "vbk_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Names: what `[a-z0-9][a-z0-9._-]{0,63}` allows, so they print and log safely.
fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !valid {
        bail!(
            "key name {name:?}: use 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        );
    }
    Ok(())
}

/// Adds a key named `name` with `role` to the store at `url` and returns the key's text.
///
/// # Errors
/// When the name is invalid or taken, or the store fails.
pub async fn add(url: &str, name: &str, role: &str) -> anyhow::Result<String> {
    check_name(name)?;
    let Some(role) = Role::parse(role) else {
        bail!("role {role:?}: use reader, editor or admin");
    };
    let key = new_key()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_names_are_checked() {
        let (a, b) = (new_key().expect("a key"), new_key().expect("a key"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert!(check_name("cms-prod.1").is_ok());
        for bad in ["", "Upper", "-lead", "with space", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
