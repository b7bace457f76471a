//! Trade-in end to end on both adapters: the demo refurbishers' buyback prices; a customer's
//! offer for the best valid price; acceptance with a prepaid label; receipt; a counter-offer
//! rejected (the device goes back) and a device that conforms (the price final, the payment
//! due); and what a careless or hostile client sends, refused with nothing written.

use acceptance::App;
use serde_json::{Value, json};

const IPHONE: &str = "prd_demo_iphone13";
const IMEI: &str = "490154203237518";

fn request(screen: &str, imei: &str) -> Value {
    json!({"productId": IPHONE, "imei": imei, "country": "FR",
           "condition": {"powersOn": true, "screen": screen, "body": "flawless", "faults": [],
                         "accountLocksRemoved": true, "dataErased": true}})
}

fn acceptance(iban: &str) -> Value {
    json!({"identity": {"name": "Camille Martin", "birthDate": "1990-04-12", "document": {"type": "id_card", "number": "X4RTBPFW4"}},
           "payoutAccount": {"holder": "Camille Martin", "iban": iban}})
}

fn berlin_member(app: &App) -> String {
    app.berlin()
}

async fn offered(app: &App, customer: &str, screen: &str) -> Value {
    let reply = app.call("POST", "/trade-ins", Some(customer), Some(request(screen, IMEI))).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body
}

async fn step(app: &App, token: &str, id: &str, path: &str, body: Option<Value>) -> Value {
    let reply = app.call("POST", &format!("/trade-ins/{id}/{path}"), Some(token), body).await;
    assert_eq!(reply.status, 200, "{path}: {reply:?}");
    reply.body
}

async fn the_best_price_is_offered_and_a_counter_offer_can_be_refused(app: &App) {
    let customer = app.token_with_email("buyer", "camille", "camille@example.test");
    // Good grade (a scratched screen): Berlin pays 280.00 to Lyon's 270.00; mint: only Lyon.
    let good = offered(app, &customer, "scratched").await;
    assert_eq!((good["grade"].as_str(), good["refurbisherId"].as_str()), (Some("good"), Some("sel_demo_berlin")));
    assert_eq!(good["offeredPrice"], json!({"amount": "280.00", "currency": "EUR"}));
    assert_eq!(good["status"], "offered");
    assert_eq!(good["shipBy"], good["expiresAt"]);
    let mint = offered(app, &customer, "flawless").await;
    assert_eq!(
        (mint["refurbisherId"].as_str(), mint["offeredPrice"]["amount"].as_str()),
        (Some("sel_demo_lyon"), Some("320.00"))
    );

    let id = good["id"].as_str().expect("an id");
    let accepted = step(app, &customer, id, "acceptance", Some(acceptance("FR76 3000 6000 0112 3456 7890 189"))).await;
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["label"]["tracking"].as_str().is_some_and(|t| t.starts_with("SBX")), "{accepted}");
    assert_eq!(accepted["payoutAccount"], "FR•• •••• 0189", "masked, to the customer");
    let berlin = berlin_member(app);
    let seen = app.get(&format!("/trade-ins/{id}"), Some(&berlin)).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.get("payoutAccount").is_none(), "the refurbisher never sees the account: {seen:?}");
    assert!(!seen.text.contains("X4RTBPFW4") && !seen.text.contains("1990-04-12"), "nor the identity");

    let received = step(app, &berlin, id, "receipt", None).await;
    assert_eq!(received["status"], "received");
    assert!(received["inspectBy"].is_string());
    let counter = json!({"result": "counter_offer", "price": {"amount": "190.00", "currency": "EUR"},
                         "reasons": ["battery"], "evidence": ["photos/battery-health-71.jpg"]});
    let countered = step(app, &berlin, id, "inspection", Some(counter)).await;
    assert_eq!(countered["status"], "counter_offered");
    assert_eq!(countered["counterOffer"]["price"]["amount"], "190.00");
    let rejected = step(app, &customer, id, "counter-offer/rejection", None).await;
    assert_eq!(rejected["status"], "returned");
    assert_eq!(
        (rejected["return"]["paidBy"].as_str(), rejected["return"]["cause"].as_str()),
        (Some("refurbisher"), Some("rejected"))
    );
    assert_eq!(rejected["finalPrice"], Value::Null);
    // Every step was told: the customer of the acceptance, receipt and counter-offer; the
    // refurbisher of the acceptance and the rejection.
    app.advance("PT10M").await; // the notifications function's next run
    let mails = app.outbox().await;
    let to = |who: &str| mails.iter().filter(|m| m["to"] == who).count();
    assert_eq!(to("camille@example.test"), 3, "{mails:?}");
    assert!(mails.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("send the device back"))));

    // The other one conforms: its price is final and the payment due within 6 business days.
    let lyon = app.lyon();
    let mint_id = mint["id"].as_str().expect("an id");
    step(app, &customer, mint_id, "acceptance", Some(acceptance("FR7630006000011234567890189"))).await;
    step(app, &lyon, mint_id, "receipt", None).await;
    let bought = step(app, &lyon, mint_id, "inspection", Some(json!({"result": "conforms"}))).await;
    assert_eq!(bought["finalPrice"], json!({"amount": "320.00", "currency": "EUR"}));
    assert_eq!(
        (bought["payment"]["status"].as_str(), bought["payment"]["amount"]["amount"].as_str()),
        (Some("pending"), Some("320.00"))
    );
    let again = app
        .call("POST", &format!("/trade-ins/{mint_id}/inspection"), Some(&lyon), Some(json!({"result": "conforms"})))
        .await;
    assert_eq!((again.status, again.body["code"].as_str()), (409, Some("price_final")), "{again:?}");

    let listed = app.get("/trade-ins", Some(&customer)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2), "{listed:?}");
    let berlin_list = app.get("/trade-ins", Some(&berlin)).await;
    assert_eq!(berlin_list.body["items"].as_array().map(Vec::len), Some(1), "{berlin_list:?}");
}

