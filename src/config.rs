//! `verbatim serve` configuration: flags and environment variables (a flag wins over its
//! variable, which wins over the default), validated into a [`ServeConfig`].

use std::{net::SocketAddr, time::Duration};

use clap::{Args, ValueEnum};

/// Default address `serve` listens on.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
/// Where `--http-listen` without an address serves the review page: loopback only.
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:8080";
/// Default store: a SQLite file in the working directory.
pub const DEFAULT_STORE: &str = "sqlite://verbatim.db";
/// Default PostgreSQL pool size (`--pg-pool-size`).
pub const DEFAULT_PG_POOL_SIZE: u32 = 10;
/// Default PostgreSQL connect timeout in seconds (`--pg-connect-timeout`).
pub const DEFAULT_PG_CONNECT_TIMEOUT_SECS: u64 = 5;
/// Default PostgreSQL statement timeout in seconds (`--pg-statement-timeout`).
pub const DEFAULT_PG_STATEMENT_TIMEOUT_SECS: u64 = 30;
/// Default cap on a quotation's length, in characters (Unicode scalar values).
pub const DEFAULT_MAX_QUOTE_CHARS: usize = 5_000;
/// Default cap on one request message, in bytes.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Default time in-flight calls get to finish after SIGINT or SIGTERM.
pub const DEFAULT_DRAIN_TIMEOUT_SECS: u64 = 30;
/// Default average calls per second per API key.
pub const DEFAULT_RATE_LIMIT: f64 = 500.0;
/// Default burst per API key.
pub const DEFAULT_RATE_BURST: u32 = 1_000;
/// Default cap on calls in progress, over all callers.
pub const DEFAULT_MAX_CONCURRENT: usize = 1_024;
/// Default cap on calls in progress per API key.
pub const DEFAULT_MAX_CONCURRENT_PER_KEY: usize = 128;
/// Default deadline of a unary call, in seconds.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: f64 = 30.0;
/// Default time a stream may go without a message from the caller (or without the caller taking
/// a response), in seconds.
pub const DEFAULT_STREAM_IDLE_TIMEOUT_SECS: f64 = 60.0;

