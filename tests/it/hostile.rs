//! Hostile input through real gRPC, as a table: each case gets a clear status or a correct
//! answer, the server keeps serving after each, and its memory stays bounded over the whole run.

use std::time::Instant;

use bytes::{Buf as _, BufMut as _};
use prost::Message as _;
use tonic::{
    Code, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    transport::Channel,
};
use verbatim::proto::v1::{
    self as pb, MatchVerdict, checker_client::CheckerClient, registry_client::RegistryClient,
};

use crate::harness::{Server, StoreDir};

/// Sends bytes as they are and hands back the response's bytes: for messages no well-behaved
/// client can build.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
    }
}

async fn raw_call(channel: &Channel, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    grpc.unary(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .map(tonic::Response::into_inner)
}

/// The server's resident and peak resident memory, in MiB.
fn memory_mib(pid: i32) -> (u64, u64) {
    crate::load::memory_mib(pid).expect("the server's /proc entry")
}

async fn check(channel: &Channel, text: String) -> Result<pb::CheckTextResponse, Status> {
    CheckerClient::new(channel.clone())
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024)
        .check_text(pb::CheckTextRequest {
            text,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn still_serving(channel: &Channel, case: &str) {
    let response = check(channel, "“We will not back down,” she said.".into())
        .await
        .unwrap_or_else(|status| panic!("after {case}: the server stopped answering: {status:?}"));
    assert_eq!(
        response.findings[0].verdict(),
        MatchVerdict::Verified,
        "after {case}: answers stay correct"
    );
}

#[tokio::test]
async fn hostile_input_gets_a_clear_status_or_a_correct_answer_and_memory_stays_bounded() {
    let dir = StoreDir::new();
    // Requests up to 16 MiB, so the large cases reach the analysis rather than the size cap.
    let server = Server::start_on(&dir.url(), &["--max-request-bytes", "16777216"]);
    let channel = server.channel().await;
    let mut registry = RegistryClient::new(channel.clone());
    registry
        .register_quote(pb::RegisterQuoteRequest {
            text: "We will not back down.".into(),
            speaker: "Ada Hostile".into(),
            ..Default::default()
        })
        .await
        .expect("the reference quotation");
    let (baseline, _) = memory_mib(server.pid());

    // Invalid UTF-8 in a string field: text = 0xff 0xfe.
    let status = raw_call(
        &channel,
        "/verbatim.v1.Checker/CheckText",
        vec![0x0a, 0x02, 0xff, 0xfe],
    )
    .await
    .expect_err("not UTF-8");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("UTF-8"), "{}", status.message());
    let status = raw_call(
        &channel,
        "/verbatim.v1.Registry/RegisterQuote",
        vec![0x0a, 0x03, b'a', 0xc3, 0x28],
    )
    .await
    .expect_err("not UTF-8");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    // A well-formed raw message still works, so the codec is not the problem.
    let ok = raw_call(
        &channel,
        "/verbatim.v1.Checker/CheckText",
        pb::CheckTextRequest {
            text: "plain words".into(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await
    .expect("a valid message");
    pb::CheckTextResponse::decode(ok.as_slice()).expect("a response");
    still_serving(&channel, "invalid UTF-8").await;

    // Text-shaped floods, none of which holds a registered quotation.
    let quoted = |inner: String| format!("She said “{inner}” and left.");
    let cases: Vec<(&str, String)> = vec![
        ("10 MB of one straight quote mark", "\"".repeat(10_000_000)),
        ("10 MB of one curly quote mark", "“".repeat(3_400_000)),
        (
            "100,000 nested brackets",
            quoted(format!(
                "{}We will{}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )),
        ),
        ("a million ellipses", quoted("…".repeat(1_000_000))),
        (
            "a million spaced ellipses",
            quoted(". . . ".repeat(1_000_000)),
        ),
        ("a 1 MB word", quoted("a".repeat(1_000_000))),
        (
            "NUL bytes",
            quoted("We\0will\0not\0back\0down".repeat(10_000)),
        ),
        (
            "right-to-left and zero-width runs",
            quoted("\u{202e}\u{200b}\u{2066}\u{200f}".repeat(200_000)),
        ),
    ];
    for (case, text) in cases {
        let started = Instant::now();
        let response = check(&channel, text)
            .await
            .unwrap_or_else(|status| panic!("{case}: {status:?}"));
        assert!(
            response
                .findings
                .iter()
                .all(|f| f.verdict() != MatchVerdict::Verified),
            "{case}: nothing here is a registered quotation"
        );
        eprintln!(
            "{case}: {} findings in {:?}",
            response.findings.len(),
            started.elapsed()
        );
        still_serving(&channel, case).await;
    }

    // Invisible characters inside a registered quotation change nothing: still verified.
    let response = check(
        &channel,
        "“We\u{200b} will \u{202e}not\u{202c} back\u{2060} down,” Ada Hostile said.".into(),
    )
    .await
    .expect("checked");
    assert_eq!(response.findings[0].verdict(), MatchVerdict::Verified);

    // Over the request limit: a clear status naming the flag.
    let status = check(&channel, "\"".repeat(17 * 1024 * 1024))
        .await
        .expect_err("over 16 MiB");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("--max-request-bytes"));
    // Registrations: NUL bytes, a 100,000-bracket quotation, a very long word.
    for (case, text) in [
        ("NUL in a quotation", "We\0will\0hold.".to_owned()),
        (
            "nested brackets",
            format!("{}x{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        ("a long word", "w".repeat(4_000)),
    ] {
        match registry
            .register_quote(pb::RegisterQuoteRequest {
                text,
                speaker: "Ada Hostile".into(),
                ..Default::default()
            })
            .await
        {
            Ok(_) => {}
            Err(status) => {
                assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
                assert!(
                    status.message().contains("`text`"),
                    "{case}: {}",
                    status.message()
                );
            }
        }
        still_serving(&channel, case).await;
    }

    // A stream of 100,000 tiny registrations.
    let started = Instant::now();
    let items = (0..100_000).map(|i| pb::RegisterQuoteRequest {
        text: format!("Tiny registration number {i}."),
        speaker: "Flood Tester".into(),
        ..Default::default()
    });
    let response = registry
        .register_quotes(tokio_stream::iter(items))
        .await
        .expect("the stream is taken")
        .into_inner();
    assert_eq!((response.created, response.rejected.len()), (100_000, 0));
    eprintln!("100,000 tiny registrations in {:?}", started.elapsed());
    still_serving(&channel, "100,000 registrations").await;
    let found = check(
        &channel,
        "“Tiny registration number 99999,” said the flood.".into(),
    )
    .await
    .expect("checked");
    assert_eq!(found.findings[0].verdict(), MatchVerdict::Verified);

    let (resident, peak) = memory_mib(server.pid());
    eprintln!("server memory: {baseline} MiB at start, {resident} MiB now, peak {peak} MiB");
    // The largest request is 16 MiB; analysing it may take several times that, and the index
    // of 100,000 quotations a few tens of MiB. Anything near a GiB would be a leak or a blow-up.
    assert!(peak < 1024, "peak resident memory {peak} MiB");
    assert!(resident < baseline + 512, "resident memory {resident} MiB");
}
