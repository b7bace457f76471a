//! Disputes end to end (R-DISPUTE) on both adapters: a help request the seller ignores becomes
//! a case; the seller is told and flagged overdue; an admin refunds part of the line through
//! the one refund path, the ledger stays balanced and the seller's balance moves by exactly
//! the refund less the commission given back; another case is escalated, the buyer gets the
//! consumer mediator's details and the case file is stored. Careless and hostile callers get
//! a clear 4xx and write nothing.

use acceptance::{App, Reply};
use local_runner::demo::SELLER_LYON;
use serde_json::{Value, json};

const IPHONE_LYON: &str = "off_demo_iphone_lyon";
const IPAD_LYON: &str = "off_demo_ipad_lyon";

fn buyer(app: &App, name: &str) -> String {
    app.token_with_email("buyer", &format!("dispute-{name}"), &format!("{name}@example.test"))
}

/// `buyer` buys `offer`; the Lyon seller accepts and ships it.
async fn shipped(app: &App, buyer: &str, offer: &str) -> String {
    let order = app.paid_order(buyer, &[offer]).await;
    for (step, body) in [("acceptance", None), ("shipment", Some(json!({"carrier": "DHL", "tracking": "JD9"})))] {
        let reply = app.call("POST", &format!("/orders/{order}/{step}"), Some(&app.lyon()), body).await;
        assert_eq!(reply.status, 200, "{step}: {reply:?}");
    }
    order
}

fn case(offer: &str) -> Value {
    json!({"offerId": offer, "subject": "Never arrived", "message": "The tracking has not moved for a week.",
           "desiredOutcome": "refund"})
}

async fn open(app: &App, buyer: &str, order: &str, body: Value) -> Reply {
    app.call("POST", &format!("/orders/{order}/disputes"), Some(buyer), Some(body)).await
}

/// The Lyon seller's funds, pending + available − owed, in cents.
async fn lyon_funds(app: &App) -> i64 {
    let reply = app.get(&format!("/sellers/{SELLER_LYON}/balance"), Some(&app.lyon())).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let cents = |v: &Value| -> i64 {
        let text = v["amount"].as_str().unwrap_or("0.00").replace('.', "");
        text.parse().expect("an amount")
    };
    cents(&reply.body["pending"]) + cents(&reply.body["available"]) - cents(&reply.body["owed"])
}

