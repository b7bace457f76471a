//! Checkout end to end (R-FEE, R-PAY, R-INSURE, R-WARRANTY): quote → order → sandbox payment →
//! each seller's acceptance, shipment, delivery → Get help; and everything a careless buyer,
//! a stale cart, a forged or replayed webhook or a crowd of buyers can throw at it. Each
//! scenario runs on both adapters.

use acceptance::{App, Reply};
use serde_json::{Value, json};

const IPHONE_LYON: &str = "off_demo_iphone_lyon";
const IPAD_LYON: &str = "off_demo_ipad_lyon";
const MACBOOK_BERLIN: &str = "off_demo_macbook_berlin";

fn cart(lines: Value) -> Value {
    json!({"lines": lines, "paymentMethod": "card", "shippingCountry": "FR"})
}

async fn quote(app: &App, buyer: &str, lines: Value) -> Reply {
    app.call("POST", "/quotes", Some(buyer), Some(cart(lines))).await
}

async fn order(app: &App, buyer: &str, quote_id: &str) -> Reply {
    app.call("POST", "/orders", Some(buyer), Some(json!({"quoteId": quote_id}))).await
}

async fn stock(app: &App, offer: &str, seller_token: &str, seller: &str) -> i64 {
    let reply = app.get(&format!("/sellers/{seller}/offers?limit=100"), Some(seller_token)).await;
    reply.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["id"] == offer)
        .and_then(|o| o["stock"].as_i64())
        .unwrap_or(-1)
}

async fn pay(app: &App, intent: &str, outcome: &str) -> Reply {
    app.call("POST", &format!("/_local/payments/{intent}/{outcome}"), None, None).await
}

fn webhook(app: &App, body: &Value, at: i64) -> (String, String) {
    let secret = local_runner::webhook_secret(acceptance::TEST_SECRET);
    let text = body.to_string();
    let signature = marketplace::payments::sign(&secret, at, text.as_bytes());
    let _ = app;
    (text, signature)
}

async fn send_webhook(app: &App, body: &str, signature: &str) -> Reply {
    app.send(
        "POST",
        "/payments/webhook",
        None,
        Some(body),
        &[("content-type", "application/json"), ("provider-signature", signature)],
    )
    .await
}

