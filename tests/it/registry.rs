//! Every Registry RPC over real gRPC: round trips, idempotency, attribution merging, retraction,
//! pagination under concurrent inserts, and the status each bad input gets.

use std::collections::HashSet;

use tonic::Code;
use verbatim::proto::v1::{self as pb, registry_client::RegistryClient};
use verbatim::text::ContentHash;

use crate::harness::Server;

fn outlet(id: &str, name: &str) -> pb::RegisterOutletRequest {
    pb::RegisterOutletRequest {
        outlet: Some(pb::Outlet {
            id: id.into(),
            name: name.into(),
            aliases: vec![format!("the {name}")],
            domains: vec![format!("{id}.example.org")],
        }),
    }
}

fn quote(text: &str, speaker: &str, outlet_id: &str) -> pb::RegisterQuoteRequest {
    pb::RegisterQuoteRequest {
        text: text.into(),
        speaker: speaker.into(),
        outlet_id: outlet_id.into(),
        ..Default::default()
    }
}

/// Asserts `result` failed with `code` and a message containing every needle.
fn assert_status<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: Code,
    needles: &[&str],
) {
    let status = result.expect_err("the call must fail");
    assert_eq!(status.code(), code, "{status:?}");
    for needle in needles {
        assert!(
            status.message().contains(needle),
            "{needle:?} missing from {:?}",
            status.message()
        );
    }
}

#[tokio::test]
async fn outlets_are_created_updated_fetched_and_listed() {
    let server = Server::start();
    let mut registry = server.registry().await;
    let created = registry
        .register_outlet(outlet("tribune", "Tribune"))
        .await
        .expect("register")
        .into_inner();
    assert!(created.created);
    let updated = registry
        .register_outlet(outlet("tribune", "The Express Tribune"))
        .await
        .expect("register")
        .into_inner();
    assert!(!updated.created);
    let fetched = registry
        .get_outlet(pb::GetOutletRequest {
            id: "tribune".into(),
        })
        .await
        .expect("get")
        .into_inner()
        .outlet
        .expect("an outlet");
    assert_eq!(fetched.name, "The Express Tribune");
    assert_eq!(fetched.domains, ["tribune.example.org"]);

    for id in ["a-one", "b-two", "c-three", "d-four"] {
        registry
            .register_outlet(outlet(id, id))
            .await
            .expect("register");
    }
    let mut ids = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = registry
            .list_outlets(pb::ListOutletsRequest {
                page_size: 2,
                page_token,
            })
            .await
            .expect("list")
            .into_inner();
        assert!(page.outlets.len() <= 2);
        ids.extend(page.outlets.into_iter().map(|o| o.id));
        page_token = page.next_page_token;
        if page_token.is_empty() {
            break;
        }
    }
    assert_eq!(ids, ["a-one", "b-two", "c-three", "d-four", "tribune"]);

    assert_status(
        registry
            .get_outlet(pb::GetOutletRequest { id: "nope".into() })
            .await,
        Code::NotFound,
        &["nope"],
    );
    assert_status(
        registry.register_outlet(outlet("Bad Slug", "x")).await,
        Code::InvalidArgument,
        &["`outlet.id`"],
    );
    assert_status(
        registry.register_outlet(outlet("ok", "  ")).await,
        Code::InvalidArgument,
        &["`outlet.name`", "empty"],
    );
    assert_status(
        registry
            .register_outlet(pb::RegisterOutletRequest { outlet: None })
            .await,
        Code::InvalidArgument,
        &["`outlet`"],
    );
    let mut bad_domain = outlet("ok", "Ok");
    bad_domain.outlet.as_mut().expect("set").domains = vec!["https://ok.org/news".into()];
    assert_status(
        registry.register_outlet(bad_domain).await,
        Code::InvalidArgument,
        &["`outlet.domains[0]`"],
    );
}

