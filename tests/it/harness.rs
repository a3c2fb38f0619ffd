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
use verbatim::proto::v1::registry_client::RegistryClient;

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

    /// Starts a server on the store at `url` with extra `serve` flags, allowing it `timeout` to
    /// load its register and print its address.
    pub fn start_on_within(url: &str, extra: &[&str], timeout: Duration) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--store", url])
            .args(extra)
            .env_remove("VERBATIM_LISTEN")
            .env_remove("VERBATIM_STORE")
            .env("RUST_LOG", "info")
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
