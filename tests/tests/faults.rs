//! Crash anywhere, retry, and nothing is lost or counted twice. A buy flow — quote, order,
//! payment webhook, acceptance, a partial refund, a seller's cancellation, shipment, delivery,
//! the event relay — runs once per storage call, with that call failing before it applies or
//! after it applied (the caller sees an error, the write happened). The client retries what
//! failed on our side with the same request, as a careful client does, and the provider
//! resends its webhook. Afterwards the money and the stock must be exactly right.

use acceptance::faults::{Fault, FaultyTable};
use acceptance::{App, Reply};
use marketplace::order::RefundState;
use ports::{Index, Query};
use serde_json::json;

fn expect(reply: &Reply, statuses: &[u16], step: &str) -> Result<(), String> {
    if statuses.contains(&reply.status) { Ok(()) } else { Err(format!("{step}: {reply:?}")) }
}

const QTY_PHONES: i64 = 2;

/// The flow; returns the order id, or the step that could not be completed.
async fn buy_flow(app: &App, faulty: &FaultyTable) -> Result<(String, String), String> {
    let buyer = app.buyer();
    let cart = json!({"lines": [{"offerId": "off_demo_iphone_lyon", "quantity": QTY_PHONES}, {"offerId": "off_demo_macbook_berlin", "quantity": 1}],
                      "paymentMethod": "card", "shippingCountry": "FR"});
    let quote = app.retried("POST", "/quotes", Some(&buyer), Some(&cart), Some("quote-1")).await;
    expect(&quote, &[201], "quote")?;
    let body = json!({"quoteId": quote.body["id"]});
    let order = app.retried("POST", "/orders", Some(&buyer), Some(&body), Some("order-1")).await;
    expect(&order, &[200, 201], "order")?;
    let order_id = order.body["id"].as_str().unwrap_or_default().to_owned();
    let intent = order.body["payment"]["intentId"].as_str().unwrap_or_default().to_owned();

    // The provider settles once and resends its webhook until it is acknowledged.
    let provider =
        sandbox_payments::SandboxPayments::new(faulty.inner(), local_runner::webhook_secret(acceptance::TEST_SECRET));
    let event = provider.settle(&intent, true, app.runner.now()).await.map_err(|e| format!("settle: {e}"))?;
    let headers = [("content-type", "application/json"), ("provider-signature", event.signature.as_str())];
    let mut paid = app.send("POST", "/payments/webhook", None, Some(&event.body), &headers).await;
    for _ in 0..5 {
        if paid.status < 500 {
            break;
        }
        paid = app.send("POST", "/payments/webhook", None, Some(&event.body), &headers).await;
    }
    expect(&paid, &[200], "webhook")?;

    let path = format!("/orders/{order_id}");
    let lyon = app.lyon();
    let accepted = app.retried("POST", &format!("{path}/acceptance"), Some(&lyon), None, None).await;
    // A retried acceptance finds the part accepted by the attempt that failed after writing.
    expect(&accepted, &[200, 409], "acceptance")?;
    let refund = json!({"amount": {"amount": "50.00", "currency": "EUR"}});
    let refunded = app.retried("POST", &format!("{path}/refunds"), Some(&lyon), Some(&refund), Some("refund-1")).await;
    expect(&refunded, &[201], "refund")?;
    let cancelled = app.retried("POST", &format!("{path}/cancellation"), Some(&app.berlin()), None, None).await;
    expect(&cancelled, &[200], "cancellation")?;
    let shipment = json!({"carrier": "DHL", "tracking": "1"});
    let shipped = app.retried("POST", &format!("{path}/shipment"), Some(&lyon), Some(&shipment), None).await;
    expect(&shipped, &[200, 409], "shipment")?;
    let delivered = app.retried("POST", &format!("{path}/delivery"), Some(&lyon), None, None).await;
    expect(&delivered, &[200, 409], "delivery")?;
    for _ in 0..3 {
        app.call("POST", "/_local/schedules/event-relay/run", None, None).await;
    }
    Ok((order_id, intent))
}

