//! The logs of a full scenario — onboarding with trader data, offers, a quote, an order by a
//! buyer whose token carries an e-mail address, its payment, the seller's side, a refund, a
//! help request, bad requests, a suspension, a removal as illegal with its mails to the seller
//! and the buyer, the invitation to review sent a week later, a trade-in accepted with an
//! identity and a payout account and a stolen device refused, a SEPA payout filed and rejected
//! by the bank — hold no e-mail address, phone
//! number, IBAN, IMEI or identity, while they do record the requests.

use std::io::Write;
use std::sync::{Arc, Mutex};

use acceptance::App;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn looks_personal(line: &str) -> Option<&'static str> {
    let words: Vec<&str> = line.split(|c: char| c.is_whitespace() || "\"',;:{}[]()=".contains(c)).collect();
    for word in words {
        if let Some((local, domain)) = word.split_once('@')
            && !local.is_empty()
            && domain.contains('.')
        {
            return Some("an e-mail address");
        }
        let digits = word.trim_start_matches('+');
        if word.starts_with('+') && (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Some("a phone number");
        }
        let iban = word.len() >= 15
            && word.len() <= 34
            && word[..2].bytes().all(|b| b.is_ascii_uppercase())
            && word[2..4].bytes().all(|b| b.is_ascii_digit())
            && word[4..].bytes().all(|b| b.is_ascii_alphanumeric());
        if iban {
            return Some("an IBAN");
        }
    }
    None
}

