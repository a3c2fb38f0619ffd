//! The PostgreSQL store, for several replicas over one register: the same schema and behaviour
//! as the embedded store, on a connection pool.
//!
//! Every write transaction first takes one transaction-scoped advisory lock, so writes from all
//! replicas are serialized: quote `seq` values then become visible in the order they were given
//! out, which is what lets readers page (and replicas catch up) by `seq` without skipping rows.

use std::{
    collections::{HashMap, HashSet},
    str::FromStr,
    time::Duration,
};

use sqlx::{
    PgConnection, Postgres, QueryBuilder, Row,
    postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow},
};

use super::rows::{
    self, AttributionKey, HashBytes, attach_to_entries, attach_to_quotes, from_json, to_json,
};
use super::{Store, StoreError};
use crate::record::{
    Actor, ApiKey, Attribution, AuditAction, AuditEvent, Change, IndexEntry, Micros, NewQuote,
    Outlet, Quote, QuoteFilter, Registration, Retraction, now_micros, speaker_key,
};
use crate::text::ContentHash;

/// Schema migrations, applied in order at start; the number is the schema version each leaves.
#[rustfmt::skip]
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_register.sql")),
    (2, include_str!("../../migrations/postgres/0002_changes.sql")),
    (3, include_str!("../../migrations/postgres/0003_api_keys.sql")),
    (4, include_str!("../../migrations/postgres/0004_audit.sql")),
];

/// The channel every write notifies and every replica listens on.
const CHANGES_CHANNEL: &str = "verbatim_changes";

/// Advisory lock keys ("verbatim" and its purpose, as two 32-bit halves).
const MIGRATION_LOCK: i64 = 0x7665_7262_0000_0001;
const WRITE_LOCK: i64 = 0x7665_7262_0000_0002;

/// Items written per multi-row statement: 8 parameters an attribution row keeps a statement well
/// under PostgreSQL's 65,535-parameter limit.
const CHUNK: usize = 1_000;

/// How the PostgreSQL store connects; every field is a `serve` flag with a documented default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgSettings {
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long opening a connection (or waiting for a free one) may take.
    pub connect_timeout: Duration,
    /// How long one statement may run before the server cancels it.
    pub statement_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        use crate::config::{
            DEFAULT_PG_CONNECT_TIMEOUT_SECS, DEFAULT_PG_POOL_SIZE,
            DEFAULT_PG_STATEMENT_TIMEOUT_SECS,
        };
        PgSettings {
            pool_size: DEFAULT_PG_POOL_SIZE,
            connect_timeout: Duration::from_secs(DEFAULT_PG_CONNECT_TIMEOUT_SECS),
            statement_timeout: Duration::from_secs(DEFAULT_PG_STATEMENT_TIMEOUT_SECS),
        }
    }
}

/// The PostgreSQL store.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// Listens for other replicas' writes; opened on first wait, reopened after it fails.
    listener: tokio::sync::Mutex<Option<PgListener>>,
}

impl PgStore {
    /// Connects to the database at a `postgres:` URL and brings its schema up to date; replicas
    /// starting together apply each migration once.
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for a URL that is not `postgres:`/`postgresql:` or does not parse,
    /// [`StoreError::NewerSchema`] for a database written by a newer build, and
    /// [`StoreError::Unavailable`] when the server cannot be reached.
    pub async fn open(url: &str, settings: PgSettings) -> Result<Self, StoreError> {
        if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Err(StoreError::BadUrl {
                url: super::redact_url(url),
                problem: "the PostgreSQL store takes a `postgres://` URL".into(),
            });
        }
        let statement_timeout = format!("{}ms", settings.statement_timeout.as_millis());
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl {
                url: super::redact_url(url),
                problem: redact_error(url, &e.to_string()),
            })?
            .options([("statement_timeout", statement_timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.pool_size.max(1))
            .acquire_timeout(settings.connect_timeout)
            .connect_with(options)
            .await
            .map_err(classify)?;
        migrate(&pool).await?;
        Ok(PgStore {
            pool,
            listener: tokio::sync::Mutex::new(None),
        })
    }

    /// Begins a write transaction holding the register's write lock.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        Ok(tx)
    }
}

