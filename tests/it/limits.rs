//! Floods over real gRPC: a key over its rate, a key with too many calls in progress, and a call
//! past the server's deadline each get their status (RESOURCE_EXHAUSTED with a retry hint,
//! DEADLINE_EXCEEDED) while another key is served normally.

use std::time::Duration;

use tonic::{Code, Request, transport::Channel};
use verbatim::proto::v1::{
    self as pb, checker_client::CheckerClient, registry_client::RegistryClient,
};

use crate::harness::{Server, StoreDir};
use crate::keys::add_key;

fn with_key<T>(message: T, key: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("ASCII"),
    );
    request
}

async fn list_outlets(channel: &Channel, key: &str) -> Result<(), tonic::Status> {
    RegistryClient::new(channel.clone())
        .list_outlets(with_key(pb::ListOutletsRequest::default(), key))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_key_over_its_rate_is_told_when_to_retry_while_another_is_served() {
    let dir = StoreDir::new();
    let flood = add_key(&dir.url(), "reader", "flood");
    let calm = add_key(&dir.url(), "reader", "calm");
    let server = Server::start_on(&dir.url(), &["--rate-limit", "2", "--rate-burst", "3"]);
    let channel = server.channel().await;

    for _ in 0..3 {
        list_outlets(&channel, &flood)
            .await
            .expect("within the burst");
    }
    // The bucket refills two tokens a second, so on a slow machine a call or two more may pass.
    let mut refused = None;
    for _ in 0..10 {
        if let Err(status) = list_outlets(&channel, &flood).await {
            refused = Some(status);
            break;
        }
    }
    let refused = refused.expect("refused over the rate");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("\"flood\"") && refused.message().contains("--rate-limit"));
    assert!(!refused.message().contains(&flood), "never the key itself");
    let retry_ms: u64 = refused
        .metadata()
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a retry hint");
    assert!((1..=500).contains(&retry_ms), "{retry_ms}");

    for _ in 0..3 {
        list_outlets(&channel, &calm)
            .await
            .expect("another key is served normally");
    }
    tokio::time::sleep(Duration::from_millis(retry_ms + 20)).await;
    list_outlets(&channel, &flood)
        .await
        .expect("served again once the hint has passed");
    // Probes are never limited.
    for _ in 0..10 {
        server
            .health()
            .await
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("health is exempt");
    }
}

#[tokio::test]
async fn a_key_with_too_many_calls_in_progress_is_refused_while_another_is_served() {
    let dir = StoreDir::new();
    let importer = add_key(&dir.url(), "editor", "importer");
    let reader = add_key(&dir.url(), "reader", "reader");
    let server = Server::start_on(&dir.url(), &["--max-concurrent-per-key", "1"]);
    let channel = server.channel().await;

    // A bulk import that stays open holds the importer's one place. Our own probe may reach
    // the server before the import does and take that place, refusing the import instead: then
    // the import is started again.
    let start_import = || {
        let (send, receive) = tokio::sync::mpsc::channel(4);
        let channel = channel.clone();
        let importer = importer.clone();
        let task = tokio::spawn(async move {
            RegistryClient::new(channel)
                .register_quotes(with_key(
                    tokio_stream::wrappers::ReceiverStream::new(receive),
                    &importer,
                ))
                .await
        });
        (send, task)
    };
    let started = std::time::Instant::now();
    let (mut send, mut import) = start_import();
    let refused = loop {
        assert!(started.elapsed() < Duration::from_secs(30), "never refused");
        if import.is_finished() {
            let refused = import.await.expect("the import task").expect_err("refused");
            assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
            (send, import) = start_import();
        }
        send.send(pb::RegisterQuoteRequest {
            text: "An import that takes its time.".into(),
            speaker: "Slow Importer".into(),
            ..Default::default()
        })
        .await
        .ok();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if import.is_finished() {
            continue;
        }
        match list_outlets(&channel, &importer).await {
            Err(status) => break status,
            Ok(()) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("--max-concurrent-per-key"),
        "{}",
        refused.message()
    );
    assert!(refused.metadata().get("retry-after-ms").is_some());
    list_outlets(&channel, &reader)
        .await
        .expect("another key is served normally");

    drop(send);
    let response = import
        .await
        .expect("the import task")
        .expect("the import completes")
        .into_inner();
    assert!(
        response.created == 1 && response.rejected.is_empty(),
        "{response:?}"
    );
    list_outlets(&channel, &importer)
        .await
        .expect("the finished import freed its place");
}

#[tokio::test]
async fn a_call_past_the_deadline_gets_deadline_exceeded_while_another_is_served() {
    let dir = StoreDir::new();
    let heavy = add_key(&dir.url(), "reader", "heavy");
    let light = add_key(&dir.url(), "reader", "light");
    let server = Server::start_on(&dir.url(), &["--request-timeout", "0.2"]);
    let channel = server.channel().await;

    // About 3 MB of quotations: well over a second of work.
    let article = "“We will not back down,” she said, “whatever they say.” ".repeat(50_000);
    let refused = CheckerClient::new(channel.clone())
        .check_text(with_key(
            pb::CheckTextRequest {
                text: article,
                ..Default::default()
            },
            &heavy,
        ))
        .await
        .expect_err("past the deadline");
    assert_eq!(refused.code(), Code::DeadlineExceeded, "{refused:?}");
    assert!(
        refused.message().contains("--request-timeout"),
        "{}",
        refused.message()
    );
    list_outlets(&channel, &light)
        .await
        .expect("another key is served normally");
    list_outlets(&channel, &heavy)
        .await
        .expect("and so is the same key's next quick call");
}
