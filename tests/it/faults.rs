//! Faults, each a test: the server killed in the middle of concurrent registration streams (both
//! backends), a full disk, hung and vanishing clients, and SIGTERM under load. What is
//! acknowledged is never lost or doubled, and the service keeps answering or recovers.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, transport::Channel};
use verbatim::proto::v1::{
    self as pb, MatchVerdict, checker_client::CheckerClient, registry_client::RegistryClient,
};
use verbatim::text::ContentHash;

use crate::harness::{self, Server, StoreDir};
use crate::postgres::FreshDatabase;

/// Items in each registration stream: more than one store batch, so a stream is cut after some
/// of its batches were committed.
const STREAM_ITEMS: usize = 2_500;
/// Concurrent streams, and concurrent callers of single registrations.
const STREAM_WRITERS: usize = 6;
const SINGLE_WRITERS: usize = 2;

fn words_of(n: usize) -> String {
    // Distinct words for distinct numbers, so that every item is its own quotation.
    const DIGITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    n.to_string()
        .bytes()
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect::<Vec<_>>()
        .join(" ")
}

fn item_text(writer: usize, round: usize, item: usize) -> String {
    format!(
        "Writer {} in round {} sent item {} before anything went wrong.",
        words_of(writer),
        words_of(round),
        words_of(item)
    )
}

fn request(text: String) -> pb::RegisterQuoteRequest {
    pb::RegisterQuoteRequest {
        text,
        speaker: "Test Speaker".into(),
        ..Default::default()
    }
}

/// What the writers sent and what the server acknowledged.
#[derive(Default)]
struct Sent {
    acknowledged: Vec<String>,
    /// Streams the server never answered: (writer, round).
    unanswered: Vec<(usize, usize)>,
}