/// `text` with the password of `url`, if any, removed.
fn redact_error(url: &str, text: &str) -> String {
    match url::password_of(url) {
        Some(password) if !password.is_empty() => text.replace(password, "****"),
        _ => text.to_owned(),
    }
}

/// Just enough URL parsing to find a password, without another dependency.
mod url {
    /// The password in `scheme://user:password@host/…`, if there is one.
    pub fn password_of(url: &str) -> Option<&str> {
        let rest = url.split_once("://")?.1;
        let authority = rest.split(['/', '?']).next()?;
        let userinfo = authority.rsplit_once('@')?.0;
        Some(userinfo.split_once(':')?.1)
    }
}

/// Sorts a driver error into the store's error kinds by SQLSTATE.
fn classify(error: sqlx::Error) -> StoreError {
    let state = match &error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    };
    match (&error, state.as_deref()) {
        // disk_full, out_of_memory, program_limit_exceeded…
        (_, Some("53100" | "53200")) => StoreError::Full(error),
        // connection exceptions, too many connections, shutdown, cannot connect now, query
        // canceled (statement timeout), serialization and deadlock (retryable).
        (_, Some(code))
            if code.starts_with("08")
                || matches!(
                    code,
                    // too many connections; admin, crash or other shutdown; cannot connect
                    // now; statement timeout; serialization failure; deadlock; a database not
                    // accepting connections (55000) or gone (3D000), as during a failover.
                    "53300"
                        | "57P01"
                        | "57P02"
                        | "57P03"
                        | "57014"
                        | "40001"
                        | "40P01"
                        | "55000"
                        | "3D000"
                ) =>
        {
            StoreError::Unavailable(error)
        }
        (
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_),
            _,
        ) => StoreError::Unavailable(error),
        _ => StoreError::Database(error),
    }
}

async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(classify)?;
    // Replicas starting together queue here; each finds the schema the first one left.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS verbatim_schema (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(classify)?;
    let found: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM verbatim_schema")
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
    let supported = MIGRATIONS.last().map_or(0, |&(version, _)| version);
    if found > supported {
        return Err(StoreError::NewerSchema { found, supported });
    }
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        sqlx::query("INSERT INTO verbatim_schema (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(now_micros())
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        tracing::info!(version, "applied store migration");
    }
    tx.commit().await.map_err(classify)?;
    Ok(())
}

fn outlet_from_row(row: &PgRow) -> Result<Outlet, StoreError> {
    Ok(Outlet {
        id: row.try_get("id").map_err(classify)?,
        name: row.try_get("name").map_err(classify)?,
        aliases: from_json("outlets.aliases", row.try_get("aliases").map_err(classify)?)?,
        domains: from_json("outlets.domains", row.try_get("domains").map_err(classify)?)?,
    })
}

const QUOTE_COLUMNS: &str =
    "seq, content_hash, text, canonical_text, registered_at, retraction_reason, retracted_at";

const ATTRIBUTION_COLUMNS: &str =
    "quote_seq, speaker, speaker_aliases, outlet_id, source_url, published_at, registered_at";

fn hash_from_row(row: &PgRow) -> Result<ContentHash, StoreError> {
    let hash_bytes: Vec<u8> = row.try_get("content_hash").map_err(classify)?;
    <[u8; 32]>::try_from(hash_bytes.as_slice())
        .map(ContentHash::from_bytes)
        .map_err(|_| {
            StoreError::Corrupt(format!(
                "quotes.content_hash holds {} bytes, not 32",
                hash_bytes.len()
            ))
        })
}

