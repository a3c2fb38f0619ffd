//! Admission control, after authentication: a token bucket per API key (average calls per second
//! and a burst), caps on calls in progress (over all callers and per key), and a deadline on unary
//! calls. A refused call gets RESOURCE_EXHAUSTED with a `retry-after-ms` hint at once; nothing
//! queues, so a flood from one key costs others nothing. Health and reflection are exempt.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::{Caller, required_role};
use super::status;
use crate::config::Admission;

/// The streaming RPCs: bounded by their messages, not by the unary deadline.
const STREAMING: &[&str] = &[
    "/verbatim.v1.Registry/RegisterQuotes",
    "/verbatim.v1.Checker/CheckTexts",
];

/// How often [`AdmissionLayer::drained`] looks at the calls in progress.
const DRAIN_POLL: Duration = Duration::from_millis(10);

/// How long a caller refused for concurrency is told to wait.
const BUSY_RETRY: Duration = Duration::from_millis(100);

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Why a call was refused, and when to retry.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The key made calls faster than its rate.
    Rate { retry_after: Duration },
    /// The key has the most calls in progress it may have.
    KeyBusy { limit: usize },
    /// The server has the most calls in progress it takes.
    ServerBusy { limit: usize },
}

impl Refusal {
    /// When to try again.
    pub fn retry_after(&self) -> Duration {
        match self {
            Refusal::Rate { retry_after } => *retry_after,
            Refusal::KeyBusy { .. } | Refusal::ServerBusy { .. } => BUSY_RETRY,
        }
    }
}

/// What an admitted call holds until its response ends.
pub struct Permits {
    _server: OwnedSemaphorePermit,
    _key: OwnedSemaphorePermit,
}

/// Per-key state; keys are the register's (finite), plus one shared entry for calls without a
/// key, so this cannot grow without bound.
#[derive(Debug)]
pub struct Gate {
    config: Admission,
    buckets: Mutex<HashMap<String, Bucket>>,
    in_progress: Arc<Semaphore>,
    per_key: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Set once shutdown begins: new calls are refused while those in progress finish.
    closing: AtomicBool,
}

impl Gate {
    pub fn new(config: Admission) -> Self {
        Gate {
            config,
            buckets: Mutex::new(HashMap::new()),
            in_progress: Arc::new(Semaphore::new(config.max_concurrent)),
            per_key: Mutex::new(HashMap::new()),
            closing: AtomicBool::new(false),
        }
    }

    /// Admits a call by the key named `key` ("" for calls without a key) at `now`.
    pub fn admit(&self, key: &str, now: Instant) -> Result<Permits, Refusal> {
        self.take_token(key, now)?;
        let server = Arc::clone(&self.in_progress)
            .try_acquire_owned()
            .map_err(|_| Refusal::ServerBusy {
                limit: self.config.max_concurrent,
            })?;
        let per_key = Arc::clone(
            self.per_key
                .lock()
                .expect("the admission lock is never poisoned")
                .entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.config.max_concurrent_per_key))),
        );
        let key = per_key.try_acquire_owned().map_err(|_| Refusal::KeyBusy {
            limit: self.config.max_concurrent_per_key,
        })?;
        Ok(Permits {
            _server: server,
            _key: key,
        })
    }

    fn take_token(&self, key: &str, now: Instant) -> Result<(), Refusal> {
        let rate = self.config.rate_per_second;
        if rate.is_nan() || rate <= 0.0 {
            return Ok(());
        }
        let burst = f64::from(self.config.burst.max(1));
        let mut buckets = self
            .buckets
            .lock()
            .expect("the admission lock is never poisoned");
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / rate;
        Err(Refusal::Rate {
            retry_after: Duration::from_secs_f64(wait).max(Duration::from_millis(1)),
        })
    }
}

/// The tower layer that applies a [`Gate`].
#[derive(Clone)]
pub struct AdmissionLayer {
    gate: Arc<Gate>,
}

impl AdmissionLayer {
    pub fn new(config: Admission) -> Self {
        AdmissionLayer {
            gate: Arc::new(Gate::new(config)),
        }
    }

