//! Settlement end to end (R-MANDATE, R-COMMISSION, R-MONTHLY, R-SETTLE), through the real
//! handlers, workers and schedules: the worked example of `docs/ledger.md` to the cent, fees
//! charged once however often the job runs, payouts that fail and come back, refunds after
//! payout, and statements that equal the ledger. Each scenario runs on both adapters.

use acceptance::faults::{Fault, FaultyTable};
use acceptance::{App, Reply};
use local_runner::demo::{SELLER_BERLIN, SELLER_LYON};
use marketplace::Currency;
use marketplace::ledger::Account;
use serde_json::{Value, json};
use store::Ledger;

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a timestamp")
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

async fn balance(app: &App, seller: &str, token: &str) -> Value {
    let reply = app.get(&format!("/sellers/{seller}/balance"), Some(token)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    json!([reply.body["pending"]["amount"], reply.body["available"]["amount"], reply.body["owed"]["amount"]])
}

async fn run(app: &App, schedule: &str) -> Reply {
    let reply = app.call("POST", &format!("/_local/schedules/{schedule}/run"), None, None).await;
    assert_eq!(reply.status, 200, "{schedule}: {reply:?}");
    app.settle().await;
    reply
}

/// The kinds of a statement's lines, in order.
fn kinds(statement: &Reply) -> Vec<&str> {
    statement.body["lines"].as_array().into_iter().flatten().filter_map(|l| l["kind"].as_str()).collect()
}

fn set_clock(app: &App, to: &str) {
    app.runner.clock.set(at(to));
}

const PAYS: &str = "DE89 3704 0044 0532 0130 00";
/// The sandbox refuses payouts to accounts ending in 0000.
const CLOSED: &str = "DE94370400440532010000";

/// A 249.00 phone + 4.99 shipping and an 89.00 tablet shipped free, from two sellers.
async fn worked_example(app: &App) {
    // The demo order is settled too (before the clock goes back); what it earned the platform
    // is counted out.
    app.settle().await;
    let before = platform_revenue(app).await;
    set_clock(app, "2026-11-02T09:00:00Z");
    let (phone_seller, phone_member, phone) =
        app.seller_with_offer("phone-seller", PAYS, local_runner::demo::IPHONE, "249.00", "4.99").await;
    let (tablet_seller, tablet_member, tablet) =
        app.seller_with_offer("tablet-seller", PAYS, local_runner::demo::IPAD, "89.00", "0.00").await;
    let order = app.paid_order(&app.buyer(), &[&phone, &tablet]).await;
    let shown = app.get(&format!("/orders/{order}"), Some(&app.buyer())).await;
    assert_eq!(
        (shown.body["serviceFee"]["amount"].as_str(), shown.body["total"]["amount"].as_str()),
        (Some("3.99"), Some("346.98"))
    );

    // Paid: each seller's sale less 10 % commission (25.40 and 8.90) is held pending.
    assert_eq!(balance(app, &phone_seller, &phone_member).await, json!(["228.59", "0.00", "0.00"]));
    assert_eq!(balance(app, &tablet_seller, &tablet_member).await, json!(["80.10", "0.00", "0.00"]));

    // Delivered on the 5th: still pending during the 7-day hold.
    set_clock(app, "2026-11-05T10:00:00Z");
    app.deliver(&order, &phone_member).await;
    app.deliver(&order, &tablet_member).await;
    set_clock(app, "2026-11-12T09:59:00Z");
    run(app, "funds-release").await;
    assert_eq!(balance(app, &phone_seller, &phone_member).await, json!(["228.59", "0.00", "0.00"]));
    // The clock runs on from where it is set: the hold ends a few milliseconds after 10:00.
    set_clock(app, "2026-11-12T10:01:00Z");
    run(app, "funds-release").await;
    assert_eq!(balance(app, &phone_seller, &phone_member).await, json!(["0.00", "228.59", "0.00"]));
    assert_eq!(balance(app, &tablet_seller, &tablet_member).await, json!(["0.00", "80.10", "0.00"]));

    // 1 December: November's fee, once, however often the job runs.
    set_clock(app, "2026-12-01T00:05:00Z");
    for _ in 0..3 {
        run(app, "seller-fees").await;
    }
    assert_eq!(balance(app, &phone_seller, &phone_member).await, json!(["0.00", "178.59", "0.00"]));
    assert_eq!(balance(app, &tablet_seller, &tablet_member).await, json!(["0.00", "30.10", "0.00"]));

    // 6 December: everything available is paid out, once.
    set_clock(app, "2026-12-06T03:00:00Z");
    run(app, "payouts").await;
    run(app, "payouts").await;
    assert_eq!(balance(app, &phone_seller, &phone_member).await, json!(["0.00", "0.00", "0.00"]));
    let payouts = app.get(&format!("/sellers/{phone_seller}/payouts"), Some(&phone_member)).await;
    assert_eq!(payouts.body["items"].as_array().map(Vec::len), Some(1), "{payouts:?}");
    assert_eq!(
        (payouts.body["items"][0]["status"].as_str(), &payouts.body["items"][0]["amount"]),
        (Some("paid"), &eur("178.59"))
    );

    // November's statement, as stored when the month closed, equals the ledger; December's
    // opens where November closed, with November's fee and the payout.
    let statement = app.get(&format!("/sellers/{phone_seller}/statements/2026-11"), Some(&phone_member)).await;
    assert_eq!(statement.status, 200, "{statement:?}");
    assert_eq!(kinds(&statement), ["sale", "release"]);
    // The sale at its gross: what the buyer paid for the phone seller's part, its commission,
    // and the net credited to the seller.
    let sale = &statement.body["lines"][0];
    assert_eq!((&sale["gross"], &sale["commission"], &sale["net"]), (&eur("253.99"), &eur("25.40"), &eur("228.59")));
    assert_eq!(statement.body["lines"][1]["net"], eur("0.00"), "a release moves money the seller already has");
    assert_eq!(statement.body["totals"]["grossSales"], eur("253.99"));
    assert_eq!(statement.body["totals"]["sales"], eur("228.59"));
    assert_eq!(statement.body["totals"]["commission"], eur("25.40"));
    assert_eq!(statement.body["totals"]["grossRefunds"], eur("0.00"));
    assert_eq!(statement.body["totals"]["net"], eur("228.59"));
    assert_eq!(statement.body["opening"]["available"], eur("0.00"));
    assert_eq!(statement.body["closing"]["available"], eur("228.59"));
    let december = app.get(&format!("/sellers/{phone_seller}/statements/2026-12"), Some(&app.admin())).await;
    assert_eq!(kinds(&december), ["monthly_fee", "payout", "payout_paid"]);
    assert_eq!(december.body["opening"], statement.body["closing"], "one month closes where the next opens");
    assert_eq!(december.body["totals"]["monthlyFees"], eur("50.00"));
    assert_eq!(december.body["totals"]["payouts"], eur("178.59"));
    assert_eq!(december.body["totals"]["net"], eur("-228.59"), "the fee and the payout");
    assert_eq!(december.body["closing"]["available"], eur("0.00"));
    let csv = app
        .send(
            "GET",
            &format!("/sellers/{phone_seller}/statements/2026-11"),
            Some(&phone_member),
            None,
            &[("accept", "text/csv")],
        )
        .await;
    assert_eq!(csv.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("text/csv; charset=utf-8"));
    assert!(csv.text.starts_with(
        "postedAt,kind,transactionId,orderId,gross,commission,net,pending,available,inTransit,owed\n\
         ,opening_balance,,,0.00,0.00,0.00,0.00,0.00,0.00,0.00\n"
    ));
    assert!(
        csv.text.contains(&format!(
            ",sale,{order}:{phone_seller}:sale,{order},253.99,25.40,228.59,228.59,0.00,0.00,0.00\n"
        )),
        "{}",
        csv.text
    );
    assert!(
        csv.text.contains(&format!(",release,{order}:{phone_seller}:release,{order},0.00,0.00,0.00,-228.59,228.59,"))
    );
    assert!(csv.text.ends_with(",closing_balance,,,0.00,0.00,228.59,0.00,228.59,0.00,0.00\n"), "{}", csv.text);
    let stored =
        app.runner.ports.blobs.get(&store::document_key(&phone_seller, "2026-11", Currency::EUR, "json")).await;
    assert!(stored.ok().flatten().is_some(), "the closed month's statement is stored");

    // The platform earned the service fee and both commissions, and November's fee of four
    // sellers (the two demo sellers were active in November too); nothing else.
    assert_eq!(platform_revenue(app).await, [before[0] + 399, before[1] + 2_540 + 890, before[2] + 4 * 5_000]);
}

/// Service fees, commission and subscriptions earned so far, in euro cents.
async fn platform_revenue(app: &App) -> [i64; 3] {
    let ledger = Ledger::new(app.runner.ports.table.as_ref());
    let mut earned = [0; 3];
    for (i, account) in [Account::ServiceFees, Account::Commission, Account::Subscriptions].into_iter().enumerate() {
        earned[i] = ledger.platform_balance(&account, Currency::EUR).await.expect("a balance");
    }
    earned
}

/// A refused payout returns the money; a refund after payout leaves the seller owing, and
/// later funds pay that back first.
async fn refused_payouts_and_refunds_after_payout(app: &App) {
    set_clock(app, "2026-11-02T09:00:00Z");
    let (seller, member, offer) =
        app.seller_with_offer("closed-account-seller", CLOSED, local_runner::demo::IPAD, "100.00", "0.00").await;
    let order = app.paid_order(&app.buyer(), &[&offer]).await;
    app.deliver(&order, &member).await;
    set_clock(app, "2026-11-16T03:00:00Z");
    run(app, "funds-release").await;
    assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "90.00", "0.00"]));
    run(app, "payouts").await;
    let payouts = app.get(&format!("/sellers/{seller}/payouts"), Some(&member)).await;
    assert_eq!(payouts.body["items"][0]["status"], "returned", "{payouts:?}");
    assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "90.00", "0.00"]), "the money is back");

    // The buyer is refunded in full after the release.
    let refund = app
        .send(
            "POST",
            &format!("/orders/{order}/refunds"),
            Some(&member),
            Some(&json!({"amount": eur("100.00")}).to_string()),
            &[("content-type", "application/json"), ("idempotency-key", "refund-all")],
        )
        .await;
    assert_eq!(refund.status, 201, "{refund:?}");
    app.settle().await;
    // The whole commission comes back with the full refund: the seller's 90.00 goes to the buyer.
    assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "0.00", "0.00"]));
    set_clock(app, "2026-12-01T00:05:00Z");
    run(app, "seller-fees").await;
    assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "0.00", "50.00"]), "the fee is owed");
    let statement = app.get(&format!("/sellers/{seller}/statements/2026-11"), Some(&member)).await;
    assert_eq!(statement.body["totals"]["refunds"], eur("90.00"));
    assert_eq!(statement.body["totals"]["commission"], eur("0.00"));
    assert_eq!(statement.body["closing"]["owed"], eur("0.00"), "November's fee is December's");

    // A later sale pays the debt first; the rest stays available (the account still refuses).
    let later = app.paid_order(&app.buyer(), &[&offer]).await;
    app.deliver(&later, &member).await;
    set_clock(app, "2026-12-16T03:00:00Z");
    run(app, "funds-release").await;
    assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "90.00", "50.00"]));
    for _ in 0..2 {
        run(app, "payouts").await;
        assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "40.00", "0.00"]));
    }
    let december = app.get(&format!("/sellers/{seller}/statements/2026-12"), Some(&member)).await;
    assert_eq!(kinds(&december), ["monthly_fee", "sale", "release", "recovery", "payout", "payout_returned"]);
    assert_eq!(december.body["closing"]["available"], eur("40.00"));
}

