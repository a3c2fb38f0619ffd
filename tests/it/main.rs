//! The integration suite: the real `verbatim` binary driven over gRPC on loopback. One test binary
//! so it links once.

mod attribution;
mod check;
mod cli;
mod corpus;
mod export;
mod faults;
mod harness;
mod hostile;
mod keys;
mod layering;
mod lifecycle;
mod limits;
mod load;
mod operations;
mod postgres;
mod python;
mod registry;
mod review_page;
mod soak;
mod tls;
