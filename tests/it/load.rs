//! A mixed load over real gRPC: many concurrent callers checking articles and registering
//! quotations, with latency percentiles, errors and the server's resident memory reported per
//! interval. Shared by the load benchmark (`benches/loadgen.rs`, which includes this file) and the
//! short soak that CI runs (`soak.rs`). Every loop is bounded in time and in count.

#![allow(dead_code)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tonic::transport::Channel;
use verbatim::proto::v1::{
    self as pb, checker_client::CheckerClient, registry_client::RegistryClient,
};

/// Calls one caller makes at most, whatever the time allows.
const MAX_CALLS_PER_CALLER: usize = 50_000_000;
/// Error messages kept for the report.
const ERRORS_KEPT: usize = 20;

/// What load to send.
#[derive(Debug, Clone)]
pub struct Load {
    /// Concurrent callers, each waiting for its answer before its next call.
    pub callers: usize,
    /// One call in this many registers a quotation; 0 for checks only.
    pub register_every: usize,
    /// How long to send load.
    pub duration: Duration,
    /// How often to report.
    pub interval: Duration,
}

/// What one interval saw.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Seconds since the load began, at the interval's end.
    pub at: Duration,
    pub checks: usize,
    pub registrations: usize,
    pub errors: usize,
    pub p50: Duration,
    pub p99: Duration,
    /// p99 of the checks alone, and of the registrations alone (zero when there were none).
    pub check_p99: Duration,
    pub registration_p99: Duration,
    pub max: Duration,
    /// The server's resident memory at the interval's end, in MiB, when its pid is known.
    pub rss_mib: Option<u64>,
}

impl Interval {
    /// Calls per second over the interval.
    pub fn rate(&self, length: Duration) -> f64 {
        (self.checks + self.registrations) as f64 / length.as_secs_f64()
    }
}

/// The whole run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub intervals: Vec<Interval>,
    /// The first few errors, as the callers saw them.
    pub errors: Vec<String>,
    pub total_errors: usize,
    /// Every call's latency, sorted; and the checks' and registrations' apart.
    pub latencies: Vec<Duration>,
    pub check_latencies: Vec<Duration>,
    pub registration_latencies: Vec<Duration>,
    pub elapsed: Duration,
}

/// One finished call.
struct Sample {
    latency: Duration,
    registration: bool,
    error: Option<String>,
}

