//! The platform's removals (R-REMOVE) and what the DSA asks of them, end to end on both
//! adapters: an admin removes an offer or a seller for one of the enumerated grounds; what is
//! removed leaves the listings at once and cannot be bought, even on a quote made before; every
//! restricted item has exactly one statement of reasons in the Transparency Database's format
//! (checked by the reference's field rules), mailed to the seller; and the buyers of a product
//! removed as illegal in the six months before are told once (Art. 32).

use acceptance::{App, Reply};
use local_runner::demo::{IPHONE, MACBOOK, SELLER_BERLIN, SELLER_LYON};
use serde_json::{Value, json};

const IPHONE_LYON: &str = "off_demo_iphone_lyon";
const IPHONE_BERLIN: &str = "off_demo_iphone_berlin";
const MACBOOK_BERLIN: &str = "off_demo_macbook_berlin";

fn removal(reason: &str) -> Value {
    json!({"reason": reason, "explanation": "Checked by the quality team on 2026-11-02: see the case file."})
}

/// Every statement recorded so far, each checked against the reference's field rules.
async fn statements(app: &App) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/dsa/statements?limit=100&cursor={c}"),
            None => "/dsa/statements?limit=100".to_owned(),
        };
        let page = app.get(&path, Some(&app.admin())).await;
        assert_eq!(page.status, 200, "{page:?}");
        for statement in page.body["items"].as_array().expect("items") {
            let wrong = acceptance::transparency::violations(statement);
            assert!(wrong.is_empty(), "{wrong:?} in {statement}");
            all.push(statement.clone());
        }
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

fn about<'a>(statements: &'a [Value], id: &str) -> Vec<&'a Value> {
    statements.iter().filter(|s| s["puid"].as_str().is_some_and(|p| p.starts_with(&format!("sor_{id}_")))).collect()
}

async fn quote(app: &App, buyer: &str, offer: &str) -> Reply {
    let cart = json!({"lines": [{"offerId": offer, "quantity": 1}], "paymentMethod": "card", "shippingCountry": "FR"});
    app.call("POST", "/quotes", Some(buyer), Some(cart)).await
}

fn listed(reply: &Reply) -> Vec<String> {
    reply.body["items"].as_array().into_iter().flatten().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect()
}