async fn an_ignored_help_request_ends_in_a_partial_refund(app: &App) {
    let ana = buyer(app, "ana");
    let order = shipped(app, &ana, IPHONE_LYON).await;
    // Not yet: no help asked, nothing delivered.
    let early = open(app, &ana, &order, case(IPHONE_LYON)).await;
    assert_eq!((early.status, early.code()), (409, "not_disputable_yet"), "{early:?}");
    let help = json!({"offerId": IPHONE_LYON, "reason": "not_delivered", "message": "Where is it?"});
    let asked = app.call("POST", &format!("/orders/{order}/help-requests"), Some(&ana), Some(help)).await;
    assert_eq!(asked.status, 201, "{asked:?}");
    app.advance("P6D").await;
    let ana = buyer(app, "ana");

    // Careless and hostile input first: nothing is written.
    let stranger = buyer(app, "stranger");
    assert_eq!(open(app, &stranger, &order, case(IPHONE_LYON)).await.status, 404, "someone else's order");
    assert_eq!(open(app, &app.lyon(), &order, case(IPHONE_LYON)).await.status, 403, "a seller opens none");
    assert_eq!(open(app, &ana, &order, json!({"offerId": IPHONE_LYON})).await.status, 400);
    let bad = open(
        app,
        &ana,
        &order,
        json!({"offerId": "off_nope", "subject": " ", "message": "x", "desiredOutcome": "money"}),
    )
    .await;
    assert_eq!(
        (bad.status, bad.fields()),
        (422, vec!["subject".to_owned(), "desiredOutcome".to_owned(), "offerId".to_owned()])
    );
    assert!(app.get("/disputes", Some(&ana)).await.body["items"].as_array().is_some_and(Vec::is_empty));

    let opened = open(app, &ana, &order, case(IPHONE_LYON)).await;
    assert_eq!(opened.status, 201, "{opened:?}");
    let id = opened.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(opened.body["status"], "open");
    let kinds: Vec<&str> =
        opened.body["timeline"].as_array().expect("a timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["ordered", "paid", "accepted", "shipped", "help_requested", "case_opened", "message"],
        "{opened:?}"
    );
    let second = open(app, &ana, &order, case(IPHONE_LYON)).await;
    assert_eq!((second.status, second.code()), (409, "dispute_exists"), "one case per line");

    let path = |what: &str| format!("/disputes/{id}{what}");
    let note = json!({"message": "Any news?"});
    assert_eq!(
        app.call("POST", &path("/messages"), Some(&app.berlin()), Some(note.clone())).await.status,
        404,
        "another seller"
    );
    assert_eq!(
        app.call("POST", &path("/messages"), Some(&stranger), Some(note.clone())).await.status,
        404,
        "a stranger"
    );
    assert_eq!(
        app.call("POST", &path("/messages"), Some(&ana), Some(json!({"message": "x".repeat(2001)}))).await.status,
        422
    );
    assert_eq!(app.get(&path(""), Some(&stranger)).await.status, 404);
    assert_eq!(app.get(&path(""), None).await.status, 401);
    assert_eq!(app.call("POST", &path("/messages"), Some(&ana), Some(note)).await.status, 200);

    // The seller was told, and is overdue five business days later (opened on a Saturday, with
    // Armistice Day on the way: the end of Monday 16 November in Paris).
    app.call("POST", "/_local/schedules/notifications/run", None, None).await;
    let mails = app.outbox().await;
    let lyon_email =
        app.get(&format!("/sellers/{SELLER_LYON}"), None).await.body["email"].as_str().expect("an e-mail").to_owned();
    assert!(
        mails.iter().any(|m| m["to"] == lyon_email.as_str() && m["body"].as_str().is_some_and(|b| b.contains(&id))),
        "{mails:#?}"
    );
    app.advance("P10D").await;
    let (ana, admin) = (buyer(app, "ana"), app.admin());
    let queue = app.get("/disputes?status=open", Some(&admin)).await;
    let listed = queue.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["id"] == id.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(listed["sellerAnswerOverdue"], true, "{queue:?}");
    assert_eq!(app.get("/disputes?status=open", Some(&ana)).await.status, 400, "only admins filter by status");

    // Resolution: only admins, never above what was paid, then exactly once.
    let partial = |amount: &str| json!({"outcome": "partial_refund", "amount": {"amount": amount, "currency": "EUR"}, "explanation": "Lost in transit; the carrier refunds the shipping."});
    assert_eq!(app.call("POST", &path("/resolution"), Some(&ana), Some(partial("50.00"))).await.status, 403);
    assert_eq!(app.call("POST", &path("/resolution"), Some(&app.lyon()), Some(partial("50.00"))).await.status, 403);
    let too_much = app.call("POST", &path("/resolution"), Some(&admin), Some(partial("999.00"))).await;
    assert_eq!((too_much.status, too_much.code()), (409, "refund_exceeds_payment"), "{too_much:?}");
    let before = lyon_funds(app).await;
    let resolved = app.call("POST", &path("/resolution"), Some(&admin), Some(partial("50.00"))).await;
    assert_eq!(resolved.status, 200, "{resolved:?}");
    assert_eq!(resolved.body["outcome"]["amount"], json!({"amount": "50.00", "currency": "EUR"}));
    let again = app.call("POST", &path("/resolution"), Some(&admin), Some(partial("50.00"))).await;
    assert_eq!(again.status, 409, "resolved once: {again:?}");
    app.settle().await;
    // The seller gives back 50.00 less the 10 % commission the platform returns: 45.00.
    assert_eq!(before - lyon_funds(app).await, 4_500);
    assert_eq!(acceptance::ledger_total(app.runner.ports.table.as_ref()).await, Ok(0), "the ledger balances");
    let order_view = app.get(&format!("/orders/{order}"), Some(&ana)).await;
    assert!(order_view.text.contains("50.00"), "the refund is on the order: {order_view:?}");

    // The buyer's case file; the seller gets none.
    assert_eq!(app.get(&path("/export"), Some(&app.lyon())).await.status, 403);
    let file = app.get(&path("/export"), Some(&ana)).await;
    assert_eq!(file.status, 200, "{file:?}");
    assert_eq!(file.body["outcome"]["kind"], "partial_refund");
    assert_eq!(file.body["trader"]["sellerId"], SELLER_LYON);
    assert!(!file.text.contains("ana@example.test"), "the buyer by reference only");
}

