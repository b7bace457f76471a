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

    // Reviews: the buyer reviews the delivered line; the worker publishes it; anyone reads.
    let shipped = app
        .call(
            "POST",
            &format!("/orders/{}/shipment", id(&order)),
            Some(&app.lyon()),
            Some(json!({"carrier": "DHL", "tracking": "1"})),
        )
        .await;
    assert_eq!(shipped.status, 200);
    counter.take();
    let delivered = app.call("POST", &format!("/orders/{}/delivery", id(&order)), Some(&app.lyon()), None).await;
    assert_eq!(delivered.status, 200);
    let delivery = counter.take();
    rows.push(row("delivery (counted in the seller's quality)", &delivery));
    app.settle().await;
    counter.take();
    let help = json!({"offerId": "off_demo_iphone_lyon", "reason": "defective", "message": "No sound."});
    let asked = app.call("POST", &format!("/orders/{}/help-requests", id(&order)), Some(&buyer), Some(help)).await;
    assert_eq!(asked.status, 201, "{asked:?}");
    let help_request = counter.take();
    rows.push(row("help request (defective: counted once per line)", &help_request));
    app.settle().await;
    counter.take();
    let body = json!({"orderId": id(&order), "offerId": "off_demo_iphone_lyon", "rating": 4,
                      "comment": "As described, battery at 90 %, fast delivery."});
    let submitted = app.call("POST", "/reviews", Some(&buyer), Some(body)).await;
    assert_eq!(submitted.status, 202, "{submitted:?}");
    let submission = counter.take();
    rows.push(row("review submission", &submission));
    app.settle().await;
    let publication = counter.take();
    rows.push(row("review publication (worker)", &publication));
    let page = app.get("/products/prd_demo_iphone13/reviews", None).await;
    assert_eq!(page.body["aggregate"]["count"], 1, "{page:?}");
    let reviews_page = counter.take();
    rows.push(row("a product's reviews (a relevance page)", &reviews_page));

    // The quality window slides: one day bucket of the seller leaves it.
    app.runner.clock.set(app.runner.now().checked_add(jiff::SignedDuration::from_hours(24 * 91)).expect("a time"));
    counter.take();
    let swept = app.call("POST", "/_local/schedules/seller-quality/run", None, None).await;
    assert_eq!(swept.status, 200, "{swept:?}");
    let sweep = counter.take();
    rows.push(row("seller-quality sweep (one day leaves the window)", &sweep));

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
    assert!(listing.round_trips() <= 2, "a listing is a page and its sellers' standing: {listing:?}");
    assert!(delivery.round_trips() <= 3, "the quality counts ride in the delivery's transaction: {delivery:?}");
    assert!(
        help_request.round_trips() <= 4,
        "a help request reads the order and its claim, then one transaction: {help_request:?}"
    );
    assert!(sweep.round_trips() <= 3, "a sweep is one query and one transaction per day bucket: {sweep:?}");
    assert!(
        submission.round_trips() <= 4,
        "a review is the order, the author's misuse record (Art. 23), the product's category and one transaction: \
         {submission:?}"
    );
    assert!(
        publication.round_trips() <= 3,
        "publishing is the review, its text's first author and one transaction: {publication:?}"
    );
    assert!(
        reviews_page.round_trips() <= 3,
        "a page is the rating and whether the product is offered, then one list per (tier, rating) drawn: {reviews_page:?}"
    );
    assert!(
        settlement.round_trips() <= 6,
        "settling is three reads (order, record, sellers) and one transaction per posting: {settlement:?}"
    );
}

#[tokio::test]
async fn a_ranked_listing_costs_the_same_whatever_its_number_of_offers() {
    let Some((app, counter)) = App::aws_counted().await else { return };
    let product = app
        .call(
            "POST",
            "/products",
            Some(&app.admin()),
            Some(json!({"brand": "Apple", "name": "iPhone 14", "category": "smartphones"})),
        )
        .await;
    let product = id(&product);
    let mut costs = Vec::new();
    for batch in 0..3 {
        for i in 0..20 {
            let seller = if i % 2 == 0 { app.lyon() } else { app.berlin() };
            let offer = json!({"productId": product, "grade": "good", "price": {"amount": format!("{}.00", 300 + batch * 20 + i), "currency": "EUR"},
                               "shippingFee": {"amount": "0.00", "currency": "EUR"}, "stock": 1, "warrantyMonths": 12, "paymentMethods": ["card"]});
            assert_eq!(app.call("POST", "/offers", Some(&seller), Some(offer)).await.status, 201);
        }
        counter.take();
        let page = app.get(&format!("/products/{product}/offers?limit=100"), None).await;
        assert_eq!(page.body["items"].as_array().map(Vec::len), Some(20 * (batch as usize + 1)), "{page:?}");
        costs.push(counter.take());
    }
    println!("{}", row("offer listing, 60 offers ranked", &costs[2]));
    for cost in &costs {
        assert!(cost.round_trips() <= 2, "one query and one batched read of the sellers' standing: {cost:?}");
    }
    assert_eq!(costs[0].round_trips(), costs[2].round_trips(), "20 or 60 offers: the same round trips");
}