async fn removing_an_offer_is_for_admins_explained_and_final(app: &App) {
    let (admin, buyer) = (app.admin(), app.buyer());
    let path = format!("/offers/{IPHONE_BERLIN}/removal");
    // Bad input, a careless or hostile caller: a clear 4xx, nothing written.
    let by_seller = app.call("POST", &path, Some(&app.berlin()), Some(removal("not_repackaged"))).await;
    assert_eq!(by_seller.status, 403, "{by_seller:?}");
    assert_eq!(app.call("POST", &path, None, Some(removal("not_repackaged"))).await.status, 401);
    for (body, field) in [
        (json!({"reason": "bitcoin", "explanation": "x"}), "reason"),
        (json!({"reason": "seller_removed", "explanation": "x"}), "reason"),
        (json!({"explanation": "x"}), "reason"),
        (json!({"reason": "not_repackaged"}), "explanation"),
        (json!({"reason": "not_repackaged", "explanation": "x".repeat(2001)}), "explanation"),
    ] {
        let reply = app.call("POST", &path, Some(&admin), Some(body.clone())).await;
        assert_eq!((reply.status, reply.fields()), (422, vec![field.to_owned()]), "{body}: {reply:?}");
    }
    let extra = app
        .call("POST", &path, Some(&admin), Some(json!({"reason": "not_repackaged", "explanation": "x", "x": 1})))
        .await;
    assert_eq!(extra.status, 400, "{extra:?}");
    let unknown = app.call("POST", "/offers/off_nope/removal", Some(&admin), Some(removal("not_repackaged"))).await;
    assert_eq!(unknown.status, 404, "{unknown:?}");
    assert!(statements(app).await.is_empty(), "nothing written");

    // A quote made before the removal.
    let open = quote(app, &buyer, IPHONE_BERLIN).await;
    assert_eq!(open.status, 201, "{open:?}");

    let key = [("content-type", "application/json"), ("idempotency-key", "remove-iphone-berlin")];
    let body = removal("not_repackaged").to_string();
    let removed = app.send("POST", &path, Some(&admin), Some(&body), &key).await;
    assert_eq!(removed.status, 200, "{removed:?}");
    assert_eq!(
        (&removed.body["status"], &removed.body["removalReason"]),
        (&json!("removed"), &json!("not_repackaged"))
    );
    let replayed = app.send("POST", &path, Some(&admin), Some(&body), &key).await;
    assert_eq!(replayed.body, removed.body, "a retried removal answers as the first");
    let again = app.call("POST", &path, Some(&admin), Some(removal("prohibited_trade"))).await;
    assert_eq!((again.status, again.code()), (409, "already_removed"), "{again:?}");

    // Gone from the listing and the offer page; not quoted; the open quote fails at order time.
    let listing = app.get(&format!("/products/{IPHONE}/offers"), None).await;
    assert_eq!(listed(&listing), [IPHONE_LYON], "{listing:?}");
    assert_eq!(app.get(&format!("/offers/{IPHONE_BERLIN}"), None).await.status, 404);
    let stale = app.call("POST", "/orders", Some(&buyer), Some(json!({"quoteId": open.body["id"]}))).await;
    assert_eq!(stale.status, 409, "{stale:?}");
    assert_ne!(quote(app, &buyer, IPHONE_BERLIN).await.status, 201);

    // One statement, in the database's format, for the offer, mailed to its seller once.
    let all = statements(app).await;
    let mine = about(&all, IPHONE_BERLIN);
    assert_eq!(mine.len(), 1, "{all:?}");
    let statement = mine[0];
    assert_eq!(statement["puid"], removed.body["statementOfReasons"]);
    assert_eq!(statement["content_type"], json!(["CONTENT_TYPE_PRODUCT"]));
    assert_eq!(statement["decision_visibility"], json!(["DECISION_VISIBILITY_CONTENT_REMOVED"]));
    assert_eq!(statement["decision_ground"], "DECISION_GROUND_INCOMPATIBLE_CONTENT");
    assert_eq!(statement["source_type"], "SOURCE_VOLUNTARY");
    assert!(statement.get("decision_account").is_none(), "an offer, not an account");
    app.advance("PT10M").await;
    let run = app.call("POST", "/_local/schedules/notifications/run", None, None).await;
    assert_eq!(run.status, 200, "{run:?}");
    let seller = app.get(&format!("/sellers/{SELLER_BERLIN}"), None).await;
    let to = seller.body["email"].as_str().expect("the trader's e-mail").to_owned();
    let mails: Vec<Value> = app.outbox().await.into_iter().filter(|m| m["to"] == to.as_str()).collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let text = mails[0]["body"].as_str().expect("a body");
    assert!(text.contains(statement["puid"].as_str().expect("a puid")), "{text}");
    assert!(text.contains("out-of-court") && text.contains("court") && text.contains("complaint"), "redress: {text}");
    assert!(!text.contains("ec.europa.eu/consumers/odr"), "{text}");
}

