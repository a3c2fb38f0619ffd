//! Load generator: the real `verbatim` binary (release build) serving a register of generated
//! quotations, driven over loopback gRPC by this process.
//!
//! `cargo bench --bench loadgen` (mode `levels`): start-up time, resident memory, index bytes
//! per quotation, then `CheckText` with 5 KB articles at 1, 16 and 64 concurrent callers:
//! requests/s, p50, p99.
//!
//! `LOADGEN_REGISTER_EVERY=N` makes one call in N of each level a registration (1: only
//! registrations), reported apart.
//!
//! `LOADGEN_MODE=soak cargo bench --bench loadgen`: nine checks to one registration from 64
//! callers for `LOADGEN_MINUTES` (default 10): p99 and resident memory each minute. It fails on
//! any error, or when memory keeps growing after the first two minutes.
//!
//! Environment: `LOADGEN_QUOTES` register size (default 1,000,000), `LOADGEN_SECONDS` per level
//! (default 10), `LOADGEN_CALLERS` (levels, default `1,16,64`). The register is written once
//! into `target/loadgen/` and reused by later runs (the soak works on a copy). Every loop is
//! bounded in time and count, and all traffic stays on 127.0.0.1.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use verbatim::{
    record::{Actor, Attribution, NewQuote},
    store::{SqliteStore, Store},
    text::{CanonicalText, ContentHash},
};

#[path = "corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
#[path = "../tests/it/load.rs"]
mod load;

const ARTICLE_BYTES: usize = 5_000;
/// Quotations the soak registers (in turn; once all are in, registrations repeat them).
const FRESH: usize = 20_000;
/// Quotations written per transaction while preparing a register.
const WRITE_BATCH: usize = 5_000;
/// How long the server may take to load its register.
const START_TIMEOUT: Duration = Duration::from_secs(600);

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The register of `size` generated quotations, written once under `target/loadgen/`.
async fn prepared_register(sentences: &[String], size: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/loadgen");
    std::fs::create_dir_all(&dir).expect("target/loadgen");
    let path = dir.join(format!("register-{size}.db"));
    if path.is_file() {
        println!("register of {size}: reusing {}", path.display());
        return path;
    }
    let partial = dir.join(format!("register-{size}.partial.db"));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", partial.display()));
    }
    let started = Instant::now();
    let vocabulary = corpus::vocabulary(sentences);
    // Written in content-hash order, so the hash index grows at its end instead of everywhere.
    let mut order: Vec<(ContentHash, u32)> = (0..size)
        .map(|i| {
            let text = corpus::generated_quote(sentences, &vocabulary, i);
            (ContentHash::of_text(&text), u32::try_from(i).expect("fits"))
        })
        .collect();
    order.sort_unstable();
    order.dedup_by_key(|(hash, _)| *hash);
    let store = SqliteStore::open(&format!("sqlite://{}", partial.display()))
        .await
        .expect("the store opens");
    let actor = Actor::local("loadgen");
    for (n, chunk) in order.chunks(WRITE_BATCH).enumerate() {
        let batch: Vec<NewQuote> = chunk
            .iter()
            .map(|&(hash, i)| {
                let text = corpus::generated_quote(sentences, &vocabulary, i as usize);
                NewQuote {
                    hash,
                    canonical_text: CanonicalText::of(&text).into_string(),
                    text,
                    attribution: Attribution::to_speaker(&format!("Speaker {}", i % 997), &[]),
                }
            })
            .collect();
        store
            .register_quotes(&batch, &actor)
            .await
            .expect("registration");
        if n % 200 == 199 {
            println!(
                "  {} of {} written ({:.0?})",
                (n + 1) * WRITE_BATCH,
                order.len(),
                started.elapsed()
            );
        }
    }
    store.close().await;
    std::fs::rename(&partial, &path).expect("rename the finished register");
    println!(
        "register of {size}: {} distinct quotations written in {:.1?}",
        order.len(),
        started.elapsed()
    );
    path
}