fn quote_from_row(row: &PgRow) -> Result<Quote, StoreError> {
    let reason: Option<String> = row.try_get("retraction_reason").map_err(classify)?;
    let retracted_at: Option<Micros> = row.try_get("retracted_at").map_err(classify)?;
    Ok(Quote {
        seq: row.try_get("seq").map_err(classify)?,
        hash: hash_from_row(row)?,
        text: row.try_get("text").map_err(classify)?,
        canonical_text: row.try_get("canonical_text").map_err(classify)?,
        attributions: Vec::new(),
        retraction: retracted_at.map(|at| Retraction {
            reason: reason.unwrap_or_default(),
            at,
        }),
        registered_at: row.try_get("registered_at").map_err(classify)?,
    })
}

/// The columns of an index entry's credits (see [`IndexEntry::attributions`]).
const CREDIT_COLUMNS: &str = "quote_seq, speaker, speaker_aliases, outlet_id";

/// Who a row of [`CREDIT_COLUMNS`] credits: speaker, aliases and outlet, without the source.
fn credit_of(row: &PgRow) -> Result<Attribution, StoreError> {
    Ok(Attribution {
        speaker: row.try_get("speaker").map_err(classify)?,
        speaker_aliases: from_json(
            "attributions.speaker_aliases",
            row.try_get("speaker_aliases").map_err(classify)?,
        )?,
        outlet_id: row.try_get("outlet_id").map_err(classify)?,
        source_url: String::new(),
        published_at: None,
        registered_at: 0,
    })
}

/// (quote seq, credit) of each row of [`CREDIT_COLUMNS`].
fn credit_rows_of(found: &[PgRow]) -> Result<Vec<(i64, Attribution)>, StoreError> {
    found
        .iter()
        .map(|row| Ok((row.try_get("quote_seq").map_err(classify)?, credit_of(row)?)))
        .collect()
}

/// (quote seq, attribution) of each attribution row.
fn attribution_rows_of(found: &[PgRow]) -> Result<Vec<(i64, Attribution)>, StoreError> {
    found
        .iter()
        .map(|row| {
            let attribution = Attribution {
                source_url: row.try_get("source_url").map_err(classify)?,
                published_at: row.try_get("published_at").map_err(classify)?,
                registered_at: row.try_get("registered_at").map_err(classify)?,
                ..credit_of(row)?
            };
            Ok((row.try_get("quote_seq").map_err(classify)?, attribution))
        })
        .collect()
}

/// Loads the attributions of `quotes` (in place), with one query.
async fn attach_attributions(
    conn: &mut PgConnection,
    quotes: &mut [Quote],
) -> Result<(), StoreError> {
    if quotes.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = quotes.iter().map(|q| q.seq).collect();
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ATTRIBUTION_COLUMNS} FROM attributions WHERE quote_seq = ANY($1) \
         ORDER BY quote_seq, id"
    )))
    .bind(&seqs)
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?;
    attach_to_quotes(quotes, attribution_rows_of(&found)?);
    Ok(())
}

async fn fetch_quote(
    conn: &mut PgConnection,
    hash: &ContentHash,
) -> Result<Option<Quote>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {QUOTE_COLUMNS} FROM quotes WHERE content_hash = $1"
    )))
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *conn)
    .await
    .map_err(classify)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut quotes = [quote_from_row(&row)?];
    attach_attributions(conn, &mut quotes).await?;
    let [quote] = quotes;
    Ok(Some(quote))
}

/// The `seq` of every quote in the register whose hash is among `hashes`.
async fn seqs_of(
    conn: &mut PgConnection,
    hashes: &[&HashBytes],
) -> Result<std::collections::HashMap<HashBytes, i64>, StoreError> {
    let list: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
    let found = sqlx::query("SELECT seq, content_hash FROM quotes WHERE content_hash = ANY($1)")
        .bind(&list)
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    found
        .iter()
        .map(|row| {
            Ok((
                *hash_from_row(row)?.as_bytes(),
                row.try_get("seq").map_err(classify)?,
            ))
        })
        .collect()
}