#[tokio::test]
async fn registration_is_idempotent_and_merges_attributions() {
    let server = Server::start();
    let mut registry = server.registry().await;
    registry
        .register_outlet(outlet("tribune", "The Express Tribune"))
        .await
        .expect("register");
    let text = "We will not back down, whatever it costs.";
    let mut first_request = quote(text, "Jane Roe", "");
    first_request.speaker_aliases = vec!["the minister".into()];
    first_request.source_url = "https://example.org/interview".into();
    first_request.published_at = Some(prost_types::Timestamp {
        seconds: 1_706_486_400,
        nanos: 0,
    });
    let first = registry
        .register_quote(first_request.clone())
        .await
        .expect("register")
        .into_inner();
    assert!(first.created);
    let stored = first.quote.expect("a quote");
    assert_eq!(stored.content_hash, ContentHash::of_text(text).to_string());
    assert_eq!(stored.text, text);
    assert_eq!(
        stored.canonical_text,
        "we will not back down whatever it costs"
    );
    assert_eq!(stored.attributions.len(), 1);
    let attribution = &stored.attributions[0];
    assert_eq!(attribution.speaker_aliases, ["the minister"]);
    assert_eq!(attribution.source_url, "https://example.org/interview");
    assert_eq!(
        attribution.published_at.as_ref().map(|t| t.seconds),
        Some(1_706_486_400)
    );
    assert!(attribution.registered_at.is_some());
    assert!(stored.registered_at.is_some());

    let again = registry
        .register_quote(first_request)
        .await
        .expect("register")
        .into_inner();
    assert!(!again.created, "the same words with the same attribution");
    assert_eq!(again.quote.expect("a quote").attributions.len(), 1);

    // The same words typed differently, credited to an outlet: one quote, two attributions.
    let merged = registry
        .register_quote(quote(
            "“WE WILL NOT back down — whatever it costs…”",
            "",
            "tribune",
        ))
        .await
        .expect("register")
        .into_inner();
    assert!(merged.created);
    let merged = merged.quote.expect("a quote");
    assert_eq!(merged.content_hash, stored.content_hash);
    assert_eq!(merged.text, text, "the first registration's words are kept");
    let credits: Vec<(&str, &str)> = merged
        .attributions
        .iter()
        .map(|a| (a.speaker.as_str(), a.outlet_id.as_str()))
        .collect();
    assert_eq!(credits, [("Jane Roe", ""), ("", "tribune")]);

    let fetched = registry
        .get_quote(pb::GetQuoteRequest {
            content_hash: stored
                .content_hash
                .to_uppercase()
                .replace("SHA256", "sha256"),
        })
        .await
        .expect("get")
        .into_inner()
        .quote
        .expect("a quote");
    assert_eq!(fetched, merged);
}

