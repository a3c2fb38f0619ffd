//! The pure analysis core: canonical form, content hashes and the word tokenizer.
//!
//! Nothing here knows about gRPC, storage or async runtimes; everything takes `&str` and returns
//! plain values, so it can be tested, fuzzed and benchmarked on its own.

pub mod align;
pub mod attribution;
pub mod canonical;
pub mod hash;
pub mod quotes;
pub mod severity;
pub mod shingles;
pub mod words;

pub use canonical::{CanonicalText, CanonicalVersion, UnknownVersion};
pub use hash::{ContentHash, HashParseError};