async fn an_escalated_case_gives_the_mediator_and_stores_the_case_file(app: &App) {
    let bo = buyer(app, "bo");
    let order = shipped(app, &bo, IPAD_LYON).await;
    let delivered = app.call("POST", &format!("/orders/{order}/delivery"), Some(&app.lyon()), None).await;
    assert_eq!(delivered.status, 200);
    let mut body = case(IPAD_LYON);
    body["subject"] = json!("Screen scratched, sold as very good");
    let opened = open(app, &bo, &order, body).await;
    assert_eq!(opened.status, 201, "delivered: a case at once: {opened:?}");
    let id = opened.body["id"].as_str().expect("an id").to_owned();
    let escalation = format!("/disputes/{id}/escalation");
    let early = app.call("POST", &escalation, Some(&bo), None).await;
    assert_eq!((early.status, early.code()), (409, "not_escalable_yet"), "{early:?}");
    assert_eq!(app.call("POST", &escalation, Some(&app.lyon()), None).await.status, 403, "only the buyer escalates");
    let admin = app.admin();
    let no_action = json!({"outcome": "no_action", "explanation": "The photos show the grade's usual marks."});
    assert_eq!(
        app.call("POST", &format!("/disputes/{id}/resolution"), Some(&admin), Some(no_action)).await.status,
        200
    );
    let escalated = app.call("POST", &escalation, Some(&bo), None).await;
    assert_eq!(escalated.status, 200, "{escalated:?}");
    assert_eq!(escalated.body["status"], "escalated");
    assert_eq!(escalated.body["mediator"]["name"], "Médiateur du e-commerce de la FEVAD", "the order ships to France");
    // Closed: no more messages; the line is free for a new case.
    let late =
        app.call("POST", &format!("/disputes/{id}/messages"), Some(&bo), Some(json!({"message": "hello"}))).await;
    assert_eq!(late.status, 409);
    // The buyer is mailed the mediator and the case file's link; both are stored.
    app.advance("PT10M").await;
    let mails = app.outbox().await;
    let to_bo: Vec<&Value> = mails.iter().filter(|m| m["to"] == "bo@example.test").collect();
    let mediator_mail =
        to_bo.iter().find(|m| m["subject"].as_str().is_some_and(|s| s.contains("mediator"))).expect("mailed");
    let text = mediator_mail["body"].as_str().expect("a body");
    assert!(
        text.contains("https://www.mediateurfevad.fr") && text.contains(&format!("/disputes/{id}/export")),
        "{text}"
    );
    assert!(!text.to_ascii_lowercase().contains("ec.europa.eu/consumers/odr"), "{text}");
    let blobs = app.runner.ports.blobs.as_ref();
    let pdf = blobs.get(&disputes::case_file_key(&id, "pdf")).await.expect("readable").expect("stored");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert_eq!(pdf.content_type, "application/pdf");
    let json_file = blobs.get(&disputes::case_file_key(&id, "json")).await.expect("readable").expect("stored");
    assert!(String::from_utf8_lossy(&json_file.bytes).contains("escalated"));
    // The same case gives the same PDF.
    let accept = [("accept", "application/pdf")];
    let first = app.send("GET", &format!("/disputes/{id}/export"), Some(&bo), None, &accept).await;
    let second = app.send("GET", &format!("/disputes/{id}/export"), Some(&bo), None, &accept).await;
    assert_eq!(first.headers["content-type"], "application/pdf");
    assert!(first.text == second.text && !first.text.is_empty(), "deterministic");
}

async fn the_legal_page_names_each_market_s_route(app: &App) {
    let page = app.get("/legal/dispute-resolution", None).await;
    assert_eq!(page.status, 200, "{page:?}");
    let markets = page.body["markets"].as_array().expect("markets");
    assert!(markets.iter().any(|m| m["market"] == "FR" && m["mediator"]["website"] == "https://www.mediateurfevad.fr"));
    assert!(markets.iter().all(|m| m["courts"].as_str().is_some_and(|c| c.contains("place where the product was"))));
    assert!(page.body["otherMarkets"]["mediator"]["name"].is_string());
    assert!(!page.text.to_ascii_lowercase().contains("/odr"), "no link to the closed EU ODR platform");
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        an_ignored_help_request_ends_in_a_partial_refund,
        an_escalated_case_gives_the_mediator_and_stores_the_case_file,
        the_legal_page_names_each_market_s_route
    ]
);