/// A seller's negotiated terms: its own commission on each sale and its own monthly fee.
async fn contracts_set_the_commission_and_the_fee(app: &App) {
    set_clock(app, "2026-11-02T09:00:00Z");
    let (seller, member, offer) =
        app.seller_with_offer("contract-seller", PAYS, local_runner::demo::IPAD, "100.00", "0.00").await;
    let path = format!("/sellers/{seller}/contract");
    let terms = json!({"commissionRate": "0.085", "monthlyFee": eur("39.00")});
    assert_eq!(
        app.call("PUT", &path, Some(&member), Some(terms.clone())).await.status,
        403,
        "sellers do not set their own terms"
    );
    let set = app.call("PUT", &path, Some(&app.admin()), Some(terms)).await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["contract"], json!({"commissionRate": "0.085", "monthlyFee": eur("39.00")}));
    let account = app.get(&format!("/sellers/{seller}/account"), Some(&member)).await;
    assert_eq!(account.body["contract"]["commissionRate"], "0.085", "the seller sees its terms");
    for (bad, field) in [
        (json!({"commissionRate": "1.5"}), "commissionRate"),
        (json!({"commissionRate": "0.12345"}), "commissionRate"),
        (json!({"commissionRate": "ten"}), "commissionRate"),
        (json!({"commissionRate": "1e-1"}), "commissionRate"),
        (json!({"commissionRate": "-0.0"}), "commissionRate"),
        (json!({"commissionRate": " 0.1"}), "commissionRate"),
        (json!({"monthlyFee": eur("-1.00")}), "monthlyFee.amount"),
        (json!({"monthlyFee": {"amount": "5.00", "currency": "XXX"}}), "monthlyFee.currency"),
    ] {
        let reply = app.call("PUT", &path, Some(&app.admin()), Some(bad.clone())).await;
        assert_eq!((reply.status, reply.fields()), (422, vec![field.to_owned()]), "{bad}");
    }
    let unknown = app.call("PUT", &path, Some(&app.admin()), Some(json!({"commision": "0.1"}))).await;
    assert_eq!(unknown.status, 400);
    let array = app.call("PUT", &path, Some(&app.admin()), Some(json!([]))).await;
    assert_eq!((array.status, array.code()), (400, "invalid_body"), "an array is not a contract");
    let bad_path = app.get(&format!("/sellers/{seller}/statements/%FF"), Some(&member)).await;
    assert_eq!((bad_path.status, bad_path.code()), (404, "not_found"));
    assert_eq!(app.call("PUT", "/sellers/sel_unknown/contract", Some(&app.admin()), Some(json!({}))).await.status, 404);

    let order = app.paid_order(&app.buyer(), &[&offer]).await;
    assert_eq!(balance(app, &seller, &member).await, json!(["91.50", "0.00", "0.00"]), "8.5 % of 100.00");
    app.deliver(&order, &member).await;
    set_clock(app, "2026-12-01T00:05:00Z");
    run(app, "funds-release").await;
    run(app, "seller-fees").await;
    assert_eq!(balance(app, &seller, &member).await, json!(["0.00", "52.50", "0.00"]), "91.50 less its own 39.00 fee");

    // Back to the defaults.
    let reset = app.call("PUT", &path, Some(&app.admin()), Some(json!({"commissionRate": null}))).await;
    assert_eq!(reset.body["contract"], json!({}));
}

