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

pub fn add_key(store: &str, role: &str, name: &str) -> String {
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

#[test]
fn an_admin_manages_keys_over_grpc_and_the_audit_trail_names_every_writer() {
    let dir = StoreDir::new();
    let store = dir.url();
    let admin = add_key(&store, "admin", "ops");
    let reader = add_key(&store, "reader", "fact-checker");
    let server = Server::start_on(&store, &[]);
    let url = server.url();
    let as_key = |args: &[&str], key: &str| {
        let mut full = vec!["--server", url.as_str()];
        full.extend_from_slice(args);
        run(&full, &[("VERBATIM_API_KEY", key)])
    };

    // Key management is the admin's: a reader is told which role it needs.
    let (code, _, stderr) = as_key(&["key", "add", "--role", "editor", "desk"], &reader);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("PERMISSION_DENIED") && stderr.contains("admin role"),
        "{stderr}"
    );
    let (code, desk, stderr) = as_key(&["key", "add", "--role", "editor", "desk"], &admin);
    assert_eq!(code, 0, "{stderr}");
    let desk = desk.trim().to_owned();
    assert!(desk.starts_with("vbk_"), "{desk}");
    let (code, _, stderr) = as_key(&["key", "add", "--role", "editor", "desk"], &admin);
    assert_eq!(code, 2);
    assert!(stderr.contains("ALREADY_EXISTS"), "{stderr}");
    let (code, _, stderr) = as_key(&["key", "add", "--role", "editor", "Bad Name"], &admin);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("INVALID_ARGUMENT") && stderr.contains("key name"),
        "{stderr}"
    );

    // The new key works at once on this server, and its writes are traced to it.
    let (code, _, stderr) = as_key(&["outlet", "add", "ledger", "--name", "The Ledger"], &desk);
    assert_eq!(code, 0, "{stderr}");
    let (code, registered, stderr) = as_key(
        &[
            "--json",
            "quote",
            "add",
            "Every change names its author.",
            "--speaker",
            "Ann Audit",
            "--outlet",
            "ledger",
        ],
        &desk,
    );
    assert_eq!(code, 0, "{stderr}");
    let registered: serde_json::Value = serde_json::from_str(&registered).expect("JSON");
    let hash = registered["quote"]["content_hash"]
        .as_str()
        .expect("a hash")
        .to_owned();
    let (code, _, stderr) = as_key(&["quote", "retract", &hash, "--reason", "misheard"], &desk);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = as_key(&["key", "revoke", "desk"], &admin);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = as_key(&["outlet", "add", "other", "--name", "Other"], &desk);
    assert_eq!(code, 2, "revoked here takes effect here at once");
    assert!(stderr.contains("UNAUTHENTICATED"), "{stderr}");
    let (code, _, stderr) = as_key(&["key", "revoke", "nobody"], &admin);
    assert_eq!(code, 2);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");

    let (code, _, stderr) = as_key(&["audit"], &reader);
    assert_eq!(code, 2);
    assert!(stderr.contains("admin role"), "{stderr}");
    let (code, trail, stderr) = as_key(&["audit"], &admin);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Vec<&str>> = trail
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    let who_what: Vec<(&str, &str, &str)> =
        rows.iter().map(|row| (row[1], row[2], row[3])).collect();
    assert_eq!(
        who_what,
        vec![
            ("local:key add", "key.added", "ops"),
            ("local:key add", "key.added", "fact-checker"),
            ("key:ops", "key.added", "desk"),
            ("key:desk", "outlet.created", "ledger"),
            ("key:desk", "quote.registered", hash.as_str()),
            ("key:desk", "quote.retracted", hash.as_str()),
            ("key:ops", "key.revoked", "desk"),
        ],
        "{trail}"
    );
    assert!(rows[4][4].contains("speaker: Ann Audit"), "{trail}");
    assert_eq!(rows[5][4], "reason: misheard");

    // The same trail straight from the store, and --since.
    let (code, direct, stderr) = run(&["audit", "--store", &store], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(direct, trail);
    let (code, future, stderr) = as_key(&["audit", "--since", "2999-01-01"], &admin);
    assert_eq!(code, 0, "{stderr}");
    assert!(future.is_empty(), "{future}");
    let (code, json_lines, _) = as_key(&["--json", "audit", "--since", "2000-01-01"], &admin);
    assert_eq!(code, 0);
    assert_eq!(json_lines.lines().count(), 7);
    let first: serde_json::Value =
        serde_json::from_str(json_lines.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["action"], "key.added");
}
