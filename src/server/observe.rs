//! Every call, observed: it runs in a tracing span carrying the RPC, a request id (the caller's
//! `x-request-id`, or one made here, returned in the response metadata either way), the API
//! key's name and the outcome; and it is counted by RPC and status code, and timed by RPC, in
//! the Prometheus metrics (`server/prometheus.rs`). The outermost tower layer, so refused calls
//! are seen too.

use std::{
    collections::hash_map::RandomState,
    hash::BuildHasher as _,
    pin::Pin,
    sync::{
        LazyLock,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Instant,
};

use tonic::Code;
use tracing::Instrument as _;

/// The metadata key of the request id.
pub const REQUEST_ID: &str = "x-request-id";
/// The longest request id taken from a caller.
const MAX_REQUEST_ID: usize = 128;

/// Every RPC the server serves: the label values of the request metrics. Any other path is
/// counted as `unknown`, so a caller cannot make the metrics grow without bound.
const KNOWN_RPCS: &[(&str, &[&str])] = &[
    (
        "verbatim.v1.Registry",
        &[
            "RegisterOutlet",
            "GetOutlet",
            "ListOutlets",
            "RegisterQuote",
            "RegisterQuotes",
            "GetQuote",
            "ListQuotes",
            "RetractQuote",
            "CreateApiKey",
            "ListApiKeys",
            "RevokeApiKey",
            "ListAuditEvents",
        ],
    ),
    ("verbatim.v1.Checker", &["CheckText", "CheckTexts"]),
    ("grpc.health.v1.Health", &["Check", "Watch"]),
    (
        "grpc.reflection.v1.ServerReflection",
        &["ServerReflectionInfo"],
    ),
    (
        "grpc.reflection.v1alpha.ServerReflection",
        &["ServerReflectionInfo"],
    ),
];

/// The (service, method) labels of a request path.
fn rpc_labels(path: &str) -> (&'static str, &'static str) {
    let (service, method) = path
        .strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_default();
    KNOWN_RPCS
        .iter()
        .find(|(known, _)| *known == service)
        .and_then(|(known, methods)| methods.iter().find(|m| **m == method).map(|m| (*known, *m)))
        .unwrap_or(("unknown", "unknown"))
}

/// The caller's request id, when it is one we can echo safely.
fn caller_request_id(headers: &http::HeaderMap) -> Option<String> {
    let id = headers.get(REQUEST_ID)?.to_str().ok()?;
    let fits = !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    fits.then(|| id.to_owned())
}

/// A new request id: 32 hexadecimal digits, unique within this process and, with a random
/// per-process key, across replicas.
fn new_request_id() -> String {
    static KEY: LazyLock<RandomState> = LazyLock::new(RandomState::new);
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{:016x}", KEY.hash_one(n), KEY.hash_one(!n))
}

/// The gRPC status code a response or its trailers carry, if any.
fn grpc_code(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?;
    Some(Code::from_i32(value.parse().ok()?))
}

/// What is known of a call until it ends.
struct Call {
    span: tracing::Span,
    labels: (&'static str, &'static str),
    started: Instant,
}

impl Call {
    fn finish(&self, code: Code) {
        let (service, method) = self.labels;
        let elapsed = self.started.elapsed();
        let name = crate::proto::code_name(code);
        self.span.record("code", tracing::field::display(name));
        metrics::counter!(
            "verbatim_grpc_requests_total",
            "service" => service,
            "method" => method,
            "code" => name,
        )
        .increment(1);
        metrics::histogram!(
            "verbatim_grpc_request_duration_seconds",
            "service" => service,
            "method" => method,
        )
        .record(elapsed.as_secs_f64());
        let _entered = self.span.enter();
        match code {
            Code::Internal | Code::Unknown | Code::DataLoss => {
                tracing::warn!(?elapsed, code = name, "request failed");
            }
            _ => tracing::debug!(?elapsed, code = name, "request finished"),
        }
    }
}

/// The tower layer that observes every call.
#[derive(Clone, Copy, Default)]
pub struct ObserveLayer;

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner }
    }
}

/// See [`ObserveLayer`].
#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Observe<S>
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

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        let labels = rpc_labels(path);
        let id = caller_request_id(request.headers()).unwrap_or_else(new_request_id);
        let span = tracing::info_span!(
            "request",
            rpc = %path,
            request_id = %id,
            key = tracing::field::Empty,
            code = tracing::field::Empty,
        );
        let header = http::HeaderValue::from_str(&id).expect("request ids are visible ASCII");
        request.headers_mut().insert(REQUEST_ID, header.clone());
        let call = Call {
            span: span.clone(),
            labels,
            started: Instant::now(),
        };
        // Layers inside (authentication) record the key's name on the span they run in.
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(async move {
            let mut response = future.instrument(call.span.clone()).await?;
            response.headers_mut().insert(REQUEST_ID, header);
            // A status in the headers is a trailers-only answer: the call is over.
            if let Some(code) = grpc_code(response.headers()) {
                call.finish(code);
                return Ok(response);
            }
            Ok(response.map(|body| {
                tonic::body::Body::new(Watched {
                    inner: body,
                    call: Some(call),
                })
            }))
        })
    }
}

/// A response body that finishes its call's observation at the trailers, or when it is dropped
/// before them (the caller went away).
struct Watched {
    inner: tonic::body::Body,
    call: Option<Call>,
}

impl http_body::Body for Watched {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = {
            let _entered = this.call.as_ref().map(|call| call.span.enter());
            Pin::new(&mut this.inner).poll_frame(cx)
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_code)
                    && let Some(call) = self.call.take()
                {
                    call.finish(code);
                }
            }
            Poll::Ready(Some(Err(status))) => {
                if let Some(call) = self.call.take() {
                    call.finish(status.code());
                }
            }
            Poll::Ready(None) => {
                if let Some(call) = self.call.take() {
                    call.finish(Code::Unknown);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.finish(Code::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_known_rpcs_and_nothing_else() {
        assert_eq!(
            rpc_labels("/verbatim.v1.Checker/CheckText"),
            ("verbatim.v1.Checker", "CheckText")
        );
        assert_eq!(
            rpc_labels("/grpc.health.v1.Health/Watch"),
            ("grpc.health.v1.Health", "Watch")
        );
        for unknown in [
            "/verbatim.v1.Checker/Nope",
            "/evil.Service/X",
            "nonsense",
            "",
        ] {
            assert_eq!(rpc_labels(unknown), ("unknown", "unknown"), "{unknown}");
        }
    }

    #[test]
    fn request_ids_are_taken_when_safe_and_made_otherwise() {
        let mut headers = http::HeaderMap::new();
        headers.insert(REQUEST_ID, "cms-42.a:b_c".parse().expect("a header"));
        assert_eq!(caller_request_id(&headers).as_deref(), Some("cms-42.a:b_c"));
        for bad in ["has space", "semi;colon", ""] {
            headers.insert(REQUEST_ID, bad.parse().expect("a header"));
            assert_eq!(caller_request_id(&headers), None, "{bad}");
        }
        headers.insert(REQUEST_ID, "x".repeat(129).parse().expect("a header"));
        assert_eq!(caller_request_id(&headers), None);
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
