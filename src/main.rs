//! The `verbatim` binary: `serve` runs the server; every other subcommand is a client.

use std::process::ExitCode;

use clap::Parser as _;
use tokio::net::TcpListener;
use verbatim::{
    cli::{self, Cli, Command, KeyCommand},
    config::{ServeArgs, ServeConfig},
    server,
    store::{PgStore, SqliteStore},
    telemetry,
};

/// Exit code for every error.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let outcome = match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)).map(|()| ExitCode::SUCCESS),
        Command::Key(command) if command.store().is_some() => runtime
            .block_on(local_key(command, cli.json))
            .map(|()| ExitCode::SUCCESS),
        Command::Audit {
            store: Some(store),
            since,
        } => runtime
            .block_on(local_audit(&store, since.as_deref(), cli.json))
            .map(|()| ExitCode::SUCCESS),
        Command::Export { store } => {
            exit_quietly_on_closed_pipe();
            runtime.block_on(export(&store)).map(|()| ExitCode::SUCCESS)
        }
        _ => {
            exit_quietly_on_closed_pipe();
            runtime.block_on(cli::run(cli))
        }
    };
    match outcome {
        Ok(code) => code,
        Err(error) if closed_pipe(&error) => ExitCode::from(EXIT_CLOSED_PIPE as u8),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format, "info");
    let mut config = ServeConfig::from(&args);
    config.tls = verbatim::config::TlsFiles::from_args(&args)?;
    let redacted = verbatim::store::redact_url(&args.store);
    if args.store.starts_with("postgres:") || args.store.starts_with("postgresql:") {
        let store = PgStore::open(&args.store, args.pg_settings()).await?;
        serve_store(&args, config, store, &redacted).await
    } else {
        let store = SqliteStore::open(&args.store).await?;
        serve_store(&args, config, store, &redacted).await
    }
}

/// Serves `store`, once it is open, until a shutdown signal.
async fn serve_store<S: verbatim::store::Store>(
    args: &ServeArgs,
    config: ServeConfig,
    store: S,
    redacted: &str,
) -> anyhow::Result<()> {
    tracing::info!(store = %redacted, "store open");
    refuse_open_network_without_keys(args, &store).await?;
    let ready = |address| eprintln!("listening on {address}");
    server::run(
        listeners(args).await?,
        config,
        store,
        shutdown_signal(),
        ready,
    )
    .await?;
    Ok(())
}

/// Binds every address `serve` was given, and says where the HTTP ones are (a port 0 becomes a
/// real one here).
async fn listeners(args: &ServeArgs) -> anyhow::Result<server::Listeners> {
    let bind = |address: std::net::SocketAddr, flag: &'static str| async move {
        TcpListener::bind(address)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {address} ({flag}): {e}"))
    };
    let metrics = match args.metrics_listen {
        Some(address) => {
            let listener = bind(address, "--metrics-listen").await?;
            eprintln!("metrics on http://{}/metrics", listener.local_addr()?);
            Some(listener)
        }
        None => None,
    };
    let review = match args.http_listen {
        Some(address) => {
            let listener = bind(address, "--http-listen").await?;
            eprintln!("review page on http://{}/", listener.local_addr()?);
            Some(listener)
        }
        None => None,
    };
    Ok(server::Listeners {
        grpc: bind(args.listen, "--listen").await?,
        metrics,
        review,
    })
}

/// Without any API key, only a loopback address is served, unless `--insecure` says otherwise.
async fn refuse_open_network_without_keys<S: verbatim::store::Store>(
    args: &ServeArgs,
    store: &S,
) -> anyhow::Result<()> {
    let open_addresses: Vec<_> = [Some(args.listen), args.http_listen]
        .into_iter()
        .flatten()
        .filter(|address| !address.ip().is_loopback())
        .collect();
    if !store.list_keys().await?.is_empty() || open_addresses.is_empty() {
        return Ok(());
    }
    if args.insecure {
        tracing::warn!(addresses = ?open_addresses, "--insecure: serving a non-loopback address without API keys");
        return Ok(());
    }
    anyhow::bail!(
        "refusing to serve {} without API keys: anyone who can reach it could change the \
         register. Add one with `verbatim key add --role admin NAME --store …`, listen on \
         127.0.0.1, or pass --insecure",
        open_addresses[0]
    )
}

/// `verbatim key … --store`: straight against the store (how the first admin key is made).
async fn local_key(command: KeyCommand, json: bool) -> anyhow::Result<()> {
    use verbatim::server::convert::api_key_to_proto;
    let out = cli::Output::new(json);
    match command {
        KeyCommand::Add {
            role,
            name,
            store: Some(store),
        } => {
            let secret = verbatim::keys::add(&store, &name, &role).await?;
            let key = verbatim::keys::list(&store)
                .await?
                .into_iter()
                .find(|key| key.name == name)
                .ok_or_else(|| anyhow::anyhow!("key {name:?} vanished right after being added"))?;
            out.key_created(&api_key_to_proto(&key), &secret);
        }
        KeyCommand::List { store: Some(store) } => {
            let keys = verbatim::keys::list(&store).await?;
            out.keys(&keys.iter().map(api_key_to_proto).collect::<Vec<_>>());
        }
        KeyCommand::Revoke {
            name,
            store: Some(store),
        } => {
            verbatim::keys::revoke(&store, &name).await?;
            eprintln!("key {name:?} revoked");
        }
        _ => anyhow::bail!("without --store, `key` goes through the server"),
    }
    Ok(())
}

/// `verbatim audit --store`: the trail straight from the store, a page at a time.
async fn local_audit(store: &str, since: Option<&str>, json: bool) -> anyhow::Result<()> {
    let out = cli::Output::new(json);
    let since = since
        .map(cli::parse_time)
        .transpose()?
        .map_or(i64::MIN, |ts| {
            ts.seconds * 1_000_000 + i64::from(ts.nanos / 1_000)
        });
    verbatim::keys::audit(store, since, |page| {
        let events: Vec<_> = page
            .iter()
            .cloned()
            .map(verbatim::server::convert::audit_event_to_proto)
            .collect();
        out.audit_events(&events);
    })
    .await
}

/// `verbatim export`: the register to stdout, a summary to stderr.
async fn export(store: &str) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let summary = verbatim::export::run(store, &mut out).await?;
    eprintln!(
        "exported {}: {} outlets, {} quotes, {} attributions, {} retractions",
        verbatim::store::redact_url(store),
        summary.outlets,
        summary.quotes,
        summary.attributions,
        summary.retractions
    );
    Ok(())
}

/// Exit status of a command whose output pipe closed (`verbatim quote list | head`): what a shell
/// reports for a process ended by SIGPIPE, which the command is, in effect.
const EXIT_CLOSED_PIPE: i32 = 141;

/// Makes a closed stdout end the command quietly. SIGPIPE itself stays ignored (Rust's default):
/// restoring its default action would also kill the client when the server resets a TLS
/// connection, since socket writes raise it too. So `println!`'s panic on a closed pipe becomes a
/// quiet exit instead, and [`closed_pipe`] spots the same in returned errors.
fn exit_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if message.is_some_and(|m| {
            m.starts_with("failed printing to stdout") && m.contains("Broken pipe")
        }) {
            std::process::exit(EXIT_CLOSED_PIPE);
        }
        default(info);
    }));
}

/// True when `error` comes from writing to a closed pipe.
fn closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
