//! The runner's clock passes like real time: a move past several schedule times runs every
//! firing in between, in order across all schedules, each at its own time, with the queues
//! delivered after each. One 40-day move leaves the ledger exactly as forty one-day moves do,
//! with the release, the fee and the payouts on the days the template's schedules give.

use acceptance::App;
use local_runner::demo::{BUYER, SELLER_LYON};
use serde_json::{Value, json};

const IPHONE_OFFER_LYON: &str = "off_demo_iphone_lyon";

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a timestamp")
}

/// The demo buyer buys the Lyon seller's iPhone on the 20th and it is delivered the same
/// morning: its hold ends on the 27th at 09:30.
async fn delivered_on_the_20th(app: &App) -> String {
    app.settle().await; // the demo order
    app.runner.clock.set(at("2026-11-20T09:00:00Z"));
    let order = app.paid_order(&app.token("buyer", BUYER, None), &[IPHONE_OFFER_LYON]).await;
    app.runner.clock.set(at("2026-11-20T09:30:00Z"));
    app.deliver(&order, &app.lyon()).await;
    order
}

async fn move_clock(app: &App, change: Value) -> Value {
    let moved = app.call("POST", "/_local/clock", None, Some(change)).await;
    assert_eq!(moved.status, 200, "{moved:?}");
    moved.body
}

/// The Lyon seller's ledger lines of November and December, as (kind, when posted).
async fn lyon_ledger(app: &App) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for month in ["2026-11", "2026-12"] {
        let statement = app.get(&format!("/sellers/{SELLER_LYON}/statements/{month}"), Some(&app.lyon())).await;
        assert_eq!(statement.status, 200, "{statement:?}");
        for line in statement.body["lines"].as_array().into_iter().flatten() {
            let posted: jiff::Timestamp = line["postedAt"].as_str().expect("postedAt").parse().expect("a time");
            let kind = line["kind"].as_str().expect("kind").to_owned();
            // A schedule's run stands at its firing's time to the instant; a sale is posted as
            // the test's own calls go, on the day they are made.
            let when = if kind == "sale" { posted.strftime("%Y-%m-%d").to_string() } else { posted.to_string() };
            lines.push((kind, when));
        }
    }
    lines
}

fn expected() -> Vec<(String, String)> {
    [
        ("sale", "2026-11-01"), // the demo order, paid when the demo data is seeded
        ("sale", "2026-11-20"),
        // The hourly release after the hold ends at 09:30 on the 27th; the payout run of the
        // 26th, before it, found nothing available.
        ("release", "2026-11-27T10:00:00Z"),
        // November's fee on the 1st, then the payout of the 6th pays out what is left.
        ("monthly_fee", "2026-12-01T00:05:00Z"),
        ("payout", "2026-12-06T03:00:00Z"),
        ("payout_paid", "2026-12-06T03:00:00Z"),
    ]
    .map(|(kind, when)| (kind.to_owned(), when.to_owned()))
    .to_vec()
}

async fn one_move_of_forty_days(app: &App) {
    delivered_on_the_20th(app).await;
    let moved = move_clock(app, json!({"advance": "P40D"})).await;
    assert!(moved["now"].as_str().is_some_and(|n| n.starts_with("2026-12-30T09:30")), "{moved}");
    assert_eq!(lyon_ledger(app).await, expected());
    // Each firing with work ran once, the idle ones were skipped (the relay's 57,600 minutes
    // among them): the release and the invitation to review on the 27th, the four payout runs
    // (26 November, 6, 16 and 26 December), the fee on the 1st, and the active recipients'
    // two: the half-year's publication, due since August, and November's close on the 2nd.
    let runs = moved["schedulesRan"].as_u64().expect("a count");
    assert_eq!(runs, 9);
}

async fn forty_moves_of_one_day(app: &App) {
    delivered_on_the_20th(app).await;
    for _ in 0..40 {
        move_clock(app, json!({"advance": "P1D"})).await;
    }
    assert_eq!(lyon_ledger(app).await, expected());
}

async fn a_move_backwards_fires_nothing(app: &App) {
    delivered_on_the_20th(app).await;
    move_clock(app, json!({"set": "2026-12-07T00:00:00Z"})).await;
    let before = lyon_ledger(app).await;
    assert_eq!(before, expected());
    let back = move_clock(app, json!({"set": "2026-11-02T00:00:00Z"})).await;
    assert_eq!(back["schedulesRan"], 0);
    let balance = app.get(&format!("/sellers/{SELLER_LYON}/balance"), Some(&app.lyon())).await;
    assert_eq!(
        (balance.body["pending"]["amount"].as_str(), balance.body["available"]["amount"].as_str()),
        (Some("210.59"), Some("0.00")),
        "{balance:?}"
    );
    // Forward again over the same days: every run is idempotent, nothing is posted twice.
    move_clock(app, json!({"set": "2026-12-07T00:00:00Z"})).await;
    assert_eq!(lyon_ledger(app).await, before);
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [one_move_of_forty_days, forty_moves_of_one_day, a_move_backwards_fires_nothing]
);
