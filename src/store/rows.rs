//! What every SQL backend does the same way around its statements: list columns as JSON text,
//! which items of a batch bring new words or new attributions and what each item's outcome is,
//! and how attribution rows join the quotes they belong to.

use std::collections::{HashMap, HashSet};

use super::StoreError;
use crate::record::{
    Attribution, AuditAction, AuditEvent, IndexEntry, Micros, NewQuote, Quote, Registration,
    speaker_key,
};
use crate::text::ContentHash;

/// A content hash as stored: 32 bytes.
pub(super) type HashBytes = [u8; 32];

/// The identity of one attribution row: (quote seq, speaker key, outlet id).
pub(super) type AttributionKey = (i64, String, String);

/// A list of strings as a column value.
pub(super) fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings always serializes")
}

/// A list of strings from column `column`.
pub(super) fn from_json(column: &str, text: &str) -> Result<Vec<String>, StoreError> {
    // Most lists are empty; loading a register reads millions of them.
    if text == "[]" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("column {column} holds {text:?}: {e}")))
}

/// The items of `chunk` whose words are not yet registered, each hash once (the first item that
/// carries it supplies the text).
pub(super) fn new_words<'q>(
    chunk: &[&'q NewQuote],
    existing: &HashMap<HashBytes, i64>,
) -> Vec<&'q NewQuote> {
    let mut seen = HashSet::new();
    chunk
        .iter()
        .copied()
        .filter(|q| !existing.contains_key(q.hash.as_bytes()) && seen.insert(*q.hash.as_bytes()))
        .collect()
}

/// Each item's attribution identity, given the seq of every hash in the chunk.
pub(super) fn attribution_keys(
    chunk: &[&NewQuote],
    seqs: &HashMap<HashBytes, i64>,
) -> Result<Vec<AttributionKey>, StoreError> {
    chunk
        .iter()
        .map(|quote| {
            let seq = seqs.get(quote.hash.as_bytes()).copied().ok_or_else(|| {
                StoreError::Corrupt(format!("quote {} vanished while registering", quote.hash))
            })?;
            Ok((
                seq,
                speaker_key(&quote.attribution.speaker),
                quote.attribution.outlet_id.clone(),
            ))
        })
        .collect()
}

