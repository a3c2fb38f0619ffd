//! Canonical form + content hash throughput on real news text, one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use verbatim::text::{CanonicalText, CanonicalVersion, ContentHash};

#[path = "corpus.rs"]
mod corpus;

fn canonical_and_hash(c: &mut Criterion) {
    let Some(articles) = corpus::news_articles() else {
        return;
    };
    let text = articles.join("\n\n");
    let mut group = c.benchmark_group("canonical");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("news corpus, canonical form + sha256", |b| {
        b.iter(|| {
            let canonical = CanonicalText::of(black_box(&text));
            ContentHash::of_canonical(CanonicalVersion::V1, &canonical)
        })
    });
    group.bench_function("news corpus, canonical form only", |b| {
        b.iter(|| CanonicalText::of(black_box(&text)))
    });
    let sentences = corpus::sentences(&articles);
    let bytes: usize = sentences.iter().map(String::len).sum();
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("news sentences one by one, canonical form + sha256", |b| {
        b.iter(|| {
            for sentence in &sentences {
                black_box(ContentHash::of_text(sentence));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, canonical_and_hash);
criterion_main!(benches);
