//! The first slice end to end through HTTP (R-SELLER, R-OFFER): each scenario is written once
//! and runs on the embedded adapters and on the AWS adapters against the emulator.

use acceptance::{App, Reply};
use serde_json::{Value, json};

const IPHONE: &str = "prd_demo_iphone13";
const LYON: &str = "sel_demo_lyon";
const BERLIN: &str = "sel_demo_berlin";
const PENDING: &str = "sel_demo_pending";

fn new_offer(product: &str) -> Value {
    json!({
        "productId": product,
        "grade": "very_good",
        "price": {"amount": "279.90", "currency": "EUR"},
        "shippingFee": {"amount": "4.99", "currency": "EUR"},
        "stock": 3,
        "warrantyMonths": 24,
        "paymentMethods": ["card", "klarna"]
    })
}

fn listed_ids(reply: &Reply) -> Vec<String> {
    reply.body["items"].as_array().into_iter().flatten().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect()
}

async fn listing(app: &App, product: &str) -> Vec<String> {
    let reply = app.get(&format!("/products/{product}/offers"), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    listed_ids(&reply)
}

async fn onboarding_takes_trader_data_once_per_user(app: &App) {
    let anonymous = app.call("POST", "/sellers", None, Some(acceptance::trader_application())).await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"));

    let user = app.token("buyer", "user-bordeaux", None);
    let created = app.call("POST", "/sellers", Some(&user), Some(acceptance::trader_application())).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["status"], "pending_verification");
    assert_eq!(created.body["email"], "bonjour@seconde-vie.example");
    assert_eq!(created.body["phone"], "+33556000001");
    assert_eq!(created.body["paymentAccount"], json!({"holder": "Seconde Vie SARL", "ibanEnding": "3000"}));
    assert!(
        created.body.get("iban").is_none() && !created.body.to_string().contains("DE89"),
        "the IBAN is never echoed"
    );
    let id = created.body["id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("sel_"));

    let again = app.call("POST", "/sellers", Some(&user), Some(acceptance::trader_application())).await;
    assert_eq!((again.status, again.code()), (409, "already_onboarded"));

    // Pending sellers have no public page; their members and admins see the account.
    assert_eq!(app.get(&format!("/sellers/{id}"), None).await.status, 404);
    let member = app.token("seller", "user-bordeaux", Some(&id));
    assert_eq!(app.get(&format!("/sellers/{id}/account"), Some(&member)).await.body["status"], "pending_verification");
    assert_eq!(app.get(&format!("/sellers/{id}/account"), Some(&app.admin())).await.status, 200);
    assert_eq!(app.get(&format!("/sellers/{id}/account"), Some(&app.lyon())).await.status, 404);
    assert_eq!(app.get(&format!("/sellers/{id}/account"), Some(&app.buyer())).await.status, 404);

    // A pending seller cannot list.
    let offer = app.call("POST", "/offers", Some(&member), Some(new_offer(IPHONE))).await;
    assert_eq!((offer.status, offer.code()), (409, "seller_not_active"));

    let approved = app
        .call("POST", &format!("/sellers/{id}/verification"), Some(&app.admin()), Some(json!({"decision": "approve"})))
        .await;
    assert_eq!(approved.body["status"], "active", "{approved:?}");
    let public = app.get(&format!("/sellers/{id}"), None).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.body["legalName"], "Seconde Vie SARL");
    assert_eq!(public.body["tradeRegister"]["number"], "900 000 001");
    assert!(public.body.get("paymentAccount").is_none(), "the payment account is not public");
    assert_eq!(app.call("POST", "/offers", Some(&member), Some(new_offer(IPHONE))).await.status, 201);
}

