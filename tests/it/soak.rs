//! The soak, short: 30 s of mixed load (nine checks to one registration) from 64 concurrent
//! callers against the real binary, on a register made from this repository's own test corpus:
//! no call fails, latency is reported every 5 s, and the server's resident memory stops growing
//! once the first third is over. The long run (10 minutes, 1,000,000 quotations) is
//! `LOADGEN_MODE=soak cargo bench --bench loadgen` (docs/reliability.md).

use std::{sync::Arc, time::Duration};

use verbatim::proto::v1::{self as pb, registry_client::RegistryClient};

use crate::harness::Server;
use crate::load::{self, Load};

#[allow(dead_code)]
#[path = "../../benches/corpus.rs"]
mod corpus;

/// Quotations in the register, and quotations the load registers (in turn, then again).
const REGISTERED: usize = 20_000;
const FRESH: usize = 200;

/// The invented texts of `tests/corpus/checking.jsonl`.
fn corpus_texts() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/checking.jsonl");
    std::fs::read_to_string(path)
        .expect("the checking corpus is part of the repository")
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            record["text"].as_str().expect("a text").to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_seconds_of_mixed_load_from_64_callers_without_an_error_or_growing_memory() {
    let texts = corpus_texts();
    let sentences = corpus::sentences(&texts);
    let quotes = corpus::generated_quotes(&sentences, REGISTERED + FRESH);
    let (registered, fresh) = quotes.split_at(REGISTERED);

    let server = Server::start_with(&["--rate-limit", "0"]);
    let mut registry = RegistryClient::new(server.channel().await);
    let response = registry
        .register_quotes(tokio_stream::iter(
            registered
                .iter()
                .enumerate()
                .map(|(i, text)| pb::RegisterQuoteRequest {
                    text: text.clone(),
                    speaker: format!("Speaker {}", i % 97),
                    ..Default::default()
                })
                .collect::<Vec<_>>(),
        ))
        .await
        .expect("the register is written")
        .into_inner();
    assert!(response.rejected.is_empty(), "{:?}", response.rejected);

    // Articles of about 5 KB: corpus texts run together, three registered quotations planted.
    let runs: Vec<String> = texts.chunks(40).map(|chunk| chunk.join("\n\n")).collect();
    let articles = Arc::new(load::planted_articles(&runs, registered, 5_000));
    let interval = Duration::from_secs(5);
    let outcome = load::run(
        server.channel().await,
        articles,
        Arc::new(fresh.to_vec()),
        &Load {
            callers: 64,
            register_every: 10,
            duration: Duration::from_secs(30),
            interval,
        },
        Some(server.pid()),
        |i| {
            eprintln!(
                "{:>5.1?}  {:>6.0} calls/s  p50 {:>8.2?}  p99 {:>8.2?} (checks {:.2?}, registrations {:.2?})  errors {}  rss {} MiB",
                i.at,
                i.rate(interval),
                i.p50,
                i.p99,
                i.check_p99,
                i.registration_p99,
                i.errors,
                i.rss_mib.unwrap_or(0)
            )
        },
    )
    .await;

    assert_eq!(
        outcome.total_errors, 0,
        "calls failed under load: {:?}",
        outcome.errors
    );
    assert!(
        outcome.intervals.len() >= 5,
        "{} intervals",
        outcome.intervals.len()
    );
    let registrations: usize = outcome.intervals.iter().map(|i| i.registrations).sum();
    assert!(
        registrations >= FRESH,
        "every fresh quotation was registered at least once ({registrations} registrations)"
    );
    // Memory: what the server holds once the first third is over (the fresh quotations are in
    // and every worker thread has run) must not keep growing.
    let rss: Vec<u64> = outcome
        .intervals
        .iter()
        .map(|i| i.rss_mib.expect("the server's memory is readable"))
        .collect();
    let settled = rss[1];
    let last = *rss.last().expect("intervals");
    assert!(
        last <= settled + settled / 10,
        "resident memory grew from {settled} MiB to {last} MiB after the warm-up: {rss:?}"
    );
    let p99 = load::percentile(&outcome.latencies, 0.99);
    eprintln!(
        "{} calls in {:.1?}, p99 {:.2?}, {registrations} registrations, rss {rss:?} MiB",
        outcome.latencies.len(),
        outcome.elapsed,
        p99
    );
}
