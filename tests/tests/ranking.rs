//! The offer ranking (R-RANK) end to end on both adapters: two sellers offer the same phone;
//! the cheaper one's defective products and late deliveries cost it the first place, each
//! offer's breakdown says why, the seller sees what its faults cost it, the published
//! parameters are the ranking's own, and the window slides the faults away.

use acceptance::{App, Reply};
use serde_json::{Value, json};

async fn product(app: &App) -> String {
    let reply = app
        .call(
            "POST",
            "/products",
            Some(&app.admin()),
            Some(json!({"brand": "Google", "name": "Pixel 8", "category": "smartphones"})),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["id"].as_str().expect("an id").to_owned()
}

async fn offer(app: &App, seller: &str, product: &str, price: &str, methods: Value) -> String {
    let body = json!({"productId": product, "grade": "excellent", "price": {"amount": price, "currency": "EUR"},
                      "shippingFee": {"amount": "0.00", "currency": "EUR"}, "stock": 50, "warrantyMonths": 12,
                      "handlingDays": 1, "paymentMethods": methods});
    let reply = app.call("POST", "/offers", Some(seller), Some(body)).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["id"].as_str().expect("an id").to_owned()
}

async fn listing(app: &App, product: &str, query: &str) -> Reply {
    let reply = app.get(&format!("/products/{product}/offers{query}"), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply
}

fn order_of(reply: &Reply) -> Vec<String> {
    reply.body["items"].as_array().into_iter().flatten().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect()
}

fn ranking_of<'a>(reply: &'a Reply, offer: &str) -> &'a Value {
    let items = reply.body["items"].as_array().expect("items");
    &items.iter().find(|o| o["id"] == offer).unwrap_or_else(|| panic!("{offer} in {reply:?}"))["ranking"]
}

fn points(value: &Value) -> f64 {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("points in {value}"))
}

/// A buyer orders one unit of `offer`; its seller ships it, and it arrives `days_on_the_way`
/// later (the quote promised at most 1 handling day and 3 on the way in France).
async fn delivered(app: &App, n: usize, offer: &str, seller: &str, days_on_the_way: u32) -> String {
    let buyer = app.token("buyer", &format!("ranking-buyer-{offer}-{n}"), None);
    let order = app.paid_order(&buyer, &[offer]).await;
    for (step, body) in [("acceptance", None), ("shipment", Some(json!({"carrier": "DHL", "tracking": "JD1"})))] {
        let reply = app.call("POST", &format!("/orders/{order}/{step}"), Some(seller), body).await;
        assert_eq!(reply.status, 200, "{step}: {reply:?}");
    }
    let moved = app.call("POST", "/_local/clock", None, Some(json!({"advance": format!("P{days_on_the_way}D")}))).await;
    assert_eq!(moved.status, 200, "{moved:?}");
    let arrived = app.call("POST", &format!("/orders/{order}/delivery"), Some(seller), None).await;
    assert_eq!(arrived.status, 200, "{arrived:?}");
    app.settle().await;
    order
}

async fn defective(app: &App, n: usize, offer: &str, order: &str) -> Reply {
    let buyer = app.token("buyer", &format!("ranking-buyer-{offer}-{n}"), None);
    let body = json!({"offerId": offer, "reason": "defective", "message": "The screen flickers."});
    app.call("POST", &format!("/orders/{order}/help-requests"), Some(&buyer), Some(body)).await
}

async fn quality(app: &App, seller_id: &str, token: &str) -> Reply {
    app.get(&format!("/sellers/{seller_id}/quality"), Some(token)).await
}

