//! Every route of the OpenAPI document × every kind of caller, with the answer each must get.
//! A route without its row fails the test, so a new route cannot ship without deciding who may
//! call it. The rows' bodies are well formed, so the answer shows the authorization, not the
//! parser; then every row is sent again with bodies (or queries) that are malformed, incomplete
//! or not JSON, and a refused caller must get exactly the same refusal: who may call a route is
//! decided before its input is read.
//!
//! Columns: anonymous, the demo buyer (owns the demo order and quote), another buyer, a member
//! of the Lyon seller (owns the demo offers and the order's part), a member of the Berlin
//! seller, an admin. `A` allowed (any answer but 401, 403 and 404, and never a 5xx),
//! `1` 401, `3` 403, `4` 404, `n` 404 because the body names a resource that is not the
//! caller's (with a body that names none, the caller is allowed and its input refused).
//! Expired and forged tokens get 401 on every guarded route and are ignored on public ones.

use acceptance::App;

const REFUND: &str = r#"{"amount": {"amount": "1.00", "currency": "EUR"}}"#;

/// (method, path template, expectations, body)
const MATRIX: &[(&str, &str, &str, Option<&str>)] = &[
    ("POST", "/sellers", "1AAAAA", Some("{}")),
    ("GET", "/sellers", "13333A", None),
    ("GET", "/sellers/{id}", "AAAAAA", None),
    ("GET", "/sellers/{id}/account", "144A4A", None),
    ("POST", "/sellers/{id}/verification", "13333A", Some(r#"{"decision": "approve"}"#)),
    (
        "POST",
        "/sellers/{id}/suspension",
        "13333A",
        Some(r#"{"reason": "seller_terms_breach", "explanation": "audit"}"#),
    ),
    ("POST", "/sellers/{id}/reinstatement", "13333A", Some("{}")),
    ("POST", "/sellers/{id}/removal", "13333A", Some(r#"{"reason": "seller_terms_breach", "explanation": "audit"}"#)),
    ("GET", "/sellers/{id}/offers", "144A4A", None),
    ("GET", "/sellers/{id}/quality", "144A4A", None),
    ("GET", "/sellers/{id}/help-requests", "144A4A", None),
    ("PUT", "/sellers/{id}/contract", "13333A", Some(r#"{"commissionRate": "0.08"}"#)),
    ("GET", "/sellers/{id}/balance", "144A4A", None),
    ("GET", "/sellers/{id}/payouts", "144A4A", None),
    // The body is the bank's XML: a JSON one is refused (415), but only once the caller is known.
    ("POST", "/payouts/status-reports", "13333A", Some("{}")),
    ("GET", "/sellers/{id}/statements/{month}", "144A4A", None),
    ("POST", "/products", "13333A", Some(r#"{"brand": "Apple", "name": "iPhone 15", "category": "smartphones"}"#)),
    ("GET", "/products/{id}", "AAAAAA", None),
    ("GET", "/products/{id}/offers", "AAAAAA", None),
    (
        "POST",
        "/offers",
        "133AA3",
        Some(
            r#"{"productId": "prd_demo_iphone13", "grade": "good", "price": {"amount": "200.00", "currency": "EUR"}, "shippingFee": {"amount": "0.00", "currency": "EUR"}, "stock": 1, "warrantyMonths": 12, "paymentMethods": ["card"]}"#,
        ),
    ),
    ("GET", "/offers/{id}", "AAAAAA", None),
    ("PATCH", "/offers/{id}", "133A43", Some(r#"{"stock": 3}"#)),
    ("DELETE", "/offers/{id}", "133A43", None),
    ("POST", "/offers/{id}/removal", "13333A", Some(r#"{"reason": "not_repackaged", "explanation": "audit"}"#)),
    ("GET", "/legal/ranking-parameters", "AAAAAA", None),
    ("GET", "/dsa/statements", "13333A", None),
    ("GET", "/legal/contact-points", "AAAAAA", None),
    (
        "POST",
        "/quotes",
        "1AA333",
        Some(
            r#"{"lines": [{"offerId": "off_demo_iphone_lyon", "quantity": 1}], "paymentMethod": "card", "shippingCountry": "FR"}"#,
        ),
    ),
    ("GET", "/quotes/{id}", "1A4333", None),
    ("POST", "/orders", "1An333", Some(r#"{"quoteId": "qt_demo_ipad"}"#)),
    ("GET", "/orders", "1AAAAA", None),
    ("GET", "/orders/{id}", "1A4A4A", None),
    ("POST", "/orders/{id}/acceptance", "133A4A", Some("{}")),
    ("POST", "/orders/{id}/shipment", "133A4A", Some(r#"{"carrier": "DHL", "tracking": "1"}"#)),
    // The order's own buyer may confirm receipt of the part it names.
    ("POST", "/orders/{id}/delivery", "1A3A4A", Some(r#"{"sellerId": "sel_demo_lyon"}"#)),
    ("POST", "/orders/{id}/cancellation", "133A4A", Some("{}")),
    ("POST", "/orders/{id}/refunds", "133A4A", Some(REFUND)),
    (
        "POST",
        "/orders/{id}/help-requests",
        "1A4333",
        Some(r#"{"offerId": "off_demo_ipad_lyon", "reason": "defective"}"#),
    ),
    // The demo order has no help request: its seller is allowed but finds none.
    ("POST", "/orders/{id}/help-requests/{helpId}/answer", "133443", Some(r#"{"answer": "Sorry"}"#)),
    ("POST", "/payments/webhook", "AAAAAA", Some("{}")),
    // The demo order is not delivered yet: its buyer is allowed and told so.
    (
        "POST",
        "/reviews",
        "1An333",
        Some(r#"{"orderId": "ord_demo_ipad", "offerId": "off_demo_ipad_lyon", "rating": 5}"#),
    ),
    // `{id}` is the demo buyer's published review of a delivered Lyon line (see `fresh`).
    ("GET", "/reviews/{id}", "AAAAAA", None),
    ("PATCH", "/reviews/{id}", "1A4444", Some(r#"{"rating": 4}"#)),
    ("DELETE", "/reviews/{id}", "1A4444", None),
    ("POST", "/reviews/{id}/reply", "133A43", Some(r#"{"text": "Thank you"}"#)),
    ("GET", "/products/{id}/reviews", "AAAAAA", None),
    ("GET", "/sellers/{id}/reviews", "AAAAAA", None),
    ("GET", "/me/reviews", "1AA333", None),
    ("GET", "/legal/reviews-policy", "AAAAAA", None),
    // The demo order is not delivered and has no help request: its buyer is allowed and told so.
    (
        "POST",
        "/orders/{id}/disputes",
        "1A4333",
        Some(r#"{"offerId": "off_demo_ipad_lyon", "subject": "x", "message": "x", "desiredOutcome": "refund"}"#),
    ),
    ("GET", "/disputes", "1AAAAA", None),
    // `{id}` is the demo buyer's open case about a delivered Lyon line (see `fresh`).
    ("GET", "/disputes/{id}", "1A4A4A", None),
    ("POST", "/disputes/{id}/messages", "1A4A4A", Some(r#"{"message": "Any news?"}"#)),
    ("POST", "/disputes/{id}/resolution", "13333A", Some(r#"{"outcome": "no_action", "explanation": "x"}"#)),
    ("POST", "/disputes/{id}/escalation", "1A4343", None),
    ("POST", "/disputes/{id}/withdrawal", "1A4343", None),
    ("GET", "/disputes/{id}/export", "1A434A", None),
    ("GET", "/legal/dispute-resolution", "AAAAAA", None),
    ("POST", "/notices", "AAAAAA", Some(NOTICE)),
    ("POST", "/me/notices", "1AAAAA", Some(NOTICE)),
    ("GET", "/notices", "13333A", None),
    // `{id}` is a notice the demo buyer sent signed in (see `fresh`).
    ("GET", "/notices/{id}", "1A444A", None),
    ("POST", "/notices/{id}/decision", "13333A", Some(r#"{"action": "keep", "explanation": "x"}"#)),
    ("POST", "/complaints", "1nnnnn", Some(r#"{"decisionOf": "ntc_unknown", "explanation": "x"}"#)),
    ("GET", "/complaints", "13333A", None),
    // `{id}` is the demo buyer's complaint about the decision on its notice (see `fresh`).
    ("GET", "/complaints/{id}", "1A444A", None),
    ("POST", "/complaints/{id}/resolution", "13333A", Some(r#"{"founded": false, "explanation": "x"}"#)),
    ("POST", "/trusted-flaggers", "13333A", Some(r#"{"name": "Consumer watch", "accounts": ["tf-1"]}"#)),
    ("GET", "/trusted-flaggers", "13333A", None),
    ("GET", "/dsa/transparency-report", "AAAAAA", None),
    ("GET", "/dsa/active-recipients", "AAAAAA", None),
    ("POST", "/dsa/active-recipients/publications", "13333A", None),
    ("PUT", "/sellers/{id}/trade-in-prices", "133A33", Some(PRICES)),
    ("GET", "/sellers/{id}/trade-in-prices", "133A3A", None),
    ("POST", "/trade-ins", "1AAAAA", Some(TRADE_IN)),
    ("GET", "/trade-ins", "1AAAAA", None),
    // `{id}` is the demo buyer's offer for an iPhone in the good grade: Berlin's (see `fresh`).
    ("GET", "/trade-ins/{id}", "1A44AA", None),
    ("POST", "/trade-ins/{id}/acceptance", "1A4433", Some(ACCEPTANCE)),
    ("POST", "/trade-ins/{id}/cancellation", "1A4433", None),
    ("POST", "/trade-ins/{id}/receipt", "1344A3", None),
    ("POST", "/trade-ins/{id}/inspection", "1344A3", Some(r#"{"result": "conforms"}"#)),
    ("POST", "/trade-ins/{id}/counter-offer/acceptance", "1A4433", None),
    ("POST", "/trade-ins/{id}/counter-offer/rejection", "1A4433", None),
    (
        "PUT",
        "/trade-ins/{id}/payout-account",
        "1A4433",
        Some(r#"{"payoutAccount": {"holder": "Demo Buyer", "iban": "FR7630006000011234567890189"}}"#),
    ),
    ("GET", "/sellers/{id}/trade-in-register", "133A3A", None),
];

const PRICES: &str = r#"{"validUntil": "2099-01-01T00:00:00Z", "items": [{"productId": "prd_demo_iphone13", "grade": "good", "price": {"amount": "250.00", "currency": "EUR"}}]}"#;
const TRADE_IN: &str = r#"{"productId": "prd_demo_iphone13", "imei": "490154203237518", "country": "FR", "condition": {"powersOn": true, "screen": "scratched", "body": "flawless", "faults": [], "accountLocksRemoved": true, "dataErased": true}}"#;
const ACCEPTANCE: &str = r#"{"identity": {"name": "Camille Martin", "birthDate": "1990-04-12", "document": {"type": "id_card", "number": "X4RTBPFW4"}}, "payoutAccount": {"holder": "Camille Martin", "iban": "FR7630006000011234567890189"}}"#;

const NOTICE: &str = r#"{"contentType": "offer", "contentId": "off_demo_iphone_lyon", "reason": "not_repackaged", "explanation": "Arrived loose in a bag.", "notifier": {"name": "Ada", "email": "ada@example.org"}, "goodFaith": true}"#;

fn concrete(method: &str, template: &str) -> String {
    // The admins' seller queue needs its status.
    if (method, template) == ("GET", "/sellers") {
        return "/sellers?status=pending_verification".into();
    }
    if template == "/dsa/transparency-report" {
        return "/dsa/transparency-report?from=2026-01-01&to=2026-06-30".into();
    }
    let id = match template.split('/').nth(1) {
        Some("sellers") => "sel_demo_lyon",
        Some("products") => "prd_demo_iphone13",
        Some("offers") => "off_demo_iphone_lyon",
        Some("quotes") => "qt_demo_ipad",
        Some("orders") => "ord_demo_ipad",
        _ => "x",
    };
    template.replace("{id}", id).replace("{helpId}", "help_unknown").replace("{month}", "2026-11")
}

/// A fresh marketplace for one call of a row, and the row's path in it. Routes of one review
/// get a review: the demo buyer's, published, of a Lyon line delivered on the spot.
async fn fresh(method: &str, template: &str) -> (App, String) {
    let app = App::embedded().await;
    let path = concrete(method, template);
    if template.starts_with("/disputes/{id}") {
        let buyer = app.token("buyer", local_runner::demo::BUYER, None);
        let order_id = app.paid_order(&buyer, &["off_demo_iphone_lyon"]).await;
        app.deliver(&order_id, &app.lyon()).await;
        let case = serde_json::json!({"offerId": "off_demo_iphone_lyon", "subject": "Broken", "message": "It does not start.", "desiredOutcome": "repair"});
        let opened = app.call("POST", &format!("/orders/{order_id}/disputes"), Some(&buyer), Some(case)).await;
        assert_eq!(opened.status, 201, "{opened:?}");
        let id = opened.body["id"].as_str().unwrap_or_default();
        return (app, template.replace("{id}", id));
    }
    if template.starts_with("/trade-ins/{id}") {
        let buyer = app.token("buyer", local_runner::demo::BUYER, None);
        let request: serde_json::Value = serde_json::from_str(TRADE_IN).unwrap_or_default();
        let offered = app.call("POST", "/trade-ins", Some(&buyer), Some(request)).await;
        assert_eq!(offered.status, 201, "{offered:?}");
        assert_eq!(offered.body["refurbisherId"], "sel_demo_berlin", "{offered:?}");
        return (app, template.replace("{id}", offered.body["id"].as_str().unwrap_or_default()));
    }
    if template.starts_with("/notices/{id}") || template.starts_with("/complaints/{id}") {
        let buyer = app.token("buyer", local_runner::demo::BUYER, None);
        let notice: serde_json::Value = serde_json::from_str(NOTICE).unwrap_or_default();
        let sent = app.call("POST", "/me/notices", Some(&buyer), Some(notice)).await;
        assert_eq!(sent.status, 201, "{sent:?}");
        let id = sent.body["id"].as_str().unwrap_or_default().to_owned();
        if template.starts_with("/notices") {
            return (app, template.replace("{id}", &id));
        }
        let admin = app.token("admin", "admin-1", None);
        let keep = serde_json::json!({"action": "keep", "explanation": "It was repackaged."});
        let decided = app.call("POST", &format!("/notices/{id}/decision"), Some(&admin), Some(keep)).await;
        assert_eq!(decided.status, 200, "{decided:?}");
        let complaint = serde_json::json!({"decisionOf": id, "explanation": "It was not."});
        let filed = app.call("POST", "/complaints", Some(&buyer), Some(complaint)).await;
        assert_eq!(filed.status, 201, "{filed:?}");
        return (app, template.replace("{id}", filed.body["id"].as_str().unwrap_or_default()));
    }
    if !template.starts_with("/reviews/{id}") {
        return (app, path);
    }
    let buyer = app.token("buyer", local_runner::demo::BUYER, None);
    let order_id = app.paid_order(&buyer, &["off_demo_iphone_lyon"]).await;
    app.deliver(&order_id, &app.lyon()).await;
    let review =
        serde_json::json!({"orderId": order_id, "offerId": "off_demo_iphone_lyon", "rating": 2, "comment": "Fine"});
    let submitted = app.call("POST", "/reviews", Some(&buyer), Some(review)).await;
    assert_eq!(submitted.status, 202, "{submitted:?}");
    app.settle().await;
    let id = submitted.body["id"].as_str().unwrap_or_default();
    (app, template.replace("{id}", id))
}

fn allowed(status: u16) -> bool {
    !matches!(status, 401 | 403 | 404) && status < 500
}

#[test]
fn every_documented_route_has_a_row() {
    let documented = acceptance::openapi::spec().operations();
    for (method, path) in &documented {
        assert!(
            MATRIX.iter().any(|(m, p, _, _)| m == method && p == path),
            "{method} {path} has no row in the authorization matrix"
        );
    }
    for (method, path, _, _) in MATRIX {
        assert!(
            documented.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is not in docs/openapi.yaml"
        );
    }
}

const CALLERS: [&str; 8] =
    ["anonymous", "buyer", "other buyer", "seller", "other seller", "admin", "expired", "forged"];

/// The token of the caller in `column` of `CALLERS`.
fn token(app: &App, column: usize) -> Option<String> {
    match CALLERS[column] {
        "anonymous" => None,
        "buyer" => Some(app.token("buyer", local_runner::demo::BUYER, None)),
        "other buyer" => Some(app.token("buyer", "someone-else", None)),
        "seller" => Some(app.lyon()),
        "other seller" => Some(app.berlin()),
        "admin" => Some(app.admin()),
        "expired" => {
            let token = app.admin();
            app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 91));
            Some(token)
        }
        _ => Some(app.admin().replace('.', ".x")),
    }
}

/// What the caller in `column` must get on the row: `A`, `1`, `3` or `4`.
fn wanted(method: &str, template: &str, expected: &str, column: usize) -> u8 {
    let guarded = local_runner::repository_template()
        .expect("template.yaml parses")
        .functions
        .iter()
        .flat_map(|f| &f.routes)
        .any(|r| r.method == method && r.path == template && r.authorized);
    match column {
        0..=5 => expected.as_bytes()[column],
        _ if guarded => b'1',
        _ => b'A',
    }
}

fn answers(want: u8, status: u16) -> bool {
    match want {
        b'A' => allowed(status),
        b'1' => status == 401,
        b'3' => status == 403,
        b'4' | b'n' => status == 404,
        other => panic!("no such expectation: {}", other as char),
    }
}

#[tokio::test]
async fn every_caller_gets_the_answer_its_role_allows() {
    let mut failures = Vec::new();
    for (method, template_path, expected, body) in MATRIX {
        for (column, caller) in CALLERS.iter().enumerate() {
            // Each call on a fresh marketplace, so an allowed change never shapes the next answer.
            let (app, path) = fresh(method, template_path).await;
            let token = token(&app, column);
            let key = app.runner.ports.ids.new_id("key");
            let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
            let reply =
                app.send(method, &path, token.as_deref(), *body, if body.is_some() { &headers } else { &[] }).await;
            let want = wanted(method, template_path, expected, column);
            if !answers(want, reply.status) {
                failures
                    .push(format!("{method} {template_path} as {caller}: expected {}, got {reply:?}", want as char));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A hostile variant of a row's body: what it is, the body, its content type, and whether
/// every parser refuses it (so an allowed caller must get 400, 413 or 415).
struct Variant {
    what: &'static str,
    body: String,
    content_type: Option<&'static str>,
    refused: bool,
}

/// Larger than the 64 KiB a body may hold.
fn too_large(body: &str) -> String {
    format!("{{\"padding\": \"{}\", {}", "x".repeat(70 * 1024), &body[1..])
}

/// Bodies that are malformed, not an object, incomplete, of the wrong shape or not declared
/// JSON, made from the row's well-formed `body`.
fn hostile_bodies(body: &str) -> Vec<Variant> {
    const JSON: Option<&str> = Some("application/json");
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(body).expect("a row's body is a JSON object");
    let variant = |what, body: String, content_type, refused| Variant { what, body, content_type, refused };
    let mut variants = vec![
        variant("malformed JSON", "{".into(), JSON, true),
        variant("a truncated body", body[..body.len() - 1].into(), JSON, true),
        variant("an array", "[]".into(), JSON, true),
        variant("a number", "5".into(), JSON, true),
        variant("not declared JSON", body.into(), Some("text/plain"), true),
        variant("no content type", body.into(), None, true),
        variant("no body", String::new(), None, false),
        variant("a body larger than 64 KiB", too_large(body), JSON, true),
    ];
    let mut unknown = fields.clone();
    unknown.insert("unexpectedField".into(), true.into());
    variants.push(variant("an unknown field", serde_json::Value::Object(unknown).to_string(), JSON, true));
    if let Some(first) = fields.keys().next() {
        variants.push(variant("an empty object", "{}".into(), JSON, false));
        let mut incomplete = fields.clone();
        incomplete.remove(first);
        if !incomplete.is_empty() {
            variants.push(variant("a field left out", serde_json::Value::Object(incomplete).to_string(), JSON, false));
        }
        let mut wrong = fields.clone();
        wrong.insert(first.clone(), serde_json::json!([[]]));
        variants.push(variant("a field of the wrong type", serde_json::Value::Object(wrong).to_string(), JSON, true));
    }
    variants
}

/// Queries no route accepts, added to the row's path: a refused caller must still be refused.
fn hostile_queries(path: &str) -> Vec<String> {
    let join = if path.contains('?') { '&' } else { '?' };
    let mut paths: Vec<String> =
        ["limit=0", "limit=many", "cursor=not-a-cursor", "currency=XXX", "month=soon", "unexpected=1"]
            .iter()
            .map(|query| format!("{path}{join}{query}"))
            .collect();
    if let Some((bare, _)) = path.split_once('?') {
        paths.push(bare.to_owned());
        paths.push(format!("{bare}?status=sleeping"));
    }
    paths
}

/// Malformed input never turns a refusal into something else: every cell that expects 401,
/// 403 or 404 gets exactly that with every hostile body or query; allowed callers get 400,
/// 413 or 415 for a body no parser accepts, and never a 5xx. None of these inputs can change
/// anything for a caller who is refused, so one marketplace serves all of a row's variants
/// for one caller (an allowed caller's valid `{}`, empty body or left-out field may change
/// it, which only the answers to that caller's later variants could see).
#[tokio::test]
async fn refusals_do_not_depend_on_the_input() {
    let mut failures = Vec::new();
    for (method, template_path, expected, body) in MATRIX {
        for (column, caller) in CALLERS.iter().enumerate() {
            let want = match wanted(method, template_path, expected, column) {
                // The body names no resource of anyone's, so the caller is one its role allows.
                b'n' => b'A',
                want => want,
            };
            let (app, path) = fresh(method, template_path).await;
            let token = token(&app, column);
            let mut check = |what: &str, reply: acceptance::Reply, refused: bool| {
                // An allowed caller's valid `{}` may still be refused for what it asks (the
                // order's buyer naming no seller to deliver for): only a 5xx is wrong.
                let ok = match want {
                    b'A' if refused => matches!(reply.status, 400 | 413 | 415),
                    b'A' => reply.status < 500,
                    _ => answers(want, reply.status),
                };
                if !ok {
                    let expected =
                        if want == b'A' && refused { "400, 413 or 415".into() } else { (want as char).to_string() };
                    failures.push(format!(
                        "{method} {template_path} as {caller} with {what}: expected {expected}, got {reply:?}"
                    ));
                }
            };
            match body {
                Some(body) => {
                    for variant in hostile_bodies(body) {
                        let key = app.runner.ports.ids.new_id("key");
                        let mut headers = vec![("idempotency-key", key.as_str())];
                        // The key layer reads the body before the handler, and refuses one too
                        // large itself, whoever calls: see `edge::idempotency`.
                        if variant.body.len() > edge::MAX_BODY_BYTES {
                            headers.clear();
                        }
                        headers.extend(variant.content_type.map(|c| ("content-type", c)));
                        let reply = app.send(method, &path, token.as_deref(), Some(&variant.body), &headers).await;
                        check(variant.what, reply, variant.refused);
                    }
                }
                None => {
                    for hostile in hostile_queries(&path) {
                        let reply = app.send(method, &hostile, token.as_deref(), None, &[]).await;
                        check(&format!("the query of {hostile}"), reply, false);
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
