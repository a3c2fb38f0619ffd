//! The generated gRPC code for `proto/verbatim/v1`, and the descriptor set that server reflection
//! serves. Generated code only: conversions live in `server::convert` and `cli`.

/// Package `verbatim.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("verbatim.v1");
}

/// The encoded `FileDescriptorSet` of every file in `proto/` and the files they import.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/verbatim_descriptor.bin"));