async fn the_whole_buy_flow(app: &App) {
    let buyer = app.buyer();
    let q = quote(
        app,
        &buyer,
        json!([{"offerId": IPHONE_LYON, "quantity": 1, "insurance": true}, {"offerId": MACBOOK_BERLIN, "quantity": 1}]),
    )
    .await;
    assert_eq!(q.status, 201, "{q:?}");
    // 349.00 + 649.00 = 998.00 of items → service fee 7.99; insurance on a 349.00 phone 39.99.
    assert_eq!(q.body["itemsTotal"], json!({"amount": "998.00", "currency": "EUR"}));
    assert_eq!(q.body["shippingTotal"]["amount"], "4.99");
    assert_eq!(q.body["serviceFee"]["amount"], "7.99");
    assert_eq!(q.body["insuranceTotal"]["amount"], "39.99");
    assert_eq!(q.body["total"]["amount"], "1050.97");
    assert_eq!(q.body["lines"][1]["sellerId"], "sel_demo_berlin");
    assert!(
        q.body["lines"][1]["delivery"]["latest"].as_str() > q.body["lines"][0]["delivery"]["latest"].as_str(),
        "Berlin to France takes longer"
    );
    let quote_id = q.body["id"].as_str().expect("a quote id").to_owned();

    let placed = order(app, &buyer, &quote_id).await;
    assert_eq!(placed.status, 201, "{placed:?}");
    assert_eq!(
        (&placed.body["status"], &placed.body["total"]["amount"]),
        (&json!("awaiting_payment"), &json!("1050.97"))
    );
    let order_id = placed.body["id"].as_str().expect("an order id").to_owned();
    let intent = placed.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 4, "the unit is reserved");

    // The same quote ordered again is the same order.
    let again = order(app, &buyer, &quote_id).await;
    assert_eq!((again.status, &again.body["id"]), (200, &json!(order_id)));

    let paid = pay(app, &intent, "succeed").await;
    assert_eq!((paid.status, &paid.body["webhook"]["outcome"]), (200, &json!("paid")), "{paid:?}");
    assert_eq!(pay(app, &intent, "succeed").await.status, 409, "an intent settles once");
    let path = format!("/orders/{order_id}");
    assert_eq!(app.get(&path, Some(&buyer)).await.body["status"], "paid");

    // Each seller sees and moves only its own part.
    let lyon_view = app.get(&path, Some(&app.lyon())).await;
    assert_eq!(lyon_view.body["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(lyon_view.body["parts"][0]["status"], "to_accept");
    assert_eq!(app.get(&path, Some(&app.token("buyer", "someone-else", None))).await.status, 404);
    assert_eq!(
        app.call(
            "POST",
            &format!("{path}/shipment"),
            Some(&app.lyon()),
            Some(json!({"carrier": "Colissimo", "tracking": "6A1"}))
        )
        .await
        .code(),
        "invalid_transition"
    );
    assert_eq!(app.call("POST", &format!("{path}/acceptance"), Some(&app.lyon()), None).await.status, 200);
    assert_eq!(
        app.call("POST", &format!("{path}/acceptance"), Some(&app.lyon()), None).await.status,
        409,
        "accepted once"
    );
    assert_eq!(app.call("POST", &format!("{path}/acceptance"), Some(&buyer), None).await.status, 403);
    let shipped = app
        .call(
            "POST",
            &format!("{path}/shipment"),
            Some(&app.lyon()),
            Some(json!({"carrier": "Colissimo", "tracking": "6A1"})),
        )
        .await;
    assert_eq!(shipped.body["parts"][0]["shipment"]["tracking"], "6A1", "{shipped:?}");
    assert_eq!(
        app.call("POST", &format!("{path}/delivery"), Some(&app.lyon()), None).await.body["parts"][0]["status"],
        "delivered"
    );
    let whole = app.get(&path, Some(&app.admin())).await;
    let statuses: Vec<&str> =
        whole.body["parts"].as_array().into_iter().flatten().filter_map(|p| p["status"].as_str()).collect();
    assert_eq!(statuses, ["delivered", "to_accept"]);

    // Get help, within the warranty only, on one's own order.
    let help = json!({"offerId": IPHONE_LYON, "reason": "defective", "message": "The screen flickers."});
    let asked = app.call("POST", &format!("{path}/help-requests"), Some(&buyer), Some(help.clone())).await;
    assert_eq!(asked.status, 201, "{asked:?}");
    let help_id = asked.body["id"].as_str().expect("a help id").to_owned();
    let listed = app.get("/sellers/sel_demo_lyon/help-requests", Some(&app.lyon())).await;
    assert_eq!(listed.body["items"][0]["id"], json!(help_id));
    let answer = app
        .call(
            "POST",
            &format!("{path}/help-requests/{help_id}/answer"),
            Some(&app.lyon()),
            Some(json!({"answer": "We send a replacement."})),
        )
        .await;
    assert_eq!(answer.body["status"], "answered", "{answer:?}");
    assert_eq!(
        app.call(
            "POST",
            &format!("{path}/help-requests/{help_id}/answer"),
            Some(&app.berlin()),
            Some(json!({"answer": "x"}))
        )
        .await
        .status,
        404
    );
    let undelivered = json!({"offerId": MACBOOK_BERLIN, "reason": "defective"});
    assert_eq!(
        app.call("POST", &format!("{path}/help-requests"), Some(&buyer), Some(undelivered)).await.code(),
        "outside_warranty"
    );
    let other_buyer = app.token("buyer", "someone-else", None);
    assert_eq!(
        app.call("POST", &format!("{path}/help-requests"), Some(&other_buyer), Some(help.clone())).await.status,
        404
    );
    let bad_reason = json!({"offerId": IPHONE_LYON, "reason": "bored"});
    assert_eq!(
        app.call("POST", &format!("{path}/help-requests"), Some(&buyer), Some(bad_reason)).await.fields(),
        ["reason"]
    );
    app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 400));
    let late = app
        .call("POST", &format!("{path}/help-requests"), Some(&app.token("buyer", "buyer-1", None)), Some(help))
        .await;
    assert_eq!(late.code(), "outside_warranty");

    // Lists: the buyer's, a seller's, an admin's month.
    assert_eq!(
        app.get("/orders", Some(&app.token("buyer", "buyer-1", None))).await.body["items"][0]["id"],
        json!(order_id)
    );
    assert_eq!(
        app.get("/orders", Some(&app.token("seller", "seller-berlin", Some("sel_demo_berlin")))).await.body["items"][0]
            ["lines"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(app.get("/orders?month=not-a-month", Some(&app.token("admin", "admin-1", None))).await.status, 400);
}

async fn bad_carts_get_clear_refusals(app: &App) {
    let buyer = app.buyer();
    let cases = [
        (json!([{"offerId": IPHONE_LYON, "quantity": 0}]), "lines[0].quantity"),
        (json!([{"offerId": IPHONE_LYON, "quantity": 6}]), "lines[0].quantity"),
        (json!([{"offerId": "off_missing", "quantity": 1}]), "lines[0].offerId"),
        (json!([{"offerId": "x".repeat(3000), "quantity": 1}]), "lines[0].offerId"),
        (json!([]), "lines"),
    ];
    for (lines, field) in cases {
        let reply = quote(app, &buyer, lines.clone()).await;
        assert_eq!((reply.status, reply.fields()), (422, vec![field.to_owned()]), "{lines}");
    }
    let cash = app.call("POST", "/quotes", Some(&buyer), Some(json!({"lines": [{"offerId": IPHONE_LYON, "quantity": 1}], "paymentMethod": "cash", "shippingCountry": "FR"}))).await;
    assert_eq!(cash.fields(), ["paymentMethod"]);
    let far = app.call("POST", "/quotes", Some(&buyer), Some(json!({"lines": [{"offerId": IPHONE_LYON, "quantity": 1}], "paymentMethod": "card", "shippingCountry": "US"}))).await;
    assert_eq!(far.fields(), ["shippingCountry"]);
    assert_eq!(
        quote(app, &app.lyon(), json!([{"offerId": IPHONE_LYON, "quantity": 1}])).await.status,
        403,
        "sellers do not buy"
    );
    assert_eq!(app.call("POST", "/quotes", None, Some(cart(json!([])))).await.status, 401);

    app.call("DELETE", &format!("/offers/{IPAD_LYON}"), Some(&app.lyon()), None).await;
    assert_eq!(
        quote(app, &buyer, json!([{"offerId": IPAD_LYON, "quantity": 1}])).await.fields(),
        ["lines[0].offerId"],
        "withdrawn"
    );

    // Someone else's quote, an expired quote, an unknown quote.
    let q = quote(app, &buyer, json!([{"offerId": IPHONE_LYON, "quantity": 1}])).await;
    let quote_id = q.body["id"].as_str().expect("a quote id").to_owned();
    assert_eq!(order(app, &app.token("buyer", "thief", None), &quote_id).await.status, 404);
    assert_eq!(order(app, &buyer, "qt_unknown").await.status, 404);
    assert_eq!(app.call("POST", "/orders", Some(&buyer), Some(json!({"quote": quote_id}))).await.status, 400);
    app.runner.clock.advance(jiff::SignedDuration::from_mins(16));
    let expired = order(app, &buyer, &quote_id).await;
    assert_eq!((expired.status, expired.code()), (409, "quote_expired"));
    assert_eq!(expired.body["quote"]["lines"][0]["offerId"], IPHONE_LYON, "a fresh quote comes with the refusal");
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 5, "nothing was reserved");
}

