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

/// A folder of articles: one quoting rightly, one misquoting, one crediting the wrong person
/// (in a subfolder), a hidden file, and a file that is not UTF-8.
fn articles(quote: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a folder");
    let write = |name: &str, text: &[u8]| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("an article");
    };
    write("a-right.txt", format!("Marsh said: “{quote}”\n").as_bytes());
    write(
        "b-misquoted.txt",
        format!("Intro.\nMarsh said: “{}”\n", quote.replace(" not", "")).as_bytes(),
    );
    write(
        "more/c-misattributed.md",
        format!("Bowen said: “{quote}”\n").as_bytes(),
    );
    write(".hidden.txt", b"never read");
    dir
}

#[tokio::test]
async fn checking_a_folder_streams_every_file_and_prints_a_table_sarif_or_json() {
    let server = Server::start();
    let quote = "We will not raise the fuel duty this year, whatever the models say.";
    let (code, _, stderr) = cli(
        &server.url(),
        &["quote", "add", "--speaker", "Helen Marsh", quote],
    );
    assert_eq!(code, 0, "{stderr}");
    let dir = articles(quote);
    let folder = dir.path().to_str().expect("UTF-8 path");

    let (code, stdout, stderr) = cli(&server.url(), &["check", folder]);
    assert_eq!(code, 1, "something needs attention: {stdout}{stderr}");
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(".txt") || l.contains(".md"))
        .collect();
    let row = |name: &str| {
        *rows
            .iter()
            .find(|l| l.starts_with(&format!("{folder}/{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"))
    };
    assert!(row("a-right.txt").trim_end().ends_with(" ok"), "{stdout}");
    assert!(
        row("b-misquoted.txt").ends_with("needs attention"),
        "{stdout}"
    );
    assert!(
        row("more/c-misattributed.md").ends_with("needs attention"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(".hidden"),
        "hidden files are left out: {stdout}"
    );
    // The findings that need attention come as diagnostics, the others do not.
    assert!(
        stdout.contains("b-misquoted.txt:2:14: misquoted"),
        "{stdout}"
    );
    assert!(stdout.contains("attribution misattributed"), "{stdout}");
    assert!(!stdout.contains("a-right.txt:1:"), "{stdout}");
    assert!(
        stdout.contains("3 files: 3 quotations, 1 misquoted"),
        "{stdout}"
    );

    // A glob, as SARIF for review tools.
    let pattern = format!("{folder}/*.txt");
    let (code, stdout, stderr) = cli(&server.url(), &["check", &pattern, "--format", "sarif"]);
    assert_eq!(code, 1, "{stderr}");
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "verbatim");
    assert_eq!(run["artifacts"].as_array().expect("artifacts").len(), 2);
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{results:?}");
    let result = &results[0];
    assert_eq!(result["ruleId"], "misquoted");
    assert_eq!(result["level"], "error", "a dropped negation is serious");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().expect("an index") as usize]["id"],
        "misquoted"
    );
    let location = &result["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .expect("a uri")
            .ends_with("b-misquoted.txt")
    );
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 14);

    // JSON: one object per file and the totals.
    let (code, stdout, _) = cli(&server.url(), &["--json", "check", folder]);
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["files"].as_array().expect("files").len(), 3);
    assert_eq!(json["total"]["misquoted"], 1);
    assert_eq!(json["total"]["attribution_misattributed"], 1);

    // A file that cannot be read is reported, the rest still checked, and the exit code says so.
    std::fs::write(dir.path().join("d-binary.txt"), [0xff, 0xfe, 0x00]).expect("a file");
    let (code, stdout, _) = cli(&server.url(), &["check", folder]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("not checked"), "{stdout}");
    assert!(stdout.contains("; 1 not checked"), "{stdout}");

    let (code, _, stderr) = cli(&server.url(), &["check", &format!("{folder}/*.pdf")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no file matches"), "{stderr}");
}
