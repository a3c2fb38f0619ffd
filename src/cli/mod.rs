//! The command line: `verbatim serve` starts the server (see `main.rs`); every other subcommand is
//! a gRPC client of a running server, except `hash`, which works offline.
//!
//! Human-readable output by default, `--json` for machines. Exit codes: 0 success, 2 any error
//! (for `health`: 0 only when the server reports SERVING).

mod admin;
mod batch;
mod check;
mod client;
mod import;
mod progress;
mod render;
mod sarif;

pub use client::parse_time;
pub use render::Output;

use std::{io::Read as _, path::Path, process::ExitCode, time::Duration};

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use crate::config::ServeArgs;
use crate::proto::v1 as pb;
use crate::text::{CanonicalText, CanonicalVersion, ContentHash};
use client::Connection;

/// Default server address for client commands.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

/// Verbatim: verify quotations against a register of what was actually said.
#[derive(Parser, Debug)]
#[command(name = "verbatim", version, about, propagate_version = true)]
pub struct Cli {
    /// Server to talk to (client commands), as http://HOST:PORT or HOST:PORT.
    #[arg(long, env = "VERBATIM_SERVER", default_value = DEFAULT_SERVER, global = true)]
    pub server: String,

    /// Print JSON instead of human-readable text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Seconds to wait for the server to answer a call.
    #[arg(long, env = "VERBATIM_TIMEOUT", default_value_t = 30, global = true)]
    pub timeout: u64,

    /// File holding the API key to send (client commands). The key itself is never a flag
    /// value, which other users could read; VERBATIM_API_KEY also works.
    #[arg(long, global = true)]
    pub api_key_file: Option<std::path::PathBuf>,

    /// Talk TLS, trusting the CA certificate in this file (PEM) to have signed the server's.
    #[arg(long, env = "VERBATIM_TLS_CA", global = true)]
    pub tls_ca: Option<std::path::PathBuf>,

    /// For a server asking for mutual TLS: the client's certificate (PEM); needs
    /// --tls-client-key.
    #[arg(long, env = "VERBATIM_TLS_CLIENT_CERT", global = true)]
    pub tls_client_cert: Option<std::path::PathBuf>,

    /// The private key of --tls-client-cert (PEM).
    #[arg(long, env = "VERBATIM_TLS_CLIENT_KEY", global = true)]
    pub tls_client_key: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Register, show and list outlets.
    #[command(subcommand)]
    Outlet(OutletCommand),
    /// Register, show, list and retract quotations.
    #[command(subcommand)]
    Quote(QuoteCommand),
    /// Import outlets and quotations from a JSON Lines file (`-` reads stdin).
    Import {
        /// The file, one JSON object a line: {"kind":"outlet",…} or {"kind":"quote",…}.
        file: String,
    },
    /// Manage API keys: through the server (admin role), or with --store straight in the store
    /// (no server needed: how the first admin key is made).
    #[command(subcommand)]
    Key(KeyCommand),
    /// List the audit trail: every registration, retraction, outlet and key change, who made it
    /// and when, oldest first. Through the server (admin role), or with --store from the store.
    Audit {
        /// Only events at or after this time: RFC 3339 (2024-01-29T10:00:00Z) or a date.
        #[arg(long)]
        since: Option<String>,
        /// Read the store directly: sqlite://FILE or postgres://USER@HOST/DATABASE.
        #[arg(long, env = "VERBATIM_STORE")]
        store: Option<String>,
    },
    /// Write a whole register (outlets, quotes with every attribution, retractions) to stdout
    /// in the import format, reading the store directly: `verbatim export --store URL > FILE`.
    Export {
        /// The store to read: sqlite://FILE or postgres://USER@HOST/DATABASE.
        #[arg(long, env = "VERBATIM_STORE", default_value = crate::config::DEFAULT_STORE)]
        store: String,
    },
    /// Check the quotations of texts against the register: a file (`-` reads stdin), or many
    /// at once (directories, glob patterns such as 'articles/*.txt', several paths) with a
    /// progress bar and a summary table. Exit 0 when nothing needs attention, 1 when a
    /// quotation is misquoted or retracted or its credit is missing or wrong, 2 on error.
    Check {
        /// Articles as plain UTF-8 text: files, directories (every file in them, recursively,
        /// hidden ones left out), glob patterns, or `-`.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Report as text (diagnostics), json, or sarif (SARIF 2.1.0, for code-review and CI
        /// tools); --json means json.
        #[arg(long, value_enum, default_value_t = batch::Format::Text)]
        format: batch::Format,
    },
    /// Print the content hash of a text (offline; `-` reads stdin).
    Hash {
        /// The quotation's words.
        text: String,
    },
    /// Ask the server whether it is serving.
    Health {
        /// The service to ask about; empty means the whole server.
        #[arg(long, default_value = "")]
        service: String,
    },
}

