//! Moving a register between stores: `verbatim export` writes it in the import format and
//! `verbatim import` reads it back with every attribution and retraction, so export → import →
//! export gives the same file; SQLite → SQLite always, SQLite → PostgreSQL → SQLite when
//! `DATABASE_URL` is set.

use std::process::{Command, Stdio};

use verbatim::text::ContentHash;

use crate::harness::{BINARY, Server, StoreDir, cli};
use crate::postgres::FreshDatabase;

/// A register with what an export must carry: aliases, domains, several attributions of the same
/// words (speaker and outlet, two outlets), a URL, a publication time, and a retraction.
fn register_file(dir: &std::path::Path) -> std::path::PathBuf {
    let retracted = "The council never agreed to sell the park land to a developer.";
    let lines = [
        r#"{"kind":"outlet","id":"northern-post","name":"The Northern Post","aliases":["Northern Post","the Post"],"domains":["northernpost.example"]}"#.to_owned(),
        r#"{"kind":"outlet","id":"harbour-times","name":"Harbour Times"}"#.to_owned(),
        r#"{"kind":"quote","text":"We will not raise the fuel duty before the election.","speaker":"Helen Marsh","speaker_aliases":["the finance minister"],"outlet":"northern-post","url":"https://northernpost.example/a","published_at":"2024-01-29T10:00:00Z"}"#.to_owned(),
        r#"{"kind":"quote","text":"We will not raise the fuel duty before the election.","outlet":"harbour-times"}"#.to_owned(),
        r#"{"kind":"quote","text":"The new bridge will carry forty thousand vehicles a day.","speaker":"Tomasz Wilk"}"#.to_owned(),
        format!(r#"{{"kind":"quote","text":"{retracted}","speaker":"Sam Achebe","published_at":"2023-05-01"}}"#),
        format!(
            r#"{{"kind":"retraction","content_hash":"{}","reason":"the speaker disowned the words"}}"#,
            ContentHash::of_text(retracted)
        ),
    ];
    let path = dir.join("register.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the register");
    path
}

/// `verbatim export --store URL` → (stdout, stderr).
fn export(url: &str) -> (String, String) {
    let output = Command::new(BINARY)
        .args(["export", "--store", url])
        .env_remove("VERBATIM_STORE")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "export failed: {stderr}");
    (String::from_utf8(output.stdout).expect("UTF-8"), stderr)
}

/// Imports `file` into a server on `url` and exports that store again.
fn import_then_export(url: &str, file: &std::path::Path) -> String {
    let server = Server::start_on(url, &[]);
    let (code, stdout, stderr) = cli(&server.url(), &["import", file.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    drop(server);
    export(url).0
}

#[test]
fn export_then_import_round_trips_exactly_between_embedded_stores() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let first = StoreDir::new();
    let exported = import_then_export(&first.url(), &register_file(dir.path()));
    let (_, summary) = export(&first.url());
    assert!(
        summary.contains("2 outlets, 3 quotes, 4 attributions, 1 retractions"),
        "{summary}"
    );
    assert!(exported.contains(r#""kind":"retraction""#), "{exported}");
    assert!(
        exported.contains(r#""published_at":"2024-01-29T10:00:00Z""#),
        "{exported}"
    );

    let file = dir.path().join("exported.jsonl");
    std::fs::write(&file, &exported).expect("write");
    let second = StoreDir::new();
    assert_eq!(import_then_export(&second.url(), &file), exported);
}

#[tokio::test]
async fn export_then_import_round_trips_from_sqlite_to_postgresql_and_back() {
    let Some(database) = FreshDatabase::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = StoreDir::new();
    let exported = import_then_export(&sqlite.url(), &register_file(dir.path()));
    let file = dir.path().join("from-sqlite.jsonl");
    std::fs::write(&file, &exported).expect("write");

    let from_postgres = tokio::task::spawn_blocking({
        let url = database.url.clone();
        let file = file.clone();
        move || import_then_export(&url, &file)
    })
    .await
    .expect("no panic");
    assert_eq!(from_postgres, exported, "SQLite → PostgreSQL");

    let back = dir.path().join("from-postgres.jsonl");
    std::fs::write(&back, &from_postgres).expect("write");
    let again = StoreDir::new();
    assert_eq!(
        import_then_export(&again.url(), &back),
        exported,
        "PostgreSQL → SQLite"
    );
}
