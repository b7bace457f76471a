//! Trade-in end to end on both adapters: the demo refurbishers' buyback prices; a customer's
//! offer for the best valid price; acceptance with a prepaid label; receipt; a counter-offer
//! rejected (the device goes back) and a device that conforms (the price final, the customer
//! paid, the refurbisher charged price and commission, the register entry written); a transfer
//! the bank refuses; and what a careless or hostile client sends, refused with nothing written.

use acceptance::App;
use acceptance::faults::{Fault, FaultyTable};
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

/// What the platform holds for a seller (pending + available − owed), in cents.
async fn balance(app: &App, seller: &str) -> i64 {
    let reply = app.get(&format!("/sellers/{seller}/balance"), Some(&app.admin())).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let cents = |field: &str| {
        let amount = reply.body[field]["amount"].as_str().unwrap_or("0").replace('.', "");
        amount.parse::<i64>().unwrap_or(0)
    };
    cents("pending") + cents("available") - cents("owed")
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

    // The other one conforms: its price is final, the customer paid at once (within the 6
    // business days), the refurbisher charged 320.00 and the 5 % commission, 16.00.
    let lyon = app.lyon();
    let lyon_before = balance(app, "sel_demo_lyon").await;
    let mint_id = mint["id"].as_str().expect("an id");
    step(app, &customer, mint_id, "acceptance", Some(acceptance("FR7630006000011234567890189"))).await;
    step(app, &lyon, mint_id, "receipt", None).await;
    let bought = step(app, &lyon, mint_id, "inspection", Some(json!({"result": "conforms"}))).await;
    assert_eq!(bought["finalPrice"], json!({"amount": "320.00", "currency": "EUR"}));
    assert_eq!(
        (
            bought["status"].as_str(),
            bought["payment"]["status"].as_str(),
            bought["payment"]["amount"]["amount"].as_str()
        ),
        (Some("paid"), Some("sent"), Some("320.00")),
        "{bought}"
    );
    assert!(bought["payment"]["sentAt"].as_str() <= bought["payment"]["dueBy"].as_str());
    assert!(bought.get("payoutAccount").is_none(), "the account is dropped once paid: {bought}");
    let lyon_after = balance(app, "sel_demo_lyon").await;
    assert_eq!(lyon_before - lyon_after, 33_600, "price and commission, from what Lyon holds");
    let table = app.runner.ports.table.as_ref();
    assert_eq!(acceptance::ledger_total(table).await, Ok(0), "the ledger balances");
    let ledger = store::Ledger::new(table);
    let owed =
        ledger.platform_balance(&marketplace::ledger::Account::CustomerPayable, marketplace::Currency::EUR).await;
    assert_eq!(owed, Ok(0), "nothing is owed to customers once paid");
    let transfer = table.get(&ports::Key::new(format!("SANDBOX#PAYOUT#tip_{mint_id}"), "PAYOUT")).await;
    let transfer = transfer.expect("a read").expect("the provider made the transfer");
    assert_eq!(transfer.get("amountMinor"), Some(&ports::Value::N(32_000)));

    // The register: the entry, exact, to Lyon's members and admins only; JSON and CSV.
    let register = app.get("/sellers/sel_demo_lyon/trade-in-register", Some(&lyon)).await;
    assert_eq!(register.status, 200, "{register:?}");
    let entry = &register.body["items"][0];
    assert_eq!(register.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(entry["tradeInId"], mint_id);
    assert!(entry["purchasedAt"].as_str() <= bought["payment"]["sentAt"].as_str(), "bought, then paid: {entry}");
    assert!(entry["purchasedAt"].as_str().is_some_and(|at| at.starts_with("2026-11-01")), "{entry}");
    assert_eq!(
        entry["seller"],
        json!({"name": "Camille Martin", "birthDate": "1990-04-12", "document": {"type": "id_card", "number": "X4RTBPFW4"}})
    );
    assert_eq!(entry["description"], format!("Apple iPhone 13 128 GB, mint condition, IMEI {IMEI}"));
    assert_eq!(entry["device"], json!({"kind": "imei", "value": IMEI}));
    assert_eq!(entry["price"], json!({"amount": "320.00", "currency": "EUR"}));
    assert_eq!(
        (entry["paymentMethod"].as_str(), entry["paymentReference"].as_str()),
        (Some("bank_transfer"), Some(format!("tip_{mint_id}").as_str()))
    );
    let csv = app
        .send("GET", "/sellers/sel_demo_lyon/trade-in-register", Some(&app.admin()), None, &[("accept", "text/csv")])
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text.lines().count(), 2, "{}", csv.text);
    assert!(
        csv.text.contains(",Camille Martin,1990-04-12,id_card,X4RTBPFW4,")
            && csv.text.contains(",320.00,EUR,bank_transfer,")
    );
    for (token, status) in [(berlin.clone(), 403), (customer.clone(), 403)] {
        assert_eq!(app.get("/sellers/sel_demo_lyon/trade-in-register", Some(&token)).await.status, status);
    }
    assert_eq!(app.get("/sellers/sel_demo_lyon/trade-in-register", None).await.status, 401);
    assert_eq!(
        app.get("/sellers/sel_demo_berlin/trade-in-register", Some(&berlin)).await.body["items"],
        json!([]),
        "nothing bought"
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
    assert_eq!(
        (deemed["status"].as_str(), deemed["payment"]["status"].as_str()),
        (Some("paid"), Some("sent")),
        "paid by the deadlines' run"
    );
    assert_eq!(status(&never_accepted).await["status"], "offered", "locked for 21 days");
    app.advance("P14D").await;
    assert_eq!(status(&never_accepted).await["status"], "expired");
    // Each was told once, whatever the runs on the way.
    let mails = app.outbox().await;
    let subjects: Vec<&str> =
        mails.iter().filter(|m| m["to"] == "dominique@example.test").filter_map(|m| m["subject"].as_str()).collect();
    for told in ["has expired", "is bought at", "is returned to you", "You have been paid"] {
        assert_eq!(subjects.iter().filter(|s| s.contains(told)).count(), 1, "{told}: {subjects:?}");
    }
}

/// The bank refuses the transfer: the price stays owed to the customer, who gives another
/// account, and is paid once on it; the first account cannot be given again.
async fn a_refused_transfer_is_paid_again_to_another_account(app: &App) {
    let customer = app.token_with_email("buyer", "sacha", "sacha@example.test");
    let berlin = app.berlin();
    let t = offered(app, &customer, "scratched").await;
    let id = t["id"].as_str().expect("an id");
    // The sandbox refuses accounts ending in 0000.
    step(app, &customer, id, "acceptance", Some(acceptance("DE94370400440532010000"))).await;
    step(app, &berlin, id, "receipt", None).await;
    let refused = step(app, &berlin, id, "inspection", Some(json!({"result": "conforms"}))).await;
    assert_eq!(
        (refused["status"].as_str(), refused["payment"]["status"].as_str()),
        (Some("received"), Some("refused")),
        "{refused}"
    );
    let table = app.runner.ports.table.as_ref();
    let ledger = store::Ledger::new(table);
    let owed = || ledger.platform_balance(&marketplace::ledger::Account::CustomerPayable, marketplace::Currency::EUR);
    assert_eq!(owed().await, Ok(28_000), "owed to the customer meanwhile");
    // The deadlines leave it alone: only another account makes a new transfer.
    app.advance("PT2H").await;
    let path = format!("/trade-ins/{id}/payout-account");
    let same = json!({"payoutAccount": {"holder": "Sacha Petit", "iban": "DE94 3704 0044 0532 0100 00"}});
    let reply = app.call("PUT", &path, Some(&customer), Some(same)).await;
    assert_eq!(
        (reply.status, reply.body["errors"][0]["field"].as_str()),
        (422, Some("payoutAccount.iban")),
        "{reply:?}"
    );
    let other = json!({"payoutAccount": {"holder": "Sacha Petit", "iban": "FR7630006000011234567890189"}});
    assert_eq!(app.call("PUT", &path, Some(&berlin), Some(other.clone())).await.status, 403, "the customer's only");
    let paid = app.call("PUT", &path, Some(&customer), Some(other.clone())).await;
    assert_eq!(paid.status, 200, "{paid:?}");
    assert_eq!((paid.body["status"].as_str(), paid.body["payment"]["status"].as_str()), (Some("paid"), Some("sent")));
    let again = app.call("PUT", &path, Some(&customer), Some(other)).await;
    assert_eq!((again.status, again.body["code"].as_str()), (409, Some("invalid_transition")), "{again:?}");
    assert_eq!(owed().await, Ok(0));
    assert_eq!(acceptance::ledger_total(table).await, Ok(0));
    let transfer =
        |id: String| async move { table.get(&ports::Key::new(format!("SANDBOX#PAYOUT#{id}"), "PAYOUT")).await };
    assert!(transfer(format!("tip_{id}")).await.expect("a read").is_none(), "the refused one made nothing");
    assert!(transfer(format!("tip_{id}_1")).await.expect("a read").is_some(), "the new account's transfer");
    let entries = app.get("/sellers/sel_demo_berlin/trade-in-register", Some(&berlin)).await.body["items"].clone();
    assert_eq!(entries.as_array().map(Vec::len), Some(1), "one purchase, one entry: {entries}");
    app.advance("PT10M").await;
    let mails = app.outbox().await;
    let subjects: Vec<&str> =
        mails.iter().filter(|m| m["to"] == "sacha@example.test").filter_map(|m| m["subject"].as_str()).collect();
    assert_eq!(subjects.iter().filter(|s| s.contains("could not pay")).count(), 1, "{subjects:?}");
    assert_eq!(subjects.iter().filter(|s| s.contains("You have been paid")).count(), 1, "{subjects:?}");
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        the_best_price_is_offered_and_a_counter_offer_can_be_refused,
        careless_and_hostile_requests_are_refused_and_write_nothing,
        time_expires_offers_deems_late_inspections_and_returns_unanswered_devices,
        a_refused_transfer_is_paid_again_to_another_account
    ]
);