/// `verbatim key …`
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key with a role and print it, once: only its hash is stored.
    Add {
        /// reader (check, read), editor (also register, retract, outlets) or admin (also keys).
        #[arg(long)]
        role: String,
        /// Who holds it ("cms-prod"); shown in listings, the logs and the audit trail.
        name: String,
        /// Work straight in the store: sqlite://FILE or postgres://USER@HOST/DATABASE.
        #[arg(long, env = "VERBATIM_STORE")]
        store: Option<String>,
    },
    /// List keys (names, roles, when made and revoked; never the keys).
    List {
        /// Work straight in the store: sqlite://FILE or postgres://USER@HOST/DATABASE.
        #[arg(long, env = "VERBATIM_STORE")]
        store: Option<String>,
    },
    /// Revoke a key: every server refuses it within a second.
    Revoke {
        name: String,
        /// Work straight in the store: sqlite://FILE or postgres://USER@HOST/DATABASE.
        #[arg(long, env = "VERBATIM_STORE")]
        store: Option<String>,
    },
}

impl KeyCommand {
    /// The store to work in directly, when one was given.
    pub fn store(&self) -> Option<&str> {
        match self {
            KeyCommand::Add { store, .. }
            | KeyCommand::List { store }
            | KeyCommand::Revoke { store, .. } => store.as_deref(),
        }
    }
}

/// `verbatim outlet …`
#[derive(Subcommand, Debug)]
pub enum OutletCommand {
    /// Create an outlet, or update the one with this id.
    Add {
        /// Slug: lowercase letters, digits and hyphens ("express-tribune").
        id: String,
        /// The outlet's name as it prints it.
        #[arg(long)]
        name: String,
        /// Another name the press uses (repeatable).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// A web domain the outlet publishes on (repeatable).
        #[arg(long = "domain")]
        domains: Vec<String>,
    },
    /// Show one outlet.
    Get {
        /// The outlet's id.
        id: String,
    },
    /// List outlets.
    List {
        /// Stop after this many.
        #[arg(long)]
        limit: Option<usize>,
    },
}