/// The attribution rows to insert: each identity once, with the item that first asked for it.
pub(super) fn attribution_rows<'k, 'q>(
    keys: &'k [AttributionKey],
    chunk: &[&'q NewQuote],
) -> Vec<(&'k AttributionKey, &'q NewQuote)> {
    let mut seen = HashSet::new();
    keys.iter()
        .zip(chunk)
        .filter(|(key, _)| seen.insert(*key))
        .map(|(key, quote)| (key, *quote))
        .collect()
}

/// Each item's outcome: Created for the first item that brought new words or a new
/// attribution, Existing for the rest.
pub(super) fn outcomes(
    chunk: &[&NewQuote],
    keys: &[AttributionKey],
    existing: &HashMap<HashBytes, i64>,
    mut added: HashSet<AttributionKey>,
) -> Vec<Registration> {
    let mut words_claimed = HashSet::new();
    keys.iter()
        .zip(chunk)
        .map(|(key, quote)| {
            let new_text = !existing.contains_key(quote.hash.as_bytes())
                && words_claimed.insert(*quote.hash.as_bytes());
            // Both are claimed by the first item, so that a repeat is Existing.
            let new_attribution = added.remove(key);
            if new_text || new_attribution {
                Registration::Created
            } else {
                Registration::Existing
            }
        })
        .collect()
}

/// The outcome of every item of `batch`, in order: UnknownOutlet for items whose outlet is not
/// in `known`, the next of `registered` (one per other item) for the rest.
pub(super) fn batch_outcomes(
    batch: &[NewQuote],
    known: &HashSet<String>,
    registered: Vec<Registration>,
) -> Vec<Registration> {
    let mut registered = registered.into_iter();
    batch
        .iter()
        .map(|q| {
            if creditable(q, known) {
                registered.next().expect("one outcome per creditable item")
            } else {
                Registration::UnknownOutlet
            }
        })
        .collect()
}

/// True when `quote` credits no outlet or one in `known`.
pub(super) fn creditable(quote: &NewQuote, known: &HashSet<String>) -> bool {
    quote.attribution.outlet_id.is_empty() || known.contains(&quote.attribution.outlet_id)
}

/// Adds attribution rows (by quote seq, in seq order) to the quotes they belong to.
pub(super) fn attach_to_quotes(quotes: &mut [Quote], rows: Vec<(i64, Attribution)>) {
    let position: HashMap<i64, usize> = quotes
        .iter()
        .enumerate()
        .map(|(i, quote)| (quote.seq, i))
        .collect();
    for (seq, attribution) in rows {
        if let Some(&i) = position.get(&seq) {
            quotes[i].attributions.push(attribution);
        }
    }
}

/// Adds attribution rows (in seq order) to index entries (in seq order).
pub(super) fn attach_to_entries(entries: &mut [IndexEntry], rows: Vec<(i64, Attribution)>) {
    let mut next = 0;
    for (seq, attribution) in rows {
        while entries.get(next).is_some_and(|e| e.seq < seq) {
            next += 1;
        }
        if let Some(entry) = entries.get_mut(next).filter(|e| e.seq == seq) {
            entry.attributions.push(attribution);
        }
    }
}

/// One row of the change feed: (seq, the quote, the outlet, the key it touched).
pub(super) type ChangeRow = (i64, Option<i64>, Option<String>, Option<String>);

/// A quote a registration created or changed, as the feed and the audit trail record it.
pub(super) struct QuoteChange {
    pub seq: i64,
    pub action: AuditAction,
    /// The credit that brought the change.
    pub detail: String,
}

/// The quotes `outcomes` created or changed, each once, in order.
pub(super) fn changed_quotes(
    chunk: &[&NewQuote],
    keys: &[AttributionKey],
    outcomes: &[Registration],
    existing: &HashMap<HashBytes, i64>,
) -> Vec<QuoteChange> {
    let mut seen = HashSet::new();
    chunk
        .iter()
        .zip(keys)
        .zip(outcomes)
        .filter(|(_, outcome)| **outcome == Registration::Created)
        .filter(|((_, (seq, _, _)), _)| seen.insert(*seq))
        .map(|((quote, (seq, _, _)), _)| QuoteChange {
            seq: *seq,
            action: if existing.contains_key(quote.hash.as_bytes()) {
                AuditAction::AttributionAdded
            } else {
                AuditAction::QuoteRegistered
            },
            detail: credit_detail(&quote.attribution),
        })
        .collect()
}

/// How the audit trail describes a credit.
fn credit_detail(attribution: &Attribution) -> String {
    let mut parts = Vec::new();
    if !attribution.speaker.is_empty() {
        parts.push(format!("speaker: {}", attribution.speaker));
    }
    if !attribution.outlet_id.is_empty() {
        parts.push(format!("outlet: {}", attribution.outlet_id));
    }
    if !attribution.source_url.is_empty() {
        parts.push(format!("url: {}", attribution.source_url));
    }
    parts.join("; ")
}

/// One audit row as read: (seq, at, actor, action, quote's hash, outlet id, key name, detail).
pub(super) type AuditRow = (
    i64,
    Micros,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// An audit event from its stored columns.
pub(super) fn audit_event(row: AuditRow) -> Result<AuditEvent, StoreError> {
    let (seq, at, actor, action, hash, outlet_id, key_name, detail) = row;
    let action = action
        .map(|name| {
            AuditAction::parse(&name)
                .ok_or_else(|| StoreError::Corrupt(format!("changes.action holds {name:?}")))
        })
        .transpose()?;
    let subject = match (hash, outlet_id, key_name) {
        (Some(hash), _, _) => {
            let bytes: [u8; 32] = hash.as_slice().try_into().map_err(|_| {
                StoreError::Corrupt(format!("the quote of change {seq} has a bad hash"))
            })?;
            ContentHash::from_bytes(bytes).to_string()
        }
        (None, Some(id), _) => id,
        (None, None, Some(name)) => name,
        (None, None, None) => String::new(),
    };
    Ok(AuditEvent {
        seq,
        at,
        actor,
        action,
        subject,
        detail: detail.unwrap_or_default(),
    })
}

/// The changes of `rows`, each with the current state of what it touched; a change whose quote
/// or outlet is missing from `entries`/`outlets` (deleted by hand) is skipped.
pub(super) fn assemble_changes(
    rows: Vec<ChangeRow>,
    entries: &HashMap<i64, IndexEntry>,
    outlets: &HashMap<String, crate::record::Outlet>,
    keys: &HashMap<String, crate::record::ApiKey>,
) -> Vec<crate::record::Change> {
    use crate::record::{Change, Changed};
    rows.into_iter()
        .filter_map(|(seq, quote_seq, outlet_id, key_name)| {
            let what = match (quote_seq, outlet_id, key_name) {
                (Some(quote), _, _) => Changed::Quote(entries.get(&quote)?.clone()),
                (None, Some(id), _) => Changed::Outlet(outlets.get(&id)?.clone()),
                (None, None, Some(name)) => Changed::Key(keys.get(&name)?.clone()),
                (None, None, None) => return None,
            };
            Some(Change { seq, what })
        })
        .collect()
}

/// An API key from its stored columns.
pub(super) fn api_key(
    name: String,
    role: &str,
    key_hash: &[u8],
    created_at: crate::record::Micros,
    revoked_at: Option<crate::record::Micros>,
) -> Result<crate::record::ApiKey, StoreError> {
    Ok(crate::record::ApiKey {
        role: crate::record::Role::parse(role)
            .ok_or_else(|| StoreError::Corrupt(format!("api_keys.role holds {role:?}")))?,
        key_hash: key_hash.try_into().map_err(|_| {
            StoreError::Corrupt(format!("api_keys.key_hash of {name:?} is not 32 bytes"))
        })?,
        name,
        created_at,
        revoked_at,
    })
}
