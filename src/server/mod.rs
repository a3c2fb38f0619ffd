//! The gRPC server: the Registry service over a store, health and reflection, and an orderly
//! shutdown. Only this module knows tonic's server types.
//!
//! [`run`] takes an already-bound listener and a shutdown future, so tests can bind port 0 and
//! stop the server without signals.

mod admission;
pub mod auth;
pub mod check_api;
pub mod convert;
mod follower;
mod group_commit;
mod health;
pub mod observe;
mod prometheus;
pub mod quote_cache;
pub mod registry_api;
mod review;
pub mod status;

use std::{future::Future, net::SocketAddr, sync::Arc};

use admission::AdmissionLayer;
use auth::{AuthLayer, KeyRing};
use observe::ObserveLayer;
use tokio::{net::TcpListener, sync::Notify};
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig, server::TcpIncoming};

use crate::checker::LiveRegister;
use crate::config::ServeConfig;
use crate::proto::{
    self,
    v1::{checker_server::CheckerServer, registry_server::RegistryServer},
};
use crate::store::Store;
use check_api::CheckApi;
use quote_cache::QuoteCache;
use registry_api::RegistryApi;

/// How long, once the calls in progress have finished, new calls still get UNAVAILABLE before the
/// connections are told to go away: a caller whose call just completed sends its next one within
/// moments, and should learn of the shutdown from that clear refusal, not from a connection
/// closed under its request (a transport error most clients cannot tell from a crash).
const SHUTDOWN_LINGER: std::time::Duration = std::time::Duration::from_millis(500);

/// How often an idle connection is pinged, and how long the answer may take before the
/// connection is dropped.
const KEEPALIVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `router` on `listener` until `stop` turns true.
fn serve_http(
    listener: TcpListener,
    router: axum::Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::warn!(%error, "an HTTP listener failed");
        }
    })
}

/// HTTP/2 flow-control windows. The HTTP/2 layer closes a connection whose unread small DATA
/// frames cost more than half the connection window in framing overhead (a flood defence); a
/// bulk importer whose client sends each small registration as a frame of its own (grpcio does)
/// fills a stream's window while a batch commits. A stream window well under half the connection
/// window keeps an importer far from that line, while a flood of tiny frames still crosses it.
const CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;
const STREAM_WINDOW: u32 = 256 * 1024;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The reflection service could not load a descriptor set (a build problem).
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed while serving.
    #[error("the server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The listener's address could not be read.
    #[error("cannot read the listening address: {0}")]
    Address(#[from] std::io::Error),
    /// The TLS certificate, key or client CA is not usable.
    #[error(
        "cannot set up TLS: {0} (check that --tls-cert and --tls-key hold a PEM certificate chain \
         and its private key, and --tls-client-ca a PEM CA certificate)"
    )]
    Tls(tonic::transport::Error),
    /// The register could not be loaded for checking.
    #[error("cannot load the register: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The metrics recorder could not be installed.
    #[error("cannot serve metrics: {0}")]
    Metrics(String),
}

/// Where the server listens: gRPC, and optionally Prometheus metrics (`--metrics-listen`) and
/// the review page (`--http-listen`), each on a listener bound by the caller.
pub struct Listeners {
    pub grpc: TcpListener,
    pub metrics: Option<TcpListener>,
    pub review: Option<TcpListener>,
}

impl From<TcpListener> for Listeners {
    fn from(grpc: TcpListener) -> Self {
        Listeners {
            grpc,
            metrics: None,
            review: None,
        }
    }
}