#[test]
fn the_detector_finds_what_it_looks_for() {
    assert_eq!(looks_personal(r#"{"email":"ops@refurb.example"}"#), Some("an e-mail address"));
    assert_eq!(looks_personal("call +33478000000 now"), Some("a phone number"));
    assert_eq!(looks_personal("iban FR1420041010050500013M02606"), Some("an IBAN"));
    assert_eq!(looks_personal(r#"{"route":"/sellers/{id}","status":201,"seller_id":"sel_01m8"}"#), None);
}

#[tokio::test]
async fn a_full_scenario_logs_no_personal_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = App::embedded().await;
    let user = app.token("buyer", "new-trader", None);
    // Written compactly, as stored, so any echo of it in a log would be recognised.
    let application = json!({
        "legalName": "Seconde Vie SARL",
        "address": {"line1": "8 rue Sainte-Catherine", "postalCode": "33000", "city": "Bordeaux", "country": "FR"},
        "phone": "+33556000001", "email": "bonjour@seconde-vie.example",
        "tradeRegister": {"name": "RCS Bordeaux", "number": "900 000 001"}, "vatId": "FR12900000001",
        "paymentAccount": {"holder": "Seconde Vie SARL", "iban": "DE89370400440532013000"},
        "complianceSelfCertified": true
    });
    assert_eq!(app.call("POST", "/sellers", Some(&user), Some(application.clone())).await.status, 201);
    let mut bad = application.clone();
    bad["email"] = json!("not an email but@close.example");
    app.call("POST", "/sellers", Some(&app.token("buyer", "careless", None)), Some(bad)).await;
    app.call("POST", "/sellers", Some(&user), Some(json!({"phone": 33556000001_i64}))).await;
    let buyer = app.token_with_email("buyer", "buyer-1", "buyer.one@home.example");
    let quote = app
        .call("POST", "/quotes", Some(&buyer), Some(json!({"lines": [{"offerId": "off_demo_iphone_lyon", "quantity": 1}], "paymentMethod": "card", "shippingCountry": "FR"})))
        .await;
    let order = app.call("POST", "/orders", Some(&buyer), Some(json!({"quoteId": quote.body["id"]}))).await;
    let intent = order.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
    let path = format!("/orders/{}", order.body["id"].as_str().expect("an order"));
    app.call("POST", &format!("/_local/payments/{intent}/succeed"), None, None).await;
    app.call("POST", &format!("{path}/acceptance"), Some(&app.lyon()), None).await;
    app.call("POST", &format!("{path}/shipment"), Some(&app.lyon()), Some(json!({"carrier": "DHL", "tracking": "1"})))
        .await;
    app.call("POST", &format!("{path}/delivery"), Some(&app.lyon()), None).await;
    app.call("POST", &format!("{path}/help-requests"), Some(&buyer), Some(json!({"offerId": "off_demo_iphone_lyon", "reason": "defective", "message": "Call me on +33600000000 or me@home.example"}))).await;
    app.send(
        "POST",
        "/payments/webhook",
        None,
        Some("{}"),
        &[("content-type", "application/json"), ("provider-signature", "t=1,v1=00")],
    )
    .await;
    app.call(
        "POST",
        "/sellers/sel_demo_berlin/suspension",
        Some(&app.admin()),
        Some(json!({"reason": "seller_terms_breach", "explanation": "audit"})),
    )
    .await;
    app.settle().await;
    // The offer is removed as illegal: its seller gets the statement, the buyer the notice.
    app.call(
        "POST",
        "/offers/off_demo_iphone_lyon/removal",
        Some(&app.admin()),
        Some(json!({"reason": "prohibited_trade", "explanation": "Sold with a counterfeit charger."})),
    )
    .await;
    // A trade-in: the IMEI, the seller's identity and payout account go in, and a stolen
    // device is refused.
    let device = json!({"productId": "prd_demo_iphone13", "imei": "35-209900-176148-1", "country": "FR",
                        "condition": {"powersOn": true, "screen": "scratched", "body": "flawless", "faults": [],
                                      "accountLocksRemoved": true, "dataErased": true}});
    let trade_in = app.call("POST", "/trade-ins", Some(&buyer), Some(device.clone())).await;
    let refurbisher = trade_in.body["refurbisherId"].as_str().expect("a refurbisher").to_owned();
    let trade_in = trade_in.body["id"].as_str().expect("a trade-in").to_owned();
    let identity = json!({"identity": {"name": "Camille Martin", "birthDate": "1990-04-12", "document": {"type": "passport", "number": "19FV28461"}},
                          "payoutAccount": {"holder": "Camille Martin", "iban": "FR7630006000011234567890189"}});
    let accepted =
        app.call("POST", &format!("/trade-ins/{trade_in}/acceptance"), Some(&buyer), Some(identity.clone())).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    // Bought and paid; the register read in JSON and CSV; another transfer refused by the bank.
    let member = if refurbisher == "sel_demo_berlin" { app.berlin() } else { app.lyon() };
    assert_eq!(app.call("POST", &format!("/trade-ins/{trade_in}/receipt"), Some(&member), None).await.status, 200);
    let conforms = json!({"result": "conforms"});
    let bought =
        app.call("POST", &format!("/trade-ins/{trade_in}/inspection"), Some(&member), Some(conforms.clone())).await;
    assert_eq!(bought.body["status"], "paid", "{bought:?}");
    let register = &format!("/sellers/{refurbisher}/trade-in-register");
    assert!(app.get(register, Some(&member)).await.text.contains("19FV28461"));
    assert!(app.send("GET", register, Some(&member), None, &[("accept", "text/csv")]).await.text.contains("19FV28461"));
    let refused = app.call("POST", "/trade-ins", Some(&buyer), Some(device.clone())).await;
    let refused = refused.body["id"].as_str().expect("a trade-in").to_owned();
    let mut closed_account = identity.clone();
    closed_account["payoutAccount"]["iban"] = json!("DE94370400440532010000");
    app.call("POST", &format!("/trade-ins/{refused}/acceptance"), Some(&buyer), Some(closed_account)).await;
    app.call("POST", &format!("/trade-ins/{refused}/receipt"), Some(&member), None).await;
    let refusal = app.call("POST", &format!("/trade-ins/{refused}/inspection"), Some(&member), Some(conforms)).await;
    assert_eq!(refusal.body["payment"]["status"], "refused", "{refusal:?}");
    let mut stolen = device;
    stolen["imei"] = json!(local_runner::demo::STOLEN_IMEI);
    assert_eq!(app.call("POST", "/trade-ins", Some(&buyer), Some(stolen)).await.status, 422);
    // A week later the buyer is invited to review, by e-mail.
    app.call("POST", "/_local/clock", None, Some(json!({"advance": "P8D"}))).await;
    let outbox = app.get("/_local/outbox", None).await;
    assert!(outbox.text.contains("buyer.one@home.example"), "the invitation was sent: {outbox:?}");
    assert!(outbox.text.contains("is illegal"), "the buyer was told of the removal: {outbox:?}");
    assert!(outbox.text.contains("Statement of reasons"), "the seller got its statement: {outbox:?}");
    // A payout by SEPA credit transfer to the seller's IBAN, which the bank rejects.
    let (seller, member) = app.funded_seller("sepa-seller", 60).await;
    let debtor = marketplace::sepa::Debtor::parse("Refurb Market SAS", "EUR:FR7630006000011234567890189:BNPAFRPPXXX")
        .expect("a debtor");
    let terms = marketplace::settlement::Terms::default();
    let run = payouts::run(&app.runner.ports, &terms, &payouts::Rail::Sepa(debtor)).await.expect("a run");
    assert_eq!(run.files, 1, "{run:?}");
    let file = app.runner.ports.blobs.list("sepa/credit-transfers/").await.expect("listed");
    let id = file[0].trim_start_matches("sepa/credit-transfers/").trim_end_matches(".xml");
    let report = acceptance::status_report(id, "RJCT", &[]);
    let headers = [("content-type", "application/xml")];
    let answer = app.send("POST", "/payouts/status-reports", Some(&app.admin()), Some(&report), &headers).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let payouts = app.get(&format!("/sellers/{seller}/payouts"), Some(&member)).await;
    assert_eq!(payouts.body["items"][0]["status"], "returned", "{payouts:?}");

    let logs = String::from_utf8(captured.0.lock().unwrap_or_else(|p| p.into_inner()).clone()).expect("UTF-8 logs");
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() >= 15, "the scenario is logged: {} lines", lines.len());
    assert!(lines.iter().any(|l| l.contains(r#""route":"/sellers""#)), "requests are logged with their route");
    for logged in ["credit transfer file stored for the bank", "bank status report applied"] {
        assert!(lines.iter().any(|l| l.contains(logged)), "the SEPA steps are logged: {logged}");
    }
    for line in &lines {
        assert_eq!(looks_personal(line), None, "personal data in a log line: {line}");
        for trade_in_data in
            ["352099001761481", local_runner::demo::STOLEN_IMEI, "19FV28461", "Camille", "1990-04-12", "0532010000"]
        {
            assert!(!line.contains(trade_in_data), "a trade-in's personal data in a log line: {line}");
        }
    }
}
