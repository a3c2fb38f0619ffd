//! The dependency rule of ARCHITECTURE.md, checked: the pure core knows nothing of gRPC,
//! storage or async runtimes, and only `server/status.rs` turns errors into statuses.

use std::{fs, path::Path};

fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).expect("readable source");
            files.push((path.display().to_string(), text));
        }
    }
    files
}

#[test]
fn the_text_core_uses_no_network_storage_or_runtime_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let forbidden = [
        "tonic",
        "prost",
        "sqlx",
        "tokio",
        "crate::store",
        "crate::server",
        "crate::proto",
        "crate::cli",
        "crate::record",
    ];
    for (path, text) in rust_files(&root.join("src/text")) {
        for word in forbidden {
            assert!(!text.contains(word), "{path} mentions {word}");
        }
    }
}

#[test]
fn statuses_are_built_from_errors_in_one_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let constructors = [
        "Status::invalid_argument",
        "Status::not_found",
        "Status::internal",
        "Status::unavailable",
        "Status::new(",
        "Status::resource_exhausted",
        "Status::data_loss",
        "Status::deadline_exceeded",
        "Status::already_exists",
        "Status::unauthenticated",
        "Status::permission_denied",
    ];
    for (path, text) in rust_files(&root.join("src")) {
        if path.ends_with("server/status.rs") {
            continue;
        }
        for constructor in constructors {
            assert!(
                !text.contains(constructor),
                "{path} builds a status with {constructor}"
            );
        }
    }
}

#[test]
fn the_cli_is_a_grpc_client_and_never_opens_a_store() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, text) in rust_files(&root.join("src/cli")) {
        for word in [
            "crate::store",
            "crate::server",
            "crate::keys",
            "crate::export",
            "sqlx",
        ] {
            assert!(!text.contains(word), "{path} mentions {word}");
        }
    }
}