async fn a_changed_offer_makes_the_quote_stale(app: &App) {
    let buyer = app.buyer();
    let q = quote(app, &buyer, json!([{"offerId": IPHONE_LYON, "quantity": 2}])).await;
    let quote_id = q.body["id"].as_str().expect("a quote id").to_owned();
    let cheaper = json!({"price": {"amount": "339.00", "currency": "EUR"}});
    assert_eq!(
        app.call("PATCH", &format!("/offers/{IPHONE_LYON}"), Some(&app.lyon()), Some(cheaper)).await.status,
        200
    );
    let stale = order(app, &buyer, &quote_id).await;
    assert_eq!((stale.status, stale.code()), (409, "quote_stale"));
    assert_eq!(stale.body["quote"]["lines"][0]["unitPrice"]["amount"], "339.00");
    let fresh = stale.body["quote"]["id"].as_str().expect("a fresh quote").to_owned();
    assert_eq!(order(app, &buyer, &fresh).await.status, 201);
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 3);

    // A suspended seller's offer cannot be ordered.
    let q = quote(app, &buyer, json!([{"offerId": MACBOOK_BERLIN, "quantity": 1}])).await;
    let quote_id = q.body["id"].as_str().expect("a quote id").to_owned();
    app.call(
        "POST",
        "/sellers/sel_demo_berlin/suspension",
        Some(&app.admin()),
        Some(json!({"reason": "seller_terms_breach", "explanation": "audit"})),
    )
    .await;
    let refused = order(app, &buyer, &quote_id).await;
    assert_eq!((refused.status, refused.fields()), (409, vec!["lines[0].offerId".to_owned()]));
}