fn sepa() -> local_runner::functions::Settings {
    let debtor = marketplace::sepa::Debtor::parse("Refurb Market SAS", "EUR:FR7630006000011234567890189:BNPAFRPPXXX")
        .expect("a valid debtor");
    local_runner::functions::Settings { payouts: payouts::Rail::Sepa(debtor) }
}

/// The deadlines file the trade-in's pending transfer; the bank answers `status`, twice.
/// Returns the document and its file's id.
async fn file_and_answer(app: &App, admin: &str, customer: &str, id: &str, status: &str) -> (String, String) {
    let run = app.call("POST", "/_local/schedules/trade-in-deadlines/run", None, None).await;
    assert_eq!(run.status, 200, "{run:?}");
    let t = app.get(&format!("/trade-ins/{id}"), Some(customer)).await.body;
    assert_eq!(t["payment"]["status"], "filed", "{t}");
    let keys = app.runner.ports.blobs.list("sepa/credit-transfers/").await.expect("listed");
    let key = keys.last().expect("a file").clone();
    let document = app.runner.ports.blobs.get(&key).await.expect("answers").expect("stored");
    let xml = String::from_utf8(document.bytes).expect("UTF-8");
    assert!(xml.contains("<InstdAmt Ccy=\"EUR\">280.00</InstdAmt>"), "{xml}");
    let file = key.trim_start_matches("sepa/credit-transfers/").trim_end_matches(".xml").to_owned();
    let report = acceptance::status_report(&file, status, &[]);
    let headers = [("content-type", "application/xml")];
    for _ in 0..2 {
        let reply = app.send("POST", "/payouts/status-reports", Some(admin), Some(&report), &headers).await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    (xml, file)
}

/// On the SEPA rail the customer is paid by credit transfer: the deadlines file the pending
/// transfer for the bank, the bank's rejection asks for another account, the new account's
/// transfer is filed again, and the bank's settlement pays it, once.
async fn a_trade_in_is_paid_by_sepa_credit_transfer(app: &App) {
    let customer = app.token_with_email("buyer", "jules", "jules@example.test");
    let berlin = app.berlin();
    let id = offered(app, &customer, "scratched").await["id"].as_str().expect("an id").to_owned();
    step(app, &customer, &id, "acceptance", Some(acceptance("DE89370400440532013000"))).await;
    step(app, &berlin, &id, "receipt", None).await;
    let bought = step(app, &berlin, &id, "inspection", Some(json!({"result": "conforms"}))).await;
    assert_eq!(bought["payment"]["status"], "pending", "no provider is asked: {bought}");
    let admin = app.admin();
    // The deadlines file the transfer; the bank rejects it.
    let (xml, _) = file_and_answer(app, &admin, &customer, &id, "RJCT").await;
    assert!(xml.contains("<IBAN>DE89370400440532013000</IBAN>") && xml.contains("<Nm>Camille Martin</Nm>"), "{xml}");
    let refused = app.get(&format!("/trade-ins/{id}"), Some(&customer)).await.body;
    assert_eq!(refused["payment"]["status"], "refused", "{refused}");
    let table = app.runner.ports.table.as_ref();
    let ledger = store::Ledger::new(table);
    let owed = || ledger.platform_balance(&marketplace::ledger::Account::CustomerPayable, marketplace::Currency::EUR);
    assert_eq!(owed().await, Ok(28_000), "owed to the customer meanwhile");
    let other = json!({"payoutAccount": {"holder": "Jules Martin", "iban": "FR7630006000011234567890189"}});
    let changed = app.call("PUT", &format!("/trade-ins/{id}/payout-account"), Some(&customer), Some(other)).await;
    assert_eq!((changed.status, changed.body["payment"]["status"].as_str()), (200, Some("pending")), "{changed:?}");
    let (xml, file) = file_and_answer(app, &admin, &customer, &id, "ACSC").await;
    assert!(xml.contains("<IBAN>FR7630006000011234567890189</IBAN>") && xml.contains("<Nm>Jules Martin</Nm>"), "{xml}");
    let paid = app.get(&format!("/trade-ins/{id}"), Some(&customer)).await.body;
    assert_eq!((paid["status"].as_str(), paid["payment"]["status"].as_str()), (Some("paid"), Some("sent")), "{paid}");
    assert_eq!(owed().await, Ok(0));
    assert_eq!(acceptance::ledger_total(table).await, Ok(0));
    let entries = store::PayoutFiles::new(table).entries(&file).await.expect("entries");
    assert_eq!(entries.iter().filter(|e| e.trade_in_id.as_deref() == Some(id.as_str())).count(), 1);
    app.advance("PT10M").await;
    let mails = app.outbox().await;
    let subjects: Vec<&str> =
        mails.iter().filter(|m| m["to"] == "jules@example.test").filter_map(|m| m["subject"].as_str()).collect();
    assert_eq!(subjects.iter().filter(|s| s.contains("could not pay")).count(), 1, "{subjects:?}");
    assert_eq!(subjects.iter().filter(|s| s.contains("You have been paid")).count(), 1, "{subjects:?}");
}

mod on_the_sepa_rail {
    use super::*;

    acceptance::on_both_adapters!(
        embedded: acceptance::App::embedded_with(&crate::sepa()).await,
        aws: acceptance::App::aws_with(&crate::sepa()).await,
        cases: [a_trade_in_is_paid_by_sepa_credit_transfer]
    );
}

/// The payment step crashing at every storage call in turn, before or after the call applied;
/// the refurbisher's client sends the inspection again and the deadlines run: each customer is
/// paid exactly once, told once, the refurbisher charged once, one register entry per device,
/// and the ledger balanced.
async fn paid_once_after_a_crash_at_any_call(app: &App, faulty: &FaultyTable, every: usize) {
    let customer = app.token_with_email("buyer", "noa", "noa@example.test");
    let berlin = app.berlin();
    let conforms = json!({"result": "conforms"});
    let ready = || async {
        let t = offered(app, &customer, "scratched").await;
        let id = t["id"].as_str().expect("an id").to_owned();
        step(app, &customer, &id, "acceptance", Some(acceptance("FR7630006000011234567890189"))).await;
        step(app, &berlin, &id, "receipt", None).await;
        id
    };
    let held_before = balance(app, "sel_demo_berlin").await;
    // A clean run counts the storage calls of the step.
    let id = ready().await;
    faulty.arm(0, Fault::Before);
    assert_eq!(step(app, &berlin, &id, "inspection", Some(conforms.clone())).await["status"], "paid");
    let calls = faulty.calls();
    assert_eq!(calls, 4, "the trade-in, the refurbisher's funds, the purchase's write, the transfer's write");
    let mut bought = vec![id];
    for at in (1..=calls).step_by(every) {
        for fault in [Fault::Before, Fault::After] {
            let id = ready().await;
            let path = format!("/trade-ins/{id}/inspection");
            faulty.arm(at, fault);
            let _ = app.call("POST", &path, Some(&berlin), Some(conforms.clone())).await;
            faulty.arm(0, fault);
            let again = app.call("POST", &path, Some(&berlin), Some(conforms.clone())).await;
            assert!(again.status == 200 || again.code() == "price_final", "crash at {at} ({fault:?}): {again:?}");
            let run = app.call("POST", "/_local/schedules/trade-in-deadlines/run", None, None).await;
            assert_eq!(run.status, 200, "{run:?}");
            let t = app.get(&format!("/trade-ins/{id}"), Some(&customer)).await.body;
            assert_eq!(t["status"], "paid", "crash at call {at} ({fault:?}) of {calls}: {t}");
            bought.push(id);
        }
    }
    let (before, after) = faulty.injected();
    assert!(before > 0 && after > 0, "faults were injected: {before} before, {after} after");
    let table = faulty.inner();
    let ledger = store::Ledger::new(table.as_ref());
    for id in &bought {
        let transfer = table.get(&ports::Key::new(format!("SANDBOX#PAYOUT#tip_{id}"), "PAYOUT")).await;
        let transfer = transfer.expect("a read").expect("paid");
        assert_eq!(transfer.get("amountMinor"), Some(&ports::Value::N(28_000)), "{id}");
        assert!(
            table
                .get(&ports::Key::new(format!("SANDBOX#PAYOUT#tip_{id}_1"), "PAYOUT"))
                .await
                .expect("a read")
                .is_none()
        );
        for transaction in [format!("trade_in:{id}"), format!("trade_in:{id}:payment")] {
            assert!(ledger.transaction(&transaction).await.expect("a read").is_some(), "{transaction}");
        }
    }
    let n = bought.len() as i64;
    assert_eq!(held_before - balance(app, "sel_demo_berlin").await, n * 29_400, "280.00 + 14.00 each, once");
    assert_eq!(acceptance::ledger_total(table.as_ref()).await, Ok(0));
    let owed =
        ledger.platform_balance(&marketplace::ledger::Account::CustomerPayable, marketplace::Currency::EUR).await;
    assert_eq!(owed, Ok(0));
    let register = app.get("/sellers/sel_demo_berlin/trade-in-register?limit=100", Some(&berlin)).await;
    assert_eq!(register.body["items"].as_array().map(Vec::len), Some(bought.len()), "one entry per device");
    app.advance("PT10M").await;
    let mails = app.outbox().await;
    let paid = mails
        .iter()
        .filter(|m| m["to"] == "noa@example.test")
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("You have been paid")));
    assert_eq!(paid.count(), bought.len(), "told once each");
}

#[tokio::test]
async fn embedded_customers_are_paid_once_after_a_crash_at_any_call() {
    let (app, faulty) = App::embedded_faulty().await;
    paid_once_after_a_crash_at_any_call(&app, &faulty, 1).await;
}

/// Every third call on the emulator, which is slower.
#[tokio::test]
async fn aws_customers_are_paid_once_after_a_crash_half_way() {
    if let Some((app, faulty)) = App::aws_faulty().await {
        paid_once_after_a_crash_at_any_call(&app, &faulty, 3).await;
    }
}
