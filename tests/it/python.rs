//! A real external client: the Python script in `tests/python/` generates stubs from `proto/`
//! with grpcio-tools and talks to a live server. It needs a Python with grpcio and grpcio-tools,
//! named by `VERBATIM_TEST_PYTHON` (the README's test command sets it up); without it the test
//! is skipped, saying so.

use std::{path::Path, process::Command};

use crate::harness::Server;

#[tokio::test]
async fn a_python_grpcio_client_checks_health_registers_reads_and_checks_attribution() {
    let Some(python) = std::env::var_os("VERBATIM_TEST_PYTHON") else {
        eprintln!(
            "skipped: VERBATIM_TEST_PYTHON is unset (run ./scripts/test to set up a Python with grpcio)"
        );
        return;
    };
    let server = Server::start();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(python)
        .arg(root.join("tests/python/registry_client.py"))
        .args(["--server", &server.address.to_string()])
        .args([
            "--proto-root",
            root.join("proto").to_str().expect("utf-8 path"),
        ])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log_text()
    );
    assert!(stdout.contains("python client: ok"), "{stdout}");
}