/// What the server's log says about loading: (quotations, index bytes).
fn loaded_figures(log: &str) -> Option<(u64, u64)> {
    let line = log
        .lines()
        .map(harness::without_colours)
        .find(|line| line.contains("register loaded for checking"))?;
    let field = |name: &str| -> Option<u64> {
        let rest = line.split(&format!("{name}=")).nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    Some((field("quotes")?, field("index_bytes")?))
}

fn print_interval(interval: &load::Interval, length: Duration) {
    println!(
        "{:>7.0?}  {:>9.0}  {:>9.2?}  {:>9.2?}  {:>9.2?}  {:>9}  {:>9.2?}  {:>6}  {:>8}",
        interval.at,
        interval.rate(length),
        interval.p50,
        interval.p99,
        interval.check_p99,
        if interval.registrations == 0 {
            "-".to_string()
        } else {
            format!("{:.2?}", interval.registration_p99)
        },
        interval.max,
        interval.errors,
        interval
            .rss_mib
            .map_or_else(|| "?".into(), |mib| mib.to_string())
    );
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
    let soak = std::env::var("LOADGEN_MODE").is_ok_and(|mode| mode == "soak");
    let sentences = corpus::sentences(&all_articles[80..]);
    let register = prepared_register(&sentences, size).await;

    // A run that registers quotations works on a copy, so the prepared register stays as is.
    let registers = soak || env_number("LOADGEN_REGISTER_EVERY", 0) > 0;
    let copy = tempfile::tempdir_in(register.parent().expect("a folder")).expect("a folder");
    let store_path = if registers {
        let target = copy.path().join("register.db");
        std::fs::copy(&register, &target).expect("copy the register");
        target
    } else {
        register.clone()
    };
    let spawned = Instant::now();
    let server = harness::Server::start_on_within(
        &format!("sqlite://{}", store_path.display()),
        &[
            "--rate-limit",
            "0",
            "--max-concurrent-requests",
            "100000",
            "--max-concurrent-per-key",
            "100000",
        ],
        START_TIMEOUT,
    );
    let start_up = spawned.elapsed();
    let (quotes, index_bytes) = loaded_figures(&server.log_text()).unwrap_or_default();
    let (rss, peak) = load::memory_mib(server.pid()).expect("the server's memory");
    println!(
        "server ready in {start_up:.1?} with {quotes} quotations: index {index_bytes} bytes ({:.0} \
         bytes per quotation); resident {rss} MiB, peak {peak} MiB",
        index_bytes as f64 / quotes.max(1) as f64
    );

    let vocabulary = corpus::vocabulary(&sentences);
    let planted: Vec<String> = (0..size.min(100_000))
        .map(|i| corpus::generated_quote(&sentences, &vocabulary, i))
        .collect();
    let articles = Arc::new(load::planted_articles(
        &all_articles[..80],
        &planted,
        ARTICLE_BYTES,
    ));
    let header = "   time  requests/s        p50        p99  check p99    reg p99        max  errors  rss MiB";
    if soak {
        let minutes = env_number("LOADGEN_MINUTES", 10);
        let fresh: Vec<String> = (size..size + FRESH)
            .map(|i| corpus::generated_quote(&sentences, &vocabulary, i))
            .collect();
        let interval = Duration::from_secs(60);
        println!("soak: 64 callers, one call in ten a registration, {minutes} minutes");
        println!("{header}");
        let outcome = load::run(
            server.channel().await,
            articles,
            Arc::new(fresh),
            &load::Load {
                callers: 64,
                register_every: 10,
                duration: Duration::from_secs(60 * minutes as u64),
                interval,
            },
            Some(server.pid()),
            |i| print_interval(i, interval),
        )
        .await;
        let rss: Vec<u64> = outcome.intervals.iter().filter_map(|i| i.rss_mib).collect();
        println!(
            "{} calls, {} errors, p99 over the run {:.2?}",
            outcome.latencies.len(),
            outcome.total_errors,
            load::percentile(&outcome.latencies, 0.99)
        );
        assert_eq!(outcome.total_errors, 0, "errors: {:?}", outcome.errors);
        if rss.len() > 2 {
            let settled = rss[1];
            let last = *rss.last().expect("samples");
            println!("resident memory after minute 2: {settled} MiB; at the end: {last} MiB");
            assert!(
                last <= settled + settled / 20,
                "resident memory grew after the first two minutes: {rss:?}"
            );
        }
    } else {
        let seconds = env_number("LOADGEN_SECONDS", 10) as u64;
        let levels: Vec<usize> = std::env::var("LOADGEN_CALLERS").map_or_else(
            |_| vec![1, 16, 64],
            |list| {
                list.split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect()
            },
        );
        // One call in this many registers a fresh quotation (0: checks only; 1: registrations only).
        let register_every = env_number("LOADGEN_REGISTER_EVERY", 0);
        let fresh: Arc<Vec<String>> = Arc::new(if register_every == 0 {
            Vec::new()
        } else {
            (size..size + FRESH)
                .map(|i| corpus::generated_quote(&sentences, &vocabulary, i))
                .collect()
        });
        let mix = match register_every {
            0 => "checks only".to_string(),
            1 => "registrations only".to_string(),
            n => format!("one call in {n} a registration"),
        };
        println!(
            "CheckText, 5 KB articles with three registered quotations, {seconds} s a level; {mix}"
        );
        println!("callers {header}");
        for callers in levels {
            let length = Duration::from_secs(seconds);
            let outcome = load::run(
                server.channel().await,
                Arc::clone(&articles),
                Arc::clone(&fresh),
                &load::Load {
                    callers,
                    register_every,
                    duration: length,
                    interval: length,
                },
                Some(server.pid()),
                |_| {},
            )
            .await;
            assert_eq!(outcome.total_errors, 0, "errors: {:?}", outcome.errors);
            let whole = load::Interval {
                at: outcome.elapsed,
                checks: outcome.check_latencies.len(),
                registrations: outcome.registration_latencies.len(),
                errors: 0,
                p50: load::percentile(&outcome.latencies, 0.50),
                p99: load::percentile(&outcome.latencies, 0.99),
                check_p99: load::percentile(&outcome.check_latencies, 0.99),
                registration_p99: load::percentile(&outcome.registration_latencies, 0.99),
                max: outcome.latencies.last().copied().unwrap_or_default(),
                rss_mib: load::memory_mib(server.pid()).map(|(rss, _)| rss),
            };
            print!("{callers:>7} ");
            print_interval(&whole, outcome.elapsed);
        }
        let (_, peak) = load::memory_mib(server.pid()).expect("the server's memory");
        println!("server peak resident memory: {peak} MiB");
    }
    server.signal(libc::SIGTERM);
    let mut server = server;
    let status = server.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "the server exited with {status:?}");
}