async fn onboarding_names_every_bad_field(app: &App) {
    let user = app.token("buyer", "user-careless", None);
    let mut bad = acceptance::trader_application();
    bad["email"] = json!("not-an-email");
    bad["address"]["country"] = json!("US");
    bad["paymentAccount"]["iban"] = json!("DE00 0000");
    bad["complianceSelfCertified"] = json!(false);
    let reply = app.call("POST", "/sellers", Some(&user), Some(bad)).await;
    assert_eq!((reply.status, reply.code()), (422, "validation_failed"));
    assert_eq!(reply.fields(), ["address.country", "email", "paymentAccount.iban", "complianceSelfCertified"]);
    assert_eq!(reply.headers["content-type"], "application/problem+json");

    let mut wrong_type = acceptance::trader_application();
    wrong_type["complianceSelfCertified"] = json!("yes");
    let reply = app.call("POST", "/sellers", Some(&user), Some(wrong_type)).await;
    assert_eq!(
        (reply.status, reply.code(), reply.fields()),
        (400, "invalid_body", vec!["complianceSelfCertified".to_owned()])
    );

    let malformed = app
        .send("POST", "/sellers", Some(&user), Some("{\"legalName\":"), &[("content-type", "application/json")])
        .await;
    assert_eq!((malformed.status, malformed.code()), (400, "malformed_json"));
    let not_json =
        app.send("POST", "/sellers", Some(&user), Some("legalName=x"), &[("content-type", "text/plain")]).await;
    assert_eq!((not_json.status, not_json.code()), (415, "unsupported_media_type"));
    // Nothing was written: the user can still onboard.
    assert_eq!(app.call("POST", "/sellers", Some(&user), Some(acceptance::trader_application())).await.status, 201);
}

async fn admin_decisions(app: &App) {
    let path = |what: &str| format!("/sellers/{PENDING}/{what}");
    let approve = json!({"decision": "approve"});
    for token in [app.buyer(), app.lyon()] {
        let reply = app.call("POST", &path("verification"), Some(&token), Some(approve.clone())).await;
        assert_eq!((reply.status, reply.code()), (403, "forbidden"));
    }
    assert_eq!(app.call("POST", &path("verification"), None, Some(approve.clone())).await.status, 401);
    let no_reason =
        app.call("POST", &path("verification"), Some(&app.admin()), Some(json!({"decision": "reject"}))).await;
    assert_eq!((no_reason.status, no_reason.fields()), (422, vec!["reason".to_owned()]));
    let unknown = app.call("POST", &path("verification"), Some(&app.admin()), Some(json!({"decision": "maybe"}))).await;
    assert_eq!((unknown.status, unknown.fields()), (422, vec!["decision".to_owned()]));
    let early = app
        .call(
            "POST",
            &path("suspension"),
            Some(&app.admin()),
            Some(json!({"reason": "seller_terms_breach", "explanation": "complaints"})),
        )
        .await;
    assert_eq!((early.status, early.code()), (409, "invalid_transition"));
    let missing = app
        .call(
            "POST",
            "/sellers/sel_nobody/suspension",
            Some(&app.admin()),
            Some(json!({"reason": "seller_terms_breach", "explanation": "x"})),
        )
        .await;
    assert_eq!(missing.status, 404);

    let rejected = app
        .call(
            "POST",
            &path("verification"),
            Some(&app.admin()),
            Some(json!({"decision": "reject", "reason": "register number unknown"})),
        )
        .await;
    assert_eq!(
        (rejected.status, &rejected.body["status"], &rejected.body["statusReason"]),
        (200, &json!("rejected"), &json!("register number unknown"))
    );
    let late = app.call("POST", &path("verification"), Some(&app.admin()), Some(approve)).await;
    assert_eq!((late.status, late.code()), (409, "invalid_transition"));
}

/// Every page of an admin's seller queue (`status=…`), following `nextCursor`, one seller a
/// page: the ids in order.
async fn seller_queue(app: &App, status: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(cursor) => format!("/sellers?status={status}&limit=1&cursor={cursor}"),
            None => format!("/sellers?status={status}&limit=1"),
        };
        let page = app.get(&path, Some(&app.admin())).await;
        assert_eq!(page.status, 200, "{path}: {page:?}");
        assert!(page.body["items"].as_array().is_some_and(|items| items.len() <= 1), "{page:?}");
        ids.extend(listed_ids(&page));
        next = page.body["nextCursor"].as_str().map(str::to_owned);
        if next.is_none() {
            return ids;
        }
    }
}

