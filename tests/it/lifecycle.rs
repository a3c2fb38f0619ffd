//! The server's life: health and reflection once started, NOT_SERVING and a clean exit on
//! SIGTERM with in-flight calls finished, and durability across `kill -9`.

use std::time::Duration;

use tokio_stream::StreamExt as _;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use tonic_reflection::pb::{v1, v1alpha};
use verbatim::proto::v1 as pb;

use crate::harness::{self, Server, StoreDir};

fn quote(text: &str) -> pb::RegisterQuoteRequest {
    pb::RegisterQuoteRequest {
        text: text.into(),
        speaker: "Lifecycle Tester".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn health_reports_serving_for_the_server_and_each_service() {
    let server = Server::start();
    let mut health = server.health().await;
    for service in ["", "verbatim.v1.Registry"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("check")
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .expect_err("unknown services are NOT_FOUND");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn reflection_serves_v1_and_v1alpha_with_health_included() {
    let server = Server::start();
    let channel = server.channel().await;

    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1")
        .into_inner();
    let response = responses.next().await.expect("a response").expect("ok");
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response.message_response
    else {
        panic!("a service list, got {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in ["verbatim.v1.Registry", "grpc.health.v1.Health"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }

    // grpcurl 1.8 and Python's reflection client speak only v1alpha: resolve symbols there.
    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(channel);
    for symbol in ["grpc.health.v1.Health", "verbatim.v1.Registry"] {
        let request = v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                    symbol.into(),
                ),
            ),
        };
        let mut responses = client
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect("reflection v1alpha")
            .into_inner();
        let response = responses.next().await.expect("a response").expect("ok");
        assert!(
            matches!(
                response.message_response,
                Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(ref files))
                    if !files.file_descriptor_proto.is_empty()
            ),
            "{symbol}: {response:?}"
        );
    }
}

#[tokio::test]
async fn sigterm_flips_health_finishes_in_flight_calls_and_exits_cleanly() {
    let mut server = Server::start();
    let mut health = server.health().await;
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    let first = watch.next().await.expect("an update").expect("ok");
    assert_eq!(first.status, ServingStatus::Serving as i32);

    // A bulk registration is in flight when the signal arrives.
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let mut registry = server.registry().await;
    let call = tokio::spawn(async move {
        registry
            .register_quotes(tokio_stream::wrappers::ReceiverStream::new(receiver))
            .await
    });
    for i in 0..5 {
        sender
            .send(quote(&format!("Sent before the signal, number {i}.")))
            .await
            .expect("send");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.signal(libc::SIGTERM);
    let update = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("health changes within 5 s")
        .expect("an update")
        .expect("ok");
    assert_eq!(update.status, ServingStatus::NotServing as i32);
    // The connection must answer the server's closing handshake, and `wait_exit` below blocks
    // this test's only runtime thread: close it now.
    drop(watch);
    drop(health);

    for i in 0..5 {
        sender
            .send(quote(&format!("Sent after the signal, number {i}.")))
            .await
            .expect("send");
    }
    drop(sender);
    let response = call
        .await
        .expect("the call task")
        .expect("the in-flight call completes")
        .into_inner();
    assert_eq!(response.created, 10);

    let status = server.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
    let log = server.log_text();
    assert!(log.contains("store closed"), "{log}");

    // Everything acknowledged is there after a restart.
    let restarted = Server::start_on(server.store_url(), &[]);
    let listed = restarted
        .registry()
        .await
        .list_quotes(pb::ListQuotesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.quotes.len(), 10);
}

#[tokio::test]
async fn acknowledged_registrations_survive_kill_9() {
    let store = StoreDir::new();
    let mut hashes = Vec::new();
    {
        let mut server = Server::start_on(&store.url(), &[]);
        let mut registry = server.registry().await;
        for i in 0..50 {
            let response = registry
                .register_quote(quote(&format!(
                    "Acknowledged before the crash, number {i}."
                )))
                .await
                .expect("register")
                .into_inner();
            hashes.push(response.quote.expect("a quote").content_hash);
        }
        let bulk = registry
            .register_quotes(tokio_stream::iter(
                (0..500)
                    .map(|i| quote(&format!("Acknowledged in bulk, number {i}.")))
                    .collect::<Vec<_>>(),
            ))
            .await
            .expect("bulk")
            .into_inner();
        assert_eq!(bulk.created, 500);
        server.signal(libc::SIGKILL);
        let status = server.wait_exit(Duration::from_secs(5));
        assert!(!status.success());
    }
    let server = Server::start_on(&store.url(), &[]);
    let mut registry = server.registry().await;
    for hash in &hashes {
        registry
            .get_quote(pb::GetQuoteRequest {
                content_hash: hash.clone(),
            })
            .await
            .expect("every acknowledged quote is present");
    }
    assert_eq!(harness::all_quotes(&mut registry).await.len(), 550);
}

#[tokio::test]
async fn a_store_from_a_newer_version_is_refused_at_start() {
    let store = StoreDir::new();
    drop(Server::start_on(&store.url(), &[]));
    // Pretend a newer build migrated the file: record a schema version this build lacks.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(store.path());
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("open");
    sqlx::query("INSERT INTO verbatim_schema (version, applied_at) VALUES (999, 0)")
        .execute(&pool)
        .await
        .expect("insert");
    pool.close().await;
    let output = std::process::Command::new(crate::harness::BINARY)
        .args(["serve", "--listen", "127.0.0.1:0", "--store", &store.url()])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer Verbatim"), "{stderr}");
    assert!(stderr.contains("schema version 999"), "{stderr}");
}