/// Streams of registrations, one round after another, until the server goes away; counts the
/// streams acknowledged in `done`.
async fn stream_writer(channel: Channel, writer: usize, done: Arc<AtomicUsize>) -> Sent {
    let mut sent = Sent::default();
    for round in 0..1_000 {
        let (items, receiver) = mpsc::channel(64);
        let mut registry = RegistryClient::new(channel.clone());
        let call = tokio::spawn(async move {
            registry
                .register_quotes(ReceiverStream::new(receiver))
                .await
        });
        for item in 0..STREAM_ITEMS {
            if items
                .send(request(item_text(writer, round, item)))
                .await
                .is_err()
            {
                break;
            }
            if item % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        drop(items);
        match call.await.expect("the call task") {
            Ok(response) => {
                let response = response.into_inner();
                assert!(response.rejected.is_empty(), "{:?}", response.rejected);
                assert_eq!(response.created + response.existing, STREAM_ITEMS as u64);
                sent.acknowledged
                    .extend((0..STREAM_ITEMS).map(|item| item_text(writer, round, item)));
                done.fetch_add(1, Ordering::Relaxed);
            }
            // Killed mid-call, the server sends no status: the client reports what its
            // transport saw (UNAVAILABLE, or UNKNOWN for a broken pipe).
            Err(_) => {
                sent.unanswered.push((writer, round));
                return sent;
            }
        }
    }
    sent
}

/// Single registrations, one after another, until the server goes away.
async fn single_writer(channel: Channel, writer: usize) -> Sent {
    let mut sent = Sent::default();
    let mut registry = RegistryClient::new(channel);
    for item in 0..1_000_000 {
        let text = item_text(writer, 0, item);
        match registry.register_quote(request(text.clone())).await {
            Ok(_) => sent.acknowledged.push(text),
            Err(_) => return sent,
        }
    }
    sent
}

/// Every quotation in the register with how many attributions it has.
async fn attributions_by_hash(registry: &mut RegistryClient<Channel>) -> HashMap<String, usize> {
    let mut found = HashMap::new();
    for quote in harness::all_quotes(registry).await {
        let previous = found.insert(quote.content_hash.clone(), quote.attributions.len());
        assert!(previous.is_none(), "{} listed twice", quote.content_hash);
    }
    found
}

/// Kills the server with SIGKILL while registration streams and single registrations run
/// concurrently, restarts it, and checks that every acknowledged registration is there exactly
/// once; then the clients resend what was never answered, and nothing is doubled.
async fn kill_9_in_the_middle_of_registration_streams(store_url: &str) {
    let mut server = Server::start_on(store_url, &[]);
    let channel = server.channel().await;
    let done = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for writer in 0..STREAM_WRITERS {
        writers.push(tokio::spawn(stream_writer(
            channel.clone(),
            writer,
            Arc::clone(&done),
        )));
    }
    for writer in 0..SINGLE_WRITERS {
        writers.push(tokio::spawn(single_writer(
            channel.clone(),
            STREAM_WRITERS + writer,
        )));
    }
    // Once a few streams were acknowledged, the others are in the middle of theirs.
    let deadline = Instant::now() + Duration::from_secs(120);
    while done.load(Ordering::Relaxed) < 2 {
        assert!(
            Instant::now() < deadline,
            "fewer than two streams acknowledged in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.signal(libc::SIGKILL);
    server.wait_exit(Duration::from_secs(10));
    let mut sent = Sent::default();
    for writer in writers {
        let part = tokio::time::timeout(Duration::from_secs(30), writer)
            .await
            .expect("every writer sees the server go within 30 s")
            .expect("the writer does not panic");
        sent.acknowledged.extend(part.acknowledged);
        sent.unanswered.extend(part.unanswered);
    }
    assert!(
        sent.acknowledged.len() > STREAM_ITEMS,
        "the kill came too early to test anything: {} acknowledged",
        sent.acknowledged.len()
    );
    assert!(
        !sent.unanswered.is_empty(),
        "the kill came after every stream had finished"
    );
    drop(server);

    let restarted = Server::start_on(store_url, &[]);
    let mut registry = restarted.registry().await;
    let stored = attributions_by_hash(&mut registry).await;
    for text in &sent.acknowledged {
        let hash = ContentHash::of_text(text).to_string();
        assert_eq!(
            stored.get(&hash),
            Some(&1),
            "acknowledged {text:?} is missing or has its attribution doubled"
        );
    }
    assert!(
        stored.values().all(|&n| n == 1),
        "a quotation gained a second attribution"
    );
    eprintln!(
        "{}: {} acknowledged, {} stored after the kill, {} streams unanswered",
        if store_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        sent.acknowledged.len(),
        stored.len(),
        sent.unanswered.len()
    );

    // A client that was never answered sends its whole stream again: registration is
    // idempotent, so whatever the killed server had committed is not doubled.
    for &(writer, round) in &sent.unanswered {
        let items: Vec<_> = (0..STREAM_ITEMS)
            .map(|item| request(item_text(writer, round, item)))
            .collect();
        let response = registry
            .register_quotes(tokio_stream::iter(items))
            .await
            .expect("the resent stream")
            .into_inner();
        assert_eq!(response.created + response.existing, STREAM_ITEMS as u64);
    }
    let after = attributions_by_hash(&mut registry).await;
    let expected: HashSet<String> = sent
        .acknowledged
        .iter()
        .cloned()
        .chain(sent.unanswered.iter().flat_map(|&(writer, round)| {
            (0..STREAM_ITEMS).map(move |item| item_text(writer, round, item))
        }))
        .map(|text| ContentHash::of_text(&text).to_string())
        .collect();
    for hash in &expected {
        assert_eq!(after.get(hash), Some(&1), "{hash} missing or doubled");
    }
    // Besides those, only the single writers' last calls, which may have been committed
    // without their answer arriving.
    assert!(
        after.len() <= expected.len() + SINGLE_WRITERS,
        "{} stored, {} expected",
        after.len(),
        expected.len()
    );
}

/// Runs SQLite's own consistency check on a store file.
async fn sqlite_integrity(path: &Path) -> String {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("open");
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity_check runs");
    pool.close().await;
    verdict
}

#[tokio::test]
async fn kill_9_during_concurrent_registration_streams_loses_and_doubles_nothing_on_sqlite() {
    let store = StoreDir::new();
    kill_9_in_the_middle_of_registration_streams(&store.url()).await;
    // The restarted servers are gone; the file must be sound.
    assert_eq!(sqlite_integrity(&store.path()).await, "ok");
}

#[tokio::test]
async fn kill_9_during_concurrent_registration_streams_loses_and_doubles_nothing_on_postgresql() {
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    kill_9_in_the_middle_of_registration_streams(&database.url).await;
}

/// A small filesystem the test mounts (tmpfs) and unmounts when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts `mib` MiB of tmpfs, or says why not and returns `None` (it takes root, or
    /// CAP_SYS_ADMIN).
    fn mount(mib: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN)");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills what is left of the filesystem at `dir` with a file, short of `keep` bytes.
fn fill(dir: &Path, name: &str, keep: u64) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("filler file");
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        let free = fs_free_bytes(dir);
        if free <= keep {
            break;
        }
        let take = usize::try_from((free - keep).min(chunk.len() as u64)).expect("small");
        if file.write_all(&chunk[..take]).is_err() {
            break;
        }
        file.flush().expect("flush");
        written += take as u64;
        assert!(written < 1 << 30, "the filler grew past 1 GiB");
    }
    file.sync_all().expect("sync");
    path
}

fn fs_free_bytes(dir: &Path) -> u64 {
    let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).expect("no NUL");
    // SAFETY: statvfs writes into the zeroed struct we pass and reads the NUL-terminated path.
    unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        assert_eq!(libc::statvfs(path.as_ptr(), &mut stat), 0, "statvfs");
        stat.f_bavail * stat.f_frsize
    }
}