/// The back office's queues: the sellers in one status, newest first, a page at a time, as
/// admins see an account; a decision moves a seller to the queue of its new status.
async fn admins_find_sellers_by_status(app: &App) {
    let mut onboarded = Vec::new();
    for user in ["user-queue-first", "user-queue-second"] {
        let token = app.token("buyer", user, None);
        let created = app.call("POST", "/sellers", Some(&token), Some(acceptance::trader_application())).await;
        assert_eq!(created.status, 201, "{created:?}");
        onboarded.push(created.body["id"].as_str().expect("an id").to_owned());
    }
    let (first, second) = (onboarded[0].as_str(), onboarded[1].as_str());

    let page = app.get("/sellers?status=pending_verification&limit=1", Some(&app.admin())).await;
    assert_eq!((page.status, listed_ids(&page)), (200, vec![second.to_owned()]), "newest first");
    let item = &page.body["items"][0];
    assert_eq!(item["paymentAccount"], json!({"holder": "Seconde Vie SARL", "ibanEnding": "3000"}));
    assert!(!page.text.contains("DE89"), "the IBAN is never listed whole");
    assert_eq!(seller_queue(app, "pending_verification").await, [second, first, PENDING]);

    let approved = app
        .call(
            "POST",
            &format!("/sellers/{first}/verification"),
            Some(&app.admin()),
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(approved.status, 200, "{approved:?}");
    assert_eq!(seller_queue(app, "pending_verification").await, [second, PENDING]);
    let active = seller_queue(app, "active").await;
    assert_eq!(active.first().map(String::as_str), Some(first), "the newest active seller first: {active:?}");
    assert!(active.iter().any(|id| id == LYON) && active.iter().any(|id| id == BERLIN), "{active:?}");
    let rejection = json!({"decision": "reject", "reason": "register number unknown"});
    let rejected =
        app.call("POST", &format!("/sellers/{second}/verification"), Some(&app.admin()), Some(rejection)).await;
    assert_eq!(rejected.status, 200, "{rejected:?}");
    assert_eq!(seller_queue(app, "pending_verification").await, [PENDING]);
    assert_eq!(seller_queue(app, "rejected").await, [second]);
    assert_eq!(seller_queue(app, "suspended").await, Vec::<String>::new());

    // Admins only, whatever the query holds.
    let member = app.token("seller", "user-queue-first", Some(first));
    for token in [app.buyer(), app.lyon(), member] {
        for query in ["status=pending_verification", "status=sleeping", "limit=0", ""] {
            let reply = app.get(&format!("/sellers?{query}"), Some(&token)).await;
            assert_eq!((reply.status, reply.code()), (403, "forbidden"), "{query}");
        }
    }
    assert_eq!(app.get("/sellers?status=pending_verification", None).await.status, 401);

    for bad in [
        "status=sleeping",
        "status=Active",
        "",
        "status=active&limit=0",
        "status=active&limit=101",
        "status=active&cursor=forged",
        "status=active&sort=oldest",
    ] {
        let reply = app.get(&format!("/sellers?{bad}"), Some(&app.admin())).await;
        assert_eq!(reply.status, 400, "{bad}: {reply:?}");
    }
    // A cursor leads on in its own queue only.
    let active = app.get("/sellers?status=active&limit=1", Some(&app.admin())).await;
    let cursor = active.body["nextCursor"].as_str().expect("more than one active seller");
    let foreign = app.get(&format!("/sellers?status=suspended&cursor={cursor}"), Some(&app.admin())).await;
    assert_eq!((foreign.status, foreign.code()), (400, "invalid_cursor"));

    // A list creates nothing: an Idempotency-Key is not recorded, nor replayed.
    let keyed = [("idempotency-key", "queue-read-1")];
    for _ in 0..2 {
        let reply = app.send("GET", "/sellers?status=active", Some(&app.admin()), None, &keyed).await;
        assert_eq!(reply.status, 200);
        assert!(reply.headers.get("idempotent-replayed").is_none());
    }
}

async fn suspension_hides_offers_and_reinstatement_restores_them(app: &App) {
    let admin = app.admin();
    assert_eq!(listing(app, IPHONE).await, ["off_demo_iphone_berlin", "off_demo_iphone_lyon"]);
    let suspended = app
        .call(
            "POST",
            &format!("/sellers/{LYON}/suspension"),
            Some(&admin),
            Some(json!({"reason": "seller_terms_breach", "explanation": "late deliveries"})),
        )
        .await;
    assert_eq!(suspended.body["status"], "suspended", "{suspended:?}");
    // Hidden at once, before the worker has run, and after it.
    assert_eq!(listing(app, IPHONE).await, ["off_demo_iphone_berlin"]);
    assert_eq!(app.get("/offers/off_demo_iphone_lyon", None).await.status, 404);
    assert_eq!(app.get(&format!("/sellers/{LYON}"), None).await.status, 404);
    app.settle().await;
    assert_eq!(listing(app, IPHONE).await, ["off_demo_iphone_berlin"]);
    // A suspended seller cannot list, but still sees its offers.
    let refused = app.call("POST", "/offers", Some(&app.lyon()), Some(new_offer(IPHONE))).await;
    assert_eq!((refused.status, refused.code()), (409, "seller_not_active"));
    let own = app.get(&format!("/sellers/{LYON}/offers"), Some(&app.lyon())).await;
    assert_eq!(own.body["items"].as_array().map(Vec::len), Some(2));

    // Repeating the decision is harmless.
    let again = app
        .call(
            "POST",
            &format!("/sellers/{LYON}/suspension"),
            Some(&admin),
            Some(json!({"reason": "seller_terms_breach", "explanation": "late deliveries"})),
        )
        .await;
    assert_eq!(again.status, 200);
    let reinstated = app.call("POST", &format!("/sellers/{LYON}/reinstatement"), Some(&admin), Some(json!({}))).await;
    assert_eq!(reinstated.body["status"], "active", "{reinstated:?}");
    app.settle().await;
    assert_eq!(listing(app, IPHONE).await, ["off_demo_iphone_berlin", "off_demo_iphone_lyon"]);
}

async fn removal_removes_every_offer(app: &App) {
    let removed = app
        .call(
            "POST",
            &format!("/sellers/{BERLIN}/removal"),
            Some(&app.admin()),
            Some(json!({"reason": "prohibited_trade", "explanation": "counterfeit parts"})),
        )
        .await;
    assert_eq!(removed.body["status"], "removed", "{removed:?}");
    app.settle().await;
    let own = app.get(&format!("/sellers/{BERLIN}/offers"), Some(&app.berlin())).await;
    let offers = own.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(offers.len(), 2);
    for offer in offers {
        assert_eq!((&offer["status"], &offer["removalReason"]), (&json!("removed"), &json!("seller_removed")));
    }
    assert_eq!(listing(app, IPHONE).await, ["off_demo_iphone_lyon"]);
    let change =
        app.call("PATCH", "/offers/off_demo_iphone_berlin", Some(&app.berlin()), Some(json!({"stock": 9}))).await;
    assert_eq!((change.status, change.code()), (409, "offer_not_active"));
    let reinstate =
        app.call("POST", &format!("/sellers/{BERLIN}/reinstatement"), Some(&app.admin()), Some(json!({}))).await;
    assert_eq!(reinstate.status, 409, "removal is final");
}

async fn offers_follow_their_rules(app: &App) {
    let seller = app.lyon();
    let anonymous = app.call("POST", "/offers", None, Some(new_offer(IPHONE))).await;
    assert_eq!(anonymous.status, 401);
    let buyer = app.call("POST", "/offers", Some(&app.buyer()), Some(new_offer(IPHONE))).await;
    assert_eq!((buyer.status, buyer.code()), (403, "forbidden"));
    let admin = app.call("POST", "/offers", Some(&app.admin()), Some(new_offer(IPHONE))).await;
    assert_eq!(admin.status, 403);

    let mut short_warranty = new_offer(IPHONE);
    short_warranty["warrantyMonths"] = json!(11);
    assert_eq!(app.call("POST", "/offers", Some(&seller), Some(short_warranty)).await.fields(), ["warrantyMonths"]);
    let mut bad = new_offer("prd_unknown");
    bad["price"]["amount"] = json!("-5.00");
    bad["stock"] = json!(1_000_000);
    bad["grade"] = json!("mint");
    bad["paymentMethods"] = json!(["card", "cash"]);
    let reply = app.call("POST", "/offers", Some(&seller), Some(bad)).await;
    assert_eq!(reply.fields(), ["productId"], "an unknown product is refused first");
    let mut bad = new_offer(IPHONE);
    bad["price"]["amount"] = json!("-5.00");
    bad["stock"] = json!(1_000_000);
    bad["grade"] = json!("mint");
    bad["paymentMethods"] = json!(["card", "cash"]);
    let reply = app.call("POST", "/offers", Some(&seller), Some(bad)).await;
    assert_eq!(
        (reply.status, reply.fields()),
        (422, vec!["price.amount".to_owned(), "stock".into(), "paymentMethods[1]".into(), "grade".into()])
    );
    let mut float_price = new_offer(IPHONE);
    float_price["price"]["amount"] = json!(279.9);
    assert_eq!(app.call("POST", "/offers", Some(&seller), Some(float_price)).await.code(), "invalid_body");

    let created = app.call("POST", "/offers", Some(&seller), Some(new_offer(IPHONE))).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["price"], json!({"amount": "279.90", "currency": "EUR"}));
    assert_eq!(created.body["category"], "smartphones");
    let id = created.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(listing(app, IPHONE).await[0], id, "the cheapest offer comes first");

    // Another seller can neither see its private side nor touch it.
    let foreign = app.call("PATCH", &format!("/offers/{id}"), Some(&app.berlin()), Some(json!({"stock": 0}))).await;
    assert_eq!(foreign.status, 404);
    assert_eq!(app.call("DELETE", &format!("/offers/{id}"), Some(&app.berlin()), None).await.status, 404);
    assert_eq!(
        app.call("PATCH", &format!("/offers/{id}"), Some(&app.buyer()), Some(json!({"stock": 0}))).await.status,
        403
    );
    assert_eq!(app.get(&format!("/sellers/{LYON}/offers"), Some(&app.berlin())).await.status, 404);

    // Out of stock leaves the listing; back in stock returns; a price change re-sorts.
    let empty = app.call("PATCH", &format!("/offers/{id}"), Some(&seller), Some(json!({"stock": 0}))).await;
    assert_eq!(empty.body["stock"], 0, "{empty:?}");
    assert!(!listing(app, IPHONE).await.contains(&id));
    let dear = json!({"stock": 4, "price": {"amount": "399.00", "currency": "EUR"}});
    assert_eq!(app.call("PATCH", &format!("/offers/{id}"), Some(&seller), Some(dear)).await.status, 200);
    assert_eq!(listing(app, IPHONE).await.last(), Some(&id));
    let other_currency = json!({"price": {"amount": "399.00", "currency": "GBP"}});
    assert_eq!(
        app.call("PATCH", &format!("/offers/{id}"), Some(&seller), Some(other_currency)).await.fields(),
        ["price.currency"]
    );
    assert_eq!(app.call("PATCH", &format!("/offers/{id}"), Some(&seller), Some(json!({}))).await.status, 422);
    assert_eq!(
        app.call("PATCH", &format!("/offers/{id}"), Some(&seller), Some(json!({"colour": "red"}))).await.status,
        400
    );

    let withdrawn = app.call("DELETE", &format!("/offers/{id}"), Some(&seller), None).await;
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert!(!listing(app, IPHONE).await.contains(&id));
    assert_eq!(app.get(&format!("/offers/{id}"), None).await.status, 404);
    assert_eq!(
        app.call("DELETE", &format!("/offers/{id}"), Some(&seller), None).await.status,
        200,
        "withdrawing twice is harmless"
    );
    assert_eq!(
        app.call("PATCH", &format!("/offers/{id}"), Some(&seller), Some(json!({"stock": 1}))).await.code(),
        "offer_not_active"
    );
}

