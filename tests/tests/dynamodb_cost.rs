//! The DynamoDB cost of each operation, counted through the AWS adapter against the emulator:
//! requests (round trips) and estimated request units. Each operation must stay within the
//! fewest round trips its invariants allow; the figures are published in docs/benchmarks.md
//! (`make bench` prints them).

use acceptance::counting::Usage;
use acceptance::{App, Reply};
use serde_json::json;

fn row(name: &str, usage: &Usage) -> String {
    let requests: Vec<String> = usage.requests.iter().map(|(op, n)| format!("{n} {op}")).collect();
    format!(
        "| {name} | {} | {} | {} | {} |",
        usage.round_trips(),
        requests.join(", "),
        usage.read_units,
        usage.write_units
    )
}

fn id(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_else(|| panic!("an id in {reply:?}")).to_owned()
}

#[tokio::test]
async fn each_operation_stays_within_its_round_trips() {
    let Some((app, counter)) = App::aws_counted().await else { return };
    let buyer = app.buyer();
    let mut rows = Vec::new();
    // The demo order's settlement is not measured here.
    app.settle().await;
    counter.take();

    app.get("/products/prd_demo_iphone13/offers", None).await;
    let listing = counter.take();
    rows.push(row("offer listing (a page)", &listing));

    let cart = json!({"lines": [{"offerId": "off_demo_iphone_lyon", "quantity": 1, "insurance": true},
                                 {"offerId": "off_demo_macbook_berlin", "quantity": 1}],
                      "paymentMethod": "card", "shippingCountry": "FR"});
    let quote = app.call("POST", "/quotes", Some(&buyer), Some(cart)).await;
    let quoting = counter.take();
    rows.push(row("quote (2 lines, 2 sellers)", &quoting));

    let order = app.call("POST", "/orders", Some(&buyer), Some(json!({"quoteId": id(&quote)}))).await;
    assert_eq!(order.status, 201, "{order:?}");
    let ordering = counter.take();
    rows.push(row("order (2 lines, 2 sellers)", &ordering));

    // The provider settles (its own records are not the marketplace's cost), then its webhook.
    let sandbox = sandbox_payments::SandboxPayments::new(
        app.runner.ports.table.clone(),
        local_runner::webhook_secret(acceptance::TEST_SECRET),
    );
    let intent = order.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
    let event = sandbox.settle(&intent, true, app.runner.now()).await.expect("settled");
    counter.take();
    let headers = [("content-type", "application/json"), ("provider-signature", event.signature.as_str())];
    let paid = app.send("POST", "/payments/webhook", None, Some(&event.body), &headers).await;
    assert_eq!(paid.body["outcome"], "paid", "{paid:?}");
    let webhook = counter.take();
    rows.push(row("payment webhook", &webhook));

    // The order-settlement worker, on the order.paid event: the service fee and two sales.
    app.settle().await;
    let settlement = counter.take();
    rows.push(row("settlement of a paid order (2 sellers)", &settlement));

    let accepted = app.call("POST", &format!("/orders/{}/acceptance", id(&order)), Some(&app.lyon()), None).await;
    assert_eq!(accepted.status, 200);
    let acceptance = counter.take();
    rows.push(row("seller acceptance", &acceptance));

    println!("| operation | round trips | requests | read units | write units |\n|---|---|---|---|---|");
    for row in &rows {
        println!("{row}");
    }

    assert!(ordering.round_trips() <= 2, "an order is one read of the quote and one transaction: {ordering:?}");
    assert!(quoting.round_trips() <= 3, "a quote is two batched reads and a write: {quoting:?}");
    assert!(webhook.round_trips() <= 3, "a webhook is a read, a transaction and the outbox clear: {webhook:?}");
    assert!(
        acceptance.round_trips() <= 3,
        "a transition is a read, a transaction and the outbox clear: {acceptance:?}"
    );
    assert!(listing.round_trips() <= 3, "a listing is the product, a page and its sellers: {listing:?}");
    assert!(
        settlement.round_trips() <= 6,
        "settling is three reads (order, record, sellers) and one transaction per posting: {settlement:?}"
    );
}