async fn webhooks_are_signed_and_exactly_once(app: &App) {
    let buyer = app.buyer();
    let q = quote(app, &buyer, json!([{"offerId": IPHONE_LYON, "quantity": 1}])).await;
    let placed = order(app, &buyer, q.body["id"].as_str().expect("a quote id")).await;
    let order_id = placed.body["id"].as_str().expect("an order").to_owned();
    let intent = placed.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
    let now = app.runner.now().as_second();
    let event = json!({"id": "evt_1", "type": "payment.succeeded", "intentId": intent, "orderId": order_id,
                       "amount": placed.body["total"], "created": now});
    let (body, signature) = webhook(app, &event, now);

    let forged = send_webhook(app, &body, &signature.replace("v1=", "v1=00")).await;
    assert_eq!((forged.status, forged.code()), (400, "invalid_signature"));
    assert_eq!(send_webhook(app, &body, "").await.status, 400);
    let (_, old_signature) = webhook(app, &event, now - 3600);
    assert_eq!(send_webhook(app, &body, &old_signature).await.code(), "stale_event");
    let (junk, junk_signature) = webhook(app, &json!({"id": "evt_x", "type": "payment.exploded"}), now);
    assert_eq!(send_webhook(app, &junk, &junk_signature).await.status, 400);
    let mut unknown = event.clone();
    unknown["orderId"] = json!("ord_nobody");
    let (unknown, unknown_signature) = webhook(app, &unknown, now);
    assert_eq!(send_webhook(app, &unknown, &unknown_signature).await.status, 404);
    let mut short = event.clone();
    short["amount"] = json!({"amount": "1.00", "currency": "EUR"});
    let (short, short_signature) = webhook(app, &short, now);
    // Money the order cannot take is given back; here the sandbox never captured it, so the
    // refund is refused and the event is acknowledged with that outcome (logged as an error).
    assert_eq!(send_webhook(app, &short, &short_signature).await.body["outcome"], "stray_refund_refused");
    assert_eq!(app.get(&format!("/orders/{order_id}"), Some(&buyer)).await.body["status"], "awaiting_payment");

    assert_eq!(send_webhook(app, &body, &signature).await.body["outcome"], "paid");
    let replayed = send_webhook(app, &body, &signature).await;
    assert_eq!((replayed.status, &replayed.body["outcome"]), (200, &json!("already_paid")));
    let mut again = event.clone();
    again["id"] = json!("evt_2");
    let (again, again_signature) = webhook(app, &again, now);
    assert_eq!(send_webhook(app, &again, &again_signature).await.body["outcome"], "already_paid");
    let failed = json!({"id": "evt_3", "type": "payment.failed", "intentId": intent, "orderId": order_id, "amount": placed.body["total"], "created": now});
    let (failed, failed_signature) = webhook(app, &failed, now);
    assert_eq!(
        send_webhook(app, &failed, &failed_signature).await.body["outcome"],
        "ignored",
        "a paid order stays paid"
    );
    assert_eq!(app.get(&format!("/orders/{order_id}"), Some(&buyer)).await.body["status"], "paid");
}