async fn products_only_from_the_allowlist(app: &App) {
    let product =
        json!({"brand": "Samsung", "name": "Galaxy S21 128 GB", "category": "smartphones", "ean": "4006381333931"});
    assert_eq!(app.call("POST", "/products", Some(&app.lyon()), Some(product.clone())).await.status, 403);
    let created = app.call("POST", "/products", Some(&app.admin()), Some(product)).await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["id"].as_str().expect("an id");
    assert_eq!(app.get(&format!("/products/{id}"), None).await.body["name"], "Galaxy S21 128 GB");
    assert_eq!(listing(app, id).await, Vec::<String>::new());
    let clothing = json!({"brand": "Acme", "name": "T-shirt", "category": "clothing"});
    let refused = app.call("POST", "/products", Some(&app.admin()), Some(clothing)).await;
    assert_eq!((refused.status, refused.fields()), (422, vec!["category".to_owned()]));
    assert_eq!(app.get("/products/prd_missing", None).await.status, 404);
    assert_eq!(app.get("/products/prd_missing/offers", None).await.status, 404);
}

async fn listings_page_with_cursors(app: &App) {
    let product = app
        .call(
            "POST",
            "/products",
            Some(&app.admin()),
            Some(json!({"brand": "Sony", "name": "PlayStation 5", "category": "consoles"})),
        )
        .await;
    let product = product.body["id"].as_str().expect("an id").to_owned();
    for i in 0..7 {
        let mut offer = new_offer(&product);
        offer["price"]["amount"] = json!(format!("{}.00", 400 + i));
        let token = if i % 2 == 0 { app.lyon() } else { app.berlin() };
        assert_eq!(app.call("POST", "/offers", Some(&token), Some(offer)).await.status, 201);
    }
    let mut prices = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &next {
            Some(cursor) => format!("/products/{product}/offers?limit=3&cursor={cursor}"),
            None => format!("/products/{product}/offers?limit=3"),
        };
        let page = app.get(&path, None).await;
        assert_eq!(page.status, 200, "{page:?}");
        pages += 1;
        prices.extend(
            page.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| o["price"]["amount"].as_str().unwrap_or_default().to_owned()),
        );
        next = page.body["nextCursor"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    // The pages hold the ranking once each, in ranked order.
    prices.sort();
    assert_eq!(prices, (0..7).map(|i| format!("{}.00", 400 + i)).collect::<Vec<_>>());
    let paypal = app.get(&format!("/products/{product}/offers?paymentMethod=paypal&limit=100"), None).await;
    let refusing = paypal.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(refusing.len(), 7, "offers that refuse the method still rank, below those that accept it");
    assert!(refusing.iter().all(|o| o["ranking"]["acceptsPaymentMethod"] == false), "{paypal:?}");
    let klarna = app.get(&format!("/products/{product}/offers?paymentMethod=klarna&limit=100"), None).await;
    assert_eq!(listed_ids(&klarna).len(), 7);
    let scores: Vec<f64> = klarna.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["ranking"]["score"].as_str().and_then(|s| s.parse().ok()).expect("a score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    for bad in ["limit=0", "limit=101", "limit=ten", "cursor=forged", "paymentMethod=cash", "currency=USD"] {
        let reply = app.get(&format!("/products/{product}/offers?{bad}"), None).await;
        assert_eq!(reply.status, 400, "{bad}: {reply:?}");
    }
    let foreign_cursor = app.get(&format!("/products/{IPHONE}/offers?limit=1"), None).await;
    let cursor = foreign_cursor.body["nextCursor"].as_str().expect("more than one iPhone offer");
    assert_eq!(app.get(&format!("/products/{product}/offers?cursor={cursor}"), None).await.code(), "invalid_cursor");
}