async fn statements_refuse_what_is_not_there(app: &App) {
    let lyon = app.lyon();
    for (path, status) in [
        ("/sellers/sel_demo_lyon/statements/2026-13", 404),
        ("/sellers/sel_demo_lyon/statements/26-11", 404),
        ("/sellers/sel_demo_lyon/statements/9999-01", 404),
        ("/sellers/sel_demo_lyon/balance?currency=XXX", 400),
        ("/sellers/sel_demo_lyon/balance?currency=EUR&extra=1", 400),
        ("/sellers/sel_demo_berlin/balance", 404),
        ("/sellers/sel_unknown/balance", 404),
    ] {
        let reply = app.get(path, Some(&lyon)).await;
        assert_eq!(reply.status, status, "{path}: {reply:?}");
    }
    assert_eq!(app.get("/sellers/sel_unknown/balance", Some(&app.admin())).await.status, 404);
    assert_eq!(
        app.get("/sellers/sel_demo_lyon/balance?currency=GBP", Some(&app.admin())).await.body["currency"],
        "GBP"
    );
}

/// The fee job crashing at every storage call in turn (before or after the call applied),
/// then run again: every seller is charged each month exactly once.
async fn fees_are_charged_once_after_a_crash_half_way(app: &App, faulty: &FaultyTable, every: usize) {
    set_clock(app, "2026-11-02T09:00:00Z");
    let mut sellers = vec![SELLER_LYON.to_owned(), SELLER_BERLIN.to_owned()];
    for who in ["fees-a", "fees-b", "fees-c"] {
        sellers.push(app.seller_with_offer(who, PAYS, local_runner::demo::IPAD, "10.00", "0.00").await.0);
    }
    app.settle().await;
    let ledger = Ledger::new(app.runner.ports.table.as_ref());
    // A clean run counts the calls a run makes.
    set_clock(app, "2026-12-01T00:05:00Z");
    faulty.arm(0, Fault::Before);
    run(app, "seller-fees").await;
    let calls = faulty.calls();
    let mut month = jiff::civil::date(2026, 12, 1);
    for at in (1..=calls).step_by(every) {
        for fault in [Fault::Before, Fault::After] {
            month = month.checked_add(jiff::Span::new().months(1)).expect("a month");
            let first = month.to_zoned_datetime(jiff::tz::TimeZone::UTC).expect("a date").timestamp();
            app.runner.clock.set(first.checked_add(jiff::SignedDuration::from_mins(5)).expect("a time"));
            let charged_before = platform_revenue(app).await[2];
            faulty.arm(at, fault);
            let _ = app.call("POST", "/_local/schedules/seller-fees/run", None, None).await;
            faulty.arm(0, fault);
            run(app, "seller-fees").await;
            run(app, "seller-fees").await;
            let charged = platform_revenue(app).await[2] - charged_before;
            assert_eq!(charged, 5_000 * sellers.len() as i64, "crash at call {at} ({fault:?}) of {calls}");
            let previous = marketplace::funds::previous_month(app.runner.ports.clock.now()).0;
            for seller in &sellers {
                let id = format!("fee:{seller}:{previous}");
                assert!(ledger.transaction(&id).await.expect("a read").is_some(), "{id}");
            }
        }
    }
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        worked_example,
        refused_payouts_and_refunds_after_payout,
        contracts_set_the_commission_and_the_fee,
        statements_refuse_what_is_not_there
    ]
);

#[tokio::test]
async fn embedded_fees_are_charged_once_after_a_crash_at_any_call() {
    let (app, faulty) = App::embedded_faulty().await;
    fees_are_charged_once_after_a_crash_half_way(&app, &faulty, 1).await;
}

/// Every sixth call on the emulator, which is slower.
#[tokio::test]
async fn aws_fees_are_charged_once_after_a_crash_half_way() {
    if let Some((app, faulty)) = App::aws_faulty().await {
        fees_are_charged_once_after_a_crash_half_way(&app, &faulty, 6).await;
    }
}