async fn unpaid_orders_give_their_stock_back(app: &App) {
    let buyer = app.buyer();
    let place = |lines| async move {
        let q = quote(app, &app.buyer(), lines).await;
        order(app, &app.buyer(), q.body["id"].as_str().expect("a quote id")).await
    };
    let failed = place(json!([{"offerId": IPHONE_LYON, "quantity": 2}])).await;
    let forgotten = place(json!([{"offerId": IPHONE_LYON, "quantity": 3}])).await;
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 0);
    assert!(
        app.get("/products/prd_demo_iphone13/offers", None).await.body["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|o| o["id"] != IPHONE_LYON)),
        "sold out: not listed"
    );

    let intent = failed.body["payment"]["intentId"].as_str().expect("an intent");
    assert_eq!(pay(app, intent, "fail").await.body["webhook"]["outcome"], "cancelled");
    assert_eq!(
        app.get(&format!("/orders/{}", failed.body["id"].as_str().unwrap_or_default()), Some(&buyer)).await.body["status"],
        "cancelled"
    );
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 2);

    // No webhook ever comes for the other: the sweep cancels it once its payment is overdue.
    assert_eq!(
        app.call("POST", "/_local/schedules/payment-expiry/run", None, None).await.body["report"],
        "cancelled 0 unpaid orders"
    );
    app.runner.clock.advance(jiff::SignedDuration::from_mins(31));
    assert_eq!(
        app.call("POST", "/_local/schedules/payment-expiry/run", None, None).await.body["report"],
        "cancelled 1 unpaid orders"
    );
    assert_eq!(
        app.call("POST", "/_local/schedules/payment-expiry/run", None, None).await.body["report"],
        "cancelled 0 unpaid orders"
    );
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 5);

    // The money arrives after all: it goes straight back.
    let late = pay(app, forgotten.body["payment"]["intentId"].as_str().expect("an intent"), "succeed").await;
    assert_eq!(late.body["webhook"]["outcome"], "refunded_late_payment", "{late:?}");
}