#[tokio::test]
async fn bad_input_gets_the_right_status_naming_the_field() {
    let server = Server::start();
    let mut registry = server.registry().await;
    assert_status(
        registry.register_quote(quote("", "A", "")).await,
        Code::InvalidArgument,
        &["`text`", "empty"],
    );
    assert_status(
        registry.register_quote(quote(" \n\t ", "A", "")).await,
        Code::InvalidArgument,
        &["`text`", "empty"],
    );
    assert_status(
        registry.register_quote(quote("“…” — !", "A", "")).await,
        Code::InvalidArgument,
        &["`text`", "no words"],
    );
    assert_status(
        registry.register_quote(quote("Words.", "", "")).await,
        Code::InvalidArgument,
        &["`speaker`", "`outlet_id`"],
    );
    assert_status(
        registry
            .register_quote(quote("Words.", "", "Not A Slug"))
            .await,
        Code::InvalidArgument,
        &["`outlet_id`"],
    );
    assert_status(
        registry
            .register_quote(quote("Words.", "", "unregistered"))
            .await,
        Code::NotFound,
        &["`outlet_id`", "unregistered"],
    );
    assert_status(
        registry
            .register_quote(quote(&"word ".repeat(1_001), "A", ""))
            .await,
        Code::InvalidArgument,
        &["`text`", "5005 characters", "5000", "--max-quote-chars"],
    );
    let mut bad_url = quote("Words.", "A", "");
    bad_url.source_url = "example.org/story".into();
    assert_status(
        registry.register_quote(bad_url).await,
        Code::InvalidArgument,
        &["`source_url`"],
    );
    let mut bad_time = quote("Words.", "A", "");
    bad_time.published_at = Some(prost_types::Timestamp {
        seconds: 0,
        nanos: -5,
    });
    assert_status(
        registry.register_quote(bad_time).await,
        Code::InvalidArgument,
        &["`published_at`"],
    );
    let mut control = quote("Words.", "A\u{7}B", "");
    control.speaker_aliases = vec![];
    assert_status(
        registry.register_quote(control).await,
        Code::InvalidArgument,
        &["`speaker`", "control"],
    );

    // A request larger than --max-request-bytes: tonic refuses it before any handler runs.
    assert_status(
        registry
            .register_quote(quote(&"x".repeat(5 * 1024 * 1024), "A", ""))
            .await,
        Code::InvalidArgument,
        &["limit is 4194304 bytes", "--max-request-bytes"],
    );

    for malformed in ["", "abc", "sha256:1234", &format!("md5:{}", "0".repeat(64))] {
        assert_status(
            registry
                .get_quote(pb::GetQuoteRequest {
                    content_hash: malformed.into(),
                })
                .await,
            Code::InvalidArgument,
            &["`content_hash`"],
        );
    }
    let absent = ContentHash::of_text("nobody registered these words").to_string();
    assert_status(
        registry
            .get_quote(pb::GetQuoteRequest {
                content_hash: absent.clone(),
            })
            .await,
        Code::NotFound,
        &[&absent],
    );
    assert_status(
        registry
            .retract_quote(pb::RetractQuoteRequest {
                content_hash: absent.clone(),
                reason: "why".into(),
            })
            .await,
        Code::NotFound,
        &[&absent],
    );
    assert_status(
        registry
            .retract_quote(pb::RetractQuoteRequest {
                content_hash: absent,
                reason: " ".into(),
            })
            .await,
        Code::InvalidArgument,
        &["`reason`"],
    );
    assert_status(
        registry
            .list_quotes(pb::ListQuotesRequest {
                page_size: -1,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        &["`page_size`"],
    );
    assert_status(
        registry
            .list_quotes(pb::ListQuotesRequest {
                page_token: "forged".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        &["`page_token`"],
    );
    assert_status(
        registry
            .list_outlets(pb::ListOutletsRequest {
                page_token: "forged".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        &["`page_token`"],
    );

    // After all that, the server still serves.
    let fine = registry
        .register_quote(quote("Still serving after bad input.", "A", ""))
        .await;
    assert!(fine.is_ok(), "{fine:?}");
}

#[tokio::test]
async fn the_quote_limit_follows_its_flag() {
    let store = crate::harness::StoreDir::new();
    let server = Server::start_on(&store.url(), &["--max-quote-chars", "20"]);
    let mut registry = server.registry().await;
    assert_status(
        registry
            .register_quote(quote("twenty-one characters", "A", ""))
            .await,
        Code::InvalidArgument,
        &["21 characters", "limit is 20"],
    );
    assert!(
        registry
            .register_quote(quote("twenty characters ok", "A", ""))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn retraction_keeps_the_quote_and_marks_it() {
    let server = Server::start();
    let mut registry = server.registry().await;
    let registered = registry
        .register_quote(quote("Words the speaker later disowned.", "A. Speaker", ""))
        .await
        .expect("register")
        .into_inner()
        .quote
        .expect("a quote");
    assert!(!registered.retracted);
    let retracted = registry
        .retract_quote(pb::RetractQuoteRequest {
            content_hash: registered.content_hash.clone(),
            reason: "the speaker disowned the words".into(),
        })
        .await
        .expect("retract")
        .into_inner()
        .quote
        .expect("a quote");
    assert!(retracted.retracted);
    assert_eq!(
        retracted.retraction_reason,
        "the speaker disowned the words"
    );
    assert!(retracted.retracted_at.is_some());
    assert_eq!(retracted.text, registered.text);

    let again = registry
        .retract_quote(pb::RetractQuoteRequest {
            content_hash: registered.content_hash.clone(),
            reason: "a second reason".into(),
        })
        .await
        .expect("retract")
        .into_inner()
        .quote
        .expect("a quote");
    assert_eq!(again.retraction_reason, "the speaker disowned the words");
    assert_eq!(again.retracted_at, retracted.retracted_at);

    let fetched = registry
        .get_quote(pb::GetQuoteRequest {
            content_hash: registered.content_hash,
        })
        .await
        .expect("get")
        .into_inner()
        .quote
        .expect("a quote");
    assert!(fetched.retracted);
}

#[tokio::test]
async fn bulk_registration_reports_each_bad_item_and_keeps_the_rest() {
    let server = Server::start();
    let mut registry = server.registry().await;
    registry
        .register_outlet(outlet("tribune", "Tribune"))
        .await
        .expect("register");
    let items = vec![
        quote("The first bulk quotation.", "A", ""),
        quote("", "A", ""),
        quote("The second bulk quotation.", "", "tribune"),
        quote("Credited to an unknown outlet.", "", "unknown"),
        quote("The first bulk quotation.", "A", ""),
        quote("Nobody is credited.", "", ""),
        quote("The third bulk quotation.", "B", ""),
    ];
    let response = registry
        .register_quotes(tokio_stream::iter(items))
        .await
        .expect("bulk")
        .into_inner();
    assert_eq!(response.created, 3);
    assert_eq!(response.existing, 1);
    let rejected: Vec<(u64, i32)> = response
        .rejected
        .iter()
        .map(|r| (r.index, r.code))
        .collect();
    assert_eq!(
        rejected,
        [
            (1, Code::InvalidArgument as i32),
            (3, Code::NotFound as i32),
            (5, Code::InvalidArgument as i32)
        ]
    );
    assert!(response.rejected[0].reason.contains("`text`"));
    assert!(response.rejected[1].reason.contains("unknown"));

    let empty = registry
        .register_quotes(tokio_stream::iter(Vec::<pb::RegisterQuoteRequest>::new()))
        .await
        .expect("empty bulk")
        .into_inner();
    assert_eq!((empty.created, empty.existing), (0, 0));
}

async fn list_all(
    registry: &mut RegistryClient<tonic::transport::Channel>,
    page_size: i32,
) -> Vec<String> {
    let mut texts = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = registry
            .list_quotes(pb::ListQuotesRequest {
                page_size,
                page_token,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        texts.extend(page.quotes.into_iter().map(|q| q.text));
        page_token = page.next_page_token;
        if page_token.is_empty() {
            return texts;
        }
        // Give the concurrent writer a chance between pages.
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn pagination_neither_skips_nor_repeats_under_concurrent_inserts() {
    let server = Server::start();
    let mut registry = server.registry().await;
    let initial: Vec<String> = (0..1_000)
        .map(|i| format!("Initial quotation number {i} for pagination."))
        .collect();
    let response = registry
        .register_quotes(tokio_stream::iter(
            initial
                .iter()
                .map(|text| quote(text, "Pager", ""))
                .collect::<Vec<_>>(),
        ))
        .await
        .expect("bulk")
        .into_inner();
    assert_eq!(response.created, 1_000);

    let writer = {
        let mut registry = server.registry().await;
        tokio::spawn(async move {
            for i in 0..300 {
                registry
                    .register_quote(quote(
                        &format!("Concurrent quotation number {i}."),
                        "Writer",
                        "",
                    ))
                    .await
                    .expect("concurrent register");
            }
        })
    };
    let listed = list_all(&mut registry, 37).await;
    writer.await.expect("the writer finishes");

    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no quote is listed twice");
    let initial_listed: Vec<&String> = listed.iter().filter(|t| t.starts_with("Initial")).collect();
    assert_eq!(
        initial_listed,
        initial.iter().collect::<Vec<_>>(),
        "every quote present when listing began appears once, in registration order"
    );
    let concurrent: Vec<&String> = listed
        .iter()
        .filter(|t| t.starts_with("Concurrent"))
        .collect();
    let expected_prefix: Vec<String> = (0..concurrent.len())
        .map(|i| format!("Concurrent quotation number {i}."))
        .collect();
    assert_eq!(
        concurrent,
        expected_prefix.iter().collect::<Vec<_>>(),
        "quotes added during listing appear in order, with no gaps"
    );
    assert_eq!(list_all(&mut registry, 0).await.len(), 1_300);
}

#[tokio::test]
async fn listing_filters_by_outlet_and_speaker() {
    let server = Server::start();
    let mut registry = server.registry().await;
    registry
        .register_outlet(outlet("tribune", "Tribune"))
        .await
        .expect("register");
    for i in 0..5 {
        let outlet_id = if i % 2 == 0 { "tribune" } else { "" };
        registry
            .register_quote(quote(
                &format!("Filtered quotation {i}."),
                "Jane Roe",
                outlet_id,
            ))
            .await
            .expect("register");
    }
    registry
        .register_quote(quote("Someone else entirely.", "John Doe", ""))
        .await
        .expect("register");
    let by_outlet = registry
        .list_quotes(pb::ListQuotesRequest {
            outlet_id: "tribune".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(by_outlet.quotes.len(), 3);
    let by_speaker = registry
        .list_quotes(pb::ListQuotesRequest {
            speaker: "JANE ROE".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(by_speaker.quotes.len(), 5);
}
