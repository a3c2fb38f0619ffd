//! What operators see: Prometheus metrics on `--metrics-listen`, a request id on every call
//! (taken from the caller or made, returned either way, and carried by the call's log span with
//! the RPC, the key and the outcome), and the review page's JSON endpoint going through the same
//! keys as gRPC.

use std::time::Duration;

use tonic::{Code, Request, metadata::MetadataValue};
use verbatim::proto::v1::{
    self as pb, checker_client::CheckerClient, registry_client::RegistryClient,
};

use crate::harness::{Server, http, without_colours};

const QUOTE: &str = "We will not raise the fuel duty this year, whatever the models say.";

fn register(text: &str) -> pb::RegisterQuoteRequest {
    pb::RegisterQuoteRequest {
        text: text.into(),
        speaker: "Helen Marsh".into(),
        ..Default::default()
    }
}

/// The value of the sample `name{labels}` in Prometheus text, if present.
fn sample(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name_and_labels))
        .and_then(|rest| rest.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_calls_by_rpc_and_code_time_them_and_describe_the_register() {
    let server = Server::start_with(&[
        "--metrics-listen",
        "127.0.0.1:0",
        "--rate-limit",
        "1",
        "--rate-burst",
        "3",
    ]);
    let metrics = server.announced("metrics on ");
    let channel = server.channel().await;
    let mut registry = RegistryClient::new(channel.clone());
    registry
        .register_quote(register(QUOTE))
        .await
        .expect("register");
    let mut checker = CheckerClient::new(channel);
    let checked = checker
        .check_text(pb::CheckTextRequest {
            text: format!("Marsh said: “{QUOTE}”"),
            ..Default::default()
        })
        .await
        .expect("check");
    assert_eq!(
        checked.into_inner().findings[0].verdict,
        pb::MatchVerdict::Verified as i32
    );
    let refused = checker
        .check_text(pb::CheckTextRequest::default())
        .await
        .expect_err("an empty text is refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    // The burst of three is spent: the next calls are over the rate.
    let limited = checker
        .check_text(pb::CheckTextRequest {
            text: "Nothing quoted.".into(),
            ..Default::default()
        })
        .await
        .expect_err("over the rate");
    assert_eq!(limited.code(), Code::ResourceExhausted);

    let (status, headers, body) = http(metrics, "GET", "/metrics", &[], "");
    assert_eq!(status, 200, "{body}");
    assert!(
        headers
            .iter()
            .any(|(name, value)| name == "content-type" && value.starts_with("text/plain")),
        "{headers:?}"
    );
    let count = |labels: &str| sample(&body, &format!("verbatim_grpc_requests_total{{{labels}}}"));
    assert_eq!(
        count(r#"service="verbatim.v1.Registry",method="RegisterQuote",code="OK""#),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        count(r#"service="verbatim.v1.Checker",method="CheckText",code="OK""#),
        Some(1.0)
    );
    assert_eq!(
        count(r#"service="verbatim.v1.Checker",method="CheckText",code="INVALID_ARGUMENT""#),
        Some(1.0)
    );
    assert_eq!(
        count(r#"service="verbatim.v1.Checker",method="CheckText",code="RESOURCE_EXHAUSTED""#),
        Some(1.0)
    );
    assert_eq!(
        sample(&body, r#"verbatim_rate_limited_total{reason="rate"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"verbatim_check_findings_total{verdict="verified"}"#
        ),
        Some(1.0)
    );
    assert_eq!(sample(&body, "verbatim_register_quotes"), Some(1.0));
    assert!(sample(&body, "verbatim_index_bytes").is_some_and(|bytes| bytes > 0.0));
    // A histogram, with buckets, sum and count, under Prometheus's names.
    assert!(body.contains("# TYPE verbatim_grpc_request_duration_seconds histogram"));
    assert!(body.contains(
        r#"verbatim_grpc_request_duration_seconds_bucket{service="verbatim.v1.Checker",method="CheckText",le="+Inf"} 3"#
    ));
    assert!(body.contains(
        r#"verbatim_grpc_request_duration_seconds_count{service="verbatim.v1.Checker",method="CheckText"} 3"#
    ));
    assert!(body.contains("# HELP verbatim_grpc_requests_total"));

    let (status, _, _) = http(metrics, "GET", "/nothing-here", &[], "");
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_call_has_a_request_id_that_its_log_span_carries_with_the_outcome() {
    let server = Server::start_logging(&[], "info,verbatim::server::observe=debug");
    let mut registry = RegistryClient::new(server.channel().await);
    let mut request = Request::new(register(QUOTE));
    request
        .metadata_mut()
        .insert("x-request-id", MetadataValue::from_static("cms-7f3a.42"));
    let response = registry.register_quote(request).await.expect("register");
    assert_eq!(
        response
            .metadata()
            .get("x-request-id")
            .map(|v| v.to_str().ok()),
        Some(Some("cms-7f3a.42"))
    );
    // Without one, or with one that is not safe to echo, the server makes one.
    for given in [None, Some("two words")] {
        let mut request = Request::new(pb::GetQuoteRequest {
            content_hash: "sha256:nope".into(),
        });
        if let Some(given) = given {
            request
                .metadata_mut()
                .insert("x-request-id", given.parse().expect("ASCII"));
        }
        let status = registry.get_quote(request).await.expect_err("malformed");
        let made = status
            .metadata()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("a request id on errors too");
        assert_eq!(made.len(), 32, "{made}");
        assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let log = without_colours(&server.log_text());
        let finished = log.lines().find(|line| {
            line.contains("request_id=cms-7f3a.42") && line.contains("request finished")
        });
        if let Some(line) = finished {
            assert!(
                line.contains("rpc=/verbatim.v1.Registry/RegisterQuote"),
                "{line}"
            );
            assert!(line.contains("key=none"), "{line}");
            assert!(line.contains("code=OK"), "{line}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no finished request in the log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_review_pages_json_check_needs_the_same_keys_as_grpc() {
    let store = crate::harness::StoreDir::new();
    let status = std::process::Command::new(crate::harness::BINARY)
        .args([
            "key",
            "add",
            "--role",
            "reader",
            "desk",
            "--store",
            &store.url(),
        ])
        .output()
        .expect("verbatim key add");
    assert!(status.status.success(), "{status:?}");
    let key = String::from_utf8(status.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();
    let server = Server::start_on(&store.url(), &["--http-listen", "127.0.0.1:0"]);
    let page = server.announced("review page on ");

    let (status, headers, html) = http(page, "GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("text/html"))
    );
    assert!(
        headers.iter().any(|(n, v)| n == "content-security-policy"
            && v.contains("script-src 'self'")
            && v.contains("frame-ancestors 'none'")),
        "{headers:?}"
    );
    assert!(
        html.contains("/review.js") && html.contains("<textarea"),
        "{html}"
    );
    for asset in ["/review.js", "/review.css"] {
        assert_eq!(http(page, "GET", asset, &[], "").0, 200, "{asset}");
    }

    let body = r#"{"text": "She said: “We will not back down, whatever it costs.”"}"#;
    let json = [("content-type", "application/json")];
    let (status, _, answer) = http(page, "POST", "/api/v1/check", &json, body);
    assert_eq!(status, 401, "{answer}");
    let problem: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(problem["code"], "UNAUTHENTICATED");
    assert!(!answer.contains(&key));

    let bearer = format!("Bearer {key}");
    let with_key = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
        ("x-request-id", "page-1"),
    ];
    let (status, headers, answer) = http(page, "POST", "/api/v1/check", &with_key, body);
    assert_eq!(status, 200, "{answer}");
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "x-request-id" && v == "page-1"),
        "{headers:?}"
    );
    let checked: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(checked["summary"]["unregistered"], 1, "{checked}");
    // Offsets count UTF-16 code units, as the page's JavaScript does.
    assert_eq!(checked["findings"][0]["start"], 11);

    let (status, _, answer) = http(page, "POST", "/api/v1/check", &with_key, "{not json");
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("INVALID_ARGUMENT"), "{answer}");
    let (status, _, answer) = http(page, "POST", "/api/v1/check", &with_key, r#"{"text": ""}"#);
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("text"), "{answer}");
}
