//! The register's storage: one [`Store`] trait, the embedded SQLite backend, the PostgreSQL
//! backend for several replicas, and the conformance suite every backend must pass.
//!
//! This is the only module that talks SQL. It stores what it is given: validation, canonical
//! form and hashing happen before a record gets here.

use std::future::Future;

use crate::record::{
    Actor, ApiKey, AuditEvent, Change, IndexEntry, Micros, NewQuote, Outlet, Quote, QuoteFilter,
    Registration,
};
use crate::text::ContentHash;

#[cfg(test)]
pub mod conformance;
pub mod postgres;
mod rows;
pub mod sqlite;

pub use postgres::{PgSettings, PgStore};
pub use sqlite::SqliteStore;

/// Everything that can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is too busy; retrying later may succeed.
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The disk or the database is full.
    #[error("the store is out of space: {0}")]
    Full(#[source] sqlx::Error),
    /// The database was written by a newer version of Verbatim.
    #[error(
        "the store was written by a newer Verbatim (schema version {found}; this build knows up to \
         {supported}): upgrade verbatim, or point --store at another database"
    )]
    NewerSchema {
        /// The schema version found in the database.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// The `--store` URL is not one this build can open.
    #[error("cannot open store `{url}`: {problem}")]
    BadUrl {
        /// The URL, with any password removed.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A stored row does not decode as it should.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// Any other database error: a bug or an unexpected state.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// The register's storage. Every method is one transaction: it happens completely or not at all,
/// and once it returns `Ok` the change survives a crash of the process. Every method that
/// changes something records, in the same transaction, who did it (`actor`) on the append-only
/// audit trail.
pub trait Store: Send + Sync + 'static {
    /// Creates or replaces an outlet. Returns `true` when it was new.
    fn upsert_outlet(
        &self,
        outlet: &Outlet,
        actor: &Actor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Fetches one outlet.
    fn get_outlet(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Outlet>, StoreError>> + Send;

    /// Lists up to `limit` outlets with ids after `after`, in id order.
    fn list_outlets(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Outlet>, StoreError>> + Send;

    /// Registers a batch of quotes in one transaction, returning what happened to each, in order.
    /// A quote whose outlet is unknown is skipped ([`Registration::UnknownOutlet`]) without
    /// failing the others.
    fn register_quotes(
        &self,
        batch: &[NewQuote],
        actor: &Actor,
    ) -> impl Future<Output = Result<Vec<Registration>, StoreError>> + Send;

    /// Fetches one quote with all its attributions.
    fn get_quote(
        &self,
        hash: &ContentHash,
    ) -> impl Future<Output = Result<Option<Quote>, StoreError>> + Send;

    /// Lists up to `limit` quotes matching `filter` whose `seq` is greater than `after_seq`, in
    /// `seq` order.
    fn list_quotes(
        &self,
        filter: &QuoteFilter,
        after_seq: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Quote>, StoreError>> + Send;

    /// Lists the quotes whose `seq` is greater than `after_seq` and at most `through_seq`, in
    /// `seq` order, with only what the in-memory index needs (words, retraction flag,
    /// attributions): what a checker loads at start, several windows at once.
    fn list_index_entries(
        &self,
        after_seq: i64,
        through_seq: i64,
    ) -> impl Future<Output = Result<Vec<IndexEntry>, StoreError>> + Send;

    /// The greatest `seq` any quote has had (0 before the first).
    fn last_quote_seq(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Marks a quote retracted unless it already is, and returns it; `None` when it does not
    /// exist.
    fn retract_quote(
        &self,
        hash: &ContentHash,
        reason: &str,
        at: Micros,
        actor: &Actor,
    ) -> impl Future<Output = Result<Option<Quote>, StoreError>> + Send;

    /// Adds an API key. Returns `false`, writing nothing, when the name is taken.
    fn add_key(
        &self,
        key: &ApiKey,
        actor: &Actor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every API key, revoked ones included, by name.
    fn list_keys(&self) -> impl Future<Output = Result<Vec<ApiKey>, StoreError>> + Send;

    /// Revokes the key named `name` unless it already is; `false` when there is no such key.
    fn revoke_key(
        &self,
        name: &str,
        at: Micros,
        actor: &Actor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Up to `limit` audit events after position `after` and at or after time `since`, in order.
    fn list_audit(
        &self,
        after: i64,
        since: Micros,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;

    /// The newest position of the change feed (0 before any change).
    fn latest_change(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Up to `limit` changes after position `after`, in order, each with the current state of
    /// what it touched.
    fn changes_since(
        &self,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Change>, StoreError>> + Send;

    /// Returns when a change may have been committed by another process, or after `timeout`.
    /// A store that cannot tell simply waits out the timeout.
    fn wait_for_change(&self, timeout: std::time::Duration) -> impl Future<Output = ()> + Send;

    /// Checks that the database answers.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Finishes pending work and closes every connection.
    fn close(&self) -> impl Future<Output = ()> + Send;
}

/// Removes the password from a database URL so it can appear in messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/verbatim"),
            "postgres://app:***@db:5432/verbatim"
        );
        assert_eq!(redact_url("sqlite://verbatim.db"), "sqlite://verbatim.db");
    }
}
