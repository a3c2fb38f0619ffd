//! Verbatim: a register of quotations under content hashes, and (in later versions) a checker that
//! finds every quotation in an article and verifies it against the register.
//!
//! Layout and the dependency rule are in `ARCHITECTURE.md`: `text` is the pure core, `store` keeps
//! the register, `server` maps the gRPC contract onto them, and `cli` is a gRPC client.

pub mod record;
pub mod store;
pub mod text;