async fn removing_a_seller_hides_all_its_offers_at_once_and_explains_each(app: &App) {
    let (admin, buyer) = (app.admin(), app.buyer());
    let open = quote(app, &buyer, MACBOOK_BERLIN).await;
    assert_eq!(open.status, 201, "{open:?}");
    let path = format!("/sellers/{SELLER_BERLIN}/removal");
    let free_text = app.call("POST", &path, Some(&admin), Some(json!({"reason": "counterfeit parts"}))).await;
    assert_eq!(free_text.status, 422, "the ground is one of R-REMOVE's: {free_text:?}");
    let by_seller = app.call("POST", &path, Some(&app.lyon()), Some(removal("prohibited_trade"))).await;
    assert_eq!(by_seller.status, 403);

    let removed = app.call("POST", &path, Some(&admin), Some(removal("prohibited_trade"))).await;
    assert_eq!(removed.body["status"], "removed", "{removed:?}");
    // At once, before the offers themselves are reached.
    assert_eq!(listed(&app.get(&format!("/products/{IPHONE}/offers"), None).await), [IPHONE_LYON]);
    assert!(listed(&app.get(&format!("/products/{MACBOOK}/offers"), None).await).is_empty());
    let stale = app.call("POST", "/orders", Some(&buyer), Some(json!({"quoteId": open.body["id"]}))).await;
    assert_eq!(stale.status, 409, "{stale:?}");
    app.settle().await;

    // One statement for the account, one per removed offer; a repeated decision adds none.
    let repeated = app.call("POST", &path, Some(&admin), Some(removal("prohibited_trade"))).await;
    assert_eq!(repeated.status, 200, "{repeated:?}");
    app.settle().await;
    let all = statements(app).await;
    assert_eq!(all.len(), 3, "{all:#?}");
    let account = about(&all, SELLER_BERLIN);
    assert_eq!(account.len(), 1);
    assert_eq!(account[0]["decision_account"], "DECISION_ACCOUNT_TERMINATED");
    assert_eq!(account[0]["decision_ground"], "DECISION_GROUND_ILLEGAL_CONTENT");
    for offer in [IPHONE_BERLIN, MACBOOK_BERLIN] {
        let of = about(&all, offer);
        assert_eq!(of.len(), 1, "{offer}: {all:#?}");
        assert_eq!(of[0]["decision_visibility"], json!(["DECISION_VISIBILITY_CONTENT_REMOVED"]));
        assert!(of[0]["decision_facts"].as_str().is_some_and(|f| f.contains("seller's account was terminated")));
    }
    // Each is mailed to the seller once, however often the job runs.
    app.advance("PT10M").await;
    app.call("POST", "/_local/schedules/notifications/run", None, None).await;
    let account = app.get(&format!("/sellers/{SELLER_BERLIN}/account"), Some(&admin)).await;
    let to = account.body["email"].as_str().expect("the trader's e-mail").to_owned();
    let mails = app.outbox().await;
    let to_seller: Vec<&Value> = mails.iter().filter(|m| m["to"] == to.as_str()).collect();
    assert_eq!(to_seller.len(), 3, "{mails:#?}");
    assert!(to_seller.iter().all(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("Statement of reasons"))));
}

async fn a_suspension_explains_the_account_and_each_hidden_offer_every_time(app: &App) {
    let admin = app.admin();
    let path = format!("/sellers/{SELLER_LYON}/suspension");
    let suspend = || app.call("POST", &path, Some(&admin), Some(removal("seller_terms_breach")));
    assert_eq!(suspend().await.status, 200);
    app.settle().await;
    let all = statements(app).await;
    assert_eq!(all.len(), 3, "the account and its two listed offers: {all:#?}");
    assert_eq!(about(&all, SELLER_LYON)[0]["decision_account"], "DECISION_ACCOUNT_SUSPENDED");
    for offer in [IPHONE_LYON, "off_demo_ipad_lyon"] {
        assert_eq!(
            about(&all, offer)[0]["decision_visibility"],
            json!(["DECISION_VISIBILITY_CONTENT_DISABLED"]),
            "{offer}"
        );
    }
    // Suspending again changes nothing and explains nothing more.
    assert_eq!(suspend().await.status, 200);
    app.settle().await;
    assert_eq!(statements(app).await.len(), 3);
    // Reinstated, then suspended anew: a new decision, new statements.
    let back = app.call("POST", &format!("/sellers/{SELLER_LYON}/reinstatement"), Some(&admin), None).await;
    assert_eq!(back.status, 200, "{back:?}");
    app.settle().await;
    assert_eq!(statements(app).await.len(), 3, "a reinstatement restricts nothing");
    app.runner.clock.advance(jiff::SignedDuration::from_secs(60));
    assert_eq!(suspend().await.status, 200);
    app.settle().await;
    let all = statements(app).await;
    assert_eq!(all.len(), 6, "{all:#?}");
    let mut puids: Vec<&str> = all.iter().filter_map(|s| s["puid"].as_str()).collect();
    puids.sort_unstable();
    puids.dedup();
    assert_eq!(puids.len(), 6, "every puid is unique");
}

