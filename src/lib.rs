//! Verbatim: a register of quotations under content hashes, served over gRPC.
//!
//! Layout and the dependency rule are in `ARCHITECTURE.md`: [`text`] is the pure core, [`store`]
//! keeps the register, [`server`] maps the gRPC contract onto them, and [`cli`] is a gRPC client.

pub mod checker;
pub mod cli;
pub mod config;
pub mod export;
pub mod keys;
pub mod proto;
pub mod record;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod text;
