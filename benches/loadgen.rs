//! Load generator: `CheckText` requests per second and latency percentiles over loopback gRPC,
//! for 5 KB articles at 1, 16 and 64 concurrent callers, against a register of generated
//! quotations (1,000,000 by default).
//!
//! `cargo bench --bench loadgen` (environment: `LOADGEN_QUOTES` register size, `LOADGEN_SECONDS`
//! seconds per concurrency level, default 10). Every loop is bounded in time and count, and all
//! traffic stays on 127.0.0.1.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::net::TcpListener;
use verbatim::{
    config::ServeConfig,
    proto::v1::{CheckTextRequest, checker_client::CheckerClient},
    record::{Actor, Attribution, NewQuote},
    server,
    store::{SqliteStore, Store},
    text::{CanonicalText, CanonicalVersion, ContentHash},
};

#[path = "corpus.rs"]
mod corpus;

/// Upper bound on requests per caller per level, whatever the time limit.
const MAX_REQUESTS_PER_CALLER: usize = 200_000;
const ARTICLE_BYTES: usize = 5_000;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// About 5 KB of real article text with three registered quotations planted in it.
fn articles(bbc: &[String], quotes: &[String]) -> Vec<String> {
    bbc.iter()
        .enumerate()
        .map(|(i, article)| {
            let mut text: String = article.chars().take(ARTICLE_BYTES - 900).collect();
            for k in [i * 17, i * 17 + 5, i * 17 + 11] {
                let quote = &quotes[k % quotes.len()];
                text.push_str(&format!("\n\nThe minister said: “{quote}”"));
            }
            text.chars().take(ARTICLE_BYTES).collect()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: only run when benching.
    if !std::env::args().any(|a| a == "--bench") {
        println!("loadgen: run with `cargo bench --bench loadgen`");
        return;
    }
    let Some(all_articles) = corpus::news_articles() else {
        return;
    };
    let size = env_number("LOADGEN_QUOTES", 1_000_000);
    let seconds = env_number("LOADGEN_SECONDS", 10) as u64;
    let sentences = corpus::sentences(&all_articles[80..]);
    let quotes = corpus::generated_quotes(&sentences, size);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("loadgen.db").display());
    let store = SqliteStore::open(&url).await.expect("the store opens");
    let started = Instant::now();
    for chunk in quotes.chunks(5_000) {
        let batch: Vec<NewQuote> = chunk
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let canonical = CanonicalText::of(text);
                NewQuote {
                    hash: ContentHash::of_canonical(CanonicalVersion::V1, &canonical),
                    text: text.clone(),
                    canonical_text: canonical.into_string(),
                    attribution: Attribution {
                        speaker: format!("Speaker {}", i % 997),
                        speaker_aliases: Vec::new(),
                        outlet_id: String::new(),
                        source_url: String::new(),
                        published_at: None,
                        registered_at: 0,
                    },
                }
            })
            .collect();
        store
            .register_quotes(&batch, &Actor::local("loadgen"))
            .await
            .expect("registration");
    }
    println!(
        "register of {size} quotes written in {:.1?}",
        started.elapsed()
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let loading = Instant::now();
    let serving = tokio::spawn(server::run(
        listener,
        ServeConfig {
            limits: Default::default(),
            drain_timeout: Duration::from_secs(5),
            admission: verbatim::config::Admission::unlimited(),
            tls: None,
        },
        store,
        async {
            let _ = stopped.await;
        },
        move |_| {
            let _ = ready_tx.send(());
        },
    ));
    ready_rx.await.expect("the server starts");
    println!(
        "server ready (register loaded) in {:.1?}",
        loading.elapsed()
    );

    let texts = Arc::new(articles(&all_articles[..80], &quotes));
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    println!("callers  requests/s      p50      p99   (5 KB articles, {seconds} s each)");
    for callers in [1usize, 16, 64] {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for caller in 0..callers {
            let mut client = CheckerClient::new(channel.clone());
            let texts = Arc::clone(&texts);
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = caller;
                while Instant::now() < deadline && latencies.len() < MAX_REQUESTS_PER_CALLER {
                    let request = CheckTextRequest {
                        text: texts[i % texts.len()].clone(),
                        document_id: String::new(),
                        options: None,
                    };
                    let sent = Instant::now();
                    client
                        .check_text(request)
                        .await
                        .expect("the check succeeds");
                    latencies.push(sent.elapsed());
                    i += callers;
                }
                latencies
            }));
        }
        let began = Instant::now();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.expect("caller task"));
        }
        let elapsed = began.elapsed();
        latencies.sort_unstable();
        println!(
            "{callers:>7}  {:>10.0}  {:>7.2?}  {:>7.2?}",
            latencies.len() as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
        );
    }
    let _ = stop.send(());
    serving.await.expect("server task").expect("server ran");
}
