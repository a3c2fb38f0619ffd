//! Bulk import rate: 100,000 quotations generated from real news sentences, streamed through
//! `RegisterQuotes` over loopback gRPC into a fresh embedded (SQLite) store.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::net::TcpListener;
use verbatim::{
    config::ServeConfig,
    proto::v1::{RegisterQuoteRequest, registry_client::RegistryClient},
    server,
    store::SqliteStore,
};

#[path = "corpus.rs"]
mod corpus;

const QUOTES: usize = 100_000;

/// Starts a server on a fresh store, imports `quotes`, stops it, and returns the import's time.
async fn import_once(quotes: Vec<RegisterQuoteRequest>) -> Duration {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqliteStore::open(&url).await.expect("the store opens");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = ServeConfig {
        limits: Default::default(),
        drain_timeout: Duration::from_secs(5),
        admission: verbatim::config::Admission::unlimited(),
        tls: None,
    };
    let serving = tokio::spawn(server::run(
        listener,
        config,
        store,
        async {
            let _ = stopped.await;
        },
        |_| {},
    ));
    let mut client = RegistryClient::connect(format!("http://{address}"))
        .await
        .expect("connect");
    let expected = quotes.len() as u64;
    let started = Instant::now();
    let response = client
        .register_quotes(tokio_stream::iter(quotes))
        .await
        .expect("the import succeeds")
        .into_inner();
    let elapsed = started.elapsed();
    assert_eq!(response.created + response.existing, expected);
    assert!(
        response.rejected.is_empty(),
        "{:?}",
        &response.rejected[..1]
    );
    let _ = stop.send(());
    serving.await.expect("server task").expect("server ran");
    elapsed
}

fn bulk_import(c: &mut Criterion) {
    let Some(articles) = corpus::news_articles() else {
        return;
    };
    let sentences = corpus::sentences(&articles);
    let quotes: Vec<RegisterQuoteRequest> = corpus::generated_quotes(&sentences, QUOTES)
        .into_iter()
        .enumerate()
        .map(|(i, text)| RegisterQuoteRequest {
            text,
            speaker: format!("Speaker {}", i % 997),
            ..Default::default()
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.throughput(Throughput::Elements(QUOTES as u64));
    group.bench_function("RegisterQuotes, 100k quotes, fresh SQLite store", |b| {
        b.iter_custom(|iterations| {
            (0..iterations)
                .map(|_| runtime.block_on(import_once(quotes.clone())))
                .sum()
        })
    });
    group.finish();
}

criterion_group!(benches, bulk_import);
criterion_main!(benches);
