//! The one place where errors become gRPC statuses. Each match names every variant, so a new
//! error kind does not compile until someone decides its status code.

use tonic::{Code, Status};

use super::convert::FieldError;
use crate::store::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request field is invalid.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record named does not exist; the message says which.
    #[error("{0}")]
    NotFound(String),
    /// The record to create exists already; the message says which.
    #[error("{0}")]
    AlreadyExists(String),
    /// A bug: the message goes to the log, not to the client.
    #[error("{0}")]
    Internal(String),
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Field(field) => Status::invalid_argument(field.to_string()),
            ApiError::Store(store) => store_status(store),
            ApiError::NotFound(message) => Status::not_found(message),
            ApiError::AlreadyExists(message) => Status::already_exists(message),
            ApiError::Internal(message) => {
                tracing::error!(%message, "internal error");
                Status::internal("internal error; see the server log")
            }
        }
    }
}

impl From<FieldError> for Status {
    fn from(error: FieldError) -> Self {
        ApiError::Field(error).into()
    }
}

impl From<StoreError> for Status {
    fn from(error: StoreError) -> Self {
        ApiError::Store(error).into()
    }
}

fn store_status(error: StoreError) -> Status {
    match &error {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %error, "store unavailable");
            Status::unavailable("the store is unavailable; retry later")
        }
        StoreError::Full(_) => {
            tracing::error!(error = %error, "store out of space");
            Status::resource_exhausted(
                "the store is out of space; nothing was written: retry once the operator frees space",
            )
        }
        StoreError::Corrupt(_) => {
            tracing::error!(error = %error, "stored data is damaged");
            Status::data_loss("stored data is damaged; see the server log")
        }
        StoreError::NewerSchema { .. } | StoreError::BadUrl { .. } | StoreError::Database(_) => {
            tracing::error!(error = %error, "store error");
            Status::internal("internal error; see the server log")
        }
    }
}