async fn buyers_of_an_illegal_product_are_told_once(app: &App) {
    let with_email =
        |name: &str| app.token_with_email("buyer", &format!("art32-{name}"), &format!("{name}@example.test"));
    // Seven months before the removal: not told.
    app.paid_order(&with_email("early"), &[IPHONE_LYON]).await;
    app.runner.clock.set(app.runner.now().checked_add(jiff::SignedDuration::from_hours(24 * 213)).expect("a time"));
    let recent = with_email("recent");
    app.paid_order(&recent, &[IPHONE_LYON]).await;
    app.paid_order(&recent, &[IPHONE_LYON]).await;
    let anonymous_mail = app.token("buyer", "art32-no-email", None);
    app.paid_order(&anonymous_mail, &[IPHONE_LYON]).await;
    // A buyer of another offer of the same product: not told.
    app.paid_order(&with_email("other"), &["off_demo_iphone_berlin"]).await;

    // Tokens last 90 days: the admin signs in now.
    let admin = app.admin();
    let path = format!("/offers/{IPHONE_LYON}/removal");
    let removed = app.call("POST", &path, Some(&admin), Some(removal("health_safety_environment"))).await;
    assert_eq!(removed.status, 200, "{removed:?}");
    // The removal retried: refused, and told no one twice.
    assert_eq!(app.call("POST", &path, Some(&admin), Some(removal("health_safety_environment"))).await.status, 409);
    app.advance("PT10M").await;
    for _ in 0..2 {
        let run = app.call("POST", "/_local/schedules/notifications/run", None, None).await;
        assert_eq!(run.status, 200, "{run:?}");
    }
    let mails = app.outbox().await;
    let notices: Vec<&Value> =
        mails.iter().filter(|m| m["subject"].as_str().is_some_and(|s| s.contains("is illegal"))).collect();
    let told: Vec<&str> = notices.iter().filter_map(|m| m["to"].as_str()).collect();
    assert_eq!(told, ["recent@example.test"], "{mails:#?}");
    let body = notices[0]["body"].as_str().expect("a body");
    let seller = app.get(&format!("/sellers/{SELLER_LYON}"), None).await;
    let legal_name = seller.body["legalName"].as_str().expect("a legal name");
    assert!(body.contains(legal_name), "the trader's identity: {body}");
    assert!(body.contains("danger to health, safety or the environment"), "{body}");
    assert!(body.contains("consumer mediator") && body.contains("court"), "the means of redress: {body}");
    // The buyer with no e-mail on record sees the notice on the product page.
    let page = app.get(&format!("/products/{IPHONE}"), None).await;
    let shown = page.body["notices"].as_array().cloned().unwrap_or_default();
    assert_eq!(shown.len(), 1, "{page:?}");
    assert!(shown[0].as_str().is_some_and(|n| n.contains(legal_name)), "{page:?}");

    // A removal on the terms, not the law, tells no buyer.
    let terms =
        app.call("POST", "/offers/off_demo_iphone_berlin/removal", Some(&admin), Some(removal("not_repackaged"))).await;
    assert_eq!(terms.status, 200, "{terms:?}");
    app.advance("PT10M").await;
    let after = app.outbox().await;
    assert!(!after.iter().any(|m| m["to"] == "other@example.test"), "{after:#?}");
    let statements = statements(app).await;
    assert_eq!(statements.len(), 2, "{statements:#?}");
}

async fn the_points_of_contact_answer_anyone(app: &App) {
    let page = app.get("/legal/contact-points", None).await;
    assert_eq!(page.status, 200, "{page:?}");
    let languages = page.body["authorities"]["languages"].as_array().expect("languages");
    assert!(languages.contains(&json!("en")) && languages.contains(&json!("fr")), "{page:?}");
    assert_eq!(page.body["users"]["answeredByAPerson"], true, "not only automated (Art. 12)");
    assert_eq!(page.body, serde_json::to_value(dsa::contact_points()).expect("json"), "the configured points");
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        removing_an_offer_is_for_admins_explained_and_final,
        removing_a_seller_hides_all_its_offers_at_once_and_explains_each,
        a_suspension_explains_the_account_and_each_hidden_offer_every_time,
        buyers_of_an_illegal_product_are_told_once,
        the_points_of_contact_answer_anyone
    ]
);