async fn idempotency_keys(app: &App) {
    let seller = app.lyon();
    let key = [("content-type", "application/json"), ("idempotency-key", "offer-attempt-1")];
    let body = new_offer(IPHONE).to_string();
    let first = app.send("POST", "/offers", Some(&seller), Some(&body), &key).await;
    let second = app.send("POST", "/offers", Some(&seller), Some(&body), &key).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body["id"], second.body["id"], "one offer, answered twice");
    assert_eq!(second.headers["idempotent-replayed"], "true");
    let own = app.get(&format!("/sellers/{LYON}/offers?limit=100"), Some(&seller)).await;
    assert_eq!(own.body["items"].as_array().map(Vec::len), Some(3), "two demo offers and one new");

    let mut other = new_offer(IPHONE);
    other["stock"] = json!(9);
    let reused = app.send("POST", "/offers", Some(&seller), Some(&other.to_string()), &key).await;
    assert_eq!((reused.status, reused.code()), (422, "idempotency_key_reused"));

    // Keys belong to their caller.
    let berlin = app.send("POST", "/offers", Some(&app.berlin()), Some(&body), &key).await;
    assert_eq!(berlin.status, 201);
    assert_ne!(berlin.body["id"], first.body["id"]);

    // A refused request is not recorded: fixing it under the same key works.
    let fix_key = [("content-type", "application/json"), ("idempotency-key", "offer-attempt-2")];
    let mut invalid = new_offer(IPHONE);
    invalid["warrantyMonths"] = json!(3);
    assert_eq!(app.send("POST", "/offers", Some(&seller), Some(&invalid.to_string()), &fix_key).await.status, 422);
    assert_eq!(app.send("POST", "/offers", Some(&seller), Some(&invalid.to_string()), &fix_key).await.status, 422);

    let bad_key = [("content-type", "application/json"), ("idempotency-key", "has spaces in it")];
    assert_eq!(
        app.send("POST", "/offers", Some(&seller), Some(&body), &bad_key).await.code(),
        "invalid_idempotency_key"
    );
}

