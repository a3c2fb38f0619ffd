//! The review page on `--http-listen`: an editor pastes an article, and sees it back with every
//! quotation marked by verdict and attribution, the changes and credits of each a click away.
//! Everything it needs is in the binary. The page checks through `POST /api/v1/check`, a JSON
//! face of the same Checker service the gRPC clients call: the request goes through the same
//! layers (request id and metrics, API keys, limits) in process.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use tonic::{Code, client::GrpcService};

use super::observe::REQUEST_ID;
use crate::proto::v1::{self as pb, checker_client::CheckerClient};

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("review.js");
const STYLE: &str = include_str!("review.css");

/// The Checker, as the page reaches it: the gRPC service behind the server's layers, in process.
pub trait CheckerService:
    GrpcService<
        tonic::body::Body,
        Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        ResponseBody: http_body::Body<
            Data = Bytes,
            Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
        > + Send
                          + 'static,
        Future: Send,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> CheckerService for T where
    T: GrpcService<
            tonic::body::Body,
            Error: Into<Box<dyn std::error::Error + Send + Sync>>,
            ResponseBody: http_body::Body<
                Data = Bytes,
                Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
            > + Send
                              + 'static,
            Future: Send,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The page, its script and style, and the JSON check endpoint. `max_request_bytes` bounds a
/// request body (with room for JSON's escapes).
pub fn router<C: CheckerService>(checker: C, max_request_bytes: usize) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", PAGE) }),
        )
        .route(
            "/review.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/review.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/v1/check", post(check::<C>))
        .layer(DefaultBodyLimit::max(max_request_bytes.saturating_mul(2)))
        .with_state(checker)
}

/// The page runs only its own script and style, talks only to this server, and cannot be framed
/// by another site: pasted article text can inject nothing that runs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        body,
    )
        .into_response()
}

/// What the page sends.
#[derive(Debug, Deserialize)]
struct CheckRequest {
    text: String,
    #[serde(default)]
    document_id: String,
}

/// Why a check was not done, as the page shows it.
#[derive(Debug, Serialize)]
struct Problem {
    /// The gRPC status code's name (`UNAUTHENTICATED`, …).
    code: String,
    message: String,
}

async fn check<C: CheckerService>(
    State(checker): State<C>,
    headers: HeaderMap,
    body: Result<Json<CheckRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => {
            return problem(
                rejection.status(),
                "INVALID_ARGUMENT",
                format!(
                    "the request must be JSON {{\"text\": \"…\"}}: {}",
                    rejection.body_text()
                ),
                None,
            );
        }
    };
    let mut call = tonic::Request::new(pb::CheckTextRequest {
        text: request.text,
        document_id: request.document_id,
        options: None,
    });
    for name in [header::AUTHORIZATION.as_str(), REQUEST_ID] {
        if let Some(value) = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            call.metadata_mut().insert(name, value);
        }
    }
    let mut client = CheckerClient::new(checker).max_decoding_message_size(usize::MAX);
    match client.check_text(call).await {
        Ok(response) => {
            let id = response.metadata().get(REQUEST_ID).cloned();
            let mut http = Json(Checked::from(response.into_inner())).into_response();
            if let Some(id) = id.and_then(|v| v.to_str().ok().and_then(|v| v.parse().ok())) {
                http.headers_mut().insert(REQUEST_ID, id);
            }
            http
        }
        Err(status) => {
            let id = status
                .metadata()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok().map(str::to_owned));
            problem(
                http_status(status.code()),
                crate::proto::code_name(status.code()),
                status.message().to_owned(),
                id,
            )
        }
    }
}

fn problem(
    status: StatusCode,
    code: &str,
    message: String,
    request_id: Option<String>,
) -> Response {
    let mut response = (
        status,
        Json(Problem {
            code: code.to_owned(),
            message,
        }),
    )
        .into_response();
    if let Some(id) = request_id.and_then(|id| id.parse().ok()) {
        response.headers_mut().insert(REQUEST_ID, id);
    }
    response
}

/// The HTTP status that says what a gRPC status code says.
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status"),
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A check as the page renders it. Offsets are in UTF-16 code units, as JavaScript counts.
#[derive(Debug, Serialize)]
struct Checked {
    summary: Summary,
    findings: Vec<Found>,
}

#[derive(Debug, Serialize)]
struct Summary {
    verified: u32,
    misquoted: u32,
    unregistered: u32,
    retracted: u32,
    too_short: u32,
    total: u32,
    attribution_correct: u32,
    attribution_missing: u32,
    attribution_misattributed: u32,
}

