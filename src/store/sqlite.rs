//! The embedded default store: one SQLite file in WAL mode, written through a single connection
//! and read through a small pool.
//!
//! One writer connection serializes writes inside the process, which is what SQLite does anyway,
//! and avoids the `SQLITE_BUSY` a deferred transaction gets when it upgrades from reading to
//! writing while another connection writes. `synchronous = FULL` makes every acknowledged
//! transaction durable, not only against a crash of the process but of the machine.

use std::{
    collections::{HashMap, HashSet},
    str::FromStr,
    time::Duration,
};

use sqlx::{
    QueryBuilder, Row, Sqlite, SqliteConnection,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
        SqliteSynchronous,
    },
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
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_register.sql")),
    (2, include_str!("../../migrations/sqlite/0002_changes.sql")),
    (3, include_str!("../../migrations/sqlite/0003_api_keys.sql")),
    (4, include_str!("../../migrations/sqlite/0004_audit.sql")),
];

/// How long a statement waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free connection before the store counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Rows the driver may buffer between SQLite's thread and the caller.
const ROW_BUFFER: usize = 4_096;
/// Connections that serve reads concurrently with the writer.
const READ_CONNECTIONS: u32 = 4;

/// The embedded SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite:` URL and brings its schema up to
    /// date. `sqlite://verbatim.db` is relative to the working directory,
    /// `sqlite:///var/lib/verbatim.db` absolute, and `sqlite::memory:` a private in-memory
    /// database.
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for a URL that is not `sqlite:`, [`StoreError::NewerSchema`] for a
    /// database written by a newer build, and [`StoreError::Unavailable`] when the file cannot be
    /// opened or created.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::BadUrl {
                url: super::redact_url(url),
                problem:
                    "use sqlite://FILE for the embedded store or postgres://USER@HOST/DATABASE \
                          for PostgreSQL"
                        .into(),
            });
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl {
                url: super::redact_url(url),
                problem: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // The driver hands rows from SQLite's thread to ours through a channel; a deep one
            // lets SQLite run ahead instead of waking us every few rows (loading a register of
            // millions at start).
            .row_buffer_size(ROW_BUFFER);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");

        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // An in-memory database lives as long as a connection to it does.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(|e| open_error(url, e))?;
        migrate(&writer).await?;
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(|e| open_error(url, e))?
        };
        Ok(SqliteStore { writer, reader })
    }

    /// Runs SQLite's own consistency check; `Ok(())` when it reports `ok`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] with SQLite's report when the check finds damage.
    pub async fn integrity_check(&self) -> Result<(), StoreError> {
        let report: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.reader)
            .await
            .map_err(classify)?;
        if report == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(report))
        }
    }
}

fn open_error(url: &str, error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Configuration(problem) => StoreError::BadUrl {
            url: super::redact_url(url),
            problem: problem.to_string(),
        },
        other => classify(other),
    }
}

/// Sorts a driver error into the store's error kinds by SQLite's primary result code.
fn classify(error: sqlx::Error) -> StoreError {
    const SQLITE_BUSY: i64 = 5;
    const SQLITE_LOCKED: i64 = 6;
    const SQLITE_IOERR: i64 = 10;
    const SQLITE_FULL: i64 = 13;
    const SQLITE_CANTOPEN: i64 = 14;
    let primary_code = match &error {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i64>().ok())
            .map(|code| code & 0xff),
        _ => None,
    };
    match (&error, primary_code) {
        (_, Some(SQLITE_FULL)) => StoreError::Full(error),
        (_, Some(SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_CANTOPEN)) => {
            StoreError::Unavailable(error)
        }
        (
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed,
            _,
        ) => StoreError::Unavailable(error),
        _ => StoreError::Database(error),
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS verbatim_schema (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL
        ) STRICT",
    )
    .execute(pool)
    .await
    .map_err(classify)?;
    let found: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM verbatim_schema")
        .fetch_one(pool)
        .await
        .map_err(classify)?;
    let supported = MIGRATIONS.last().map_or(0, |&(version, _)| version);
    if found > supported {
        return Err(StoreError::NewerSchema { found, supported });
    }
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(classify)?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        sqlx::query("INSERT INTO verbatim_schema (version, applied_at) VALUES (?, ?)")
            .bind(version)
            .bind(now_micros())
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        tracing::info!(version, "applied store migration");
    }
    Ok(())
}

fn outlet_from_row(row: &SqliteRow) -> Result<Outlet, StoreError> {
    Ok(Outlet {
        id: row.try_get("id").map_err(classify)?,
        name: row.try_get("name").map_err(classify)?,
        aliases: from_json("outlets.aliases", row.try_get("aliases").map_err(classify)?)?,
        domains: from_json("outlets.domains", row.try_get("domains").map_err(classify)?)?,
    })
}