/// How logs are written to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// Flags of `verbatim serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the real address is printed on stderr).
    #[arg(long, env = "VERBATIM_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Where the register lives: sqlite://FILE (relative to the working directory),
    /// sqlite:///ABSOLUTE/PATH, sqlite::memory: for a register that vanishes on exit, or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE for a register several replicas share.
    #[arg(long, env = "VERBATIM_STORE", default_value = DEFAULT_STORE)]
    pub store: String,

    /// PostgreSQL store only: connections in the pool.
    #[arg(long, env = "VERBATIM_PG_POOL_SIZE", default_value_t = DEFAULT_PG_POOL_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub pg_pool_size: u32,

    /// PostgreSQL store only: seconds to open a connection or wait for a free one.
    #[arg(long, env = "VERBATIM_PG_CONNECT_TIMEOUT", default_value_t = DEFAULT_PG_CONNECT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub pg_connect_timeout: u64,

    /// PostgreSQL store only: seconds one statement may run before the database cancels it.
    #[arg(long, env = "VERBATIM_PG_STATEMENT_TIMEOUT", default_value_t = DEFAULT_PG_STATEMENT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub pg_statement_timeout: u64,

    /// Longest quotation accepted, in characters.
    #[arg(long, env = "VERBATIM_MAX_QUOTE_CHARS", default_value_t = DEFAULT_MAX_QUOTE_CHARS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_quote_chars: usize,

    /// Largest request message accepted, in bytes.
    #[arg(long, env = "VERBATIM_MAX_REQUEST_BYTES", default_value_t = DEFAULT_MAX_REQUEST_BYTES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=256 * 1024 * 1024))]
    pub max_request_bytes: usize,

    /// Seconds in-flight calls get to finish after SIGINT or SIGTERM before the server exits
    /// anyway.
    #[arg(long, env = "VERBATIM_DRAIN_TIMEOUT", default_value_t = DEFAULT_DRAIN_TIMEOUT_SECS)]
    pub drain_timeout: u64,

    /// Calls per second each API key may make on average (0: no limit). Calls without a key
    /// (a server without keys) share one allowance.
    #[arg(long, env = "VERBATIM_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT)]
    pub rate_limit: f64,

    /// Calls each API key may make at once above its average (the bucket's size).
    #[arg(long, env = "VERBATIM_RATE_BURST", default_value_t = DEFAULT_RATE_BURST)]
    pub rate_burst: u32,

    /// Calls in progress at once, over all callers; more are refused with RESOURCE_EXHAUSTED.
    #[arg(long, env = "VERBATIM_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_concurrent_requests: usize,

    /// Calls in progress at once for one API key.
    #[arg(long, env = "VERBATIM_MAX_CONCURRENT_PER_KEY", default_value_t = DEFAULT_MAX_CONCURRENT_PER_KEY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_concurrent_per_key: usize,

    /// Seconds a unary call may take before it fails with DEADLINE_EXCEEDED (0: no deadline;
    /// streams are bounded by their messages instead). A caller's shorter deadline wins.
    #[arg(long, env = "VERBATIM_REQUEST_TIMEOUT", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout: f64,

    /// Seconds a stream (RegisterQuotes, CheckTexts) may wait for the caller's next message, or
    /// for the caller to take a response, before the server ends it: a hung client holds its
    /// place only this long.
    #[arg(long, env = "VERBATIM_STREAM_IDLE_TIMEOUT", default_value_t = DEFAULT_STREAM_IDLE_TIMEOUT_SECS,
          value_parser = parse_positive_seconds)]
    pub stream_idle_timeout: f64,

    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "VERBATIM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "VERBATIM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,

    /// Mutual TLS: accept only clients with a certificate signed by this CA (PEM); needs
    /// --tls-cert.
    #[arg(long, env = "VERBATIM_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<std::path::PathBuf>,

    /// Serve Prometheus metrics as text at /metrics on this address (off unless given).
    #[arg(long, env = "VERBATIM_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// Serve the review page, where editors paste an article and see its quotations marked, on
    /// this address (off unless given; `--http-listen` alone serves 127.0.0.1:8080).
    #[arg(long, env = "VERBATIM_HTTP_LISTEN", value_name = "ADDR", num_args = 0..=1,
          default_missing_value = DEFAULT_HTTP_LISTEN)]
    pub http_listen: Option<SocketAddr>,

    /// Serve a non-loopback address even without API keys (anyone reaching it can write).
    #[arg(long)]
    pub insecure: bool,

    /// Log format on stderr; the level filter comes from RUST_LOG (default `info`).
    #[arg(long, env = "VERBATIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Input limits the server enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest quotation, in characters (`--max-quote-chars`).
    pub max_quote_chars: usize,
    /// Largest request message, in bytes (`--max-request-bytes`).
    pub max_request_bytes: usize,
    /// Longest a stream waits on its caller (`--stream-idle-timeout`).
    pub stream_idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_quote_chars: DEFAULT_MAX_QUOTE_CHARS,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            stream_idle_timeout: Duration::from_secs_f64(DEFAULT_STREAM_IDLE_TIMEOUT_SECS),
        }
    }
}

/// Parses a number of seconds above zero, at most a day.
fn parse_positive_seconds(value: &str) -> Result<f64, String> {
    let seconds: f64 = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number of seconds"))?;
    if seconds > 0.0 && seconds <= 86_400.0 {
        Ok(seconds)
    } else {
        Err(format!(
            "{seconds} s is out of range: give more than 0 and at most 86400"
        ))
    }
}