/// The status a request larger than `--max-request-bytes` gets, in place of tonic's own
/// OUT_OF_RANGE, which names neither the request nor the flag.
pub fn request_too_large(original: &Status, limit: usize) -> Option<Status> {
    let message = original.message();
    if original.code() != Code::OutOfRange
        || !message.starts_with("Error, decoded message length too large")
    {
        return None;
    }
    let found = message
        .split("found ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("?");
    Some(Status::invalid_argument(format!(
        "request message is {found} bytes; the limit is {limit} bytes (--max-request-bytes)"
    )))
}

/// The status a request that does not decode gets (a string that is not UTF-8, a truncated
/// field), in place of the INTERNAL tonic gives it: the fault is the caller's, and INTERNAL here
/// means a bug of ours.
pub fn request_undecodable(original: &Status) -> Option<Status> {
    let detail = original
        .message()
        .strip_prefix("failed to decode Protobuf message: ")
        .filter(|_| original.code() == Code::Internal)?;
    Some(Status::invalid_argument(format!(
        "the request does not decode as this call's message ({detail}); every string field must \
         be valid UTF-8"
    )))
}

/// The status to answer in place of tonic's own for a request it could not read, if any.
fn explain_unreadable(original: &Status, limit: usize) -> Option<Status> {
    request_too_large(original, limit).or_else(|| request_undecodable(original))
}

/// The status recorded for the item at which a client stream broke: what broke it, said so.
pub fn stream_broken(error: &Status, max_request_bytes: usize) -> Status {
    let cause = explain_unreadable(error, max_request_bytes).unwrap_or_else(|| error.clone());
    Status::new(
        cause.code(),
        format!(
            "the stream broke at this item and nothing after it was read: {}",
            cause.message()
        ),
    )
}

/// The status that ends a stream whose caller sent nothing, or took no response, for
/// `--stream-idle-timeout`.
pub fn stream_idle(limits: crate::config::Limits) -> Status {
    Status::deadline_exceeded(format!(
        "the stream waited {:.1?} on the caller and was ended here; nothing after this point was \
         read (--stream-idle-timeout)",
        limits.stream_idle_timeout
    ))
}

/// The response a CheckTexts stream sends for a document that could not be checked.
pub fn document_error(document_id: String, error: ApiError) -> crate::proto::v1::CheckTextResponse {
    let status = Status::from(error);
    crate::proto::v1::CheckTextResponse {
        document_id,
        error: Some(crate::proto::v1::DocumentError {
            code: status.code() as i32,
            message: status.message().to_owned(),
        }),
        ..Default::default()
    }
}

/// A call without a valid API key. The message never repeats the key.
pub fn unauthenticated() -> Status {
    Status::unauthenticated(
        "this call needs an API key: send `authorization: Bearer KEY` (the CLI reads \
         VERBATIM_API_KEY or --api-key-file); the key given, if any, is unknown or revoked",
    )
}

/// A call whose key lacks the role it needs.
pub fn permission_denied(needed: &str, held: &str) -> Status {
    Status::permission_denied(format!(
        "this call needs the {needed} role; the key given has the {held} role"
    ))
}

/// A call refused by admission control, with the wait in `retry-after-ms` metadata.
pub fn refused(key: &str, refusal: &super::admission::Refusal) -> Status {
    use super::admission::Refusal;
    let who = if key.is_empty() {
        "calls without a key".to_owned()
    } else {
        format!("key {key:?}")
    };
    let retry_ms = refusal.retry_after().as_millis().max(1);
    let message = match refusal {
        Refusal::Rate { .. } => format!(
            "{who} exceeded its rate limit (--rate-limit, --rate-burst); retry in {retry_ms} ms"
        ),
        Refusal::KeyBusy { limit } => format!(
            "{who} has {limit} calls in progress, the most allowed \
             (--max-concurrent-per-key); retry when one finishes"
        ),
        Refusal::ServerBusy { limit } => format!(
            "the server has {limit} calls in progress, the most it takes \
             (--max-concurrent-requests); retry in {retry_ms} ms"
        ),
    };
    let mut status = Status::resource_exhausted(message);
    if let Ok(value) = retry_ms.to_string().parse() {
        status.metadata_mut().insert("retry-after-ms", value);
    }
    status
}

/// A call that arrives once shutdown has begun.
pub fn shutting_down() -> Status {
    Status::unavailable(
        "the server is shutting down and takes no new calls; retry on another replica or once it \
         is back (registrations are idempotent, so retrying is safe)",
    )
}

/// The status of a unary call that ran past `--request-timeout`.
pub fn deadline_exceeded(deadline: std::time::Duration) -> Status {
    Status::deadline_exceeded(format!(
        "the call took longer than the server's deadline of {:.3} s (--request-timeout); \
         registrations are idempotent, so retrying is safe",
        deadline.as_secs_f64()
    ))
}

/// Rewrites a trailers-only response carrying tonic's "message too large" or "failed to decode"
/// status into [`request_too_large`]'s or [`request_undecodable`]'s INVALID_ARGUMENT.
pub fn explain_oversized_request<B>(
    limit: usize,
) -> impl Fn(http::Response<B>) -> http::Response<B> + Clone {
    move |mut response| {
        let headers = response.headers_mut();
        if let Some(original) = Status::from_header_map(headers)
            && let Some(replacement) = explain_unreadable(&original, limit)
        {
            headers.remove("grpc-status");
            headers.remove("grpc-message");
            headers.remove("grpc-status-details-bin");
            if replacement.add_header(headers).is_err() {
                tracing::error!("could not encode the unreadable-request status");
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonic_size_errors_become_invalid_argument_naming_the_flag() {
        let original = Status::out_of_range(
            "Error, decoded message length too large: found 5242900 bytes, the limit is: 4194304 bytes",
        );
        let status = request_too_large(&original, 4_194_304).expect("rewritten");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "request message is 5242900 bytes; the limit is 4194304 bytes (--max-request-bytes)"
        );
        assert!(request_too_large(&Status::out_of_range("other"), 1).is_none());
    }

    #[test]
    fn undecodable_requests_become_invalid_argument() {
        let original = Status::internal(
            "failed to decode Protobuf message: CheckTextRequest.text: invalid string value: data \
             is not UTF-8 encoded",
        );
        let status = request_undecodable(&original).expect("rewritten");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("CheckTextRequest.text"));
        assert!(request_undecodable(&Status::internal("a bug")).is_none());
    }

    #[test]
    fn field_errors_are_invalid_argument_with_the_field_first() {
        let status = Status::from(ApiError::from(FieldError::new(
            "outlet.id",
            "must not be empty",
        )));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "`outlet.id`: must not be empty");
    }
}
