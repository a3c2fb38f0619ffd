//! `verbatim export --store URL`: writes a whole register (outlets, every attribution of every
//! quote, retractions) to standard output in the import format, streaming page by page, so that
//! `verbatim import` moves it into another store. Reads the store directly: no server needed.
//!
//! Times the store assigns (when a quote or attribution was registered, when it was retracted)
//! are not exported; importing assigns new ones. Everything else round-trips exactly.

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::record::{Micros, Quote};
use crate::store::{PgSettings, PgStore, SqliteStore, Store};

/// Rows read from the store per page.
const PAGE: usize = 1_000;

/// What an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub outlets: u64,
    pub quotes: u64,
    pub attributions: u64,
    pub retractions: u64,
}

/// Opens the store at `url` (SQLite or PostgreSQL) and exports it to `out`.
///
/// # Errors
/// When the store cannot be opened or read, or `out` cannot be written.
pub async fn run(url: &str, out: &mut impl Write) -> anyhow::Result<ExportSummary> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = PgStore::open(url, PgSettings::default()).await?;
        let summary = export(&store, out).await;
        store.close().await;
        summary
    } else {
        let store = SqliteStore::open(url).await?;
        let summary = export(&store, out).await;
        store.close().await;
        summary
    }
}

/// Writes every outlet, then every quote in registration order (one line per attribution,
/// followed by a retraction line when it is retracted).
///
/// # Errors
/// When the store cannot be read or `out` cannot be written.
pub async fn export<S: Store>(store: &S, out: &mut impl Write) -> anyhow::Result<ExportSummary> {
    let mut summary = ExportSummary::default();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_outlets(after.as_deref(), PAGE).await?;
        for outlet in &page {
            write_line(
                out,
                &json!({
                    "kind": "outlet",
                    "id": outlet.id,
                    "name": outlet.name,
                    "aliases": outlet.aliases,
                    "domains": outlet.domains,
                }),
            )?;
            summary.outlets += 1;
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.id.clone()),
            _ => break,
        }
    }
    let mut after_seq = 0;
    loop {
        let page = store
            .list_quotes(&Default::default(), after_seq, PAGE)
            .await?;
        for quote in &page {
            for line in quote_lines(quote) {
                write_line(out, &line)?;
            }
            summary.quotes += 1;
            summary.attributions += quote.attributions.len() as u64;
            summary.retractions += u64::from(quote.retraction.is_some());
        }
        match page.last() {
            Some(last) => after_seq = last.seq,
            None => break,
        }
    }
    out.flush()?;
    Ok(summary)
}

/// The import lines of one quote.
pub fn quote_lines(quote: &Quote) -> Vec<Value> {
    let mut lines: Vec<Value> = quote
        .attributions
        .iter()
        .map(|attribution| {
            let mut line = Map::new();
            line.insert("kind".into(), "quote".into());
            line.insert("text".into(), quote.text.clone().into());
            if !attribution.speaker.is_empty() {
                line.insert("speaker".into(), attribution.speaker.clone().into());
            }
            if !attribution.speaker_aliases.is_empty() {
                line.insert(
                    "speaker_aliases".into(),
                    attribution.speaker_aliases.clone().into(),
                );
            }
            if !attribution.outlet_id.is_empty() {
                line.insert("outlet".into(), attribution.outlet_id.clone().into());
            }
            if !attribution.source_url.is_empty() {
                line.insert("url".into(), attribution.source_url.clone().into());
            }
            if let Some(at) = attribution.published_at {
                line.insert("published_at".into(), rfc3339(at).into());
            }
            Value::Object(line)
        })
        .collect();
    if let Some(retraction) = &quote.retraction {
        lines.push(json!({
            "kind": "retraction",
            "content_hash": quote.hash.to_string(),
            "reason": retraction.reason,
        }));
    }
    lines
}

/// A time as RFC 3339 in UTC with microseconds, the precision the store keeps.
fn rfc3339(at: Micros) -> String {
    let nanos = i128::from(at) * 1_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

fn write_line(out: &mut impl Write, value: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Attribution, Retraction};
    use crate::text::ContentHash;

    #[test]
    fn each_attribution_is_a_line_and_a_retraction_follows() {
        let mut speaker = Attribution::to_speaker("Jane Roe", &["the minister"]);
        speaker.published_at = Some(1_706_486_400_000_000);
        let quote = Quote {
            seq: 1,
            hash: ContentHash::of_text("We will."),
            text: "We will.".into(),
            canonical_text: "we will".into(),
            attributions: vec![speaker, Attribution::to_outlet("bbc")],
            retraction: Some(Retraction {
                reason: "disowned".into(),
                at: 5,
            }),
            registered_at: 0,
        };
        let lines = quote_lines(&quote);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["speaker_aliases"], json!(["the minister"]));
        assert_eq!(lines[0]["published_at"], "2024-01-29T00:00:00Z");
        assert_eq!(lines[1]["outlet"], "bbc");
        assert!(lines[1].get("speaker").is_none());
        assert_eq!(lines[2]["kind"], "retraction");
        assert_eq!(lines[2]["content_hash"], quote.hash.to_string());
    }
}