/// `verbatim quote …`
#[derive(Subcommand, Debug)]
pub enum QuoteCommand {
    /// Register a quotation (idempotent).
    Add(QuoteAddArgs),
    /// Show a quotation by content hash.
    Get {
        /// `sha256:` followed by 64 hexadecimal digits.
        hash: String,
    },
    /// List quotations in registration order.
    List {
        /// Only quotations credited to this outlet id.
        #[arg(long)]
        outlet: Option<String>,
        /// Only quotations credited to this speaker.
        #[arg(long)]
        speaker: Option<String>,
        /// Stop after this many.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Retract a quotation: it stays registered, and checks report it as retracted.
    Retract {
        /// `sha256:` followed by 64 hexadecimal digits.
        hash: String,
        /// Why it is retracted.
        #[arg(long)]
        reason: String,
    },
}

/// Arguments of `verbatim quote add`.
#[derive(Args, Debug)]
pub struct QuoteAddArgs {
    /// The exact words, without quotation marks (`-` reads stdin).
    pub text: String,
    /// Who said them.
    #[arg(long)]
    pub speaker: Option<String>,
    /// Another name of the speaker (repeatable).
    #[arg(long = "speaker-alias")]
    pub speaker_aliases: Vec<String>,
    /// The id of the outlet that published them.
    #[arg(long)]
    pub outlet: Option<String>,
    /// Where they were published.
    #[arg(long)]
    pub url: Option<String>,
    /// When they were published: RFC 3339 (2024-01-29T10:00:00Z) or a date (2024-01-29).
    #[arg(long)]
    pub published_at: Option<String>,
}

/// Runs a client subcommand and returns the process exit code.
///
/// # Errors
/// Any failure: bad arguments, an unreachable server, or a status other than OK.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = Output::new(cli.json);
    let timeout = Duration::from_secs(cli.timeout.max(1));
    let credentials = client::Credentials::load(
        cli.api_key_file.as_deref(),
        cli.tls_ca.as_deref(),
        cli.tls_client_cert.as_deref(),
        cli.tls_client_key.as_deref(),
    )?;
    match cli.command {
        Command::Serve(_) | Command::Export { .. } => {
            bail!("`serve` and `export` run in main")
        }
        Command::Key(command) => {
            admin::key(&cli.server, timeout, &credentials, command, &out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { since, store } => {
            admin::audit(&cli.server, timeout, &credentials, since, store, &out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Hash { text } => {
            let text = read_arg_or_stdin(text)?;
            let canonical = CanonicalText::of(&text);
            let hash = ContentHash::of_canonical(CanonicalVersion::CURRENT, &canonical);
            out.hash(&hash, &canonical);
            Ok(ExitCode::SUCCESS)
        }
        Command::Health { service } => {
            let mut connection = Connection::open(&cli.server, timeout, &credentials).await?;
            let response = connection
                .health
                .check(HealthCheckRequest {
                    service: service.clone(),
                })
                .await
                .map_err(client::describe)?
                .into_inner();
            let status = ServingStatus::try_from(response.status).unwrap_or(ServingStatus::Unknown);
            out.health(&service, status.as_str_name());
            Ok(if status == ServingStatus::Serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Outlet(command) => {
            let mut connection = Connection::open(&cli.server, timeout, &credentials).await?;
            outlet(&mut connection, command, &out).await
        }
        Command::Quote(command) => {
            let mut connection = Connection::open(&cli.server, timeout, &credentials).await?;
            quote(&mut connection, command, &out).await
        }
        Command::Check { paths, format } => {
            let format = if cli.json {
                batch::Format::Json
            } else {
                format
            };
            let mut inputs = batch::expand(&paths)?;
            let single = inputs.len() == 1 && paths.len() == 1 && !Path::new(&paths[0]).is_dir();
            let mut connection = Connection::open(&cli.server, timeout, &credentials).await?;
            if !single {
                return batch::check_all(&mut connection, inputs, format).await;
            }
            let input = inputs.remove(0);
            let (name, text) = (input.name(), input.read()?);
            let response = check::check(&mut connection, text.clone(), name.clone()).await?;
            match format {
                batch::Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&check::response_json(&response))
                        .expect("a JSON value always serializes")
                ),
                batch::Format::Sarif => {
                    let mut log = sarif::SarifLog::default();
                    log.add(&name.replace('\\', "/"), &text, &response);
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&log.to_json())
                            .expect("a JSON value always serializes")
                    );
                }
                batch::Format::Text => {
                    check::print_report(&name, &text, &response, check::Which::All);
                }
            }
            Ok(if check::needs_attention(&response) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Import { file } => {
            let mut connection = Connection::open(&cli.server, timeout, &credentials).await?;
            let summary = import::run(&mut connection, &file).await?;
            out.import_summary(&file, &summary);
            Ok(if summary.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

async fn outlet(
    connection: &mut Connection,
    command: OutletCommand,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    match command {
        OutletCommand::Add {
            id,
            name,
            aliases,
            domains,
        } => {
            let response = connection
                .registry
                .register_outlet(pb::RegisterOutletRequest {
                    outlet: Some(pb::Outlet {
                        id,
                        name,
                        aliases,
                        domains,
                    }),
                })
                .await
                .map_err(client::describe)?
                .into_inner();
            out.outlet_registered(&response);
        }
        OutletCommand::Get { id } => {
            let response = connection
                .registry
                .get_outlet(pb::GetOutletRequest { id })
                .await
                .map_err(client::describe)?
                .into_inner();
            out.outlets(response.outlet.as_slice());
        }
        OutletCommand::List { limit } => {
            let registry = connection.registry.clone();
            let outlets = collect_pages(limit, |page_token| {
                let mut registry = registry.clone();
                async move {
                    let page = registry
                        .list_outlets(pb::ListOutletsRequest {
                            page_size: PAGE_SIZE,
                            page_token,
                        })
                        .await
                        .map_err(client::describe)?
                        .into_inner();
                    Ok((page.outlets, page.next_page_token))
                }
            })
            .await?;
            out.outlets(&outlets);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn quote(
    connection: &mut Connection,
    command: QuoteCommand,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    match command {
        QuoteCommand::Add(args) => {
            let published_at = args
                .published_at
                .as_deref()
                .map(client::parse_time)
                .transpose()
                .context("--published-at")?;
            let response = connection
                .registry
                .register_quote(pb::RegisterQuoteRequest {
                    text: read_arg_or_stdin(args.text)?,
                    speaker: args.speaker.unwrap_or_default(),
                    speaker_aliases: args.speaker_aliases,
                    outlet_id: args.outlet.unwrap_or_default(),
                    source_url: args.url.unwrap_or_default(),
                    published_at,
                })
                .await
                .map_err(client::describe)?
                .into_inner();
            out.quote_registered(&response);
        }
        QuoteCommand::Get { hash } => {
            let response = connection
                .registry
                .get_quote(pb::GetQuoteRequest { content_hash: hash })
                .await
                .map_err(client::describe)?
                .into_inner();
            out.quote(response.quote.as_ref());
        }
        QuoteCommand::List {
            outlet,
            speaker,
            limit,
        } => {
            let registry = connection.registry.clone();
            let filter = pb::ListQuotesRequest {
                outlet_id: outlet.unwrap_or_default(),
                speaker: speaker.unwrap_or_default(),
                page_size: PAGE_SIZE,
                page_token: String::new(),
            };
            let quotes = collect_pages(limit, |page_token| {
                let mut registry = registry.clone();
                let request = pb::ListQuotesRequest {
                    page_token,
                    ..filter.clone()
                };
                async move {
                    let page = registry
                        .list_quotes(request)
                        .await
                        .map_err(client::describe)?
                        .into_inner();
                    Ok((page.quotes, page.next_page_token))
                }
            })
            .await?;
            out.quote_list(&quotes);
        }
        QuoteCommand::Retract { hash, reason } => {
            let response = connection
                .registry
                .retract_quote(pb::RetractQuoteRequest {
                    content_hash: hash,
                    reason,
                })
                .await
                .map_err(client::describe)?
                .into_inner();
            out.quote(response.quote.as_ref());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Rows asked for per page by the listing commands.
const PAGE_SIZE: i32 = 1_000;

/// Follows page tokens from the first page until the last, or until `limit` rows are in.
async fn collect_pages<T, F, Fut>(limit: Option<usize>, mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Vec<T>, String)>>,
{
    let mut rows = Vec::new();
    let mut page_token = String::new();
    loop {
        let (page, next) = fetch(page_token).await?;
        rows.extend(page);
        page_token = next;
        if page_token.is_empty() || limit.is_some_and(|l| rows.len() >= l) {
            break;
        }
    }
    rows.truncate(limit.unwrap_or(usize::MAX));
    Ok(rows)
}

/// `-` means "read standard input"; anything else is the value itself.
fn read_arg_or_stdin(value: String) -> anyhow::Result<String> {
    if value != "-" {
        return Ok(value);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading standard input")?;
    Ok(text)
}