/// Registers one chunk of quotes whose outlets are known to exist and returns each item's
/// outcome in order.
async fn register_chunk(
    conn: &mut PgConnection,
    chunk: &[&NewQuote],
    now: Micros,
    actor: &Actor,
) -> Result<Vec<Registration>, StoreError> {
    let hashes: Vec<&HashBytes> = chunk.iter().map(|q| q.hash.as_bytes()).collect();
    let existing = seqs_of(conn, &hashes).await?;
    let new_words = rows::new_words(chunk, &existing);
    if !new_words.is_empty() {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO quotes (content_hash, text, canonical_text, registered_at) ",
        );
        insert.push_values(&new_words, |mut row, quote| {
            row.push_bind(quote.hash.as_bytes().as_slice())
                .push_bind(&quote.text)
                .push_bind(&quote.canonical_text)
                .push_bind(now);
        });
        insert.build().execute(&mut *conn).await.map_err(classify)?;
    }
    let seqs = if new_words.is_empty() {
        existing.clone()
    } else {
        seqs_of(conn, &hashes).await?
    };
    let item_keys = rows::attribution_keys(chunk, &seqs)?;
    let attribution_rows = rows::attribution_rows(&item_keys, chunk);
    let mut insert = QueryBuilder::<Postgres>::new(
        "INSERT INTO attributions (quote_seq, speaker, speaker_key, speaker_aliases, outlet_id, \
         source_url, published_at, registered_at) ",
    );
    insert.push_values(
        &attribution_rows,
        |mut row, ((seq, key, outlet_id), quote)| {
            let attribution = &quote.attribution;
            row.push_bind(*seq)
                .push_bind(&attribution.speaker)
                .push_bind(key)
                .push_bind(to_json(&attribution.speaker_aliases))
                .push_bind(outlet_id)
                .push_bind(&attribution.source_url)
                .push_bind(attribution.published_at)
                .push_bind(now);
        },
    );
    insert.push(
        " ON CONFLICT (quote_seq, speaker_key, outlet_id) DO NOTHING \
         RETURNING quote_seq, speaker_key, outlet_id",
    );
    let added_rows = insert
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    let mut added: HashSet<AttributionKey> = HashSet::with_capacity(added_rows.len());
    for row in &added_rows {
        added.insert((
            row.try_get::<i64, _>("quote_seq").map_err(classify)?,
            row.try_get::<String, _>("speaker_key").map_err(classify)?,
            row.try_get::<String, _>("outlet_id").map_err(classify)?,
        ));
    }
    let outcomes = rows::outcomes(chunk, &item_keys, &existing, added);
    let changed = rows::changed_quotes(chunk, &item_keys, &outcomes, &existing);
    if !changed.is_empty() {
        let seqs: Vec<i64> = changed.iter().map(|c| c.seq).collect();
        let actions: Vec<&str> = changed.iter().map(|c| c.action.name()).collect();
        let details: Vec<&str> = changed.iter().map(|c| c.detail.as_str()).collect();
        sqlx::query(
            "INSERT INTO changes (quote_seq, action, detail, at, actor) \
             SELECT *, $4, $5 FROM unnest($1::bigint[], $2::text[], $3::text[])",
        )
        .bind(&seqs)
        .bind(&actions)
        .bind(&details)
        .bind(now)
        .bind(actor.as_str())
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
        notify(conn).await?;
    }
    Ok(outcomes)
}

/// Tells every listening replica, at commit, that the change feed moved.
async fn notify(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANGES_CHANNEL)
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(())
}