async fn careless_and_hostile_requests_are_refused_and_write_nothing(app: &App) {
    let customer = app.token("buyer", "mallory", None);
    let refused = |reply: &acceptance::Reply, status: u16, code: &str| {
        assert_eq!((reply.status, reply.body["code"].as_str()), (status, Some(code)), "{reply:?}");
    };
    let stolen = app
        .call("POST", "/trade-ins", Some(&customer), Some(request("flawless", local_runner::demo::STOLEN_IMEI)))
        .await;
    refused(&stolen, 422, "device_blocklisted");
    let bad = app.call("POST", "/trade-ins", Some(&customer), Some(request("flawless", "490154203237519"))).await;
    refused(&bad, 422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "imei");
    let mut unknown = request("flawless", IMEI);
    unknown["productId"] = json!("prd_nope");
    refused(&app.call("POST", "/trade-ins", Some(&customer), Some(unknown)).await, 422, "validation_failed");
    let mut shattered = request("flawless", IMEI);
    shattered["condition"]["screen"] = json!("shattered");
    refused(&app.call("POST", "/trade-ins", Some(&customer), Some(shattered)).await, 400, "invalid_body");
    refused(&app.call("POST", "/trade-ins", None, Some(request("flawless", IMEI))).await, 401, "unauthorized");
    assert_eq!(app.get("/trade-ins", Some(&customer)).await.body["items"], json!([]), "nothing stored");

    // Someone else's offer, an expired one, a bad IBAN, a refurbisher not holding the device.
    let owner = app.token("buyer", "owner", None);
    let offer = offered(app, &owner, "scratched").await;
    let id = offer["id"].as_str().expect("an id");
    let foreign = app
        .call(
            "POST",
            &format!("/trade-ins/{id}/acceptance"),
            Some(&customer),
            Some(acceptance("FR7630006000011234567890189")),
        )
        .await;
    refused(&foreign, 404, "not_found");
    let iban = app
        .call(
            "POST",
            &format!("/trade-ins/{id}/acceptance"),
            Some(&owner),
            Some(acceptance("FR7630006000011234567890188")),
        )
        .await;
    refused(&iban, 422, "validation_failed");
    assert_eq!(iban.body["errors"][0]["field"], "payoutAccount.iban");
    let lyon = app.lyon();
    refused(&app.call("POST", &format!("/trade-ins/{id}/receipt"), Some(&lyon), None).await, 404, "not_found");
    let berlin = app.berlin();
    refused(
        &app.call("POST", &format!("/trade-ins/{id}/receipt"), Some(&berlin), None).await,
        409,
        "invalid_transition",
    );
    refused(
        &app.call("POST", &format!("/trade-ins/{id}/acceptance"), Some(&berlin), Some(acceptance("x"))).await,
        403,
        "forbidden",
    );
    // Three weeks later the offer has expired (the deadlines' run on the way closed it).
    app.advance("P22D").await;
    let late = app
        .call(
            "POST",
            &format!("/trade-ins/{id}/acceptance"),
            Some(&owner),
            Some(acceptance("FR7630006000011234567890189")),
        )
        .await;
    refused(&late, 409, "invalid_transition");
    assert_eq!(app.get(&format!("/trade-ins/{id}"), Some(&owner)).await.body["status"], "expired");

    // A counter-offer above the offer, or for a defect the customer declared, or with an
    // unknown reason.
    let fresh = offered(app, &owner, "scratched").await;
    let id = fresh["id"].as_str().expect("an id");
    step(app, &owner, id, "acceptance", Some(acceptance("FR7630006000011234567890189"))).await;
    step(app, &berlin, id, "receipt", None).await;
    let above = json!({"result": "counter_offer", "price": {"amount": "300.00", "currency": "EUR"}, "reasons": ["body"], "evidence": ["p.jpg"]});
    refused(
        &app.call("POST", &format!("/trade-ins/{id}/inspection"), Some(&berlin), Some(above)).await,
        422,
        "validation_failed",
    );
    let unknown = json!({"result": "counter_offer", "price": {"amount": "100.00", "currency": "EUR"}, "reasons": ["water_damage"], "evidence": ["p.jpg"]});
    refused(
        &app.call("POST", &format!("/trade-ins/{id}/inspection"), Some(&berlin), Some(unknown)).await,
        400,
        "invalid_body",
    );
    assert_eq!(app.get(&format!("/trade-ins/{id}"), Some(&owner)).await.body["status"], "received", "unchanged");
    // The screen was declared scratched: a crack is a defect the customer did not declare.
    let cracked = json!({"result": "counter_offer", "price": {"amount": "100.00", "currency": "EUR"}, "reasons": ["screen"], "evidence": ["p.jpg"]});
    assert_eq!(step(app, &berlin, id, "inspection", Some(cracked)).await["status"], "counter_offered");
}