#[derive(Debug, Serialize)]
struct Found {
    kind: &'static str,
    start: u64,
    end: u64,
    text: String,
    verdict: &'static str,
    severity: &'static str,
    reasons: Vec<&'static str>,
    similarity: f64,
    quote: Option<Registered>,
    edits: Vec<Change>,
    attribution: Credit,
}

#[derive(Debug, Serialize)]
struct Registered {
    hash: String,
    text: String,
    speakers: Vec<String>,
    outlets: Vec<String>,
    retracted: bool,
    retraction_reason: String,
}

#[derive(Debug, Serialize)]
struct Change {
    op: &'static str,
    registered: String,
    submitted: String,
}

#[derive(Debug, Serialize)]
struct Credit {
    verdict: &'static str,
    credited: String,
    credited_start: Option<u64>,
    credited_end: Option<u64>,
    resolved: String,
    expected: Vec<String>,
}

impl From<pb::CheckTextResponse> for Checked {
    fn from(response: pb::CheckTextResponse) -> Self {
        let s = response.summary.unwrap_or_default();
        Checked {
            summary: Summary {
                verified: s.verified,
                misquoted: s.misquoted,
                unregistered: s.unregistered,
                retracted: s.retracted,
                too_short: s.too_short,
                total: s.total,
                attribution_correct: s.attribution_correct,
                attribution_missing: s.attribution_missing,
                attribution_misattributed: s.attribution_misattributed,
            },
            findings: response.findings.into_iter().map(Found::from).collect(),
        }
    }
}

impl From<pb::Finding> for Found {
    fn from(mut finding: pb::Finding) -> Self {
        use pb::{EditOp, FindingKind, MatchVerdict, Severity, SeverityReason};
        let span = finding.span.take().unwrap_or_default();
        let attribution = finding.attribution.take().unwrap_or_default();
        let credited = attribution.credited_span.as_ref();
        Found {
            kind: match finding.kind() {
                FindingKind::UnquotedReuse => "unquoted_reuse",
                _ => "quotation",
            },
            start: span.utf16_start,
            end: span.utf16_end,
            text: std::mem::take(&mut finding.text),
            verdict: match finding.verdict() {
                MatchVerdict::Verified => "verified",
                MatchVerdict::Misquoted => "misquoted",
                MatchVerdict::Retracted => "retracted",
                MatchVerdict::TooShort => "too_short",
                MatchVerdict::Unregistered | MatchVerdict::Unspecified => "unregistered",
            },
            severity: match finding.severity() {
                Severity::High => "high",
                Severity::Medium => "medium",
                Severity::Low => "low",
                Severity::None | Severity::Unspecified => "none",
            },
            reasons: finding
                .reasons()
                .map(|reason| match reason {
                    SeverityReason::NegationChanged => "a negation changed",
                    SeverityReason::NumberChanged => "a number changed",
                    SeverityReason::NameChanged => "a name changed",
                    SeverityReason::WordsChanged => "words changed",
                    SeverityReason::WordsAdded => "words added",
                    SeverityReason::WordsDropped => "words dropped",
                    SeverityReason::Unspecified => "changed",
                })
                .collect(),
            similarity: finding.similarity,
            quote: finding.quote.take().map(|quote| Registered {
                hash: quote.content_hash,
                text: quote.text,
                speakers: distinct(quote.attributions.iter().map(|a| &a.speaker)),
                outlets: distinct(quote.attributions.iter().map(|a| &a.outlet_id)),
                retracted: quote.retracted,
                retraction_reason: quote.retraction_reason,
            }),
            edits: std::mem::take(&mut finding.edits)
                .into_iter()
                .map(|edit| Change {
                    op: match edit.op() {
                        EditOp::Keep => "keep",
                        EditOp::Replace => "replace",
                        EditOp::Insert => "insert",
                        EditOp::Delete => "delete",
                        EditOp::Elided => "elided",
                        EditOp::Editorial => "editorial",
                        EditOp::Unspecified => "keep",
                    },
                    registered: edit.registered,
                    submitted: edit.submitted,
                })
                .collect(),
            attribution: Credit {
                verdict: match attribution.verdict() {
                    pb::AttributionVerdict::Correct => "correct",
                    pb::AttributionVerdict::Missing => "missing",
                    pb::AttributionVerdict::Misattributed => "misattributed",
                    _ => "not_applicable",
                },
                credited_start: credited.map(|s| s.utf16_start),
                credited_end: credited.map(|s| s.utf16_end),
                credited: attribution.credited,
                resolved: attribution.resolved,
                expected: attribution.expected,
            },
        }
    }
}

/// The non-empty values of `names`, each once, in order.
fn distinct<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names.filter(|n| !n.is_empty()) {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}