fn entry_from_row(row: &PgRow) -> Result<IndexEntry, StoreError> {
    Ok(IndexEntry {
        seq: row.try_get("seq").map_err(classify)?,
        hash: hash_from_row(row)?,
        text: row.try_get("text").map_err(classify)?,
        retracted: row.try_get("retracted").map_err(classify)?,
        attributions: Vec::new(),
    })
}

/// Index entries (with attributions) of the quotes whose seq is in `seqs`.
async fn entries_by_seq(
    conn: &mut PgConnection,
    seqs: &[i64],
) -> Result<HashMap<i64, IndexEntry>, StoreError> {
    if seqs.is_empty() {
        return Ok(HashMap::new());
    }
    let found = sqlx::query(
        "SELECT seq, content_hash, text, retracted_at IS NOT NULL AS retracted FROM quotes \
         WHERE seq = ANY($1) ORDER BY seq",
    )
    .bind(seqs)
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?;
    let mut entries = found
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, StoreError>>()?;
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CREDIT_COLUMNS} FROM attributions WHERE quote_seq = ANY($1) \
         ORDER BY quote_seq, id"
    )))
    .bind(seqs)
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?;
    attach_to_entries(&mut entries, credit_rows_of(&found)?);
    Ok(entries.into_iter().map(|e| (e.seq, e)).collect())
}

