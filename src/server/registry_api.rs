//! `verbatim.v1.Registry`: validates each request, applies it to the store and converts the
//! result back. Errors leave through `?` and become statuses in `status.rs`.

use std::sync::Arc;

use tokio_stream::StreamExt as _;
use tonic::{Request, Response, Status, Streaming};

use super::auth::{self, KeyRing};
use super::convert::{self, FieldError};
use super::group_commit::GroupCommit;
use super::quote_cache::QuoteCache;
use super::status::{self, ApiError};
use crate::checker::LiveRegister;
use crate::config::Limits;
use crate::proto::v1::{self as pb, registry_server::Registry};
use crate::record::{Actor, ApiKey, Micros, NewQuote, Registration, now_micros};
use crate::store::Store;

/// Items of a `RegisterQuotes` stream committed in one transaction: large enough that commits
/// (each an fsync) do not dominate, small enough that a batch's memory stays modest.
const IMPORT_BATCH: usize = 1_000;

/// The Registry service over a store.
#[derive(Debug)]
pub struct RegistryApi<S> {
    store: Arc<S>,
    limits: Limits,
    /// The checker's view of the register, updated on every registration and retraction.
    live: Arc<LiveRegister>,
    /// The checker's copies of quotations, dropped when one changes.
    cache: Arc<QuoteCache>,
    /// The keys this server accepts: a key made or revoked here applies here at once.
    keys: Arc<KeyRing>,
    /// Single registrations, committed in groups.
    commits: GroupCommit,
}

impl<S: Store> RegistryApi<S> {
    /// A Registry serving `store` under `limits`, keeping `live` in step.
    pub fn new(
        store: Arc<S>,
        limits: Limits,
        live: Arc<LiveRegister>,
        cache: Arc<QuoteCache>,
        keys: Arc<KeyRing>,
    ) -> Self {
        RegistryApi {
            commits: GroupCommit::start(Arc::clone(&store)),
            store,
            limits,
            live,
            cache,
            keys,
        }
    }

    fn unknown_outlet(outlet_id: &str) -> ApiError {
        ApiError::NotFound(format!(
            "`outlet_id`: no outlet {outlet_id:?} is registered; register it first with \
             RegisterOutlet (`verbatim outlet add`)"
        ))
    }

    async fn get_quote_or_not_found(
        &self,
        hash: &crate::text::ContentHash,
    ) -> Result<pb::Quote, ApiError> {
        let quote = self
            .store
            .get_quote(hash)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no quote with content hash {hash}")))?;
        Ok(convert::quote_to_proto(quote))
    }
}

/// Per-item outcome of a bulk import before the store sees it.
enum Pending {
    Valid(NewQuote),
    Rejected(Status),
}

#[tonic::async_trait]
impl<S: Store> Registry for RegistryApi<S> {
    async fn register_outlet(
        &self,
        request: Request<pb::RegisterOutletRequest>,
    ) -> Result<Response<pb::RegisterOutletResponse>, Status> {
        let actor = auth::actor_of(&request);
        let outlet = convert::outlet_from_proto(request.into_inner().outlet)?;
        let created = self.store.upsert_outlet(&outlet, &actor).await?;
        self.live.upsert_outlet(&outlet);
        tracing::info!(outlet = %outlet.id, created, "outlet registered");
        Ok(Response::new(pb::RegisterOutletResponse {
            outlet: Some(convert::outlet_to_proto(outlet)),
            created,
        }))
    }