async fn refunds_and_cancellations(app: &App) {
    let buyer = app.buyer();
    let q = quote(
        app,
        &buyer,
        json!([{"offerId": IPHONE_LYON, "quantity": 2}, {"offerId": MACBOOK_BERLIN, "quantity": 1}]),
    )
    .await;
    let placed = order(app, &buyer, q.body["id"].as_str().expect("a quote id")).await;
    let path = format!("/orders/{}", placed.body["id"].as_str().expect("an order"));
    assert_eq!(refund_call(app, &path, &app.lyon(), "10.00", None).await.code(), "invalid_transition", "unpaid");
    pay(app, placed.body["payment"]["intentId"].as_str().expect("an intent"), "succeed").await;

    // Two refunds at once that together exceed the part: one goes through, on both sides.
    let intent = placed.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
    let lyon = app.lyon();
    let first = refund_call(app, &path, &lyon, "400.00", Some("first"));
    let second = refund_call(app, &path, &lyon, "400.00", Some("second"));
    let (first, second) = tokio::join!(first, second);
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{first:?} {second:?}");
    let sandbox = sandbox_payments::SandboxPayments::new(app.runner.ports.table.clone(), Vec::new());
    assert_eq!(sandbox.refunded(&intent).await, Ok(40_000), "the provider refunded what the order records");

    // Lyon's part: 2 × 349.00 + 4.99 = 702.99, of which 400.00 is refunded.
    assert_eq!(refund_call(app, &path, &app.lyon(), "100.00", None).await.status, 201);
    let too_much = refund_call(app, &path, &app.lyon(), "203.00", None).await;
    assert_eq!((too_much.status, too_much.code()), (409, "refund_exceeds_payment"));
    assert_eq!(refund_call(app, &path, &app.lyon(), "-1.00", None).await.status, 422);
    assert_eq!(refund_call(app, &path, &app.lyon(), "0.001", None).await.status, 422);
    let rest = refund_call(app, &path, &app.lyon(), "202.99", None).await;
    assert_eq!(rest.body["parts"][0]["refunded"]["amount"], "702.99", "{rest:?}");
    assert_eq!(refund_call(app, &path, &app.admin(), "1.00", None).await.fields(), ["sellerId"]);

    // Berlin cancels before shipping: its unit goes back and its part is refunded in full.
    let cancelled = app
        .call("POST", &format!("{path}/cancellation"), Some(&app.berlin()), Some(json!({"reason": "found a defect"})))
        .await;
    assert_eq!(
        (&cancelled.body["parts"][0]["status"], &cancelled.body["parts"][0]["refunded"]["amount"]),
        (&json!("cancelled"), &json!("649.00")),
        "{cancelled:?}"
    );
    assert_eq!(stock(app, MACBOOK_BERLIN, &app.berlin(), "sel_demo_berlin").await, 1);
    let again = app.call("POST", &format!("{path}/cancellation"), Some(&app.berlin()), None).await;
    assert_eq!(
        (again.status, &again.body["parts"][0]["refunded"]["amount"]),
        (200, &json!("649.00")),
        "a retry refunds nothing more"
    );
    assert_eq!(stock(app, MACBOOK_BERLIN, &app.berlin(), "sel_demo_berlin").await, 1, "nor gives the unit back twice");
    assert_eq!(
        app.call(
            "POST",
            &format!("{path}/cancellation"),
            Some(&app.token("seller", "x", Some("sel_demo_pending"))),
            None
        )
        .await
        .status,
        404
    );
}

/// A refund request: a money-moving POST, so it carries an Idempotency-Key (a fresh one
/// unless `key` is given).
async fn refund_call(app: &App, order_path: &str, token: &str, amount: &str, key: Option<&str>) -> Reply {
    let key = key.map_or_else(|| format!("refund-{}", app.runner.ports.ids.new_id("k")), str::to_owned);
    let body = json!({"amount": {"amount": amount, "currency": "EUR"}, "reason": "scratch"}).to_string();
    let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
    app.send("POST", &format!("{order_path}/refunds"), Some(token), Some(&body), &headers).await
}