/// How many calls the server admits: per-key rates and concurrency, and a deadline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Admission {
    /// Average calls per second per key; 0 or less means unlimited.
    pub rate_per_second: f64,
    /// Calls a key may make at once above the average.
    pub burst: u32,
    /// Calls in progress at once, over all callers.
    pub max_concurrent: usize,
    /// Calls in progress at once per key.
    pub max_concurrent_per_key: usize,
    /// Longest a unary call may take.
    pub request_timeout: Duration,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            rate_per_second: DEFAULT_RATE_LIMIT,
            burst: DEFAULT_RATE_BURST,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            max_concurrent_per_key: DEFAULT_MAX_CONCURRENT_PER_KEY,
            request_timeout: Duration::from_secs_f64(DEFAULT_REQUEST_TIMEOUT_SECS),
        }
    }
}

impl Admission {
    /// No rate limit: for benchmarks that measure the server's own capacity.
    pub fn unlimited() -> Self {
        Admission {
            rate_per_second: 0.0,
            max_concurrent: 1_000_000,
            max_concurrent_per_key: 1_000_000,
            ..Admission::default()
        }
    }
}

/// Everything the server needs besides its listener and store.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Input limits.
    pub limits: Limits,
    /// Time in-flight calls get after a shutdown signal.
    pub drain_timeout: Duration,
    /// Rate limits, concurrency caps and the request deadline.
    pub admission: Admission,
    /// TLS, when the server serves it.
    pub tls: Option<TlsFiles>,
}

/// TLS material as read from the files named by `--tls-*`.
#[derive(Clone)]
pub struct TlsFiles {
    /// The certificate chain, PEM.
    pub cert: Vec<u8>,
    /// Its private key, PEM.
    pub key: Vec<u8>,
    /// For mutual TLS: the CA that client certificates must be signed by, PEM.
    pub client_ca: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("TlsFiles")
            .field("mutual", &self.client_ca.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsFiles {
    /// Reads the files `--tls-cert`, `--tls-key` and `--tls-client-ca` name, if any.
    ///
    /// # Errors
    /// When a file cannot be read, naming the flag and the file.
    pub fn from_args(args: &ServeArgs) -> anyhow::Result<Option<Self>> {
        use anyhow::Context as _;
        let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
            return Ok(None);
        };
        let read = |flag: &str, path: &std::path::Path| {
            std::fs::read(path).with_context(|| format!("{flag}: cannot read {}", path.display()))
        };
        Ok(Some(TlsFiles {
            cert: read("--tls-cert", cert)?,
            key: read("--tls-key", key)?,
            client_ca: args
                .tls_client_ca
                .as_deref()
                .map(|ca| read("--tls-client-ca", ca))
                .transpose()?,
        }))
    }
}

impl ServeArgs {
    /// The PostgreSQL store's settings from the `--pg-*` flags.
    pub fn pg_settings(&self) -> crate::store::PgSettings {
        crate::store::PgSettings {
            pool_size: self.pg_pool_size,
            connect_timeout: Duration::from_secs(self.pg_connect_timeout),
            statement_timeout: Duration::from_secs(self.pg_statement_timeout),
        }
    }
}

impl From<&ServeArgs> for ServeConfig {
    fn from(args: &ServeArgs) -> Self {
        ServeConfig {
            limits: Limits {
                max_quote_chars: args.max_quote_chars,
                max_request_bytes: args.max_request_bytes,
                stream_idle_timeout: Duration::from_secs_f64(args.stream_idle_timeout),
            },
            drain_timeout: Duration::from_secs(args.drain_timeout),
            tls: None,
            admission: Admission {
                rate_per_second: args.rate_limit,
                burst: args.rate_burst.max(1),
                max_concurrent: args.max_concurrent_requests,
                max_concurrent_per_key: args.max_concurrent_per_key,
                request_timeout: if args.request_timeout > 0.0 {
                    Duration::try_from_secs_f64(args.request_timeout).unwrap_or(Duration::MAX)
                } else {
                    Duration::MAX
                },
            },
        }
    }
}
