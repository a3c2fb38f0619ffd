//! `verbatim import FILE`: registers the outlets of a JSON Lines register file one by one, then
//! streams its quotations through `RegisterQuotes`, and maps every rejection back to its line.
//!
//! The file is read twice (outlets first, so quotes may name outlets defined further down)
//! rather than held in memory; standard input, which cannot be re-read, is buffered.

use std::{
    fs::File,
    io::{BufRead, BufReader, Read as _},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::Context as _;
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;

use super::client::{self, Connection};
use super::progress::Progress;
use crate::proto::v1 as pb;

/// Quotations in flight between the file reader and the gRPC stream.
const CHANNEL_DEPTH: usize = 1_024;

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub outlets_created: u64,
    pub outlets_updated: u64,
    pub quotes_created: u64,
    pub quotes_existing: u64,
    pub quotes_retracted: u64,
    /// Every line that was not imported, in line order.
    pub rejected: Vec<RejectedLine>,
}

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    /// 1-based line number in the file.
    pub line: u64,
    /// The status code name (`INVALID_ARGUMENT`, `NOT_FOUND`, …).
    pub code: String,
    /// What is wrong with it.
    pub reason: String,
}

/// One line of a register file.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum RegisterLine {
    Outlet(OutletLine),
    Quote(QuoteLine),
    Retraction(RetractionLine),
}