/// A retried refund is one refund; a refund without an Idempotency-Key is refused.
async fn refunds_are_sent_once(app: &App) {
    let buyer = app.buyer();
    let q = quote(app, &buyer, json!([{"offerId": IPHONE_LYON, "quantity": 1}])).await;
    let placed = order(app, &buyer, q.body["id"].as_str().expect("a quote id")).await;
    let path = format!("/orders/{}", placed.body["id"].as_str().expect("an order"));
    let intent = placed.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
    pay(app, &intent, "succeed").await;
    let no_key = app
        .call(
            "POST",
            &format!("{path}/refunds"),
            Some(&app.lyon()),
            Some(json!({"amount": {"amount": "5.00", "currency": "EUR"}})),
        )
        .await;
    assert_eq!((no_key.status, no_key.code()), (400, "idempotency_key_required"));
    let first = refund_call(app, &path, &app.lyon(), "50.00", Some("scratch-1")).await;
    let retry = refund_call(app, &path, &app.lyon(), "50.00", Some("scratch-1")).await;
    assert_eq!((first.status, retry.status), (201, 201));
    let sandbox = sandbox_payments::SandboxPayments::new(app.runner.ports.table.clone(), Vec::new());
    assert_eq!(sandbox.refunded(&intent).await, Ok(5_000), "sent once");
    assert_eq!(app.get(&path, Some(&buyer)).await.body["parts"][0]["refunded"]["amount"], "50.00");
    // The seller's view of the order holds its own amounts only, never the buyer's fee.
    let seller_view = app.get(&path, Some(&app.lyon())).await;
    assert_eq!(
        (&seller_view.body["serviceFee"]["amount"], &seller_view.body["total"]["amount"]),
        (&json!("0.00"), &json!("353.99"))
    );
    // A second payment of a paid order, or one of another amount, goes straight back.
    let now = app.runner.now().as_second();
    let twice = json!({"id": "evt_dup", "type": "payment.succeeded", "intentId": "pi_other", "orderId": placed.body["id"], "amount": placed.body["total"], "created": now});
    let (body, signature) = webhook(app, &twice, now);
    assert_eq!(
        send_webhook(app, &body, &signature).await.body["outcome"],
        "stray_refund_refused",
        "a second intent is never kept (the sandbox knows no such intent to refund)"
    );
    let unknown_type = json!({"id": "evt_new", "type": "dispute.created", "intentId": intent, "orderId": placed.body["id"], "amount": placed.body["total"], "created": now});
    let (body, signature) = webhook(app, &unknown_type, now);
    assert_eq!(send_webhook(app, &body, &signature).await.body["outcome"], "ignored");
    // The buyer can confirm receipt once the part ships.
    app.call("POST", &format!("{path}/acceptance"), Some(&app.lyon()), None).await;
    app.call("POST", &format!("{path}/shipment"), Some(&app.lyon()), Some(json!({"carrier": "DHL", "tracking": "1"})))
        .await;
    assert_eq!(
        app.call("POST", &format!("{path}/delivery"), Some(&buyer), None).await.status,
        403,
        "naming the seller"
    );
    let received =
        app.call("POST", &format!("{path}/delivery"), Some(&buyer), Some(json!({"sellerId": "sel_demo_lyon"}))).await;
    assert_eq!(received.body["parts"][0]["status"], "delivered", "{received:?}");
}

/// 50 buyers, 5 units: exactly 5 orders, 45 refusals, stock at 0, nothing else written.
async fn never_oversells(app: &App) {
    let buyers: Vec<String> = (0..50).map(|i| app.token("buyer", &format!("crowd-{i}"), None)).collect();
    let mut quotes = Vec::new();
    for buyer in &buyers {
        let q = quote(app, buyer, json!([{"offerId": IPHONE_LYON, "quantity": 1}])).await;
        quotes.push(q.body["id"].as_str().expect("a quote id").to_owned());
    }
    let attempts = buyers.iter().zip(&quotes).map(|(buyer, quote_id)| order(app, buyer, quote_id));
    let replies = futures_join_all(attempts).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 45, "{statuses:?}");
    assert_eq!(stock(app, IPHONE_LYON, &app.lyon(), "sel_demo_lyon").await, 0);
    let admin_list = app.get("/orders?limit=100", Some(&app.admin())).await;
    let crowd_orders = admin_list.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["id"] != local_runner::demo::IPAD_ORDER)
        .count();
    assert_eq!(crowd_orders, 5, "only the winners wrote an order");
}

async fn futures_join_all<F: std::future::Future<Output = Reply>>(futures: impl Iterator<Item = F>) -> Vec<Reply> {
    let mut set = Vec::new();
    for future in futures {
        set.push(future);
    }
    let mut replies = Vec::new();
    // Poll them all concurrently on this task.
    let joined = async {
        let mut pinned: Vec<_> = set.into_iter().map(Box::pin).collect();
        let mut results: Vec<Option<Reply>> = (0..pinned.len()).map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (i, f) in pinned.iter_mut().enumerate() {
                if results[i].is_none() {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(r) => results[i] = Some(r),
                        std::task::Poll::Pending => pending = true,
                    }
                }
            }
            if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
        })
        .await;
        results.into_iter().flatten().collect::<Vec<_>>()
    };
    replies.extend(joined.await);
    replies
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        the_whole_buy_flow,
        bad_carts_get_clear_refusals,
        a_changed_offer_makes_the_quote_stale,
        webhooks_are_signed_and_exactly_once,
        unpaid_orders_give_their_stock_back,
        refunds_and_cancellations,
        refunds_are_sent_once,
        never_oversells,
    ]
);
