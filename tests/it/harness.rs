//! Starts the real `verbatim` binary on a free loopback port with a temporary store, and hands
//! out clients for it. The process is killed when the handle drops.

use std::{
    io::{BufRead as _, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;
use verbatim::proto::v1::{self as pb, registry_client::RegistryClient};

/// Every quotation in the register, page by page, in registration order.
pub async fn all_quotes(registry: &mut RegistryClient<Channel>) -> Vec<pb::Quote> {
    let mut quotes = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = registry
            .list_quotes(pb::ListQuotesRequest {
                page_size: 1_000,
                page_token,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        quotes.extend(page.quotes);
        page_token = page.next_page_token;
        if page_token.is_empty() {
            return quotes;
        }
    }
}

/// Path of the binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_verbatim");

/// How long the server may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `verbatim serve`.
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub address: SocketAddr,
    /// Every line it wrote to stderr so far.
    pub log: Arc<Mutex<Vec<String>>>,
    store_url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A store location that outlives server processes, for restart tests.
pub struct StoreDir {
    dir: tempfile::TempDir,
}

impl StoreDir {
    pub fn new() -> Self {
        StoreDir {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("register.db")
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path().display())
    }
}

impl Server {
    /// Starts a server on a fresh temporary store.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts a server on a fresh temporary store, which lives as long as the server, with extra
    /// `serve` flags.
    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("register.db").display());
        let mut server = Server::start_on(&url, extra);
        server._dir = Some(dir);
        server
    }

    /// Starts a server on the store at `url` with extra `serve` flags.
    pub fn start_on(url: &str, extra: &[&str]) -> Server {
        Server::start_on_within(url, extra, START_TIMEOUT)
    }

    /// Starts a server on a fresh temporary store with extra `serve` flags, logging what the
    /// `RUST_LOG`-style `filter` lets through.
    pub fn start_logging(extra: &[&str], filter: &str) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("register.db").display());
        let mut server = Server::launch(&url, extra, START_TIMEOUT, filter);
        server._dir = Some(dir);
        server
    }

    /// Starts a server on the store at `url` with extra `serve` flags, allowing it `timeout` to
    /// load its register and print its address.
    pub fn start_on_within(url: &str, extra: &[&str], timeout: Duration) -> Server {
        Server::launch(url, extra, timeout, "info")
    }

    fn launch(url: &str, extra: &[&str], timeout: Duration, filter: &str) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--store", url])
            .args(extra)
            .env_remove("VERBATIM_LISTEN")
            .env_remove("VERBATIM_STORE")
            .env_remove("VERBATIM_METRICS_LISTEN")
            .env_remove("VERBATIM_HTTP_LISTEN")
            .env("RUST_LOG", filter)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the verbatim binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(address) = line.strip_prefix("listening on ") {
                        let _ = ready_tx.send(address.parse::<SocketAddr>());
                    }
                    log.lock().expect("log lock").push(line);
                }
            });
        }
        let address = match ready_rx.recv_timeout(timeout) {
            Ok(Ok(address)) => address,
            other => {
                let _ = child.kill();
                panic!(
                    "the server did not report its address ({other:?}); its log:\n{}",
                    log.lock().expect("log lock").join("\n")
                );
            }
        };
        Server {
            child,
            address,
            log,
            store_url: url.to_owned(),
            _dir: None,
        }
    }

    /// `http://ADDRESS`, as clients take it.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The `--store` URL it runs on.
    pub fn store_url(&self) -> &str {
        &self.store_url
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pids fit in i32")
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .expect("a valid uri")
            .connect()
            .await
            .expect("the server accepts connections")
    }

    pub async fn registry(&self) -> RegistryClient<Channel> {
        RegistryClient::new(self.channel().await).max_decoding_message_size(64 * 1024 * 1024)
    }

    pub async fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel().await)
    }

    /// Sends a signal to the process.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) with a pid we spawned and still own has no memory-safety preconditions.
        let result = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(result, 0, "kill({}, {signal}) failed", self.pid());
    }

    /// Waits for the process to exit, failing the test after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {timeout:?}; its log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().expect("log lock").join("\n")
    }

    /// The address of a side listener the server announced as `PREFIX http://ADDR/…` (the
    /// metrics or the review page), once it is listening.
    pub fn announced(&self, prefix: &str) -> SocketAddr {
        let log = self.log_text();
        let line = log
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("the server did not announce `{prefix}`:\n{log}"));
        line.trim()
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no address in `{line}`"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` without terminal colour codes (ESC `[` … `m`), as the server's log has them.
pub fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            plain.push(c);
        }
    }
    plain
}

/// One HTTP/1.1 exchange on loopback: (status, headers in lowercase, body).
pub fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    http_within(
        Duration::from_secs(30),
        address,
        method,
        path,
        headers,
        body,
    )
}

/// [`http`], waiting at most `timeout` for the answer.
pub fn http_within(
    timeout: Duration,
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("send");
    // Read the head, then as much body as it announces (not every server closes the
    // connection when asked to).
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buffer).expect("receive");
        assert!(
            n > 0,
            "the connection closed before the response head ended"
        );
        received.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8(received[..head_end].to_vec()).expect("UTF-8 head");
    let mut body = received[head_end + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.to_lowercase())
    };
    if let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        while body.len() < length {
            let n = stream.read(&mut buffer).expect("receive");
            assert!(n > 0, "the connection closed before the body ended");
            body.extend_from_slice(&buffer[..n]);
        }
        body.truncate(length);
    } else {
        stream.read_to_end(&mut body).expect("receive");
    }
    let body = String::from_utf8(body).expect("a UTF-8 body");
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    (status, headers, if chunked { unchunk(&body) } else { body })
}

/// The payload of a chunked HTTP/1.1 body.
fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// Runs the CLI against `server` and returns (exit code, stdout, stderr).
pub fn cli(server: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BINARY)
        .args(["--server", server])
        .args(args)
        .env_remove("VERBATIM_SERVER")
        .stdin(Stdio::null())
        .output()
        .expect("the verbatim binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The shared example folder beside the repository, when it is there.
pub fn shared_examples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples");
    if dir.join("regional-concerns-register.jsonl").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/examples is absent");
        None
    }
}