async fn a_cheaper_seller_with_faults_loses_the_first_place(app: &App) {
    let (lyon, berlin) = (app.lyon(), app.berlin());
    let phone = product(app).await;
    let reliable = offer(app, &lyon, &phone, "480.00", json!(["card", "paypal"])).await;
    let cheap = offer(app, &berlin, &phone, "399.00", json!(["card"])).await;

    let fresh = listing(app, &phone, "").await;
    assert_eq!(order_of(&fresh), [cheap.as_str(), reliable.as_str()], "the cheaper first, all else equal: {fresh:?}");
    for offer in [&cheap, &reliable] {
        let ranking = ranking_of(&fresh, offer);
        let factors = ranking["factors"].as_object().expect("factors");
        let sum: f64 = factors.values().map(points).sum();
        assert!((sum - points(&ranking["score"])).abs() < 0.005, "the factors add up to the score: {ranking}");
    }
    assert_eq!(ranking_of(&fresh, &cheap)["factors"]["price"], "40.00", "the cheapest gets the whole price weight");

    // The reliable seller delivers on time; the cheap one late, and a defective phone.
    for n in 0..2 {
        delivered(app, n, &reliable, &lyon, 2).await;
    }
    let first = delivered(app, 0, &cheap, &berlin, 9).await;
    let asked = defective(app, 0, &cheap, &first).await;
    assert_eq!(asked.status, 201, "{asked:?}");
    let again = defective(app, 0, &cheap, &first).await;
    assert_eq!(again.status, 201, "asking twice about one unit is allowed: {again:?}");
    let one_fault = listing(app, &phone, "").await;
    assert_eq!(order_of(&one_fault)[0], cheap, "one late, defective unit does not doom a seller: {one_fault:?}");

    for n in 1..4 {
        let order = delivered(app, n, &cheap, &berlin, 9).await;
        if n < 3 {
            assert_eq!(defective(app, n, &cheap, &order).await.status, 201);
        }
    }
    let ranked = listing(app, &phone, "").await;
    assert_eq!(order_of(&ranked), [reliable.as_str(), cheap.as_str()], "{ranked:?}");
    let (good, bad) = (ranking_of(&ranked, &reliable), ranking_of(&ranked, &cheap));
    assert!(points(&bad["factors"]["price"]) > points(&good["factors"]["price"]), "still the cheaper: {ranked:?}");
    assert!(points(&bad["factors"]["defective"]) < points(&good["factors"]["defective"]), "{ranked:?}");
    assert!(points(&bad["factors"]["late"]) < points(&good["factors"]["late"]), "{ranked:?}");

    // The seller sees its counts and what they cost; the same help request counted once.
    let berlin_id = local_runner::demo::SELLER_BERLIN;
    let own = quality(app, berlin_id, &berlin).await;
    assert_eq!(own.status, 200, "{own:?}");
    assert_eq!(own.body["counts"], json!({"delivered": 4, "defective": 3, "wrongItem": 0, "cosmetic": 0, "late": 4}));
    assert_eq!(own.body["points"]["defective"], bad["factors"]["defective"], "the same points as in the listing");
    assert!(points(&own.body["totalPointsLost"]) > 0.0);
    assert_eq!(quality(app, berlin_id, &lyon).await.status, 404, "not another seller's");
    assert_eq!(quality(app, berlin_id, &app.buyer()).await.status, 404);
    assert_eq!(app.get(&format!("/sellers/{berlin_id}/quality"), None).await.status, 401);
    assert_eq!(quality(app, berlin_id, &app.admin()).await.body["counts"], own.body["counts"]);

    // The buyer's payment method puts the offers that take it first.
    let paypal = listing(app, &phone, "?paymentMethod=paypal").await;
    assert_eq!(order_of(&paypal)[0], reliable);
    assert_eq!(ranking_of(&paypal, &cheap)["acceptsPaymentMethod"], false);
    let bitcoin = app.get(&format!("/products/{phone}/offers?paymentMethod=bitcoin"), None).await;
    assert_eq!((bitcoin.status, bitcoin.code()), (400, "invalid_query"), "{bitcoin:?}");

    // Ninety days on, the faults have left the window: the cheaper offer is first again.
    let moved = app.call("POST", "/_local/clock", None, Some(json!({"advance": "P91D"}))).await;
    assert_eq!(moved.status, 200, "{moved:?}");
    let later = quality(app, berlin_id, &app.berlin()).await;
    assert_eq!(later.body["counts"], json!({"delivered": 0, "defective": 0, "wrongItem": 0, "cosmetic": 0, "late": 0}));
    assert_eq!(order_of(&listing(app, &phone, "").await), [cheap.as_str(), reliable.as_str()]);
}

async fn the_published_parameters_are_the_ranking_s(app: &App) {
    let published = app.get("/legal/ranking-parameters", None).await;
    assert_eq!(published.status, 200, "{published:?}");
    let terms = catalog::ranking_terms();
    let weights = serde_json::to_value(terms.weights).expect("json");
    let parameters = published.body["parameters"].as_array().expect("parameters");
    assert_eq!(parameters.len(), weights.as_object().expect("an object").len());
    for parameter in parameters {
        let name = parameter["name"].as_str().expect("a name");
        assert_eq!(parameter["weight"], weights[name], "{name}");
        assert!(parameter["explanation"].as_str().is_some_and(|e| e.len() > 40), "{parameter}");
    }
    assert_eq!(published.body["windowDays"], terms.window_days);
    assert!(published.body["notForSale"].as_str().is_some_and(|t| t.contains("Nothing a seller can pay for")));
    // The cheapest demo iPhone offer earns exactly the published price weight.
    let listed = listing(app, local_runner::demo::IPHONE, "").await;
    let best_price = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| points(&o["ranking"]["factors"]["price"]))
        .fold(0.0, f64::max);
    assert_eq!(best_price, points(&weights["price"]));
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [a_cheaper_seller_with_faults_loses_the_first_place, the_published_parameters_are_the_ranking_s]
);