const QUOTE_COLUMNS: &str =
    "seq, content_hash, text, canonical_text, registered_at, retraction_reason, retracted_at";

fn hash_from_row(row: &SqliteRow) -> Result<ContentHash, StoreError> {
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

fn quote_from_row(row: &SqliteRow) -> Result<Quote, StoreError> {
    let hash = hash_from_row(row)?;
    let reason: Option<String> = row.try_get("retraction_reason").map_err(classify)?;
    let retracted_at: Option<Micros> = row.try_get("retracted_at").map_err(classify)?;
    Ok(Quote {
        seq: row.try_get("seq").map_err(classify)?,
        hash,
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
fn credit_of(row: &SqliteRow) -> Result<Attribution, StoreError> {
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
fn credit_rows_of(rows: &[SqliteRow]) -> Result<Vec<(i64, Attribution)>, StoreError> {
    rows.iter()
        .map(|row| Ok((row.try_get("quote_seq").map_err(classify)?, credit_of(row)?)))
        .collect()
}

fn attribution_from_row(row: &SqliteRow) -> Result<Attribution, StoreError> {
    Ok(Attribution {
        source_url: row.try_get("source_url").map_err(classify)?,
        published_at: row.try_get("published_at").map_err(classify)?,
        registered_at: row.try_get("registered_at").map_err(classify)?,
        ..credit_of(row)?
    })
}

/// Loads the attributions of `quotes` (in place), with one query.
async fn attach_attributions(
    conn: &mut SqliteConnection,
    quotes: &mut [Quote],
) -> Result<(), StoreError> {
    if quotes.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT quote_seq, speaker, speaker_aliases, outlet_id, source_url, published_at, \
         registered_at FROM attributions WHERE quote_seq IN (",
    );
    let mut seqs = query.separated(", ");
    for quote in quotes.iter() {
        seqs.push_bind(quote.seq);
    }
    query.push(") ORDER BY quote_seq, id");
    let rows = query
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    attach_to_quotes(quotes, attribution_rows_of(&rows)?);
    Ok(())
}

/// (quote seq, attribution) of each attribution row.
fn attribution_rows_of(rows: &[SqliteRow]) -> Result<Vec<(i64, Attribution)>, StoreError> {
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("quote_seq").map_err(classify)?;
            Ok((seq, attribution_from_row(row)?))
        })
        .collect()
}

async fn fetch_quote(
    conn: &mut SqliteConnection,
    hash: &ContentHash,
) -> Result<Option<Quote>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {QUOTE_COLUMNS} FROM quotes WHERE content_hash = ?"
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

/// Items written per multi-row statement: 8 parameters an attribution row keeps a statement
/// well under SQLite's 32,766-parameter limit, and a few statements per chunk (instead of a few
/// per item) is what makes bulk import fast.
const CHUNK: usize = 400;

/// Which of `outlet_ids` are registered.
async fn registered_outlets(
    conn: &mut SqliteConnection,
    outlet_ids: &HashSet<&str>,
) -> Result<HashSet<String>, StoreError> {
    if outlet_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new("SELECT id FROM outlets WHERE id IN (");
    let mut ids = query.separated(", ");
    for id in outlet_ids {
        ids.push_bind(*id);
    }
    query.push(")");
    let rows = query
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    rows.iter()
        .map(|row| row.try_get::<String, _>("id").map_err(classify))
        .collect()
}

/// The `seq` of every quote in the register whose hash is among `hashes`.
async fn seqs_of(
    conn: &mut SqliteConnection,
    hashes: &[&HashBytes],
) -> Result<HashMap<HashBytes, i64>, StoreError> {
    let mut query =
        QueryBuilder::<Sqlite>::new("SELECT seq, content_hash FROM quotes WHERE content_hash IN (");
    let mut list = query.separated(", ");
    for hash in hashes {
        list.push_bind(hash.as_slice());
    }
    query.push(")");
    let rows = query
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    let mut seqs = HashMap::with_capacity(rows.len());
    for row in &rows {
        let hash = *hash_from_row(row)?.as_bytes();
        seqs.insert(hash, row.try_get("seq").map_err(classify)?);
    }
    Ok(seqs)
}

/// Registers one chunk of quotes whose outlets are known to exist, in a handful of multi-row
/// statements, and returns each item's outcome in order.
async fn register_chunk(
    conn: &mut SqliteConnection,
    chunk: &[&NewQuote],
    now: Micros,
    actor: &Actor,
) -> Result<Vec<Registration>, StoreError> {
    let hashes: Vec<&HashBytes> = chunk.iter().map(|q| q.hash.as_bytes()).collect();
    let existing = seqs_of(conn, &hashes).await?;

    let new_words = rows::new_words(chunk, &existing);
    if !new_words.is_empty() {
        let mut insert = QueryBuilder::<Sqlite>::new(
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
    let mut insert = QueryBuilder::<Sqlite>::new(
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
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO changes (quote_seq, at, actor, action, detail) ",
        );
        insert.push_values(&changed, |mut row, change| {
            row.push_bind(change.seq)
                .push_bind(now)
                .push_bind(actor.as_str())
                .push_bind(change.action.name())
                .push_bind(&change.detail);
        });
        insert.build().execute(&mut *conn).await.map_err(classify)?;
    }
    Ok(outcomes)
}

/// Index entries (with attributions) of the quotes whose seq is in `seqs`.
async fn entries_by_seq(
    conn: &mut SqliteConnection,
    seqs: &[i64],
) -> Result<HashMap<i64, IndexEntry>, StoreError> {
    if seqs.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT seq, content_hash, text, retracted_at IS NOT NULL AS retracted FROM quotes \
         WHERE seq IN (",
    );
    let mut list = query.separated(", ");
    for seq in seqs {
        list.push_bind(*seq);
    }
    query.push(") ORDER BY seq");
    let found = query
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    let mut entries = found
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut query = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {CREDIT_COLUMNS} FROM attributions WHERE quote_seq IN ("
    ));
    let mut list = query.separated(", ");
    for seq in seqs {
        list.push_bind(*seq);
    }
    query.push(") ORDER BY quote_seq, id");
    let found = query
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    attach_to_entries(&mut entries, credit_rows_of(&found)?);
    Ok(entries.into_iter().map(|e| (e.seq, e)).collect())
}

fn entry_from_row(row: &SqliteRow) -> Result<IndexEntry, StoreError> {
    Ok(IndexEntry {
        seq: row.try_get("seq").map_err(classify)?,
        hash: hash_from_row(row)?,
        text: row.try_get("text").map_err(classify)?,
        retracted: row.try_get("retracted").map_err(classify)?,
        attributions: Vec::new(),
    })
}

/// Every API key, by name, read on `conn`.
async fn keys_on(conn: &mut SqliteConnection) -> Result<Vec<ApiKey>, StoreError> {
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

impl SqliteStore {
    /// Runs `work` in one write transaction (`BEGIN IMMEDIATE`) on the writer connection.
    ///
    /// After a full disk or an I/O error SQLite may have rolled the transaction back by itself;
    /// the driver's own ROLLBACK then fails and it would go on believing a transaction is open,
    /// refusing every later write. So on such an error the connection is closed instead of
    /// handed back, and the next write opens a fresh one (an in-memory database, which would
    /// vanish with it, never reports those errors).
    async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer.acquire().await.map_err(classify)?;
        let outcome = async {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
                .await
                .map_err(classify)?;
            let value = work(&mut tx).await?;
            tx.commit().await.map_err(classify)?;
            Ok(value)
        }
        .await;
        if matches!(
            outcome,
            Err(StoreError::Full(_) | StoreError::Unavailable(_))
        ) {
            conn.close_on_drop();
        }
        outcome
    }
}

impl Store for SqliteStore {
    async fn upsert_outlet(&self, outlet: &Outlet, actor: &Actor) -> Result<bool, StoreError> {
        let now = now_micros();
        self.write(async |tx| {
            let existed = sqlx::query("SELECT 1 FROM outlets WHERE id = ?")
                .bind(&outlet.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?
                .is_some();
            sqlx::query(
                "INSERT INTO outlets (id, name, aliases, domains, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET \
                 name = excluded.name, aliases = excluded.aliases, domains = excluded.domains, \
                 updated_at = excluded.updated_at",
            )
            .bind(&outlet.id)
            .bind(&outlet.name)
            .bind(to_json(&outlet.aliases))
            .bind(to_json(&outlet.domains))
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            let action = if existed {
                AuditAction::OutletUpdated
            } else {
                AuditAction::OutletCreated
            };
            sqlx::query(
                "INSERT INTO changes (outlet_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&outlet.id)
            .bind(now)
            .bind(actor.as_str())
            .bind(action.name())
            .bind(format!("name: {}", outlet.name))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            Ok(!existed)
        })
        .await
    }

    async fn get_outlet(&self, id: &str) -> Result<Option<Outlet>, StoreError> {
        let row = sqlx::query("SELECT id, name, aliases, domains FROM outlets WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(outlet_from_row).transpose()
    }

    async fn list_outlets(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Outlet>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, aliases, domains FROM outlets WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after.unwrap_or(""))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(outlet_from_row).collect()
    }

    async fn register_quotes(
        &self,
        batch: &[NewQuote],
        actor: &Actor,
    ) -> Result<Vec<Registration>, StoreError> {
        let now = now_micros();
        self.write(async |tx| {
            let outlet_ids: HashSet<&str> = batch
                .iter()
                .map(|q| q.attribution.outlet_id.as_str())
                .filter(|id| !id.is_empty())
                .collect();
            let known = registered_outlets(tx, &outlet_ids).await?;
            let valid: Vec<&NewQuote> = batch
                .iter()
                .filter(|q| rows::creditable(q, &known))
                .collect();
            let mut valid_outcomes = Vec::with_capacity(valid.len());
            for chunk in valid.chunks(CHUNK) {
                valid_outcomes.extend(register_chunk(tx, chunk, now, actor).await?);
            }
            Ok(rows::batch_outcomes(batch, &known, valid_outcomes))
        })
        .await
    }

    async fn get_quote(&self, hash: &ContentHash) -> Result<Option<Quote>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(classify)?;
        fetch_quote(&mut conn, hash).await
    }

    async fn list_quotes(
        &self,
        filter: &QuoteFilter,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Quote>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(classify)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {QUOTE_COLUMNS} FROM quotes q WHERE seq > ?1 \
             AND (?2 IS NULL OR EXISTS (SELECT 1 FROM attributions a \
                  WHERE a.quote_seq = q.seq AND a.outlet_id = ?2)) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM attributions a \
                  WHERE a.quote_seq = q.seq AND a.speaker_key = ?3)) \
             ORDER BY seq LIMIT ?4"
        )))
        .bind(after_seq)
        .bind(filter.outlet_id.as_deref())
        .bind(filter.speaker.as_deref().map(speaker_key))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
        let mut quotes = rows
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
        let rows = sqlx::query(
            "SELECT seq, content_hash, text, retracted_at IS NOT NULL AS retracted FROM quotes \
             WHERE seq > ? AND seq <= ? ORDER BY seq",
        )
        .bind(after_seq)
        .bind(through_seq)
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        let mut entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(entries);
        };
        // The page's attributions in one range scan rather than one query per quote.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CREDIT_COLUMNS} FROM attributions WHERE quote_seq BETWEEN ? AND ? \
             ORDER BY quote_seq, id"
        )))
        .bind(first.seq)
        .bind(last.seq)
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        attach_to_entries(&mut entries, credit_rows_of(&rows)?);
        Ok(entries)
    }

    async fn retract_quote(
        &self,
        hash: &ContentHash,
        reason: &str,
        at: Micros,
        actor: &Actor,
    ) -> Result<Option<Quote>, StoreError> {
        self.write(async |tx| {
            let retracted = sqlx::query(
                "UPDATE quotes SET retraction_reason = ?, retracted_at = ? \
                 WHERE content_hash = ? AND retracted_at IS NULL RETURNING seq",
            )
            .bind(reason)
            .bind(at)
            .bind(hash.as_bytes().as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?;
            if let Some(row) = retracted {
                sqlx::query(
                    "INSERT INTO changes (quote_seq, at, actor, action, detail) \
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(row.try_get::<i64, _>("seq").map_err(classify)?)
                .bind(at)
                .bind(actor.as_str())
                .bind(AuditAction::QuoteRetracted.name())
                .bind(format!("reason: {reason}"))
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            }
            let quote = fetch_quote(tx, hash).await?;
            Ok(quote)
        })
        .await
    }

    async fn add_key(&self, key: &ApiKey, actor: &Actor) -> Result<bool, StoreError> {
        self.write(async |tx| {
            let added = sqlx::query(
                "INSERT INTO api_keys (name, role, key_hash, created_at, revoked_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
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
                    "INSERT INTO changes (key_name, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&key.name)
                .bind(key.created_at)
                .bind(actor.as_str())
                .bind(AuditAction::KeyAdded.name())
                .bind(format!("role: {}", key.role.name()))
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            }
            Ok(added)
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(classify)?;
        keys_on(&mut conn).await
    }

    async fn revoke_key(&self, name: &str, at: Micros, actor: &Actor) -> Result<bool, StoreError> {
        self.write(async |tx| {
            let exists = sqlx::query("SELECT 1 FROM api_keys WHERE name = ?")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?
                .is_some();
            let revoked =
                sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
                    .bind(at)
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?
                    .rows_affected()
                    == 1;
            if revoked {
                sqlx::query(
                    "INSERT INTO changes (key_name, at, actor, action, detail) VALUES (?, ?, ?, ?, '')",
                )
                .bind(name)
                .bind(at)
                .bind(actor.as_str())
                .bind(AuditAction::KeyRevoked.name())
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            }
            Ok(exists)
        })
        .await
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
             WHERE c.seq > ? AND c.at >= ? ORDER BY c.seq LIMIT ?",
        )
        .bind(after)
        .bind(since)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
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
        // AUTOINCREMENT keeps the greatest seq ever given out, deleted or not.
        sqlx::query_scalar(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'quotes'), 0)",
        )
        .fetch_one(&self.reader)
        .await
        .map_err(classify)
    }

    async fn latest_change(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
            .fetch_one(&self.reader)
            .await
            .map_err(classify)
    }

    async fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(classify)?;
        let found = sqlx::query(
            "SELECT seq, quote_seq, outlet_id, key_name FROM changes WHERE seq > ? \
             ORDER BY seq LIMIT ?",
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
        let mut outlets = HashMap::new();
        for id in change_rows.iter().filter_map(|(_, _, o, _)| o.as_ref()) {
            if let Some(row) =
                sqlx::query("SELECT id, name, aliases, domains FROM outlets WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(classify)?
            {
                outlets.insert(id.clone(), outlet_from_row(&row)?);
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
        tokio::time::sleep(timeout).await;
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn temporary() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("register.db").display());
        let store = SqliteStore::open(&url).await.expect("the store opens");
        (dir, store)
    }

    #[tokio::test]
    async fn passes_the_conformance_suite() {
        let (_dir, store) = temporary().await;
        super::super::conformance::run_all(&store).await;
        store
            .integrity_check()
            .await
            .expect("the database is intact");
    }

    #[tokio::test]
    async fn passes_the_conformance_suite_in_memory() {
        let store = SqliteStore::open("sqlite::memory:").await.expect("opens");
        super::super::conformance::run_all(&store).await;
    }

    #[tokio::test]
    async fn the_audit_trail_cannot_be_rewritten() {
        let store = SqliteStore::open("sqlite::memory:").await.expect("opens");
        store
            .upsert_outlet(
                &Outlet {
                    id: "bbc".into(),
                    name: "BBC News".into(),
                    aliases: vec![],
                    domains: vec![],
                },
                &Actor::key("desk"),
            )
            .await
            .expect("upsert");
        for statement in [
            "UPDATE changes SET actor = 'key:someone-else'",
            "DELETE FROM changes",
        ] {
            let error = sqlx::query(statement)
                .execute(&store.writer)
                .await
                .expect_err("append-only");
            assert!(error.to_string().contains("append-only"), "{error}");
        }
        let events = store.list_audit(0, 0, 10).await.expect("audit");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].actor.as_deref(), Some("key:desk"));
    }

    #[tokio::test]
    async fn refuses_a_database_from_a_newer_schema() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("register.db").display());
        let store = SqliteStore::open(&url).await.expect("the store opens");
        sqlx::query("INSERT INTO verbatim_schema (version, applied_at) VALUES (99, 0)")
            .execute(&store.writer)
            .await
            .expect("insert");
        store.close().await;
        let error = SqliteStore::open(&url).await.expect_err("must refuse");
        assert!(
            matches!(
                error,
                StoreError::NewerSchema {
                    found: 99,
                    supported
                } if usize::try_from(supported) == Ok(MIGRATIONS.len())
            ),
            "{error}"
        );
        assert!(error.to_string().contains("upgrade verbatim"));
    }

    #[tokio::test]
    async fn reopening_keeps_everything_and_reapplies_nothing() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("register.db").display());
        let store = SqliteStore::open(&url).await.expect("opens");
        let outlet = Outlet {
            id: "bbc".into(),
            name: "BBC News".into(),
            aliases: vec![],
            domains: vec![],
        };
        store
            .upsert_outlet(&outlet, &Actor::local("test"))
            .await
            .expect("upsert");
        store.close().await;
        let store = SqliteStore::open(&url).await.expect("reopens");
        assert_eq!(store.get_outlet("bbc").await.expect("get"), Some(outlet));
    }

    #[tokio::test]
    async fn other_urls_are_refused_clearly() {
        let error = SqliteStore::open("mysql://root@localhost/db")
            .await
            .expect_err("must refuse");
        assert!(error.to_string().contains("sqlite://"), "{error}");
    }
}
