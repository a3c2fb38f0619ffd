//! Checking throughput of the engine (one core) on real news articles, as published and with
//! registered quotations planted in them, against registers of 10,000, 100,000 and 1,000,000
//! quotations generated from real sentences. Also prints each register's build time and index
//! memory.

use std::{hint::black_box, time::Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use verbatim::checker::{CheckOptions, RegisterBuilder};
use verbatim::record::Attribution;
use verbatim::text::ContentHash;

#[path = "corpus.rs"]
mod corpus;

/// BBC articles with three registered quotations planted in each: one verbatim, one excerpt,
/// one with a changed word.
fn articles_with_planted_quotes(bbc: &[String], quotes: &[String]) -> Vec<String> {
    bbc.iter()
        .enumerate()
        .map(|(i, article)| {
            let a = &quotes[(i * 31) % quotes.len()];
            let b = &quotes[(i * 31 + 7) % quotes.len()];
            let c = &quotes[(i * 31 + 13) % quotes.len()];
            let altered = c.replacen(" the ", " a ", 1);
            let b_words: Vec<&str> = b.split(' ').collect();
            let excerpt = b_words[..b_words.len().div_ceil(2)].join(" ");
            format!(
                "{article}\n\nThe minister said: “{a}”\n\nShe added that it was “{excerpt}”.\n\n“{altered}” a spokesman said."
            )
        })
        .collect()
}

fn check_throughput(c: &mut Criterion) {
    let Some(articles) = corpus::news_articles() else {
        return;
    };
    // The BBC articles come first in news_articles(); the register is built from PolNeAR.
    let bbc: Vec<String> = articles.iter().take(80).cloned().collect();
    let sentences = corpus::sentences(&articles[80..]);
    let mut group = c.benchmark_group("check");
    group.sample_size(20);
    // VERBATIM_BENCH_SIZES=10000,100000 limits the run to some register sizes.
    let sizes: Vec<usize> = std::env::var("VERBATIM_BENCH_SIZES").map_or_else(
        |_| vec![10_000, 100_000, 1_000_000],
        |list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        },
    );
    for size in sizes {
        let started = Instant::now();
        // Generated and built on a thread of its own, as the server loads its register, so that
        // millions of allocations do not shape the heap the checks below allocate from.
        let (quotes, live) = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let quotes = corpus::generated_quotes(&sentences, size);
                    let mut builder = RegisterBuilder::default();
                    let attribution = [Attribution::to_speaker("Bench Speaker", &[])];
                    for quote in &quotes {
                        builder.quote(ContentHash::of_text(quote), quote, false, &attribution);
                    }
                    (quotes, builder.build())
                })
                .join()
                .expect("the register builds")
        });
        let options = CheckOptions::default();
        let attributed: usize = bbc
            .iter()
            .map(|text| {
                live.check(text, &options)
                    .findings
                    .iter()
                    .filter(|f| f.attribution.is_some())
                    .count()
            })
            .sum();
        println!("as published: {attributed} findings matched a registered quotation");
        println!(
            "register of {size}: built in {:.2?}, {} bytes of index ({:.0} bytes per quote)",
            started.elapsed(),
            live.heap_bytes(),
            live.heap_bytes() as f64 / size as f64
        );
        let planted = articles_with_planted_quotes(&bbc, &quotes);
        let without_attribution = CheckOptions {
            include_attribution: false,
            ..options
        };
        for (name, texts, options) in [
            ("as published", &bbc, &options),
            (
                "with 3 registered quotations planted in each",
                &planted,
                &options,
            ),
            (
                "with 3 planted, attribution off",
                &planted,
                &without_attribution,
            ),
        ] {
            let bytes: usize = texts.iter().map(String::len).sum();
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_function(format!("80 BBC articles {name}, register of {size}"), |b| {
                b.iter(|| {
                    for text in texts.iter() {
                        black_box(live.check(text, options));
                    }
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, check_throughput);
criterion_main!(benches);