async fn tokens_are_checked_like_api_gateway(app: &App) {
    let forged = app.token("admin", "admin-1", None).replace('.', ".x");
    assert_eq!(app.get(&format!("/sellers/{LYON}/offers"), Some(&forged)).await.status, 401);
    let expired = app.admin();
    app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 91));
    assert_eq!(app.get(&format!("/sellers/{LYON}/account"), Some(&expired)).await.status, 401);
    // Public routes ignore tokens, valid or not.
    assert_eq!(app.get(&format!("/sellers/{LYON}"), Some(&forged)).await.status, 200);
    assert_eq!(app.get("/nowhere", None).await.status, 404);
    assert_eq!(app.call("PUT", "/offers/off_demo_iphone_lyon", Some(&app.lyon()), None).await.status, 405);
}

/// Keys no real id could be: refused as the client's fault on both adapters, never a 5xx.
async fn hostile_keys(app: &App) {
    let mut offer = new_offer(&"p".repeat(3000));
    let reply = app.call("POST", "/offers", Some(&app.lyon()), Some(offer.clone())).await;
    assert_eq!((reply.status, reply.fields()), (422, vec!["productId".to_owned()]));
    offer["productId"] = json!("");
    assert_eq!(app.call("POST", "/offers", Some(&app.lyon()), Some(offer)).await.status, 422);
    assert_eq!(app.get(&format!("/offers/{}", "o".repeat(3000)), None).await.status, 404);
    assert_eq!(app.get(&format!("/sellers/{}/account", "s".repeat(3000)), Some(&app.admin())).await.status, 404);
    let forged = |key: serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_string())
    };
    let listing = format!("PRODUCT#{IPHONE}#LISTING");
    for key in [
        json!({"pk": "", "sk": "", "gsi1pk": listing, "gsi1sk": "EUR#1"}),
        json!({"pk": "x".repeat(3000), "sk": "OFFER", "gsi1pk": listing, "gsi1sk": "EUR#1"}),
        json!({"pk": "OFFER#x", "sk": "OFFER", "gsi1pk": listing, "gsi1sk": format!("EUR#{}", "9".repeat(3000))}),
    ] {
        let reply = app.get(&format!("/products/{IPHONE}/offers?cursor={}", forged(key)), None).await;
        assert_eq!((reply.status, reply.code()), (400, "invalid_cursor"));
    }
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [onboarding_takes_trader_data_once_per_user,
    onboarding_names_every_bad_field,
    admin_decisions,
    admins_find_sellers_by_status,
    suspension_hides_offers_and_reinstatement_restores_them,
    removal_removes_every_offer,
    offers_follow_their_rules,
    products_only_from_the_allowlist,
    listings_page_with_cursors,
    idempotency_keys,
    tokens_are_checked_like_api_gateway,
    hostile_keys]
);