/// Serves the register over `listener` until `shutdown` resolves, then drains in-flight calls
/// (for at most `config.drain_timeout`) and closes the store.
///
/// `ready` is called with the real listening address once every service is set up.
///
/// # Errors
/// [`ServeError`] when the services cannot be built or the transport fails.
pub async fn run<S: Store>(
    listeners: impl Into<Listeners>,
    config: ServeConfig,
    store: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let Listeners {
        grpc: listener,
        metrics: metrics_listener,
        review: review_listener,
    } = listeners.into();
    let address = listener.local_addr()?;
    // Installed before the first call, so that every call is counted.
    let recorder = metrics_listener
        .as_ref()
        .map(|_| prometheus::recorder().map_err(ServeError::Metrics))
        .transpose()?;
    let store = Arc::new(store);
    let limits = config.limits;

    let (reporter, health_service) = tonic_health::server::health_reporter();
    let health = health::Health::new(reporter);
    health.set_serving(true).await;

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let loading = std::time::Instant::now();
    // Changes committed while the register loads are applied again by the follower: harmless.
    let feed_position = store.latest_change().await?;
    let live = Arc::new(LiveRegister::load(&store).await?);
    tracing::info!(
        quotes = live.len(),
        index_bytes = live.heap_bytes(),
        elapsed = ?loading.elapsed(),
        "register loaded for checking"
    );
    let cache = Arc::new(QuoteCache::new());
    let keys = Arc::new(KeyRing::new(store.list_keys().await?));
    if !keys.enforcing() {
        tracing::warn!("no API keys in the register: calls are accepted without one");
    }
    // The feed carries other processes' writes (replicas, `verbatim key`); following it also
    // watches the store's health.
    let watcher = tokio::spawn(follower::follow(
        Arc::clone(&store),
        Arc::clone(&live),
        Arc::clone(&cache),
        Arc::clone(&keys),
        health.clone(),
        feed_position,
    ));
    let registry = RegistryServer::new(RegistryApi::new(
        Arc::clone(&store),
        limits,
        Arc::clone(&live),
        Arc::clone(&cache),
        Arc::clone(&keys),
    ))
    .max_decoding_message_size(limits.max_request_bytes);
    let checker = CheckerServer::new(CheckApi::new(
        Arc::clone(&store),
        Arc::clone(&live),
        cache,
        limits,
    ))
    .max_decoding_message_size(limits.max_request_bytes);

    // Health flips to NOT_SERVING the moment the signal arrives, before the transport stops
    // accepting calls, so load balancers stop routing here first.
    let draining = Arc::new(Notify::new());
    let admission = AdmissionLayer::new(config.admission);
    let drain_timeout = config.drain_timeout;
    let (stopping, stop_watch) = tokio::sync::watch::channel(false);
    let mut side_servers = Vec::new();
    if let (Some(listener), Some(recorder)) = (metrics_listener, recorder) {
        tracing::info!(address = %listener.local_addr()?, "serving metrics at /metrics");
        side_servers.push(serve_http(
            listener,
            prometheus::router(recorder, Arc::clone(&live)),
            stop_watch.clone(),
        ));
    }
    if let Some(listener) = review_listener {
        // The page's checks go through the same layers as gRPC calls, in process.
        let bridge = tower::ServiceBuilder::new()
            .layer(ObserveLayer)
            .layer(tower::util::MapResponseLayer::new(
                status::explain_oversized_request(limits.max_request_bytes),
            ))
            .layer(AuthLayer::new(Arc::clone(&keys)))
            .layer(admission.clone())
            .service(checker.clone());
        tracing::info!(address = %listener.local_addr()?, "serving the review page");
        side_servers.push(serve_http(
            listener,
            review::router(bridge, limits.max_request_bytes),
            stop_watch.clone(),
        ));
    }
    let signal = {
        let health = health.clone();
        let draining = Arc::clone(&draining);
        let admission = admission.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: refusing new calls, draining in-flight calls");
            health.begin_shutdown().await;
            admission.close();
            let _ = stopping.send(true);
            draining.notify_one();
            // Until the calls in progress finish, new ones get a clear UNAVAILABLE; only then
            // are the connections told to go away, since a call caught in a closing connection
            // would only see it cancelled.
            let began = tokio::time::Instant::now();
            let _ = tokio::time::timeout(drain_timeout, admission.drained()).await;
            let deadline = began + drain_timeout;
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + SHUTDOWN_LINGER))
                .await;
        }
    };

    // A peer that vanished without closing its connection (power loss, a cut cable) is found
    // by HTTP/2 pings, so its calls end and give their places back.
    let mut builder = Server::builder()
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .initial_connection_window_size(Some(CONNECTION_WINDOW))
        .initial_stream_window_size(Some(STREAM_WINDOW));
    if let Some(tls) = &config.tls {
        let mut settings = ServerTlsConfig::new().identity(Identity::from_pem(&tls.cert, &tls.key));
        if let Some(ca) = &tls.client_ca {
            settings = settings.client_ca_root(Certificate::from_pem(ca));
        }
        builder = builder.tls_config(settings).map_err(ServeError::Tls)?;
        tracing::info!(mutual = tls.client_ca.is_some(), "serving TLS");
    }
    let server = builder
        .layer(ObserveLayer)
        .layer(tower::util::MapResponseLayer::new(
            status::explain_oversized_request(limits.max_request_bytes),
        ))
        .layer(AuthLayer::new(keys))
        .layer(admission)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(registry)
        .add_service(checker)
        // Without TCP_NODELAY, small responses wait for the client's delayed ACK (~40 ms).
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), signal);

    tracing::info!(%address, "serving");
    ready(address);
    let outcome = tokio::select! {
        outcome = server => outcome.map_err(ServeError::from),
        () = async {
            draining.notified().await;
            tokio::time::sleep(drain_timeout).await;
        } => {
            tracing::warn!(?drain_timeout, "drain timeout reached; abandoning calls still in flight");
            Ok(())
        }
    };
    watcher.abort();
    for side in side_servers {
        side.abort();
    }
    store.close().await;
    tracing::info!("store closed");
    outcome
}