/// The monthly active recipients' counting (DSA Art. 24(2)): at most one conditional write per
/// new recipient-month, nothing for one the container has counted, and a count of the month
/// that does not grow with its recipients.
#[tokio::test]
async fn a_recipient_costs_one_conditional_put_a_month_and_a_repeat_nothing() {
    let Some(table) = acceptance::aws_table().await else { return };
    let table = acceptance::counting::CountingTable::new(std::sync::Arc::new(table));
    let at = acceptance::start();
    let line = |account: Option<&str>, device: &str| {
        edge::activity::line_of(&marketplace::dsa::recipients::Activity {
            at,
            account: account.map(str::to_owned),
            device: Some(device.to_owned()),
            country: Some("FR".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0".into()),
        })
        .expect("a visitor in France counts")
    };
    let puts = |usage: &Usage| usage.requests.get("PutItem").copied().unwrap_or(0);
    let container = dsa_metrics::Counter::default();

    let visitor = [line(None, "visitor-1")];
    let tally = container.count(&table, &visitor).await.expect("counted");
    let first = table.take();
    assert_eq!((tally.new, first.round_trips(), puts(&first)), (1, 1, 1), "one conditional put: {first:?}");
    container.count(&table, &visitor).await.expect("counted");
    assert_eq!(table.take().round_trips(), 0, "a line the container has counted costs nothing");
    let tally = dsa_metrics::Counter::default().count(&table, &visitor).await.expect("counted");
    let elsewhere = table.take();
    assert_eq!((tally.new, tally.repeats, elsewhere.round_trips()), (0, 1, 1), "a failed condition: {elsewhere:?}");

    // An account browsing on a new device, then signing in on it, in one batch: the account's
    // put and the device's link; the device needs no put of its own.
    let signing_in = [line(None, "phone-2"), line(Some("account-2"), "phone-2")];
    let tally = container.count(&table, &signing_in).await.expect("counted");
    let signed_in = table.take();
    assert_eq!((tally.new, tally.links, puts(&signed_in), signed_in.round_trips()), (1, 1, 2, 2), "{signed_in:?}");

    // The month is counted shard by shard on DynamoDB's side: 2 queries a shard (every identity,
    // then the linked devices), whatever the number of recipients.
    let unique = store::Recipients::new(&table).count(&at.strftime("%Y-%m").to_string()).await.expect("counted");
    let counting = table.take();
    assert_eq!(unique, 2, "the visitor and the account");
    assert_eq!(counting.round_trips(), 2 * marketplace::dsa::recipients::SHARDS, "{counting:?}");
    println!("| a new recipient's first line of the month | 1 | 1 PutItem (conditional) | 0 | 1 |");
    println!("| a line the container has counted | 0 | none | 0 | 0 |");
}

/// A trade-in's steps: the offer reads the product, the product's price index, the best
/// candidates' lists and their sellers, then writes the trade-in; each later step reads the
/// trade-in (and the refurbisher, when it is mailed) and writes one transaction.
#[tokio::test]
async fn a_trade_in_step_is_a_few_round_trips() {
    let Some((app, counter)) = App::aws_counted().await else { return };
    let customer = app.token_with_email("buyer", "camille", "camille@example.test");
    let berlin = app.berlin();
    let device = json!({"productId": "prd_demo_iphone13", "imei": "490154203237518", "country": "FR",
                        "condition": {"powersOn": true, "screen": "scratched", "body": "flawless", "faults": [],
                                      "accountLocksRemoved": true, "dataErased": true}});
    counter.take();
    let offer = app.call("POST", "/trade-ins", Some(&customer), Some(device)).await;
    assert_eq!(offer.status, 201, "{offer:?}");
    let offering = counter.take();
    let path = format!("/trade-ins/{}", id(&offer));
    let identity = json!({"identity": {"name": "Camille Martin", "birthDate": "1990-04-12", "document": {"type": "id_card", "number": "X4RTBPFW4"}},
                          "payoutAccount": {"holder": "Camille Martin", "iban": "FR7630006000011234567890189"}});
    assert_eq!(app.call("POST", &format!("{path}/acceptance"), Some(&customer), Some(identity)).await.status, 200);
    let accepting = counter.take();
    assert_eq!(app.call("POST", &format!("{path}/receipt"), Some(&berlin), None).await.status, 200);
    let receiving = counter.take();
    let conforms = json!({"result": "conforms"});
    assert_eq!(app.call("POST", &format!("{path}/inspection"), Some(&berlin), Some(conforms)).await.status, 200);
    let inspecting = counter.take();
    for (name, usage) in [
        ("trade-in offer (2 refurbishers price the product)", &offering),
        ("trade-in acceptance (label, two mails)", &accepting),
        ("trade-in receipt", &receiving),
        ("trade-in inspection (conforms: bought, registered, paid)", &inspecting),
    ] {
        println!("{}", row(name, usage));
    }
    assert!(offering.round_trips() <= 5, "product, index, lists, sellers, the trade-in: {offering:?}");
    assert!(accepting.round_trips() <= 3, "the trade-in, the refurbisher's address, one transaction: {accepting:?}");
    assert!(receiving.round_trips() <= 2, "the trade-in, one transaction: {receiving:?}");
    assert!(
        inspecting.round_trips() <= 4,
        "the trade-in, the refurbisher's funds, the purchase's transaction, the transfer's: {inspecting:?}"
    );
    assert!(inspecting.write_units <= 36, "{inspecting:?}");
}

/// A SEPA file costs a few requests plus one claim per payout (the sellers' accounts read in
/// batches), and the bank's report a read and a transaction per payout.
#[tokio::test]
async fn a_sepa_file_and_its_report_cost_a_claim_and_a_transaction_per_payout() {
    let Some((app, counter)) = App::aws_counted().await else { return };
    for (n, who) in ["cost-a", "cost-b", "cost-c"].into_iter().enumerate() {
        app.funded_seller(who, n as i64).await;
    }
    let debtor = marketplace::sepa::Debtor::parse("Refurb Market SAS", "EUR:FR7630006000011234567890189:BNPAFRPPXXX")
        .expect("a debtor");
    let ports = &app.runner.ports;
    let mut report = payouts::PayoutRun { run: "2026-11-16".into(), ..payouts::PayoutRun::default() };
    payouts::send_all(
        ports,
        &marketplace::settlement::Terms::default(),
        &payouts::Rail::Sepa(debtor.clone()),
        &mut report,
    )
    .await
    .expect("sent");
    counter.take();
    payouts::sepa::file(ports, &debtor, &mut report).await.expect("filed");
    let filing = counter.take();
    let n = report.filed as u32;
    assert!(n >= 3, "{report:?}");
    let file = ports.blobs.list("sepa/credit-transfers/").await.expect("listed");
    let id = file[0].trim_start_matches("sepa/credit-transfers/").trim_end_matches(".xml");
    let xml = format!(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.12\"><CstmrPmtStsRpt><GrpHdr><MsgId>B</MsgId>\
         <CreDtTm>2026-11-17T09:00:00Z</CreDtTm></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>{id}</OrgnlMsgId>\
         <OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>ACSC</GrpSts></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    );
    let reply = app
        .send("POST", "/payouts/status-reports", Some(&app.admin()), Some(&xml), &[("content-type", "application/xml")])
        .await;
    assert_eq!(reply.body["paid"].as_u64(), Some(u64::from(n)), "{reply:?}");
    let applying = counter.take();
    println!("{}", row(&format!("SEPA file of {n} payouts (claimed, sealed, stored)"), &filing));
    println!("{}", row(&format!("bank status report on {n} payouts"), &applying));
    assert!(filing.round_trips() <= 9 + n, "scans, the file, a claim per payout, the accounts: {filing:?}");
    assert!(
        applying.round_trips() <= 2 + 2 * n,
        "the file and its entries, then each payout's read and transaction: {applying:?}"
    );
}
