//! Prometheus metrics, served as text at `/metrics` on `--metrics-listen`: calls by RPC and
//! status code, latency histograms by RPC (both from `observe.rs`), findings by verdict, calls
//! refused by the rate limits, and the register's size and index memory, read at each scrape.

use std::sync::{Arc, OnceLock};

use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::checker::LiveRegister;

/// Upper bounds of the latency histogram's buckets, in seconds: from a cached lookup to a long
/// bulk import.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's one metrics recorder: installed by the first server that serves metrics (a
/// process can run more than one server, as the benchmarks do).
static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("verbatim_grpc_request_duration_seconds".into()),
            LATENCY_BUCKETS,
        )?
        .install_recorder()?;
    metrics::describe_counter!(
        "verbatim_grpc_requests_total",
        "gRPC calls finished, by service, method and status code"
    );
    metrics::describe_histogram!(
        "verbatim_grpc_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from a call's arrival to its last response byte, by service and method"
    );
    metrics::describe_counter!(
        "verbatim_check_findings_total",
        "Findings reported by checks, by verdict"
    );
    metrics::describe_counter!(
        "verbatim_rate_limited_total",
        "Calls refused with RESOURCE_EXHAUSTED by the rate and concurrency limits, by reason"
    );
    metrics::describe_gauge!(
        "verbatim_register_quotes",
        "Quotations in the register, as the checker holds them"
    );
    metrics::describe_gauge!(
        "verbatim_index_bytes",
        metrics::Unit::Bytes,
        "Heap memory of the checker's index of the register"
    );
    Ok(handle)
}

/// The metrics recorder, installed on first use.
///
/// # Errors
/// When another recorder was installed in this process first.
pub fn recorder() -> Result<PrometheusHandle, String> {
    RECORDER
        .get_or_init(|| install().map_err(|e| e.to_string()))
        .clone()
}

/// `GET /metrics`.
pub fn router(handle: PrometheusHandle, live: Arc<LiveRegister>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((handle, live))
}

async fn scrape(
    State((handle, live)): State<(PrometheusHandle, Arc<LiveRegister>)>,
) -> impl IntoResponse {
    metrics::gauge!("verbatim_register_quotes").set(live.len() as f64);
    metrics::gauge!("verbatim_index_bytes").set(live.heap_bytes() as f64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
