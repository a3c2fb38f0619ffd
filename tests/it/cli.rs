//! The CLI as a user runs it: against a live server, human and `--json` output, exit codes, and
//! an import of the shared example register.

use serde_json::Value;

use crate::harness::{Server, cli, shared_examples};

#[tokio::test]
async fn hash_works_offline_and_matches_the_library() {
    let (code, stdout, _) = cli("http://127.0.0.1:1", &["hash", "“We will not back down.”"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        verbatim::text::ContentHash::of_text("we will not back down").to_string()
    );
    let (code, stdout, _) = cli("http://127.0.0.1:1", &["hash", "--json", "Don’t stop"]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["canonical_text"], "don't stop");
    assert_eq!(json["canonical_version"], 1);
}

#[tokio::test]
async fn health_exits_zero_only_when_serving() {
    let server = Server::start();
    let (code, stdout, _) = cli(&server.url(), &["health"]);
    assert_eq!((code, stdout.trim()), (0, "SERVING"));
    let (code, _, stderr) = cli("127.0.0.1:1", &["health"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

#[tokio::test]
async fn outlets_and_quotes_round_trip_through_the_cli() {
    let server = Server::start();
    let url = server.url();
    let (code, stdout, stderr) = cli(
        &url,
        &[
            "outlet",
            "add",
            "tribune",
            "--name",
            "The Express Tribune",
            "--alias",
            "Express Tribune",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("registered outlet tribune"), "{stdout}");

    let (code, stdout, stderr) = cli(
        &url,
        &[
            "--json",
            "quote",
            "add",
            "Words said on the record.",
            "--speaker",
            "Jane Roe",
            "--outlet",
            "tribune",
            "--url",
            "https://example.org/a",
            "--published-at",
            "2024-01-29",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let added: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(added["created"], true);
    let hash = added["quote"]["content_hash"]
        .as_str()
        .expect("a hash")
        .to_owned();
    assert_eq!(
        added["quote"]["attributions"][0]["published_at"],
        "2024-01-29T00:00:00Z"
    );

    let (code, stdout, _) = cli(&url, &["quote", "get", &hash]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Words said on the record."), "{stdout}");
    assert!(stdout.contains("Jane Roe"), "{stdout}");

    let (code, stdout, _) = cli(&url, &["--json", "quote", "list", "--speaker", "jane roe"]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    let (code, stdout, _) = cli(&url, &["quote", "retract", &hash, "--reason", "misheard"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("RETRACTED"), "{stdout}");

    let (code, _, stderr) = cli(&url, &["quote", "get", "sha256:nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("INVALID_ARGUMENT"), "{stderr}");
    let (code, _, stderr) = cli(&url, &["outlet", "get", "missing"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");
    let (code, _, stderr) = cli(
        &url,
        &[
            "quote",
            "add",
            "x y z",
            "--speaker",
            "A",
            "--published-at",
            "soon",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("--published-at"), "{stderr}");
}

#[tokio::test]
async fn importing_the_shared_example_register_then_looking_quotes_up_by_hash() {
    let Some(examples) = shared_examples() else {
        return;
    };
    let register = examples.join("regional-concerns-register.jsonl");
    let register = register.to_str().expect("a UTF-8 path");
    let server = Server::start();
    let url = server.url();

    let (code, stdout, stderr) = cli(&url, &["--json", "import", register]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(summary["outlets"]["created"], 2);
    assert_eq!(summary["quotes"]["created"], 4);
    assert_eq!(summary["rejected"].as_array().map(Vec::len), Some(0));

    // Importing again changes nothing.
    let (code, stdout, _) = cli(&url, &["import", register]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("quotes 0 new, 4 already registered; 0 rejected"),
        "{stdout}"
    );

    // Each registered quotation is found under the hash `verbatim hash` computes for the words
    // as the article prints them (curly apostrophe included).
    let article_words = "Regional states assess that the presence of al Qaeda’s senior figures in \
        the country has not changed and that the group continues to pose a threat in the region, \
        and potentially beyond.";
    let (_, hash, _) = cli(&url, &["hash", article_words]);
    let (code, stdout, _) = cli(&url, &["--json", "quote", "get", hash.trim()]);
    assert_eq!(code, 0);
    let quote: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(quote["attributions"][0]["outlet_id"], "un-monitoring-team");

    let text = std::fs::read_to_string(examples.join("regional-concerns-register.jsonl"))
        .expect("readable");
    for line in text.lines().filter(|l| l.contains(r#""kind":"quote""#)) {
        let record: Value = serde_json::from_str(line).expect("JSON");
        let words = record["text"].as_str().expect("text");
        let (_, hash, _) = cli(&url, &["hash", words]);
        let (code, _, stderr) = cli(&url, &["quote", "get", hash.trim()]);
        assert_eq!(code, 0, "{words}: {stderr}");
    }
}

#[tokio::test]
async fn import_reports_bad_lines_by_number_and_imports_the_rest() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("register.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"kind":"outlet","id":"wire","name":"The Wire"}"#,
            r#"{"kind":"quote","text":"A good line.","outlet":"wire"}"#,
            "",
            r#"{"kind":"quote","text":"   ","speaker":"A"}"#,
            r#"not json"#,
            r#"{"kind":"quote","text":"Unknown outlet.","outlet":"ghost"}"#,
            r#"{"kind":"outlet","id":"Bad Id","name":"x"}"#,
            r#"{"kind":"quote","text":"Another good line.","speaker":"B","published_at":"2024-02-30"}"#,
            r#"{"kind":"quote","text":"A third good line.","speaker":"B","published_at":"2024-02-03"}"#,
        ]
        .join("\n"),
    )
    .expect("write");
    let (code, stdout, _) = cli(
        &server.url(),
        &["--json", "import", file.to_str().expect("utf-8")],
    );
    assert_eq!(code, 2, "rejected lines make the import exit 2");
    let summary: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(summary["quotes"]["created"], 2);
    let lines: Vec<i64> = summary["rejected"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["line"].as_i64().expect("line"))
        .collect();
    assert_eq!(lines, [4, 5, 6, 7, 8]);
    let codes: Vec<&str> = summary["rejected"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "NOT_FOUND",
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT"
        ]
    );
}
