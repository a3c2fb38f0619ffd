//! API keys over real gRPC: keys made with `verbatim key add` (only their hashes stored), every
//! call refused without a valid one (health needs none), roles enforced with a message naming the
//! role needed, a revocation applied by the running server within a second, and a server without
//! keys refusing to listen beyond loopback unless told `--insecure`.

use std::process::{Command, Stdio};

use crate::harness::{BINARY, Server, StoreDir};

/// Runs the CLI with `env` set; returns (exit code, stdout, stderr).
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_remove("VERBATIM_API_KEY")
        .env_remove("VERBATIM_STORE")
        .env_remove("VERBATIM_SERVER")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn add_key(store: &str, role: &str, name: &str) -> String {
    let (code, stdout, stderr) = run(&["key", "add", "--role", role, name, "--store", store], &[]);
    assert_eq!(code, 0, "{stderr}");
    let key = stdout.trim().to_owned();
    assert!(key.starts_with("vbk_"), "{stdout}");
    key
}

#[test]
fn keys_gate_every_call_by_role_and_revocation_applies_at_once() {
    let dir = StoreDir::new();
    let store = dir.url();
    let reader = add_key(&store, "reader", "fact-checker");
    let editor = add_key(&store, "editor", "cms-prod");
    let (code, _, stderr) = run(
        &[
            "key", "add", "--role", "editor", "cms-prod", "--store", &store,
        ],
        &[],
    );
    assert_eq!(code, 2, "a taken name is refused");
    assert!(stderr.contains("exists already"), "{stderr}");
    let (_, listing, _) = run(&["key", "list", "--store", &store], &[]);
    assert!(listing.contains("cms-prod\teditor\tactive"), "{listing}");
    assert!(!listing.contains(&editor) && !listing.contains(&reader));

    let server = Server::start_on(&store, &[]);
    let url = server.url();
    let quote = [
        "quote",
        "add",
        "Keys decide who may change the register.",
        "--speaker",
        "Ada Key",
    ];
    let with = |args: &[&str], key: Option<&str>| {
        let mut full = vec!["--server", url.as_str()];
        full.extend_from_slice(args);
        match key {
            Some(key) => run(&full, &[("VERBATIM_API_KEY", key)]),
            None => run(&full, &[]),
        }
    };

    let (code, _, _) = with(&["health"], None);
    assert_eq!(code, 0, "health needs no key");
    let (code, _, stderr) = with(&quote, None);
    assert_eq!(code, 2);
    assert!(stderr.contains("UNAUTHENTICATED"), "{stderr}");
    let (code, _, stderr) = with(&quote, Some("vbk_not-a-real-key"));
    assert!(
        stderr.contains("UNAUTHENTICATED") && !stderr.contains("not-a-real-key"),
        "{code} {stderr}"
    );
    let (code, _, stderr) = with(&quote, Some(&reader));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("PERMISSION_DENIED") && stderr.contains("editor role"),
        "{stderr}"
    );
    assert!(!stderr.contains(&reader));
    let (code, _, stderr) = with(&["quote", "list"], Some(&reader));
    assert_eq!(code, 0, "a reader reads: {stderr}");

    // The editor's key from a file, as the CLI prefers.
    let key_file = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(key_file.path(), format!("{editor}\n")).expect("write");
    let file = key_file.path().to_str().expect("utf-8");
    let mut editor_args = vec!["--api-key-file", file];
    editor_args.extend_from_slice(&quote);
    let (code, _, stderr) = with(&editor_args, None);
    assert_eq!(code, 0, "{stderr}");

    let (code, _, stderr) = run(&["key", "revoke", "cms-prod", "--store", &store], &[]);
    assert_eq!(code, 0, "{stderr}");
    let started = std::time::Instant::now();
    loop {
        let (_, _, stderr) = with(&editor_args, None);
        if stderr.contains("UNAUTHENTICATED") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "the revoked key still works: {stderr}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (_, listing, _) = run(&["key", "list", "--store", &store], &[]);
    assert!(listing.contains("cms-prod\teditor\trevoked"), "{listing}");
}

#[test]
fn without_keys_only_loopback_is_served_unless_insecure() {
    let dir = StoreDir::new();
    let (code, _, stderr) = run(
        &["serve", "--listen", "0.0.0.0:0", "--store", &dir.url()],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("refusing to serve") && stderr.contains("--insecure"),
        "{stderr}"
    );
    let mut child = Command::new(BINARY)
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--insecure",
            "--store",
            &dir.url(),
        ])
        .env_remove("VERBATIM_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stderr = child.stderr.take().expect("piped");
    let listening = std::io::BufRead::lines(std::io::BufReader::new(stderr))
        .map_while(Result::ok)
        .find(|line| line.starts_with("listening on "));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        listening.is_some_and(|line| line.starts_with("listening on 0.0.0.0:")),
        "--insecure serves beyond loopback"
    );
}
