//! `verbatim.v1.Checker`: checks texts against the live register, in a blocking-safe thread
//! because checking is CPU work, and fills in each matched quotation from the store.

use std::{collections::HashMap, pin::Pin, sync::Arc};

use tokio::sync::Semaphore;
use tokio_stream::{Stream, StreamExt as _, wrappers::ReceiverStream};
use tonic::{Request, Response, Status, Streaming};

use super::convert;
use super::quote_cache::QuoteCache;
use super::status::{self, ApiError};
use crate::checker::LiveRegister;
use crate::config::Limits;
use crate::proto::v1::{self as pb, checker_server::Checker};
use crate::store::Store;
use crate::text::ContentHash;

/// Checks running at once, per core. Left to the operating system, dozens of checking threads
/// share the cores in time slices, so every check's time stretches with all the others in
/// progress; in line, each waits its turn and then runs at full speed. One per core leaves cores idle while a checking thread
/// waits on something else; two keep them busy. Measured at 64 callers on two cores (register
/// of 1,000,000): p99 18.5–19.6 ms instead of 24.6–27.5 ms, the same throughput. The cost: a
/// few huge texts at once hold every place until they finish (the per-key concurrency cap
/// bounds how many one caller can send).
const CHECKS_PER_CORE: usize = 2;

/// Responses of a CheckTexts stream waiting to be sent.
const STREAM_DEPTH: usize = 16;

/// The Checker service.
pub struct CheckApi<S> {
    store: Arc<S>,
    live: Arc<LiveRegister>,
    cache: Arc<QuoteCache>,
    limits: Limits,
    /// Checks that may run at once; the others wait their turn, first come first served.
    running: Arc<Semaphore>,
}

impl<S: Store> CheckApi<S> {
    /// A Checker over `live`, reading full quotations from `store` through `cache`.
    pub fn new(
        store: Arc<S>,
        live: Arc<LiveRegister>,
        cache: Arc<QuoteCache>,
        limits: Limits,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        CheckApi {
            store,
            live,
            cache,
            limits,
            running: Arc::new(Semaphore::new(cores * CHECKS_PER_CORE)),
        }
    }

    async fn check(
        store: &S,
        live: &Arc<LiveRegister>,
        cache: &QuoteCache,
        running: &Arc<Semaphore>,
        request: pb::CheckTextRequest,
    ) -> Result<pb::CheckTextResponse, ApiError> {
        let options = convert::check_request(&request)?;
        let pb::CheckTextRequest {
            text, document_id, ..
        } = request;
        let (text, report) = {
            let live = Arc::clone(live);
            let turn = Arc::clone(running)
                .acquire_owned()
                .await
                .map_err(|e| ApiError::Internal(format!("the check queue closed: {e}")))?;
            tokio::task::spawn_blocking(move || {
                let report = live.check(&text, &options);
                drop(turn);
                (text, report)
            })
            .await
            .map_err(|e| ApiError::Internal(format!("the check task failed: {e}")))?
        };
        for finding in &report.findings {
            metrics::counter!("verbatim_check_findings_total", "verdict" => finding.verdict.name())
                .increment(1);
        }
        let mut quotes: HashMap<ContentHash, pb::Quote> = HashMap::new();
        for finding in &report.findings {
            let Some(hash) = finding.quote else {
                continue;
            };
            if quotes.contains_key(&hash) {
                continue;
            }
            if let Some(quote) = cache.get(&hash) {
                quotes.insert(hash, quote);
                continue;
            }
            let quote = match store.get_quote(&hash).await {
                Ok(Some(quote)) => {
                    let quote = convert::quote_to_proto(quote);
                    cache.put(hash, quote.clone());
                    quote
                }
                // The index knows the words even when the store cannot be read right now.
                Ok(None) | Err(_) => live.quote_summary(&hash).map_or_else(
                    || pb::Quote {
                        content_hash: hash.to_string(),
                        ..Default::default()
                    },
                    |(text, canonical_text, retracted)| pb::Quote {
                        content_hash: hash.to_string(),
                        text,
                        canonical_text,
                        retracted,
                        ..Default::default()
                    },
                ),
            };
            quotes.insert(hash, quote);
        }
        Ok(convert::report_to_proto(
            &text,
            document_id,
            report,
            |hash| quotes.get(hash).cloned(),
        ))
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::CheckTextResponse, Status>> + Send>>;

#[tonic::async_trait]
impl<S: Store> Checker for CheckApi<S> {
    async fn check_text(
        &self,
        request: Request<pb::CheckTextRequest>,
    ) -> Result<Response<pb::CheckTextResponse>, Status> {
        let response = Self::check(
            &self.store,
            &self.live,
            &self.cache,
            &self.running,
            request.into_inner(),
        )
        .await?;
        Ok(Response::new(response))
    }

    type CheckTextsStream = ResponseStream;

    async fn check_texts(
        &self,
        request: Request<Streaming<pb::CheckTextRequest>>,
    ) -> Result<Response<Self::CheckTextsStream>, Status> {
        let mut requests = request.into_inner();
        let (sender, receiver) = tokio::sync::mpsc::channel(STREAM_DEPTH);
        let store = Arc::clone(&self.store);
        let live = Arc::clone(&self.live);
        let cache = Arc::clone(&self.cache);
        let running = Arc::clone(&self.running);
        let limits = self.limits;
        let idle = limits.stream_idle_timeout;
        tokio::spawn(async move {
            loop {
                let Ok(item) = tokio::time::timeout(idle, requests.next()).await else {
                    // A hung caller holds its place no longer.
                    let _ = sender.try_send(Err(status::stream_idle(limits)));
                    break;
                };
                let Some(item) = item else {
                    break;
                };
                let response = match item {
                    Ok(request) => {
                        let document_id = request.document_id.clone();
                        match Self::check(&store, &live, &cache, &running, request).await {
                            Ok(response) => Ok(response),
                            Err(error) => Ok(status::document_error(document_id, error)),
                        }
                    }
                    Err(error) => Err(status::stream_broken(&error, limits.max_request_bytes)),
                };
                let broken = response.is_err();
                // A client that went away, or stopped taking responses, frees the task.
                match tokio::time::timeout(idle, sender.send(response)).await {
                    Ok(Ok(())) if !broken => {}
                    _ => break,
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}