    /// From now on, refuses every new call (but health and reflection) with UNAVAILABLE, so
    /// callers learn of the shutdown with a clear status before the connections close.
    pub fn close(&self) {
        self.gate.closing.store(true, Ordering::Release);
    }

    /// Returns once no admitted call is in progress.
    pub async fn drained(&self) {
        let all = self.gate.config.max_concurrent;
        while self.gate.in_progress.available_permits() < all {
            tokio::time::sleep(DRAIN_POLL).await;
        }
    }
}

impl<S> tower::Layer<S> for AdmissionLayer {
    type Service = Admit<S>;

    fn layer(&self, inner: S) -> Admit<S> {
        Admit {
            inner,
            gate: Arc::clone(&self.gate),
        }
    }
}

/// See [`AdmissionLayer`].
#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    gate: Arc<Gate>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Admit<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        if required_role(path).is_none() {
            return Box::pin(self.inner.call(request));
        }
        if self.gate.closing.load(Ordering::Acquire) {
            let response = status::shutting_down().into_http();
            return Box::pin(async move { Ok(response) });
        }
        let key = request
            .extensions()
            .get::<Caller>()
            .map(|caller| caller.key_name.clone())
            .unwrap_or_default();
        let permits = match self.gate.admit(&key, Instant::now()) {
            Ok(permits) => permits,
            Err(refusal) => {
                let reason = match refusal {
                    Refusal::Rate { .. } => "rate",
                    Refusal::KeyBusy { .. } => "key_concurrency",
                    Refusal::ServerBusy { .. } => "server_concurrency",
                };
                metrics::counter!("verbatim_rate_limited_total", "reason" => reason).increment(1);
                let response = status::refused(&key, &refusal).into_http();
                return Box::pin(async move { Ok(response) });
            }
        };
        let deadline = (!STREAMING.contains(&path))
            .then_some(self.gate.config.request_timeout)
            .filter(|d| *d < Duration::MAX);
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = match deadline {
                None => call.await?,
                Some(deadline) => match tokio::time::timeout(deadline, call).await {
                    Ok(response) => response?,
                    Err(_) => return Ok(status::deadline_exceeded(deadline).into_http()),
                },
            };
            // Held until the response's last byte, so a streaming answer counts while it runs.
            Ok(response.map(|body| {
                tonic::body::Body::new(Holding {
                    inner: body,
                    _permits: permits,
                })
            }))
        })
    }
}

/// A response body that keeps its call's [`Permits`] until it is done.
struct Holding {
    inner: tonic::body::Body,
    _permits: Permits,
}

impl http_body::Body for Holding {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rate: f64, burst: u32, total: usize, per_key: usize) -> Admission {
        Admission {
            rate_per_second: rate,
            burst,
            max_concurrent: total,
            max_concurrent_per_key: per_key,
            request_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn a_key_gets_its_burst_then_its_rate_and_others_are_untouched() {
        let gate = Gate::new(config(10.0, 3, 100, 100));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(gate.admit("flood", start).is_ok());
        }
        let refusal = gate.admit("flood", start).err().expect("over the burst");
        assert!(matches!(refusal, Refusal::Rate { .. }));
        // One token every 100 ms.
        let wait = refusal.retry_after();
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert!(gate.admit("calm", start).is_ok());
        assert!(gate.admit("flood", start + wait).is_ok());
        assert!(gate.admit("flood", start + wait).is_err());
    }

    #[test]
    fn calls_in_progress_are_capped_per_key_and_overall() {
        let gate = Gate::new(config(0.0, 1, 3, 2));
        let now = Instant::now();
        let first = gate.admit("a", now).expect("admitted");
        let _second = gate.admit("a", now).expect("admitted");
        assert_eq!(
            gate.admit("a", now).err(),
            Some(Refusal::KeyBusy { limit: 2 })
        );
        let _third = gate.admit("b", now).expect("another key");
        assert_eq!(
            gate.admit("c", now).err(),
            Some(Refusal::ServerBusy { limit: 3 })
        );
        drop(first);
        assert!(
            gate.admit("a", now).is_ok(),
            "a finished call frees its place"
        );
    }
}
