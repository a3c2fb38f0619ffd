//! Attribution over real gRPC: the shared example credits each registered quotation as its
//! README says, and variants of it with the credit removed or changed are caught.

use verbatim::proto::v1::{self as pb, checker_client::CheckerClient};

use crate::harness::{Server, cli, shared_examples};

use pb::AttributionVerdict::{Correct, Misattributed, Missing, NotApplicable};

/// (attribution verdict, credited, resolved) of every finding.
async fn check(server: &Server, text: &str) -> Vec<(pb::AttributionVerdict, String, String)> {
    let mut checker = CheckerClient::connect(server.url()).await.expect("connect");
    let response = checker
        .check_text(pb::CheckTextRequest {
            text: text.to_owned(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    response
        .findings
        .into_iter()
        .map(|f| {
            let a = f.attribution.expect("every finding carries an attribution");
            if !a.credited.is_empty() {
                let span = a.credited_span.expect("a span for the credit");
                assert_eq!(&text[span.start as usize..span.end as usize], a.credited);
            }
            (
                pb::AttributionVerdict::try_from(a.verdict).expect("a known verdict"),
                a.credited,
                a.resolved,
            )
        })
        .collect()
}

fn owned(
    verdict: pb::AttributionVerdict,
    credited: &str,
    resolved: &str,
) -> (pb::AttributionVerdict, String, String) {
    (verdict, credited.to_owned(), resolved.to_owned())
}

#[tokio::test]
async fn the_shared_example_credits_every_quotation_and_variants_are_caught() {
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

    assert_eq!(
        check(&server, &article).await,
        [
            owned(Correct, "The Express Tribune", ""),
            owned(NotApplicable, "", ""),
            owned(NotApplicable, "", ""),
            owned(Correct, "the report", "the recent UN report"),
            owned(Correct, "The report", "the recent UN report"),
            owned(Correct, "Mujahid", ""),
        ]
    );

    let credit = ",” according to Pakistani media, The Express Tribune.";
    assert!(article.contains(credit));
    let removed = article.replace(credit, ".”");
    assert_eq!(
        check(&server, &removed).await[0].0,
        Missing,
        "credit removed"
    );

    let other_outlet = article.replace(credit, ",” according to Pakistani media, the daily Dawn.");
    assert_eq!(
        check(&server, &other_outlet).await[0],
        owned(Misattributed, "the daily Dawn", ""),
        "credit changed to another outlet"
    );

    let other_speaker = article.replace("Mujahid said,", "Karzai said,");
    assert_eq!(
        check(&server, &other_speaker).await[5],
        owned(Misattributed, "Karzai", ""),
        "credit changed to another speaker"
    );

    // "The report also noted" in the sentence before: without it, nothing credits the words.
    let no_lead_in = article.replace(
        "The report also noted that the relationship",
        "Meanwhile, the relationship",
    );
    assert_eq!(check(&server, &no_lead_in).await[4].0, Missing);
}
