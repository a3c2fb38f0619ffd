//! Compiles `proto/` with protox (a pure-Rust protobuf compiler, so no `protoc` is needed) into
//! tonic/prost code, and writes the descriptor set that server reflection serves.

use std::{env, fs, path::PathBuf};

use protox::prost::Message as _;

const PROTO_FILES: &[&str] = &[
    "proto/verbatim/v1/types.proto",
    "proto/verbatim/v1/registry.proto",
    "proto/verbatim/v1/check.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTO_FILES, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("verbatim_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
