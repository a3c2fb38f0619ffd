//! The Checker over real gRPC: the shared example's outcome, live updates from registrations and
//! retractions, the streaming variant, option validation, and `verbatim check`'s exit codes.

use tonic::Code;
use verbatim::proto::v1::{self as pb, checker_client::CheckerClient};

use crate::harness::{Server, StoreDir, cli, shared_examples};

async fn checker(server: &Server) -> CheckerClient<tonic::transport::Channel> {
    CheckerClient::new(server.channel().await)
}

fn request(text: &str) -> pb::CheckTextRequest {
    pb::CheckTextRequest {
        text: text.into(),
        ..Default::default()
    }
}

fn verdicts(response: &pb::CheckTextResponse) -> Vec<pb::MatchVerdict> {
    response
        .findings
        .iter()
        .map(|f| pb::MatchVerdict::try_from(f.verdict).expect("a known verdict"))
        .collect()
}

fn utf16_slice(text: &str, start: u64, end: u64) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    String::from_utf16(&units[start as usize..end as usize]).expect("valid UTF-16")
}

#[tokio::test]
async fn the_shared_example_checks_as_its_readme_says() {
    let Some(examples) = shared_examples() else {
        return;
    };
    let server = Server::start();
    let register = examples.join("regional-concerns-register.jsonl");
    let (code, _, stderr) = cli(
        &server.url(),
        &["import", register.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{stderr}");
    let article = std::fs::read_to_string(examples.join("regional-concerns-article.txt"))
        .expect("the article");
    let response = checker(&server)
        .await
        .check_text(pb::CheckTextRequest {
            text: article.clone(),
            document_id: "regional-concerns".into(),
            options: None,
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(response.document_id, "regional-concerns");
    assert_eq!(response.canonical_version, 1);
    use pb::MatchVerdict::{TooShort, Verified};
    assert_eq!(
        verdicts(&response),
        [Verified, TooShort, TooShort, Verified, Verified, Verified]
    );
    assert!(
        response
            .findings
            .iter()
            .all(|f| f.kind == pb::FindingKind::Quotation as i32),
        "no unquoted reuse"
    );
    let summary = response.summary.expect("a summary");
    assert_eq!(
        (summary.verified, summary.too_short, summary.total),
        (4, 2, 6)
    );

    let texts: Vec<&str> = response.findings.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts[1], "Afghanistan’s Regional Cooperation Initiative");
    assert_eq!(texts[2], "sympathetic");

    let mujahid = &response.findings[5];
    let editorial: Vec<&pb::Edit> = mujahid
        .edits
        .iter()
        .filter(|e| e.op == pb::EditOp::Editorial as i32)
        .collect();
    assert_eq!(editorial.len(), 1);
    assert_eq!(editorial[0].submitted, "taliban");
    let bracket = editorial[0].span.expect("a span");
    assert_eq!(
        &article[bracket.start as usize..bracket.end as usize],
        "[Taliban]"
    );
    assert_eq!(
        utf16_slice(&article, bracket.utf16_start, bracket.utf16_end),
        "[Taliban]"
    );
    let quote = mujahid.quote.as_ref().expect("the matched quote");
    assert_eq!(quote.attributions[0].speaker, "Zabihullah Mujahid");

    for finding in &response.findings {
        let span = finding.span.expect("a span");
        let by_bytes = &article[span.start as usize..span.end as usize];
        assert_eq!(
            utf16_slice(&article, span.utf16_start, span.utf16_end),
            by_bytes
        );
        assert!(
            !by_bytes.starts_with(['“', '"']),
            "spans exclude the marks: {by_bytes}"
        );
    }
}

#[tokio::test]
async fn registrations_and_retractions_reach_checks_without_a_restart() {
    let store = StoreDir::new();
    let server = Server::start_on(&store.url(), &[]);
    let mut registry = server.registry().await;
    let mut checker = checker(&server).await;
    let words = "The budget will not rise above 40 billion pounds this year.";
    let article = format!("The chancellor said: “{words}” Critics disagreed.");

    let before = checker
        .check_text(request(&article))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(verdicts(&before), [pb::MatchVerdict::Unregistered]);

    let registered = registry
        .register_quote(pb::RegisterQuoteRequest {
            text: words.into(),
            speaker: "The Chancellor".into(),
            ..Default::default()
        })
        .await
        .expect("register")
        .into_inner()
        .quote
        .expect("a quote");
    let after = checker
        .check_text(request(&article))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(verdicts(&after), [pb::MatchVerdict::Verified]);
    assert_eq!(after.findings[0].similarity, 1.0);

    let altered = article.replace("40 billion", "14 billion");
    let misquoted = checker
        .check_text(request(&altered))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(verdicts(&misquoted), [pb::MatchVerdict::Misquoted]);
    let finding = &misquoted.findings[0];
    assert_eq!(finding.severity, pb::Severity::High as i32);
    assert!(
        finding
            .reasons
            .contains(&(pb::SeverityReason::NumberChanged as i32))
    );
    let replaced: Vec<(&str, &str)> = finding
        .edits
        .iter()
        .filter(|e| e.op == pb::EditOp::Replace as i32)
        .map(|e| (e.registered.as_str(), e.submitted.as_str()))
        .collect();
    assert_eq!(replaced, [("40", "14")]);

    registry
        .retract_quote(pb::RetractQuoteRequest {
            content_hash: registered.content_hash.clone(),
            reason: "the figure was wrong".into(),
        })
        .await
        .expect("retract");
    let retracted = checker
        .check_text(request(&article))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(verdicts(&retracted), [pb::MatchVerdict::Retracted]);
    assert!(
        retracted.findings[0]
            .quote
            .as_ref()
            .expect("quote")
            .retracted
    );

    // A restarted server loads the register, retraction included.
    drop(server);
    let server = Server::start_on(&store.url(), &[]);
    let reloaded = crate::check::checker(&server)
        .await
        .check_text(request(&article))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(verdicts(&reloaded), [pb::MatchVerdict::Retracted]);
}

#[tokio::test]
async fn check_texts_answers_each_document_in_order_and_survives_a_bad_one() {
    let server = Server::start();
    server
        .registry()
        .await
        .register_quote(pb::RegisterQuoteRequest {
            text: "Nobody is above the law in this country.".into(),
            speaker: "A Judge".into(),
            ..Default::default()
        })
        .await
        .expect("register");
    let documents = vec![
        pb::CheckTextRequest {
            text: "She said: “Nobody is above the law in this country.”".into(),
            document_id: "first".into(),
            options: None,
        },
        pb::CheckTextRequest {
            text: "   ".into(),
            document_id: "empty".into(),
            options: None,
        },
        pb::CheckTextRequest {
            text: "He said: “Somebody is above the law in this country.”".into(),
            document_id: "third".into(),
            options: None,
        },
    ];
    let mut responses = checker(&server)
        .await
        .check_texts(tokio_stream::iter(documents))
        .await
        .expect("stream")
        .into_inner();
    let mut got = Vec::new();
    while let Some(response) = responses.message().await.expect("a response") {
        got.push(response);
    }
    let ids: Vec<&str> = got.iter().map(|r| r.document_id.as_str()).collect();
    assert_eq!(ids, ["first", "empty", "third"]);
    assert_eq!(verdicts(&got[0]), [pb::MatchVerdict::Verified]);
    let error = got[1].error.as_ref().expect("the empty document's error");
    assert_eq!(error.code, Code::InvalidArgument as i32);
    assert!(error.message.contains("`text`"), "{}", error.message);
    assert_eq!(verdicts(&got[2]), [pb::MatchVerdict::Misquoted]);
    assert!(
        got[2].findings[0]
            .reasons
            .contains(&(pb::SeverityReason::NegationChanged as i32))
    );
}

#[tokio::test]
async fn options_default_when_unset_and_bad_values_name_the_field() {
    let server = Server::start();
    let mut checker = checker(&server).await;
    let text = "A “four little words here” and “two words”.";
    let defaults = checker
        .check_text(request(text))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(
        verdicts(&defaults),
        [pb::MatchVerdict::Unregistered, pb::MatchVerdict::TooShort]
    );
    let strict = checker
        .check_text(pb::CheckTextRequest {
            text: text.into(),
            document_id: String::new(),
            options: Some(pb::CheckOptions {
                min_quote_words: Some(5),
                ..Default::default()
            }),
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(
        verdicts(&strict),
        [pb::MatchVerdict::TooShort, pb::MatchVerdict::TooShort]
    );
    for (options, field) in [
        (
            pb::CheckOptions {
                misquote_threshold: Some(0.0),
                ..Default::default()
            },
            "options.misquote_threshold",
        ),
        (
            pb::CheckOptions {
                reuse_min_words: Some(1),
                ..Default::default()
            },
            "options.reuse_min_words",
        ),
    ] {
        let status = checker
            .check_text(pb::CheckTextRequest {
                text: text.into(),
                document_id: String::new(),
                options: Some(options),
            })
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(field), "{}", status.message());
    }
    let empty = checker.check_text(request("")).await.expect_err("refused");
    assert_eq!(empty.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn verbatim_check_exits_by_what_needs_attention() {
    let server = Server::start();
    let url = server.url();
    let (code, _, stderr) = cli(
        &url,
        &[
            "quote",
            "add",
            "We will never surrender our freedom to anyone.",
            "--speaker",
            "Ada Lovell",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let dir = tempfile::tempdir().expect("temporary directory");
    let clean = dir.path().join("clean.txt");
    std::fs::write(
        &clean,
        "Lovell said: “We will never surrender our freedom to anyone.”\n",
    )
    .expect("write");
    let altered = dir.path().join("altered.txt");
    std::fs::write(
        &altered,
        "Intro line.\nLovell said: “We will surrender our freedom to anyone.”\n",
    )
    .expect("write");
    let misattributed = dir.path().join("misattributed.txt");
    std::fs::write(
        &misattributed,
        "Brandt said: “We will never surrender our freedom to anyone.”\n",
    )
    .expect("write");
    let uncredited = dir.path().join("uncredited.txt");
    std::fs::write(
        &uncredited,
        "The crowd heard “we will never surrender our freedom to anyone.”\n",
    )
    .expect("write");

    let (code, stdout, _) = cli(&url, &["check", clean.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 verified"), "{stdout}");
    assert!(
        stdout.contains("attribution correct: credits “Lovell”"),
        "{stdout}"
    );

    let (code, stdout, _) = cli(&url, &["check", misattributed.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "a misattribution needs attention: {stdout}");
    assert!(
        stdout.contains("attribution misattributed: credits “Brandt”, registered to Ada Lovell"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 correct, 0 missing, 1 misattributed"),
        "{stdout}"
    );

    let (code, stdout, _) = cli(&url, &["check", uncredited.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "a missing credit needs attention: {stdout}");
    assert!(
        stdout.contains("attribution missing: nothing credits Ada Lovell"),
        "{stdout}"
    );

    let (code, stdout, _) = cli(&url, &["check", altered.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("altered.txt:2:15: misquoted"), "{stdout}");
    assert!(stdout.contains("negation changed"), "{stdout}");
    assert!(
        stdout.contains("[-never-]"),
        "the dropped word is marked: {stdout}"
    );

    let (code, stdout, _) = cli(&url, &["--json", "check", altered.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["findings"][0]["verdict"], "MATCH_VERDICT_MISQUOTED");
    assert_eq!(json["findings"][0]["severity"], "SEVERITY_HIGH");
    let attribution = &json["findings"][0]["attribution"];
    assert_eq!(attribution["verdict"], "ATTRIBUTION_VERDICT_CORRECT");
    assert_eq!(attribution["credited"], "Lovell");
    assert_eq!(attribution["expected"], serde_json::json!(["Ada Lovell"]));
    assert_eq!(json["summary"]["attribution_correct"], 1);

    let (code, _, stderr) = cli(&url, &["check", "/no/such/file.txt"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
}
