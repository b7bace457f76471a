//! What reporting a request's recipient adds to the request path (DSA Art. 24(2)): building
//! and hashing the line, and the container's check that it has not reported it this month.
//! `make bench` runs it (`cargo bench -p edge --bench recipient_line`).

use std::hint::black_box;

use axum::http::Request;
use axum::http::request::Parts;
use criterion::{Criterion, criterion_group, criterion_main};

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";

fn parts(device: &str, agent: &str) -> Parts {
    Request::builder()
        .uri("/products/prd_demo_iphone13")
        .header("user-agent", agent)
        .header("x-device-id", device)
        .header("cloudfront-viewer-country", "FR")
        .body(())
        .expect("a request")
        .into_parts()
        .0
}

fn recipient_line(c: &mut Criterion) {
    let at: jiff::Timestamp = "2026-11-20T08:00:00Z".parse().expect("a time");
    // A new visitor each time: the line is built, hashed and remembered.
    let visitors: Vec<Parts> = (0..40_000).map(|i| parts(&format!("01JD{i:022}"), BROWSER)).collect();
    let mut next = visitors.iter().cycle();
    c.bench_function("recipient line: a new visitor (reported)", |b| {
        b.iter(|| edge::activity::to_report(black_box(next.next().expect("cycles")), at))
    });
    // The same visitor again: built and hashed, then found in the container's set.
    let repeat = parts("01JDREPEATREPEATREPEAT", BROWSER);
    edge::activity::to_report(&repeat, at);
    c.bench_function("recipient line: a visitor already reported", |b| {
        b.iter(|| edge::activity::to_report(black_box(&repeat), at))
    });
    let bot =
        parts("01JDBOTBOTBOTBOTBOTBOT", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
    c.bench_function("recipient line: a crawler (dropped)", |b| {
        b.iter(|| edge::activity::to_report(black_box(&bot), at))
    });
}

criterion_group!(benches, recipient_line);
criterion_main!(benches);