/// A retraction, applied after every quote is registered (`verbatim export` writes one after
/// the quote it retracts).
#[derive(Debug, Deserialize)]
struct RetractionLine {
    content_hash: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct OutletLine {
    id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct QuoteLine {
    text: String,
    #[serde(default)]
    outlet: Option<String>,
    #[serde(default)]
    speaker: Option<String>,
    #[serde(default)]
    speaker_aliases: Vec<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    published_at: Option<String>,
}

impl QuoteLine {
    fn into_request(self) -> Result<pb::RegisterQuoteRequest, String> {
        let published_at = self
            .published_at
            .as_deref()
            .map(client::parse_time)
            .transpose()
            .map_err(|e| format!("`published_at`: {e}"))?;
        Ok(pb::RegisterQuoteRequest {
            text: self.text,
            speaker: self.speaker.unwrap_or_default(),
            speaker_aliases: self.speaker_aliases,
            outlet_id: self.outlet.unwrap_or_default(),
            source_url: self.url.unwrap_or_default(),
            published_at,
        })
    }
}

/// Where the lines come from.
#[derive(Clone)]
enum Source {
    File(PathBuf),
    Memory(Arc<Vec<u8>>),
}

impl Source {
    fn open(name: &str) -> anyhow::Result<Self> {
        if name == "-" {
            let mut buffer = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buffer)
                .context("reading standard input")?;
            return Ok(Source::Memory(Arc::new(buffer)));
        }
        let path = PathBuf::from(name);
        File::open(&path).with_context(|| format!("cannot open {name}"))?;
        Ok(Source::File(path))
    }

    /// Calls `visit` with each non-blank line and its 1-based number.
    fn for_each_line(
        &self,
        mut visit: impl FnMut(u64, &str) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let reader: Box<dyn BufRead> = match self {
            Source::File(path) => Box::new(BufReader::new(
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
            )),
            Source::Memory(bytes) => Box::new(std::io::Cursor::new(Arc::clone(bytes).to_vec())),
        };
        for (number, line) in (1u64..).zip(reader.lines()) {
            let line = line.with_context(|| format!("line {number}: not UTF-8 text"))?;
            if !line.trim().is_empty() {
                visit(number, &line)?;
            }
        }
        Ok(())
    }
}

fn parse(line: &str) -> Result<RegisterLine, String> {
    serde_json::from_str(line).map_err(|e| format!("not a register line: {e}"))
}

fn invalid(line: u64, reason: String) -> RejectedLine {
    RejectedLine {
        line,
        code: "INVALID_ARGUMENT".into(),
        reason,
    }
}

/// Imports `file` (or `-` for stdin) into the server behind `connection`.
///
/// # Errors
/// When the file cannot be read or the server fails as a whole; rejected lines are not errors
/// but entries of [`ImportSummary::rejected`].
pub async fn run(connection: &mut Connection, file: &str) -> anyhow::Result<ImportSummary> {
    let source = Source::open(file)?;
    let mut summary = ImportSummary::default();

    // Pass 1: outlets, and every line that does not parse.
    let mut outlets = Vec::new();
    let mut retractions = Vec::new();
    let mut quote_lines = 0u64;
    source.for_each_line(|number, line| {
        match parse(line) {
            Ok(RegisterLine::Outlet(outlet)) => outlets.push((number, outlet)),
            Ok(RegisterLine::Quote(_)) => quote_lines += 1,
            Ok(RegisterLine::Retraction(retraction)) => retractions.push((number, retraction)),
            Err(reason) => summary.rejected.push(invalid(number, reason)),
        }
        Ok(())
    })?;
    for (number, outlet) in outlets {
        let request = pb::RegisterOutletRequest {
            outlet: Some(pb::Outlet {
                id: outlet.id,
                name: outlet.name,
                aliases: outlet.aliases,
                domains: outlet.domains,
            }),
        };
        match connection.registry.register_outlet(request).await {
            Ok(response) if response.get_ref().created => summary.outlets_created += 1,
            Ok(_) => summary.outlets_updated += 1,
            Err(status) => summary.rejected.push(RejectedLine {
                line: number,
                code: crate::proto::code_name(status.code()).into(),
                reason: status.message().into(),
            }),
        }
    }

    // Pass 2: quotes, streamed while the file is read.
    let (sender, receiver) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    let sent = Arc::new(AtomicU64::new(0));
    let reader = {
        let source = source.clone();
        let sent = Arc::clone(&sent);
        tokio::task::spawn_blocking(move || {
            let mut line_of_item = Vec::new();
            let mut rejected = Vec::new();
            source.for_each_line(|number, line| {
                let Ok(RegisterLine::Quote(quote)) = parse(line) else {
                    return Ok(());
                };
                match quote.into_request() {
                    Ok(request) => {
                        if sender.blocking_send(request).is_err() {
                            anyhow::bail!("the server closed the import stream early");
                        }
                        line_of_item.push(number);
                    }
                    Err(reason) => rejected.push(invalid(number, reason)),
                }
                sent.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })?;
            anyhow::Ok((line_of_item, rejected))
        })
    };
    let progress = Progress::start("importing", "quotes", quote_lines, Arc::clone(&sent));
    let response = connection
        .registry
        .register_quotes(ReceiverStream::new(receiver))
        .await;
    progress.finish();
    let (line_of_item, local_rejections) = reader.await.context("the file reader panicked")??;
    let response = response.map_err(client::describe)?.into_inner();

    summary.quotes_created = response.created;
    summary.quotes_existing = response.existing;
    summary.rejected.extend(local_rejections);
    for rejected in response.rejected {
        let line = usize::try_from(rejected.index)
            .ok()
            .and_then(|i| line_of_item.get(i).copied())
            .unwrap_or(0);
        summary.rejected.push(RejectedLine {
            line,
            code: crate::proto::code_name(tonic::Code::from(rejected.code)).into(),
            reason: rejected.reason,
        });
    }

    // Pass 3: retractions, once the quotes they name are registered.
    for (number, retraction) in retractions {
        let request = pb::RetractQuoteRequest {
            content_hash: retraction.content_hash,
            reason: retraction.reason,
        };
        match connection.registry.retract_quote(request).await {
            Ok(_) => summary.quotes_retracted += 1,
            Err(status) => summary.rejected.push(RejectedLine {
                line: number,
                code: crate::proto::code_name(status.code()).into(),
                reason: status.message().into(),
            }),
        }
    }
    summary.rejected.sort_by_key(|r| r.line);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_the_documented_format_parse() {
        let outlet = parse(r#"{"kind":"outlet","id":"bbc","name":"BBC","aliases":["the Beeb"]}"#);
        assert!(matches!(outlet, Ok(RegisterLine::Outlet(o)) if o.aliases == ["the Beeb"]));
        let quote = parse(
            r#"{"kind":"quote","text":"Hi.","speaker":"A","published_at":"2024-01-29","url":"https://x.org"}"#,
        );
        let Ok(RegisterLine::Quote(quote)) = quote else {
            panic!("a quote line");
        };
        let request = quote.into_request().expect("valid");
        assert_eq!(request.source_url, "https://x.org");
        assert_eq!(request.published_at.expect("set").seconds, 1_706_486_400);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse("{").unwrap_err().contains("not a register line"));
        assert!(
            parse(r#"{"kind":"speech","text":"x"}"#)
                .unwrap_err()
                .contains("speech")
        );
        let Ok(RegisterLine::Quote(quote)) =
            parse(r#"{"kind":"quote","text":"x","speaker":"A","published_at":"yesterday"}"#)
        else {
            panic!("a quote line");
        };
        assert!(quote.into_request().unwrap_err().contains("published_at"));
    }
}