/// Every API key, by name, read on `conn`.
async fn keys_on(conn: &mut PgConnection) -> Result<Vec<ApiKey>, StoreError> {
    let found = sqlx::query(
        "SELECT name, role, key_hash, created_at, revoked_at FROM api_keys ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?;
    found
        .iter()
        .map(|row| {
            let role: String = row.try_get("role").map_err(classify)?;
            let hash: Vec<u8> = row.try_get("key_hash").map_err(classify)?;
            rows::api_key(
                row.try_get("name").map_err(classify)?,
                &role,
                &hash,
                row.try_get("created_at").map_err(classify)?,
                row.try_get("revoked_at").map_err(classify)?,
            )
        })
        .collect()
}

impl Store for PgStore {
    async fn upsert_outlet(&self, outlet: &Outlet, actor: &Actor) -> Result<bool, StoreError> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        // xmax = 0 only on a row this statement inserted.
        let inserted: bool = sqlx::query_scalar(
            "INSERT INTO outlets (id, name, aliases, domains, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO UPDATE SET \
             name = excluded.name, aliases = excluded.aliases, domains = excluded.domains, \
             updated_at = excluded.updated_at RETURNING (xmax = 0)",
        )
        .bind(&outlet.id)
        .bind(&outlet.name)
        .bind(to_json(&outlet.aliases))
        .bind(to_json(&outlet.domains))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
        let action = if inserted {
            AuditAction::OutletCreated
        } else {
            AuditAction::OutletUpdated
        };
        sqlx::query(
            "INSERT INTO changes (outlet_id, at, actor, action, detail) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&outlet.id)
        .bind(now)
        .bind(actor.as_str())
        .bind(action.name())
        .bind(format!("name: {}", outlet.name))
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        notify(&mut tx).await?;
        tx.commit().await.map_err(classify)?;
        Ok(inserted)
    }

    async fn get_outlet(&self, id: &str) -> Result<Option<Outlet>, StoreError> {
        let row = sqlx::query("SELECT id, name, aliases, domains FROM outlets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        row.as_ref().map(outlet_from_row).transpose()
    }

    async fn list_outlets(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Outlet>, StoreError> {
        let found = sqlx::query(
            "SELECT id, name, aliases, domains FROM outlets WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        found.iter().map(outlet_from_row).collect()
    }

    async fn register_quotes(
        &self,
        batch: &[NewQuote],
        actor: &Actor,
    ) -> Result<Vec<Registration>, StoreError> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let outlet_ids: Vec<&str> = batch
            .iter()
            .map(|q| q.attribution.outlet_id.as_str())
            .filter(|id| !id.is_empty())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let known: HashSet<String> = if outlet_ids.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar("SELECT id FROM outlets WHERE id = ANY($1)")
                .bind(&outlet_ids)
                .fetch_all(&mut *tx)
                .await
                .map_err(classify)?
                .into_iter()
                .collect()
        };
        let valid: Vec<&NewQuote> = batch
            .iter()
            .filter(|q| rows::creditable(q, &known))
            .collect();
        let mut valid_outcomes = Vec::with_capacity(valid.len());
        for chunk in valid.chunks(CHUNK) {
            valid_outcomes.extend(register_chunk(&mut tx, chunk, now, actor).await?);
        }
        tx.commit().await.map_err(classify)?;
        Ok(rows::batch_outcomes(batch, &known, valid_outcomes))
    }

    async fn get_quote(&self, hash: &ContentHash) -> Result<Option<Quote>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        fetch_quote(&mut conn, hash).await
    }

    async fn list_quotes(
        &self,
        filter: &QuoteFilter,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Quote>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {QUOTE_COLUMNS} FROM quotes q WHERE seq > $1 \
             AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM attributions a \
                  WHERE a.quote_seq = q.seq AND a.outlet_id = $2)) \
             AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM attributions a \
                  WHERE a.quote_seq = q.seq AND a.speaker_key = $3)) \
             ORDER BY seq LIMIT $4"
        )))
        .bind(after_seq)
        .bind(filter.outlet_id.as_deref())
        .bind(filter.speaker.as_deref().map(speaker_key))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
        let mut quotes = found
            .iter()
            .map(quote_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_attributions(&mut conn, &mut quotes).await?;
        Ok(quotes)
    }

    async fn list_index_entries(
        &self,
        after_seq: i64,
        through_seq: i64,
    ) -> Result<Vec<IndexEntry>, StoreError> {
        let found = sqlx::query(
            "SELECT seq, content_hash, text, retracted_at IS NOT NULL AS retracted FROM quotes \
             WHERE seq > $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(after_seq)
        .bind(through_seq)
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        let mut entries = found
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(entries);
        };
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CREDIT_COLUMNS} FROM attributions WHERE quote_seq BETWEEN $1 AND $2 \
             ORDER BY quote_seq, id"
        )))
        .bind(first.seq)
        .bind(last.seq)
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        attach_to_entries(&mut entries, credit_rows_of(&found)?);
        Ok(entries)
    }

    async fn retract_quote(
        &self,
        hash: &ContentHash,
        reason: &str,
        at: Micros,
        actor: &Actor,
    ) -> Result<Option<Quote>, StoreError> {
        let mut tx = self.begin_write().await?;
        let retracted: Option<i64> = sqlx::query_scalar(
            "UPDATE quotes SET retraction_reason = $1, retracted_at = $2 \
             WHERE content_hash = $3 AND retracted_at IS NULL RETURNING seq",
        )
        .bind(reason)
        .bind(at)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(classify)?;
        if let Some(seq) = retracted {
            sqlx::query(
                "INSERT INTO changes (quote_seq, at, actor, action, detail) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(seq)
            .bind(at)
            .bind(actor.as_str())
            .bind(AuditAction::QuoteRetracted.name())
            .bind(format!("reason: {reason}"))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            notify(&mut tx).await?;
        }
        let quote = fetch_quote(&mut tx, hash).await?;
        tx.commit().await.map_err(classify)?;
        Ok(quote)
    }

    async fn add_key(&self, key: &ApiKey, actor: &Actor) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let added = sqlx::query(
            "INSERT INTO api_keys (name, role, key_hash, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&key.name)
        .bind(key.role.name())
        .bind(key.key_hash.as_slice())
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(&mut *tx)
        .await
        .map_err(classify)?
        .rows_affected()
            == 1;
        if added {
            sqlx::query(
                "INSERT INTO changes (key_name, at, actor, action, detail) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&key.name)
            .bind(key.created_at)
            .bind(actor.as_str())
            .bind(AuditAction::KeyAdded.name())
            .bind(format!("role: {}", key.role.name()))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            notify(&mut tx).await?;
        }
        tx.commit().await.map_err(classify)?;
        Ok(added)
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        keys_on(&mut conn).await
    }

    async fn revoke_key(&self, name: &str, at: Micros, actor: &Actor) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM api_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?
            .is_some();
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(classify)?
        .rows_affected()
            == 1;
        if revoked {
            sqlx::query(
                "INSERT INTO changes (key_name, at, actor, action, detail) \
                 VALUES ($1, $2, $3, $4, '')",
            )
            .bind(name)
            .bind(at)
            .bind(actor.as_str())
            .bind(AuditAction::KeyRevoked.name())
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            notify(&mut tx).await?;
        }
        tx.commit().await.map_err(classify)?;
        Ok(exists)
    }

    async fn list_audit(
        &self,
        after: i64,
        since: Micros,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.seq, c.at, c.actor, c.action, q.content_hash, c.outlet_id, c.key_name, \
             c.detail FROM changes c LEFT JOIN quotes q ON q.seq = c.quote_seq \
             WHERE c.seq > $1 AND c.at >= $2 ORDER BY c.seq LIMIT $3",
        )
        .bind(after)
        .bind(since)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|row| {
                rows::audit_event((
                    row.try_get(0).map_err(classify)?,
                    row.try_get(1).map_err(classify)?,
                    row.try_get(2).map_err(classify)?,
                    row.try_get(3).map_err(classify)?,
                    row.try_get(4).map_err(classify)?,
                    row.try_get(5).map_err(classify)?,
                    row.try_get(6).map_err(classify)?,
                    row.try_get(7).map_err(classify)?,
                ))
            })
            .collect()
    }

    async fn last_quote_seq(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0)::bigint FROM quotes")
            .fetch_one(&self.pool)
            .await
            .map_err(classify)
    }

    async fn latest_change(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0)::bigint FROM changes")
            .fetch_one(&self.pool)
            .await
            .map_err(classify)
    }

    async fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        let found = sqlx::query(
            "SELECT seq, quote_seq, outlet_id, key_name FROM changes WHERE seq > $1 \
             ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
        let change_rows = found
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("seq").map_err(classify)?,
                    row.try_get("quote_seq").map_err(classify)?,
                    row.try_get("outlet_id").map_err(classify)?,
                    row.try_get("key_name").map_err(classify)?,
                ))
            })
            .collect::<Result<Vec<rows::ChangeRow>, StoreError>>()?;
        let seqs: Vec<i64> = change_rows.iter().filter_map(|(_, q, _, _)| *q).collect();
        let entries = entries_by_seq(&mut conn, &seqs).await?;
        let ids: Vec<&str> = change_rows
            .iter()
            .filter_map(|(_, _, o, _)| o.as_deref())
            .collect();
        let mut outlets = HashMap::new();
        if !ids.is_empty() {
            let found =
                sqlx::query("SELECT id, name, aliases, domains FROM outlets WHERE id = ANY($1)")
                    .bind(&ids)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(classify)?;
            for row in &found {
                let outlet = outlet_from_row(row)?;
                outlets.insert(outlet.id.clone(), outlet);
            }
        }
        let keys: HashMap<String, ApiKey> = if change_rows.iter().any(|(_, _, _, k)| k.is_some()) {
            keys_on(&mut conn)
                .await?
                .into_iter()
                .map(|key| (key.name.clone(), key))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(rows::assemble_changes(
            change_rows,
            &entries,
            &outlets,
            &keys,
        ))
    }

    async fn wait_for_change(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut listener = self.listener.lock().await;
        if listener.is_none() {
            match PgListener::connect_with(&self.pool).await {
                Ok(mut opened) => match opened.listen(CHANGES_CHANNEL).await {
                    Ok(()) => *listener = Some(opened),
                    Err(error) => tracing::debug!(%error, "cannot listen for changes"),
                },
                Err(error) => tracing::debug!(%error, "cannot open the change listener"),
            }
        }
        let Some(open) = listener.as_mut() else {
            // No listener: the caller polls after the timeout instead.
            tokio::time::sleep_until(deadline).await;
            return;
        };
        match tokio::time::timeout_at(deadline, open.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(error)) => {
                // Reopened on the next wait; what was missed is caught up by polling.
                tracing::debug!(%error, "the change listener failed");
                *listener = None;
                tokio::time::sleep_until(deadline).await;
            }
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn close(&self) {
        if let Some(listener) = self.listener.lock().await.take() {
            drop(listener);
        }
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh database on the server at `DATABASE_URL`, dropped by [`drop_database`].
    async fn fresh_database() -> Option<(String, String)> {
        let Ok(base) = std::env::var("DATABASE_URL") else {
            eprintln!("skipped: DATABASE_URL is unset (the PostgreSQL store tests need a server)");
            return None;
        };
        let name = format!(
            "verbatim_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_nanos()
        );
        let admin = PgPool::connect(&base).await.expect("DATABASE_URL answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("a test database can be created");
        admin.close().await;
        let (prefix, _) = base
            .rsplit_once('/')
            .expect("a database path in DATABASE_URL");
        Some((base.clone(), format!("{prefix}/{name}")))
    }

    async fn drop_database(base: &str, url: &str) {
        let name = url.rsplit('/').next().expect("a database name");
        let admin = PgPool::connect(base).await.expect("DATABASE_URL answers");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await
        .expect("the test database is dropped");
        admin.close().await;
    }

    #[tokio::test]
    async fn passes_the_conformance_suite() {
        let Some((base, url)) = fresh_database().await else {
            return;
        };
        let store = PgStore::open(&url, PgSettings::default())
            .await
            .expect("the store opens");
        super::super::conformance::run_all(&store).await;
        store.close().await;
        drop_database(&base, &url).await;
    }

    #[tokio::test]
    async fn replicas_opening_together_migrate_once_and_newer_schemas_are_refused() {
        let Some((base, url)) = fresh_database().await else {
            return;
        };
        let opened = futures_join(&url).await;
        assert!(opened.iter().all(Result::is_ok), "{opened:?}");
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM verbatim_schema")
            .fetch_one(&opened[0].as_ref().expect("open").pool)
            .await
            .expect("count");
        assert_eq!(versions, i64::try_from(MIGRATIONS.len()).expect("few"));
        sqlx::query("INSERT INTO verbatim_schema (version, applied_at) VALUES (99, 0)")
            .execute(&opened[0].as_ref().expect("open").pool)
            .await
            .expect("insert");
        for store in opened.into_iter().flatten() {
            store.close().await;
        }
        let error = PgStore::open(&url, PgSettings::default())
            .await
            .expect_err("a newer schema is refused");
        assert!(
            matches!(error, StoreError::NewerSchema { found: 99, .. }),
            "{error}"
        );
        drop_database(&base, &url).await;
    }

    async fn futures_join(url: &str) -> Vec<Result<PgStore, StoreError>> {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let url = url.to_owned();
                tokio::spawn(async move { PgStore::open(&url, PgSettings::default()).await })
            })
            .collect();
        let mut opened = Vec::new();
        for task in tasks {
            opened.push(task.await.expect("the open task does not panic"));
        }
        opened
    }

    #[test]
    fn passwords_never_reach_errors() {
        let url = "postgres://verbatim:s3cret@db.example/verbatim";
        assert_eq!(url::password_of(url), Some("s3cret"));
        assert_eq!(
            redact_error(url, "bad thing with s3cret in it"),
            "bad thing with **** in it"
        );
        assert_eq!(url::password_of("postgres://db.example/verbatim"), None);
    }
}
