//! The server on the PostgreSQL store, over real gRPC: the shared example registers, checks and
//! attributes as on the embedded store, and a second server on the same database sees the same
//! register. Skipped, saying so, when `DATABASE_URL` is unset.

use verbatim::proto::v1::{self as pb, checker_client::CheckerClient};

use crate::harness::{Server, cli, shared_examples};

/// A fresh database on the server at `DATABASE_URL`, dropped when the guard goes.
pub struct FreshDatabase {
    base: String,
    name: String,
    pub url: String,
}

impl FreshDatabase {
    pub async fn create() -> Option<FreshDatabase> {
        let Ok(base) = std::env::var("DATABASE_URL") else {
            eprintln!("skipped: DATABASE_URL is unset (PostgreSQL tests need a server)");
            return None;
        };
        let name = format!(
            "verbatim_it_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_nanos()
        );
        let admin = sqlx::PgPool::connect(&base)
            .await
            .expect("DATABASE_URL answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("a test database can be created");
        admin.close().await;
        let (prefix, _) = base.rsplit_once('/').expect("a database in DATABASE_URL");
        let url = format!("{prefix}/{name}");
        Some(FreshDatabase { base, name, url })
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let base = self.base.clone();
        let name = self.name.clone();
        // Dropping happens outside any runtime the test may still be running on.
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

#[tokio::test]
async fn the_shared_example_checks_the_same_on_postgresql_and_a_second_server_sees_it() {
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    let Some(examples) = shared_examples() else {
        return;
    };
    let first = Server::start_on(&database.url, &["--pg-pool-size", "4"]);
    let register = examples.join("regional-concerns-register.jsonl");
    let (code, stdout, stderr) = cli(&first.url(), &["import", register.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("quotes 4 new"), "{stdout}");

    // A second server on the same database loads what the first registered.
    let second = Server::start_on(&database.url, &[]);
    let article = std::fs::read_to_string(examples.join("regional-concerns-article.txt"))
        .expect("the article");
    for server in [&first, &second] {
        let mut checker = CheckerClient::connect(server.url()).await.expect("connect");
        let response = checker
            .check_text(pb::CheckTextRequest {
                text: article.clone(),
                ..Default::default()
            })
            .await
            .expect("check")
            .into_inner();
        let summary = response.summary.expect("a summary");
        assert_eq!(
            (summary.verified, summary.attribution_correct),
            (4, 4),
            "{response:?}"
        );
    }
    let (code, stdout, _) = cli(
        &second.url(),
        &["quote", "list", "--outlet", "express-tribune"],
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("express-tribune"), "{stdout}");
    assert!(
        !first.log_text().contains("postgres://postgres@"),
        "the store URL is logged without credentials only as redacted"
    );
}

#[tokio::test]
async fn a_bad_postgresql_url_is_refused_without_its_password() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "postgres://verbatim:hunter2@127.0.0.1:1/none",
            "--pg-connect-timeout",
            "1",
        ])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(
        stderr.contains("unavailable") || stderr.contains("cannot"),
        "{stderr}"
    );
}

/// Checks `text` on `server` until `done` holds for the first finding, for at most `limit`;
/// returns how long it took, or `None`.
async fn seen_within(
    server: &Server,
    text: &str,
    limit: std::time::Duration,
    done: impl Fn(&pb::Finding) -> bool,
) -> Option<std::time::Duration> {
    let mut checker = CheckerClient::connect(server.url()).await.expect("connect");
    let started = std::time::Instant::now();
    while started.elapsed() <= limit {
        let response = checker
            .check_text(pb::CheckTextRequest {
                text: text.to_owned(),
                ..Default::default()
            })
            .await
            .expect("check")
            .into_inner();
        if response.findings.first().is_some_and(&done) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn replicas_see_each_others_registrations_and_retractions_within_a_second() {
    use verbatim::proto::v1::registry_client::RegistryClient;
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    let a = Server::start_on(&database.url, &[]);
    let b = Server::start_on(&database.url, &[]);
    let mut registry_a = RegistryClient::connect(a.url()).await.expect("connect A");
    let mut registry_b = RegistryClient::connect(b.url()).await.expect("connect B");

    registry_a
        .register_outlet(pb::RegisterOutletRequest {
            outlet: Some(pb::Outlet {
                id: "northern-post".into(),
                name: "The Northern Post".into(),
                aliases: vec!["the Post".into()],
                domains: Vec::new(),
            }),
        })
        .await
        .expect("outlet through A");
    let words = "The harbour is safe for fishing boats again after three months of repairs.";
    let registered = registry_a
        .register_quote(pb::RegisterQuoteRequest {
            text: words.into(),
            outlet_id: "northern-post".into(),
            ..Default::default()
        })
        .await
        .expect("quote through A")
        .into_inner();
    let article = format!("“{words}” the Post reported on Monday.");
    let one_second = std::time::Duration::from_secs(1);
    let seen = seen_within(&b, &article, one_second, |f| {
        f.verdict == pb::MatchVerdict::Verified as i32
            && f.attribution
                .as_ref()
                .is_some_and(|a| a.verdict == pb::AttributionVerdict::Correct as i32)
    })
    .await;
    assert!(
        seen.is_some(),
        "B did not see A's registration (and outlet) within 1 s"
    );

    let hash = registered.quote.expect("the quote").content_hash;
    registry_b
        .retract_quote(pb::RetractQuoteRequest {
            content_hash: hash,
            reason: "registered in error".into(),
        })
        .await
        .expect("retraction through B");
    let seen = seen_within(&a, &article, one_second, |f| {
        f.verdict == pb::MatchVerdict::Retracted as i32
    })
    .await;
    assert!(seen.is_some(), "A did not see B's retraction within 1 s");
}

/// The health of `service` on `server`.
async fn status_of(server: &Server, service: &str) -> i32 {
    server
        .health()
        .await
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map_or(-1, |r| r.into_inner().status)
}

/// Runs `sql` on the server at `DATABASE_URL` (not inside the test database).
async fn admin(database: &FreshDatabase, sql: String) {
    let base = std::env::var("DATABASE_URL").expect("set when a FreshDatabase exists");
    let pool = sqlx::PgPool::connect(&base)
        .await
        .expect("DATABASE_URL answers");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("admin statement on {}: {e}", database.url));
    pool.close().await;
}

#[tokio::test]
async fn losing_the_database_keeps_checks_answering_and_loses_no_acknowledged_quote() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use verbatim::proto::v1::registry_client::RegistryClient;
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    let name = database.url.rsplit('/').next().expect("a name").to_owned();
    let server = Server::start_on(&database.url, &["--pg-connect-timeout", "1"]);
    let mut registry = RegistryClient::connect(server.url())
        .await
        .expect("connect");

    // A stream of registrations while every connection to the database is cut twice.
    let writer = {
        let mut registry = registry.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..300 {
                let text = format!("Registration number {i} survives a lost database connection.");
                let request = pb::RegisterQuoteRequest {
                    text: text.clone(),
                    speaker: "Test Speaker".into(),
                    ..Default::default()
                };
                match registry.register_quote(request).await {
                    Ok(_) => acknowledged.push(text),
                    Err(status) => {
                        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
                    }
                }
            }
            acknowledged
        })
    };
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        admin(
            &database,
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        )
        .await;
    }
    let acknowledged = writer.await.expect("the writer does not panic");
    assert!(!acknowledged.is_empty());
    for text in &acknowledged {
        let hash = verbatim::text::ContentHash::of_text(text).to_string();
        registry
            .get_quote(pb::GetQuoteRequest { content_hash: hash })
            .await
            .unwrap_or_else(|e| panic!("acknowledged {text:?} is missing: {e}"));
    }

    // The database refuses connections: registrations fail, the Registry reports NOT_SERVING,
    // checks keep answering from the index.
    admin(
        &database,
        format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"),
    )
    .await;
    admin(
        &database,
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while status_of(&server, "verbatim.v1.Registry").await != ServingStatus::NotServing as i32 {
        assert!(
            std::time::Instant::now() < deadline,
            "the Registry stayed SERVING"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        status_of(&server, "verbatim.v1.Checker").await,
        ServingStatus::Serving as i32
    );
    let refused = registry
        .register_quote(pb::RegisterQuoteRequest {
            text: "Nothing can be registered while the database is away.".into(),
            speaker: "Test Speaker".into(),
            ..Default::default()
        })
        .await
        .expect_err("no database, no registration");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    let first = &acknowledged[0];
    let still = seen_within(
        &server,
        &format!("She said: “{first}”"),
        std::time::Duration::from_secs(2),
        |f| f.verdict == pb::MatchVerdict::Verified as i32,
    )
    .await;
    assert!(
        still.is_some(),
        "checks answer from the index without the database"
    );

    // The database returns: the replica recovers by itself.
    admin(
        &database,
        format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while status_of(&server, "verbatim.v1.Registry").await != ServingStatus::Serving as i32 {
        assert!(
            std::time::Instant::now() < deadline,
            "the Registry did not recover"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    registry
        .register_quote(pb::RegisterQuoteRequest {
            text: "Registrations work again once the database is back.".into(),
            speaker: "Test Speaker".into(),
            ..Default::default()
        })
        .await
        .expect("registration after recovery");
}

/// Restarts the PostgreSQL server itself, so it runs only when asked
/// (`VERBATIM_TEST_PG_RESTART=1`, which `.ci/run` sets for a separate, single-threaded run of
/// this test): other tests sharing the server would see it go away.
#[tokio::test]
async fn restarting_postgresql_during_a_registration_stream_loses_nothing_acknowledged() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use verbatim::proto::v1::registry_client::RegistryClient;
    if std::env::var_os("VERBATIM_TEST_PG_RESTART").is_none() {
        eprintln!("skipped: set VERBATIM_TEST_PG_RESTART=1 to restart the PostgreSQL server");
        return;
    }
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    let server = Server::start_on(&database.url, &["--pg-connect-timeout", "2"]);
    let registry = RegistryClient::connect(server.url())
        .await
        .expect("connect");
    let writer = {
        let mut registry = registry.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut refused = 0;
            let started = std::time::Instant::now();
            for i in 0..2_000 {
                if started.elapsed() > std::time::Duration::from_secs(60) {
                    break;
                }
                let text = format!("Registration number {i} survives a database restart.");
                let request = pb::RegisterQuoteRequest {
                    text: text.clone(),
                    speaker: "Test Speaker".into(),
                    ..Default::default()
                };
                match registry.register_quote(request).await {
                    Ok(_) => acknowledged.push(text),
                    Err(status) => {
                        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
                        refused += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
            (acknowledged, refused)
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let restarted = tokio::task::spawn_blocking(|| {
        let version = std::fs::read_dir("/etc/postgresql")
            .expect("a PostgreSQL installation")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .next()
            .expect("a cluster version");
        std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "restart"])
            .status()
            .expect("pg_ctlcluster runs")
    })
    .await
    .expect("no panic");
    assert!(restarted.success(), "the restart failed");
    let (acknowledged, refused) = writer.await.expect("the writer does not panic");
    eprintln!(
        "{} acknowledged, {refused} refused while restarting",
        acknowledged.len()
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while status_of(&server, "verbatim.v1.Registry").await != ServingStatus::Serving as i32 {
        assert!(
            std::time::Instant::now() < deadline,
            "the Registry did not recover"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mut registry = registry;
    for text in &acknowledged {
        let hash = verbatim::text::ContentHash::of_text(text).to_string();
        registry
            .get_quote(pb::GetQuoteRequest { content_hash: hash })
            .await
            .unwrap_or_else(|e| panic!("acknowledged {text:?} is missing: {e}"));
    }
}

#[tokio::test]
async fn a_replica_reloads_when_the_change_feed_goes_backwards() {
    use verbatim::proto::v1::registry_client::RegistryClient;
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    let a = Server::start_on(&database.url, &[]);
    let b = Server::start_on(&database.url, &[]);
    let lost = "These words were registered, then lost in a failover to a late standby.";
    let kept = "These words were registered on the new primary after the failover happened.";
    for text in [
        lost,
        "A second registration moves the change feed further along.",
    ] {
        RegistryClient::connect(a.url())
            .await
            .expect("connect A")
            .register_quote(pb::RegisterQuoteRequest {
                text: text.into(),
                speaker: "Test Speaker".into(),
                ..Default::default()
            })
            .await
            .expect("registration through A");
    }
    // What a failover to a standby that missed the last transactions looks like: the words and
    // the feed's tail are gone, and the feed's positions are handed out again.
    let pool = sqlx::PgPool::connect(&database.url)
        .await
        .expect("the test database");
    for statement in [
        // The feed is append-only through normal use; a restore from backup bypasses that.
        "ALTER TABLE changes DISABLE TRIGGER changes_are_append_only".to_owned(),
        "DELETE FROM changes".to_owned(),
        "ALTER TABLE changes ALTER COLUMN seq RESTART WITH 1".to_owned(),
        format!(
            "DELETE FROM attributions WHERE quote_seq IN \
             (SELECT seq FROM quotes WHERE text = '{lost}')"
        ),
        format!("DELETE FROM quotes WHERE text = '{lost}'"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&pool)
            .await
            .expect("simulate the failover");
    }
    pool.close().await;
    RegistryClient::connect(b.url())
        .await
        .expect("connect B")
        .register_quote(pb::RegisterQuoteRequest {
            text: kept.into(),
            speaker: "Test Speaker".into(),
            ..Default::default()
        })
        .await
        .expect("registration through B");

    let limit = std::time::Duration::from_secs(15);
    let verified = |f: &pb::Finding| f.verdict == pb::MatchVerdict::Verified as i32;
    let unregistered = |f: &pb::Finding| f.verdict == pb::MatchVerdict::Unregistered as i32;
    assert!(
        seen_within(&a, &format!("She said: “{kept}”"), limit, verified)
            .await
            .is_some(),
        "A sees the new primary's registration"
    );
    assert!(
        seen_within(&a, &format!("She said: “{lost}”"), limit, unregistered)
            .await
            .is_some(),
        "A forgets the words the database lost"
    );
}
