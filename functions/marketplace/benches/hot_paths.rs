//! Hot-path benchmarks of the rules: `make bench` runs them (`cargo bench -p marketplace`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use marketplace::catalog::Category;
use marketplace::checkout::{Cart, CartLine, Pricing, SellerFacts, price};
use marketplace::offer::{Grade, Offer, OfferStatus, PaymentMethod};
use marketplace::order::Order;
use marketplace::payments::{sign, verify};
use marketplace::ranking::{OfferFacts, Quality, RankingTerms, Ratings, rank};
use marketplace::seller::SellerStatus;
use marketplace::settlement::{OrderLedger, Step, Terms, next_step};
use marketplace::{Currency, Money};

fn offer(i: usize) -> Offer {
    let eur = |minor| Money::new(minor, Currency::EUR);
    Offer {
        id: format!("off_{i:02}"),
        seller_id: format!("sel_{}", i % 3),
        product_id: format!("prd_{i:02}"),
        category: Category::Smartphones,
        grade: Grade::Excellent,
        price: eur(9_900 + 1_000 * i as i64),
        shipping_fee: eur(499),
        stock: 10,
        warranty_months: 12,
        handling_days: 2,
        payment_methods: vec![PaymentMethod::Card, PaymentMethod::Paypal],
        status: OfferStatus::Active,
        removal_reason: None,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

fn hot_paths(c: &mut Criterion) {
    let pricing = Pricing::default();
    let cart = Cart {
        lines: (0..10)
            .map(|i| CartLine { offer_id: format!("off_{i:02}"), quantity: 1 + (i as u32 % 3), insurance: i % 2 == 0 })
            .collect(),
        payment_method: PaymentMethod::Card,
        shipping_country: "FR".into(),
    };
    let offers: Vec<_> =
        (0..10).map(|i| Some((offer(i), SellerFacts { status: SellerStatus::Active, country: "FR".into() }))).collect();
    let now: Timestamp = "2026-11-27T10:00:00Z".parse().expect("a time");
    c.bench_function("quote a 10-line cart", |b| {
        b.iter(|| price(black_box(&pricing), "qt_1".into(), "buyer".into(), black_box(&cart), black_box(&offers), now))
    });
    let quote = price(&pricing, "qt_1".into(), "buyer".into(), &cart, &offers, now).expect("a quote");
    c.bench_function("place the order of a 10-line quote", |b| b.iter(|| Order::place(black_box(&quote), now)));
    // Settling the paid order (3 sellers): every posting next_step calls for, in memory.
    let paid = Order::place(&quote, now).pay("pi_1", quote.totals.total, now).expect("paid");
    let rate = Terms::default().commission_rate;
    c.bench_function("settle a paid 10-line order (3 sellers): every posting", |b| {
        b.iter(|| {
            let mut ledger = OrderLedger::new(&paid);
            let mut postings = 0;
            while let Some(Step::Post { transaction, ledger: after, .. }) =
                next_step(black_box(&paid), &ledger, &|_| rate, Terms::default().hold, now).expect("balanced")
            {
                postings += transaction.postings.len();
                ledger = after;
            }
            postings
        })
    });
    let body = br#"{"id":"evt_1","type":"payment.succeeded","intentId":"pi_1","orderId":"ord_1","amount":{"amount":"249.00","currency":"EUR"},"created":1795773600}"#;
    let header = sign(b"secret", now.as_second(), body);
    c.bench_function("verify a webhook signature", |b| {
        b.iter(|| verify(b"secret", black_box(&header), black_box(body), now))
    });
    let offers: Vec<OfferFacts> = (0..50)
        .map(|i: i64| OfferFacts {
            offer_id: format!("off_{i:02}"),
            price_minor: 25_000 + 997 * i,
            product: Ratings { count: 40, sum: 170 },
            seller: Ratings { count: 10 + i, sum: 30 + 4 * i },
            quality: Quality { delivered: 100 + i, defective: i % 7, wrong_item: i % 3, cosmetic: i % 5, late: i % 11 },
            accepts_payment_method: i % 4 != 0,
        })
        .collect();
    let terms = RankingTerms::default();
    c.bench_function("rank 50 offers of a product", |b| b.iter(|| rank(black_box(&offers), &terms)));
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