    async fn get_outlet(
        &self,
        request: Request<pb::GetOutletRequest>,
    ) -> Result<Response<pb::GetOutletResponse>, Status> {
        let id = convert::slug("id", &request.into_inner().id)?;
        let outlet = self
            .store
            .get_outlet(&id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no outlet with id {id:?}")))?;
        Ok(Response::new(pb::GetOutletResponse {
            outlet: Some(convert::outlet_to_proto(outlet)),
        }))
    }

    async fn list_outlets(
        &self,
        request: Request<pb::ListOutletsRequest>,
    ) -> Result<Response<pb::ListOutletsResponse>, Status> {
        let request = request.into_inner();
        let size = convert::page_size("page_size", request.page_size)?;
        let after = convert::outlet_page_token("page_token", &request.page_token)?;
        // One extra row tells whether another page follows, so the last page has no token.
        let mut outlets = self.store.list_outlets(after.as_deref(), size + 1).await?;
        let next_page_token = end_page(&mut outlets, size, |last| {
            convert::next_outlet_page_token(&last.id)
        });
        Ok(Response::new(pb::ListOutletsResponse {
            outlets: outlets.into_iter().map(convert::outlet_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn register_quote(
        &self,
        request: Request<pb::RegisterQuoteRequest>,
    ) -> Result<Response<pb::RegisterQuoteResponse>, Status> {
        let actor = auth::actor_of(&request);
        let quote = convert::new_quote_from_proto(request.into_inner(), &self.limits)?;
        let (quote, outcome) = self.commits.register(quote, actor).await?;
        let created = match outcome {
            Registration::Created => true,
            Registration::Existing => false,
            Registration::UnknownOutlet => {
                return Err(Self::unknown_outlet(&quote.attribution.outlet_id).into());
            }
        };
        if created {
            self.live.add(quote.hash, &quote.text, &quote.attribution);
            self.cache.invalidate(&quote.hash);
        }
        tracing::info!(hash = %quote.hash, created, "quote registered");
        let stored = self.get_quote_or_not_found(&quote.hash).await?;
        Ok(Response::new(pb::RegisterQuoteResponse {
            quote: Some(stored),
            created,
        }))
    }

    async fn register_quotes(
        &self,
        request: Request<Streaming<pb::RegisterQuoteRequest>>,
    ) -> Result<Response<pb::RegisterQuotesResponse>, Status> {
        let actor = auth::actor_of(&request);
        let mut stream = request.into_inner();
        let mut response = pb::RegisterQuotesResponse::default();
        let mut pending: Vec<(u64, Pending)> = Vec::with_capacity(IMPORT_BATCH);
        let mut index = 0u64;
        let mut stream_broken = false;
        loop {
            let Ok(item) =
                tokio::time::timeout(self.limits.stream_idle_timeout, stream.next()).await
            else {
                // A hung caller holds its place no longer; what it sent so far is kept.
                pending.push((index, Pending::Rejected(status::stream_idle(self.limits))));
                self.commit_batch(&mut pending, &mut response, &actor)
                    .await?;
                break;
            };
            let at_end = item.is_none();
            match item {
                Some(Ok(request)) => {
                    let entry = match convert::new_quote_from_proto(request, &self.limits) {
                        Ok(quote) => Pending::Valid(quote),
                        Err(error) => Pending::Rejected(ApiError::from(error).into()),
                    };
                    pending.push((index, entry));
                    index += 1;
                }
                Some(Err(error)) => {
                    // A broken stream (oversized or undecodable message, cancelled client)
                    // yields nothing more: report where it broke and keep what came before.
                    let status = status::stream_broken(&error, self.limits.max_request_bytes);
                    pending.push((index, Pending::Rejected(status)));
                    stream_broken = true;
                }
                None => {}
            }
            if pending.len() >= IMPORT_BATCH || at_end || stream_broken {
                self.commit_batch(&mut pending, &mut response, &actor)
                    .await?;
            }
            if at_end || stream_broken {
                break;
            }
        }
        tracing::info!(
            created = response.created,
            existing = response.existing,
            rejected = response.rejected.len(),
            "bulk registration finished"
        );
        Ok(Response::new(response))
    }

    async fn get_quote(
        &self,
        request: Request<pb::GetQuoteRequest>,
    ) -> Result<Response<pb::GetQuoteResponse>, Status> {
        let hash = convert::content_hash("content_hash", &request.into_inner().content_hash)?;
        let quote = self.get_quote_or_not_found(&hash).await?;
        Ok(Response::new(pb::GetQuoteResponse { quote: Some(quote) }))
    }

    async fn list_quotes(
        &self,
        request: Request<pb::ListQuotesRequest>,
    ) -> Result<Response<pb::ListQuotesResponse>, Status> {
        let request = request.into_inner();
        let filter = convert::quote_filter(&request.outlet_id, &request.speaker)?;
        let size = convert::page_size("page_size", request.page_size)?;
        let after = convert::quote_page_token("page_token", &request.page_token)?;
        let mut quotes = self.store.list_quotes(&filter, after, size + 1).await?;
        let next_page_token = end_page(&mut quotes, size, |last| {
            convert::next_quote_page_token(last.seq)
        });
        Ok(Response::new(pb::ListQuotesResponse {
            quotes: quotes.into_iter().map(convert::quote_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn retract_quote(
        &self,
        request: Request<pb::RetractQuoteRequest>,
    ) -> Result<Response<pb::RetractQuoteResponse>, Status> {
        let actor = auth::actor_of(&request);
        let request = request.into_inner();
        let hash = convert::content_hash("content_hash", &request.content_hash)?;
        let reason = convert::retraction_reason("reason", &request.reason)?;
        let quote = self
            .store
            .retract_quote(&hash, &reason, now_micros(), &actor)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no quote with content hash {hash}")))?;
        self.live.retract(&hash);
        self.cache.invalidate(&hash);
        tracing::info!(%hash, "quote retracted");
        Ok(Response::new(pb::RetractQuoteResponse {
            quote: Some(convert::quote_to_proto(quote)),
        }))
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Result<Response<pb::CreateApiKeyResponse>, Status> {
        let actor = auth::actor_of(&request);
        let request = request.into_inner();
        if let Some(problem) = auth::key_name_problem(&request.name) {
            return Err(FieldError::new("name", problem).into());
        }
        let role = convert::role_from_proto("role", request.role)?;
        let secret = auth::new_key_secret()
            .map_err(|e| ApiError::Internal(format!("reading /dev/urandom for a new key: {e}")))?;
        let key = ApiKey {
            name: request.name,
            role,
            key_hash: auth::key_hash(&secret),
            created_at: now_micros(),
            revoked_at: None,
        };
        if !self.store.add_key(&key, &actor).await? {
            return Err(ApiError::AlreadyExists(format!(
                "an API key named {:?} exists already (revoked keys keep their names): \
                 choose another name",
                key.name
            ))
            .into());
        }
        self.keys.apply(&key);
        tracing::info!(key = %key.name, role = key.role.name(), actor = actor.as_str(), "API key created");
        Ok(Response::new(pb::CreateApiKeyResponse {
            key: Some(convert::api_key_to_proto(&key)),
            secret,
        }))
    }

    async fn list_api_keys(
        &self,
        _request: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, Status> {
        let keys = self.store.list_keys().await?;
        Ok(Response::new(pb::ListApiKeysResponse {
            keys: keys.iter().map(convert::api_key_to_proto).collect(),
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokeApiKeyResponse>, Status> {
        let actor = auth::actor_of(&request);
        let name = request.into_inner().name;
        if !self.store.revoke_key(&name, now_micros(), &actor).await? {
            return Err(ApiError::NotFound(format!("no API key named {name:?}")).into());
        }
        let key = self.stored_key(&name).await?;
        self.keys.apply(&key);
        tracing::info!(key = %name, actor = actor.as_str(), "API key revoked");
        Ok(Response::new(pb::RevokeApiKeyResponse {
            key: Some(convert::api_key_to_proto(&key)),
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let request = request.into_inner();
        let since = request
            .since
            .as_ref()
            .map(|ts| convert::micros_from_proto("since", ts))
            .transpose()?
            .unwrap_or(Micros::MIN);
        let size = convert::page_size("page_size", request.page_size)?;
        let after = convert::audit_page_token("page_token", &request.page_token)?;
        let mut events = self.store.list_audit(after, since, size + 1).await?;
        let next_page_token = end_page(&mut events, size, |last| {
            convert::next_audit_page_token(last.seq)
        });
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: events
                .into_iter()
                .map(convert::audit_event_to_proto)
                .collect(),
            next_page_token,
        }))
    }
}

impl<S: Store> RegistryApi<S> {
    /// The key named `name` as the store holds it now.
    async fn stored_key(&self, name: &str) -> Result<ApiKey, ApiError> {
        self.store
            .list_keys()
            .await?
            .into_iter()
            .find(|key| key.name == name)
            .ok_or_else(|| ApiError::NotFound(format!("no API key named {name:?}")))
    }

    /// Writes the valid items of `pending` in one transaction and records every outcome.
    async fn commit_batch(
        &self,
        pending: &mut Vec<(u64, Pending)>,
        response: &mut pb::RegisterQuotesResponse,
        actor: &Actor,
    ) -> Result<(), Status> {
        let mut valid = Vec::with_capacity(pending.len());
        let mut valid_indexes = Vec::with_capacity(pending.len());
        for (index, entry) in pending.drain(..) {
            match entry {
                Pending::Valid(quote) => {
                    valid_indexes.push(index);
                    valid.push(quote);
                }
                Pending::Rejected(status) => response.rejected.push(rejection(index, &status)),
            }
        }
        let outcomes = self.store.register_quotes(&valid, actor).await?;
        for ((index, quote), outcome) in valid_indexes.iter().zip(&valid).zip(outcomes) {
            match outcome {
                Registration::Created => {
                    response.created += 1;
                    self.live.add(quote.hash, &quote.text, &quote.attribution);
                    self.cache.invalidate(&quote.hash);
                }
                Registration::Existing => response.existing += 1,
                Registration::UnknownOutlet => {
                    let status = Status::from(Self::unknown_outlet(&quote.attribution.outlet_id));
                    response.rejected.push(rejection(*index, &status));
                }
            }
        }
        response.rejected.sort_by_key(|r| r.index);
        Ok(())
    }
}

/// Cuts a page fetched with one row more than `size` back to `size`, and returns the token of
/// the next page (made from the page's last row), or an empty token on the last page.
fn end_page<T>(rows: &mut Vec<T>, size: usize, token: impl Fn(&T) -> String) -> String {
    if rows.len() <= size {
        return String::new();
    }
    rows.truncate(size);
    rows.last().map(token).unwrap_or_default()
}

fn rejection(index: u64, status: &Status) -> pb::RejectedQuote {
    pb::RejectedQuote {
        index,
        code: status.code() as i32,
        reason: status.message().to_owned(),
    }
}