async fn check_verdicts(channel: &Channel, text: &str) -> Vec<i32> {
    CheckerClient::new(channel.clone())
        .check_text(pb::CheckTextRequest {
            text: format!("The minister said: “{text}”"),
            ..Default::default()
        })
        .await
        .expect("the check is answered")
        .into_inner()
        .findings
        .iter()
        .map(|finding| finding.verdict)
        .collect()
}

#[tokio::test]
async fn a_full_disk_refuses_registrations_clearly_keeps_checks_working_and_recovers() {
    let Some(disk) = SmallDisk::mount(16) else {
        return;
    };
    let url = format!("sqlite://{}", disk.path().join("register.db").display());
    let server = Server::start_on(&url, &[]);
    let channel = server.channel().await;
    let mut registry = RegistryClient::new(channel.clone());
    let before_full = item_text(1, 1, 1);
    registry
        .register_quote(request(before_full.clone()))
        .await
        .expect("a registration while there is room");

    // Leave a few pages, then register until the store runs out of them.
    let filler = fill(&disk.path(), "filler", 64 * 1024);
    let mut acknowledged = vec![before_full.clone()];
    let mut refusal = None;
    for item in 0..20_000 {
        let text = item_text(2, 2, item);
        match registry.register_quote(request(text.clone())).await {
            Ok(_) => acknowledged.push(text),
            Err(status) => {
                refusal = Some(status);
                break;
            }
        }
    }
    let refusal = refusal.expect("the disk filled up within 20,000 registrations");
    assert!(
        matches!(refusal.code(), Code::ResourceExhausted | Code::Unavailable),
        "{refusal:?}"
    );
    assert!(
        refusal.message().contains("out of space"),
        "the message says what is wrong: {refusal:?}"
    );
    // Writes keep failing cleanly, bulk ones too, and name the cause.
    let bulk = registry
        .register_quotes(tokio_stream::iter(
            (0..50).map(|item| request(item_text(3, 3, item))),
        ))
        .await;
    match bulk {
        Err(status) => assert!(
            matches!(status.code(), Code::ResourceExhausted | Code::Unavailable),
            "{status:?}\n{}",
            server.log_text()
        ),
        Ok(response) => {
            let response = response.into_inner();
            assert_eq!(response.created, 0, "{response:?}");
        }
    }
    // Checks and reads go on.
    assert_eq!(
        check_verdicts(&channel, &before_full).await,
        [MatchVerdict::Verified as i32]
    );
    registry
        .get_quote(pb::GetQuoteRequest {
            content_hash: ContentHash::of_text(&before_full).to_string(),
        })
        .await
        .expect("reads go on");

    // Once space is freed, registrations work again without a restart.
    std::fs::remove_file(&filler).expect("remove the filler");
    let after = item_text(4, 4, 4);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match registry.register_quote(request(after.clone())).await {
            Ok(_) => break,
            Err(status) => assert!(
                Instant::now() < deadline,
                "no recovery 10 s after space was freed: {status:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    acknowledged.push(after.clone());
    assert_eq!(
        check_verdicts(&channel, &after).await,
        [MatchVerdict::Verified as i32]
    );
    drop(server);
    let restarted = Server::start_on(&url, &[]);
    let stored = attributions_by_hash(&mut restarted.registry().await).await;
    for text in &acknowledged {
        assert!(
            stored.contains_key(&ContentHash::of_text(text).to_string()),
            "acknowledged {text:?} was lost"
        );
    }
    drop(restarted);
    assert_eq!(
        sqlite_integrity(&disk.path().join("register.db")).await,
        "ok"
    );
}

/// A connection that speaks no HTTP/2 at all, held open.
async fn silent_connection(address: std::net::SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    // Half of the HTTP/2 preface, then nothing.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n")
        .await
        .expect("write");
    stream
}

/// A caller on its own connection, so dropping it closes the connection.
async fn own_channel(server: &Server) -> Channel {
    Channel::from_shared(server.url())
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

/// Calls in progress the server admits, and the hung callers that hold places.
const PLACES: usize = 24;
const HUNG_STREAMS: usize = 8;

#[tokio::test]
async fn hung_and_vanishing_clients_hold_no_one_up_and_give_their_places_back() {
    let server = Server::start_with(&[
        "--max-concurrent-requests",
        &PLACES.to_string(),
        "--stream-idle-timeout",
        "3",
    ]);
    let quote = item_text(5, 5, 5);
    RegistryClient::new(server.channel().await)
        .register_quote(request(quote.clone()))
        .await
        .expect("register");

    // Registration streams that send three items and then hang, with their connections open.
    let mut hung_registrations = Vec::new();
    for writer in 0..HUNG_STREAMS {
        let channel = own_channel(&server).await;
        let (items, receiver) = mpsc::channel(8);
        for item in 0..3 {
            items
                .send(request(item_text(6, writer, item)))
                .await
                .expect("send");
        }
        let call = tokio::spawn(async move {
            RegistryClient::new(channel)
                .register_quotes(ReceiverStream::new(receiver))
                .await
        });
        hung_registrations.push((items, call));
    }
    // Check streams that send texts and never read a response.
    let mut hung_checks = Vec::new();
    for _ in 0..HUNG_STREAMS {
        let channel = own_channel(&server).await;
        let texts = (0..64).map(|i| pb::CheckTextRequest {
            text: format!(
                "Text {i}: “{}”\n\n{}",
                item_text(5, 5, 5),
                "Nothing in this sentence is in the register. ".repeat(500)
            ),
            ..Default::default()
        });
        let mut client = CheckerClient::new(channel.clone());
        let call = tokio::spawn(async move {
            let response = client
                .check_texts(tokio_stream::iter(texts))
                .await
                .expect("the stream opens");
            // Hold the response stream without reading it.
            tokio::time::sleep(Duration::from_secs(3_600)).await;
            drop(response);
        });
        hung_checks.push((channel, call));
    }
    let mut silent = Vec::new();
    for _ in 0..16 {
        silent.push(silent_connection(server.address).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Everyone else is served, promptly, while all of that hangs.
    let channel = server.channel().await;
    for i in 0..20 {
        let text = item_text(7, 7, i);
        let served = tokio::time::timeout(Duration::from_secs(5), async {
            RegistryClient::new(channel.clone())
                .register_quote(request(text.clone()))
                .await
                .unwrap_or_else(|e| panic!("registration served: {e:?}\n{}", server.log_text()));
            check_verdicts(&channel, &text).await
        })
        .await
        .expect("served within 5 s despite the hung clients");
        assert_eq!(served, [MatchVerdict::Verified as i32]);
    }

    // A caller that vanishes gives its place back: with the check streams' connections closed,
    // as many calls as the server admits, less the hung registrations, run at once.
    for (channel, call) in hung_checks {
        call.abort();
        let _ = call.await;
        drop(channel);
    }
    let free = PLACES - HUNG_STREAMS;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let calls: Vec<_> = (0..free)
            .map(|_| {
                let channel = channel.clone();
                tokio::spawn(async move {
                    // A stream keeps its place until it ends: hold each open briefly.
                    let (tx, rx) = mpsc::channel::<pb::CheckTextRequest>(1);
                    let result = CheckerClient::new(channel)
                        .check_texts(ReceiverStream::new(rx))
                        .await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    drop(tx);
                    result.map(|_| ())
                })
            })
            .collect();
        let mut refused = 0;
        for call in calls {
            if let Err(status) = call.await.expect("no panic") {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                refused += 1;
            }
        }
        if refused == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{refused} of {free} calls still refused 10 s after the check callers vanished"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The hung registrations are ended by the idle timeout, keeping what they had sent.
    for (items, call) in hung_registrations {
        let response = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("the idle timeout ends a hung stream")
            .expect("no panic")
            .expect("answered")
            .into_inner();
        drop(items);
        assert_eq!(response.created, 3, "{response:?}");
        assert_eq!(response.rejected.len(), 1, "{response:?}");
        assert_eq!(response.rejected[0].index, 3);
        assert_eq!(response.rejected[0].code, Code::DeadlineExceeded as i32);
        assert!(
            response.rejected[0]
                .reason
                .contains("--stream-idle-timeout"),
            "{response:?}"
        );
    }
    drop(silent);
    assert_eq!(
        check_verdicts(&channel, &quote).await,
        [MatchVerdict::Verified as i32]
    );
}

/// Busy callers when the signal comes, and how long the server gets to drain.
const BUSY_CALLERS: usize = 64;
const DRAIN_SECONDS: u64 = 5;

// Two runtime threads: `wait_exit` blocks one, and the callers' connections must still answer the
// server's closing handshake (GOAWAY and a ping) on the other, as any live client would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_completes_or_refuses_every_call_and_exits_within_the_drain_timeout() {
    let mut server = Server::start_with(&["--drain-timeout", &DRAIN_SECONDS.to_string()]);
    let quotes: Vec<String> = (0..200).map(|i| item_text(8, 8, i)).collect();
    RegistryClient::new(server.channel().await)
        .register_quotes(tokio_stream::iter(
            quotes.iter().cloned().map(request).collect::<Vec<_>>(),
        ))
        .await
        .expect("register");
    let article = quotes
        .iter()
        .take(20)
        .map(|q| format!("The minister said: “{q}”"))
        .collect::<Vec<_>>()
        .join("\n\n");

    let channels = [
        own_channel(&server).await,
        own_channel(&server).await,
        own_channel(&server).await,
        own_channel(&server).await,
    ];
    let mut callers = Vec::new();
    for caller in 0..BUSY_CALLERS {
        let channel = channels[caller % channels.len()].clone();
        let article = article.clone();
        callers.push(tokio::spawn(async move {
            let (mut completed, mut refused) = (0usize, Vec::new());
            for round in 0..100_000 {
                // One call in ten registers, the rest check.
                let outcome = if round % 10 == 0 {
                    RegistryClient::new(channel.clone())
                        .register_quote(request(item_text(9, caller, round)))
                        .await
                        .map(|_| ())
                } else {
                    CheckerClient::new(channel.clone())
                        .check_text(pb::CheckTextRequest {
                            text: article.clone(),
                            ..Default::default()
                        })
                        .await
                        .map(|response| {
                            let findings = response.into_inner().findings;
                            assert_eq!(findings.len(), 20, "a completed check is whole");
                        })
                };
                match outcome {
                    Ok(()) => completed += 1,
                    Err(status) => {
                        refused.push(status);
                        break;
                    }
                }
            }
            (completed, refused)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let signalled = Instant::now();
    server.signal(libc::SIGTERM);
    let (mut completed, mut refused) = (0, Vec::new());
    for caller in callers {
        let (done, statuses) =
            tokio::time::timeout(Duration::from_secs(DRAIN_SECONDS + 10), caller)
                .await
                .expect("no call hangs past the drain timeout")
                .expect("no panic");
        completed += done;
        refused.extend(statuses);
    }
    let status = server.wait_exit(Duration::from_secs(DRAIN_SECONDS + 5));
    let exited = signalled.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        exited < Duration::from_secs(DRAIN_SECONDS),
        "exited {exited:?} after the signal"
    );
    let log = server.log_text();
    assert!(
        !log.contains("drain timeout reached"),
        "the drain finished cleanly, not at its time limit: {log}"
    );
    assert_eq!(
        refused.len(),
        BUSY_CALLERS,
        "every caller ended by a refusal"
    );
    for status in &refused {
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
    eprintln!(
        "{completed} calls completed, then all {BUSY_CALLERS} callers got UNAVAILABLE; exit {exited:?} after SIGTERM"
    );
}
