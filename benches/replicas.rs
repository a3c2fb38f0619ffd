//! Several replicas over PostgreSQL: bulk import rate into PostgreSQL, a second replica's
//! start-up time on the imported register, and the delay from a registration through one replica
//! to its visibility in another's checks (p50/p99 over 1,000 registrations).
//!
//! `DATABASE_URL=postgres://… cargo bench --bench replicas` (skips, saying so, when unset). A
//! fresh database is created on that server and dropped at the end. `REPLICAS_QUOTES` sets the
//! register size (default 1,000,000), `REPLICAS_PROPAGATIONS` the registrations timed (default
//! 1,000). Every loop is bounded in count and time; all traffic is on loopback.

use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use verbatim::{
    config::ServeConfig,
    proto::v1::{
        self as pb, RegisterQuoteRequest, checker_client::CheckerClient,
        registry_client::RegistryClient,
    },
    server,
    store::{PgSettings, PgStore},
};

#[path = "corpus.rs"]
mod corpus;

/// Longest a registration may take to show on the other replica before the run fails.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(5);

struct Replica {
    address: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), server::ServeError>>,
}

/// Starts a server on `url`; returns once it is ready, with the time that took.
async fn start(url: &str) -> (Replica, Duration) {
    let started = Instant::now();
    let store = PgStore::open(url, PgSettings::default())
        .await
        .expect("the store opens");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready, is_ready) = tokio::sync::oneshot::channel::<()>();
    let mut ready = Some(ready);
    let config = ServeConfig {
        limits: Default::default(),
        drain_timeout: Duration::from_secs(5),
        admission: verbatim::config::Admission::unlimited(),
        tls: None,
    };
    let task = tokio::spawn(server::run(
        listener,
        config,
        store,
        async {
            let _ = stopped.await;
        },
        move |_| {
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
        },
    ));
    is_ready.await.expect("the server becomes ready");
    (
        Replica {
            address,
            stop,
            task,
        },
        started.elapsed(),
    )
}

impl Replica {
    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn run(base: &str) {
    let Some(articles) = corpus::news_articles() else {
        return;
    };
    let count: usize = std::env::var("REPLICAS_QUOTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let propagations: usize = std::env::var("REPLICAS_PROPAGATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let sentences = corpus::sentences(&articles);
    // Words with quotation marks of their own would not read as one quotation when checked.
    let quotes: Vec<String> = corpus::generated_quotes(&sentences, 2 * (count + propagations))
        .into_iter()
        .filter(|q| !q.contains(['"', '“', '”', '«', '»']) && q.split(' ').count() >= 4)
        .take(count + propagations)
        .collect();
    assert_eq!(
        quotes.len(),
        count + propagations,
        "enough generated quotations"
    );

    let name = format!("verbatim_bench_{}", std::process::id());
    let admin = sqlx::PgPool::connect(base)
        .await
        .expect("DATABASE_URL answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create the bench database");
    let url = format!("{}/{name}", base.rsplit_once('/').expect("a database").0);
    let _dropped_at_the_end = DropDatabase {
        base: base.to_owned(),
        name: name.clone(),
    };

    let (a, _) = start(&url).await;
    let mut registry = RegistryClient::connect(a.url()).await.expect("connect A");
    let requests: Vec<RegisterQuoteRequest> = quotes[..count]
        .iter()
        .map(|text| RegisterQuoteRequest {
            text: text.clone(),
            speaker: "Bench Speaker".into(),
            ..Default::default()
        })
        .collect();
    let started = Instant::now();
    let response = registry
        .register_quotes(tokio_stream::iter(requests))
        .await
        .expect("the import succeeds")
        .into_inner();
    let import = started.elapsed();
    println!(
        "import into PostgreSQL: {} quotes in {import:.1?}: {:.0} quotes/s ({} created, {} existing)",
        count,
        count as f64 / import.as_secs_f64(),
        response.created,
        response.existing
    );

    let (b, startup) = start(&url).await;
    println!("second replica ready on {count} quotes in {startup:.1?}");

    let mut checker = CheckerClient::connect(b.url()).await.expect("connect B");
    let mut checker_a = CheckerClient::connect(a.url()).await.expect("connect A");
    let mut delays = Vec::with_capacity(propagations);
    let mut verified = 0;
    for text in &quotes[count..] {
        registry
            .register_quote(RegisterQuoteRequest {
                text: text.clone(),
                speaker: "Bench Speaker".into(),
                ..Default::default()
            })
            .await
            .expect("a registration through A");
        let acknowledged = Instant::now();
        let article = format!("She said: “{text}”");
        // What A, which registered it, now reports is what B must come to report.
        let outcome = |response: &pb::CheckTextResponse| {
            response
                .findings
                .first()
                .map(|f| (f.verdict, f.quote.as_ref().map(|q| q.content_hash.clone())))
        };
        let expected = outcome(
            &checker_a
                .check_text(pb::CheckTextRequest {
                    text: article.clone(),
                    ..Default::default()
                })
                .await
                .expect("a check through A")
                .into_inner(),
        );
        if expected
            .as_ref()
            .is_some_and(|(v, _)| *v == pb::MatchVerdict::Verified as i32)
        {
            verified += 1;
        }
        loop {
            let response = checker
                .check_text(pb::CheckTextRequest {
                    text: article.clone(),
                    ..Default::default()
                })
                .await
                .expect("a check through B")
                .into_inner();
            if outcome(&response) == expected {
                delays.push(acknowledged.elapsed());
                break;
            }
            assert!(
                acknowledged.elapsed() < PROPAGATION_LIMIT,
                "a registration did not reach the other replica within {PROPAGATION_LIMIT:?}: \
                 {text:?} checks as {:?}",
                response
                    .findings
                    .first()
                    .map(|f| (f.verdict, f.text.clone()))
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    delays.sort();
    println!(
        "registration on A to visibility on B over {} registrations ({verified} verified on A): \
         p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        delays.len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().expect("some")
    );

    a.stop().await;
    b.stop().await;
    admin.close().await;
}

/// Drops the bench database however the run ends.
struct DropDatabase {
    base: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(&base).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass other flags: run only
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Ok(base) = std::env::var("DATABASE_URL") else {
        eprintln!("skipped: DATABASE_URL is unset (this benchmark needs a PostgreSQL server)");
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(&base));
}