/// Money and stock are exactly right, read from the table underneath.
async fn check(app: &App, faulty: &FaultyTable, order_id: &str, intent: &str) -> Result<(), String> {
    let table = faulty.inner();
    let order = store::Orders::new(table.as_ref()).get(order_id).await.map_err(|e| e.to_string())?.ok_or("no order")?;
    let quote =
        store::Quotes::new(table.as_ref()).get(&order.quote_id).await.map_err(|e| e.to_string())?.ok_or("no quote")?;
    if order.totals.total != quote.totals.total || order.status != marketplace::order::OrderStatus::Paid {
        return Err(format!(
            "charged {} ({:?}) for a quote of {}",
            order.totals.total, order.status, quote.totals.total
        ));
    }
    let buyer_orders =
        store::Orders::new(table.as_ref()).of_buyer("buyer-1", 100, None).await.map_err(|e| e.to_string())?;
    let orders_of_quote = buyer_orders.0.iter().filter(|o| o.quote_id == order.quote_id).count();
    if orders_of_quote != 1 {
        return Err(format!("{orders_of_quote} orders for one quote"));
    }
    let berlin = order.part("sel_demo_berlin").ok_or("no Berlin part")?;
    let lyon = order.part("sel_demo_lyon").ok_or("no Lyon part")?;
    let berlin_paid = order.part_amount("sel_demo_berlin").amount_minor;
    if lyon.refunded_minor != 5_000 || berlin.refunded_minor != berlin_paid {
        return Err(format!("refunded {} and {} on the parts", lyon.refunded_minor, berlin.refunded_minor));
    }
    if order.parts.iter().flat_map(|p| &p.refunds).any(|r| r.state != RefundState::Sent) {
        return Err(format!("a refund is not sent: {:?}", order.parts));
    }
    let provider = sandbox_payments::SandboxPayments::new(table.clone(), Vec::new());
    let at_provider = provider.refunded(intent).await.map_err(|e| e.to_string())?;
    if at_provider != 5_000 + berlin_paid {
        return Err(format!("the provider refunded {at_provider}, the order records {}", 5_000 + berlin_paid));
    }
    let offers = store::Offers::new(table.as_ref());
    let phone = offers.get("off_demo_iphone_lyon").await.map_err(|e| e.to_string())?.ok_or("no phone offer")?;
    let laptop = offers.get("off_demo_macbook_berlin").await.map_err(|e| e.to_string())?.ok_or("no laptop offer")?;
    if i64::from(phone.stock) != 5 - QTY_PHONES || laptop.stock != 1 {
        return Err(format!("stock {} phones and {} laptops", phone.stock, laptop.stock));
    }
    let outbox = table.query(Query::new(Index::Gsi2, "OUTBOX")).await.map_err(|e| e.to_string())?;
    if !outbox.items.is_empty() {
        return Err(format!("{} events never left the outbox", outbox.items.len()));
    }
    let _ = app;
    Ok(())
}

#[tokio::test]
async fn a_failure_at_any_storage_call_loses_and_doubles_nothing() {
    let (app, faulty) = App::embedded_faulty().await;
    faulty.arm(0, Fault::Before);
    let (order_id, intent) = buy_flow(&app, &faulty).await.expect("the flow runs without faults");
    check(&app, &faulty, &order_id, &intent).await.expect("and leaves everything right");
    let calls = faulty.calls();
    assert!(calls > 30, "the flow makes {calls} storage calls");

    let mut failures = Vec::new();
    for at in 1..=calls {
        for fault in [Fault::Before, Fault::After] {
            let (app, faulty) = App::embedded_faulty().await;
            faulty.arm(at, fault);
            let outcome = match buy_flow(&app, &faulty).await {
                Ok((order_id, intent)) => {
                    faulty.arm(0, Fault::Before);
                    check(&app, &faulty, &order_id, &intent).await
                }
                Err(step) => Err(step),
            };
            if let Err(problem) = outcome {
                failures.push(format!("call {at} failing {fault:?}: {problem}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} runs went wrong:\n{}", failures.len(), 2 * calls, failures.join("\n"));
}
