//! Every route of the OpenAPI document × every kind of caller, with the answer each must get.
//! A route without its row fails the test, so a new route cannot ship without deciding who may
//! call it. Bodies are well formed, so the answer shows the authorization, not the parser.
//!
//! Columns: anonymous, the demo buyer (owns the demo order and quote), another buyer, a member
//! of the Lyon seller (owns the demo offers and the order's part), a member of the Berlin
//! seller, an admin. `A` allowed (any answer but 401, 403 and 404, and never a 5xx),
//! `1` 401, `3` 403, `4` 404. Expired and forged tokens get 401 on every guarded route and are
//! ignored on public ones.

use acceptance::App;

const REFUND: &str = r#"{"amount": {"amount": "1.00", "currency": "EUR"}}"#;

/// (method, path template, expectations, body)
const MATRIX: &[(&str, &str, &str, Option<&str>)] = &[
    ("POST", "/sellers", "1AAAAA", Some("{}")),
    ("GET", "/sellers/{id}", "AAAAAA", None),
    ("GET", "/sellers/{id}/account", "144A4A", None),
    ("POST", "/sellers/{id}/verification", "13333A", Some(r#"{"decision": "approve"}"#)),
    ("POST", "/sellers/{id}/suspension", "13333A", Some(r#"{"reason": "audit"}"#)),
    ("POST", "/sellers/{id}/reinstatement", "13333A", Some("{}")),
    ("POST", "/sellers/{id}/removal", "13333A", Some(r#"{"reason": "audit"}"#)),
    ("GET", "/sellers/{id}/offers", "144A4A", None),
    ("GET", "/sellers/{id}/help-requests", "144A4A", None),
    ("PUT", "/sellers/{id}/contract", "13333A", Some(r#"{"commissionRate": "0.08"}"#)),
    ("GET", "/sellers/{id}/balance", "144A4A", None),
    ("GET", "/sellers/{id}/payouts", "144A4A", None),
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
    (
        "POST",
        "/quotes",
        "1AA333",
        Some(
            r#"{"lines": [{"offerId": "off_demo_iphone_lyon", "quantity": 1}], "paymentMethod": "card", "shippingCountry": "FR"}"#,
        ),
    ),
    ("GET", "/quotes/{id}", "1A4333", None),
    ("POST", "/orders", "1A4333", Some(r#"{"quoteId": "qt_demo_ipad"}"#)),
    ("GET", "/orders", "1AAAAA", None),
    ("GET", "/orders/{id}", "1A4A4A", None),
    ("POST", "/orders/{id}/acceptance", "133A4A", Some("{}")),
    ("POST", "/orders/{id}/shipment", "133A4A", Some(r#"{"carrier": "DHL", "tracking": "1"}"#)),
    ("POST", "/orders/{id}/delivery", "133A4A", Some("{}")),
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
];

fn concrete(template: &str) -> String {
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

#[tokio::test]
async fn every_caller_gets_the_answer_its_role_allows() {
    let template = local_runner::repository_template().expect("template.yaml parses");
    let guarded = |method: &str, path: &str| {
        template.functions.iter().flat_map(|f| &f.routes).any(|r| r.method == method && r.path == path && r.authorized)
    };
    let mut failures = Vec::new();
    for (method, template_path, expected, body) in MATRIX {
        let path = concrete(template_path);
        for (column, caller) in
            ["anonymous", "buyer", "other buyer", "seller", "other seller", "admin", "expired", "forged"]
                .iter()
                .enumerate()
        {
            // Each call on a fresh marketplace, so an allowed change never shapes the next answer.
            let app = App::embedded().await;
            let token = match *caller {
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
            };
            let key = app.runner.ports.ids.new_id("key");
            let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
            let reply =
                app.send(method, &path, token.as_deref(), *body, if body.is_some() { &headers } else { &[] }).await;
            let want = match column {
                0..=5 => expected.as_bytes()[column],
                _ if guarded(method, template_path) => b'1',
                _ => b'A',
            };
            let ok = match want {
                b'A' => allowed(reply.status),
                b'1' => reply.status == 401,
                b'3' => reply.status == 403,
                _ => reply.status == 404,
            };
            if !ok {
                failures
                    .push(format!("{method} {template_path} as {caller}: expected {}, got {reply:?}", want as char));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
