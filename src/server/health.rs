//! `grpc.health.v1` status: SERVING once the store is open; the Registry NOT_SERVING while the
//! store cannot be reached (checks go on from the in-memory index); everything NOT_SERVING from
//! the moment shutdown begins.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use tonic_health::{ServingStatus, server::HealthReporter};

use crate::proto::v1::{
    checker_server::SERVICE_NAME as CHECKER_SERVICE,
    registry_server::SERVICE_NAME as REGISTRY_SERVICE,
};

/// The health of the whole server (`""`) and of each service.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    shutting_down: Arc<AtomicBool>,
}

impl Health {
    pub fn new(reporter: HealthReporter) -> Self {
        Health {
            reporter,
            shutting_down: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Reports every service SERVING or NOT_SERVING; once shutdown began, only NOT_SERVING.
    pub async fn set_serving(&self, serving: bool) {
        let status = self.status(serving);
        for service in ["", REGISTRY_SERVICE, CHECKER_SERVICE] {
            self.reporter.set_service_status(service, status).await;
        }
    }

    /// Reports the Registry (which needs the store) SERVING or NOT_SERVING; the Checker answers
    /// from its index either way.
    pub async fn set_registry_serving(&self, serving: bool) {
        let status = self.status(serving);
        self.reporter
            .set_service_status(REGISTRY_SERVICE, status)
            .await;
    }

    /// SERVING when `serving` and shutdown has not begun.
    fn status(&self, serving: bool) -> ServingStatus {
        if serving && !self.shutting_down.load(Ordering::SeqCst) {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        }
    }

    /// Reports NOT_SERVING for good.
    pub async fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.set_serving(false).await;
    }
}