/// The value at quantile `p` of sorted `values`.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Resident and peak resident memory of process `pid`, in MiB, from /proc.
pub fn memory_mib(pid: i32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Runs `load` against the server behind `channel`: checks of `articles` and registrations of
/// `fresh` quotations (taken in turn, so once all are registered the rest are idempotent
/// repeats). `on_interval` sees each interval as it ends.
pub async fn run(
    channel: Channel,
    articles: Arc<Vec<String>>,
    fresh: Arc<Vec<String>>,
    load: &Load,
    server_pid: Option<i32>,
    mut on_interval: impl FnMut(&Interval),
) -> Outcome {
    let (samples, mut received) = tokio::sync::mpsc::unbounded_channel::<Sample>();
    let began = Instant::now();
    let deadline = began + load.duration;
    let next_fresh = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for caller in 0..load.callers {
        let channel = channel.clone();
        let articles = Arc::clone(&articles);
        let fresh = Arc::clone(&fresh);
        let next_fresh = Arc::clone(&next_fresh);
        let samples = samples.clone();
        let register_every = load.register_every;
        callers.push(tokio::spawn(async move {
            let mut checker =
                CheckerClient::new(channel.clone()).max_decoding_message_size(64 * 1024 * 1024);
            let mut registry = RegistryClient::new(channel);
            for call in (caller..).take(MAX_CALLS_PER_CALLER) {
                if Instant::now() >= deadline {
                    break;
                }
                let registration =
                    register_every > 0 && !fresh.is_empty() && call % register_every == 0;
                let sent = Instant::now();
                let error = if registration {
                    let n = next_fresh.fetch_add(1, Ordering::Relaxed);
                    registry
                        .register_quote(pb::RegisterQuoteRequest {
                            text: fresh[n % fresh.len()].clone(),
                            speaker: format!("Load Speaker {}", n % 101),
                            ..Default::default()
                        })
                        .await
                        .err()
                } else {
                    checker
                        .check_text(pb::CheckTextRequest {
                            text: articles[call % articles.len()].clone(),
                            ..Default::default()
                        })
                        .await
                        .err()
                };
                let sample = Sample {
                    latency: sent.elapsed(),
                    registration,
                    error: error.map(|status| format!("{:?}: {}", status.code(), status.message())),
                };
                if samples.send(sample).is_err() {
                    break;
                }
            }
        }));
    }
    drop(samples);

    let mut outcome = Outcome::default();
    let mut current: Vec<Sample> = Vec::new();
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::from_std(began + load.interval),
        load.interval,
    );
    let mut last_report = began;
    loop {
        tokio::select! {
            sample = received.recv() => match sample {
                Some(sample) => current.push(sample),
                None => break,
            },
            _ = ticker.tick() => {
                let interval = summarize(&mut current, &mut outcome, began, server_pid);
                on_interval(&interval);
                outcome.intervals.push(interval);
                last_report = Instant::now();
            },
        }
    }
    // The callers are done: a last stretch of at least half an interval is reported too.
    if last_report.elapsed() * 2 >= load.interval && !current.is_empty() {
        let interval = summarize(&mut current, &mut outcome, began, server_pid);
        on_interval(&interval);
        outcome.intervals.push(interval);
    } else {
        fold(&mut current, &mut outcome);
    }
    for caller in callers {
        caller.await.expect("a caller does not panic");
    }
    outcome.elapsed = began.elapsed();
    outcome.latencies.sort_unstable();
    outcome.check_latencies.sort_unstable();
    outcome.registration_latencies.sort_unstable();
    outcome
}

/// Moves an interval's samples into the whole run's figures.
fn fold(current: &mut Vec<Sample>, outcome: &mut Outcome) {
    for sample in current.drain(..) {
        if let Some(error) = sample.error {
            outcome.total_errors += 1;
            if outcome.errors.len() < ERRORS_KEPT {
                outcome.errors.push(error);
            }
        }
        outcome.latencies.push(sample.latency);
        if sample.registration {
            outcome.registration_latencies.push(sample.latency);
        } else {
            outcome.check_latencies.push(sample.latency);
        }
    }
}

fn summarize(
    current: &mut Vec<Sample>,
    outcome: &mut Outcome,
    began: Instant,
    server_pid: Option<i32>,
) -> Interval {
    let mut latencies: Vec<Duration> = current.iter().map(|s| s.latency).collect();
    latencies.sort_unstable();
    let registrations = current.iter().filter(|s| s.registration).count();
    let p99_of = |registration: bool| {
        let mut kind: Vec<Duration> = current
            .iter()
            .filter(|s| s.registration == registration)
            .map(|s| s.latency)
            .collect();
        kind.sort_unstable();
        percentile(&kind, 0.99)
    };
    let errors = current.iter().filter(|s| s.error.is_some()).count();
    let interval = Interval {
        at: began.elapsed(),
        checks: current.len() - registrations,
        registrations,
        errors,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        check_p99: p99_of(false),
        registration_p99: p99_of(true),
        max: latencies.last().copied().unwrap_or_default(),
        rss_mib: server_pid.and_then(memory_mib).map(|(rss, _)| rss),
    };
    fold(current, outcome);
    interval
}

/// About `bytes` of article text with registered quotations planted in it: the text of
/// `articles[i]` (cycled) followed by three of `quotes` as a minister's words.
pub fn planted_articles(articles: &[String], quotes: &[String], bytes: usize) -> Vec<String> {
    articles
        .iter()
        .enumerate()
        .map(|(i, article)| {
            let mut text: String = article.chars().take(bytes.saturating_sub(900)).collect();
            for k in [i * 17, i * 17 + 5, i * 17 + 11] {
                let quote = &quotes[k % quotes.len()];
                text.push_str(&format!("\n\nThe minister said: “{quote}”"));
            }
            text.chars().take(bytes).collect()
        })
        .collect()
}