async fn time_expires_offers_deems_late_inspections_and_returns_unanswered_devices(app: &App) {
    let customer = app.token_with_email("buyer", "dominique", "dominique@example.test");
    let berlin = app.berlin();
    let never_accepted = offered(app, &customer, "scratched").await;
    let never_inspected = offered(app, &customer, "scratched").await;
    let never_answered = offered(app, &customer, "scratched").await;
    for t in [&never_inspected, &never_answered] {
        let id = t["id"].as_str().expect("an id");
        step(app, &customer, id, "acceptance", Some(acceptance("FR7630006000011234567890189"))).await;
        step(app, &berlin, id, "receipt", None).await;
    }
    let id = never_answered["id"].as_str().expect("an id");
    let counter = json!({"result": "counter_offer", "price": {"amount": "150.00", "currency": "EUR"}, "reasons": ["cameras"], "evidence": ["photos/camera.jpg"]});
    step(app, &berlin, id, "inspection", Some(counter)).await;
    let status = |t: &Value| {
        let path = format!("/trade-ins/{}", t["id"].as_str().unwrap_or_default());
        let customer = customer.clone();
        async move { app.get(&path, Some(&customer)).await.body }
    };

    // A week and a day: the counter-offer went unanswered (7 days); the inspection is overdue
    // beyond its grace (2 + 3 business days), so the device is bought as described.
    app.advance("P8D").await;
    let returned = status(&never_answered).await;
    assert_eq!(
        (returned["status"].as_str(), returned["return"]["cause"].as_str()),
        (Some("returned"), Some("unanswered")),
        "{returned}"
    );
    assert_eq!(returned["return"]["paidBy"], "refurbisher");
    let deemed = status(&never_inspected).await;
    assert_eq!(deemed["deemedConforming"], true, "{deemed}");
    assert_eq!(deemed["finalPrice"], json!({"amount": "280.00", "currency": "EUR"}));
    assert_eq!(deemed["payment"]["status"], "pending");
    assert_eq!(status(&never_accepted).await["status"], "offered", "locked for 21 days");
    app.advance("P14D").await;
    assert_eq!(status(&never_accepted).await["status"], "expired");
    // Each was told once, whatever the runs on the way.
    let mails = app.outbox().await;
    let subjects: Vec<&str> =
        mails.iter().filter(|m| m["to"] == "dominique@example.test").filter_map(|m| m["subject"].as_str()).collect();
    for told in ["has expired", "is bought at", "is returned to you"] {
        assert_eq!(subjects.iter().filter(|s| s.contains(told)).count(), 1, "{told}: {subjects:?}");
    }
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        the_best_price_is_offered_and_a_counter_offer_can_be_refused,
        careless_and_hostile_requests_are_refused_and_write_nothing,
        time_expires_offers_deems_late_inspections_and_returns_unanswered_devices
    ]
);
