//! What a careless or hostile client sends: arbitrary JSON, near-valid bodies with one field
//! broken, odd headers. Never a 5xx, every reply as documented (checked by the test client),
//! and a refused write leaves nothing behind.

use acceptance::App;
use proptest::prelude::*;
use serde_json::{Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["EUR", "249.00", "-1", "1e9", "card", "smartphones", "prd_demo_iphone13", ""])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "productId",
                    "grade",
                    "price",
                    "amount",
                    "currency",
                    "stock",
                    "warrantyMonths",
                    "paymentMethods",
                    "legalName",
                    "x"
                ]),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn valid_offer() -> Value {
    json!({
        "productId": "prd_demo_iphone13",
        "grade": "good",
        "price": {"amount": "199.00", "currency": "EUR"},
        "shippingFee": {"amount": "0.00", "currency": "EUR"},
        "stock": 1,
        "warrantyMonths": 12,
        "paymentMethods": ["card"]
    })
}

/// A valid offer with one field replaced by anything.
fn broken_offer() -> impl Strategy<Value = Value> {
    let fields =
        vec!["productId", "grade", "price", "shippingFee", "stock", "warrantyMonths", "paymentMethods", "handlingDays"];
    (prop::sample::select(fields), any_json()).prop_map(|(field, value)| {
        let mut offer = valid_offer();
        offer[field] = value;
        offer
    })
}

async fn offer_count(app: &App) -> usize {
    let reply = app.get("/sellers/sel_demo_lyon/offers?limit=100", Some(&app.lyon())).await;
    reply.body["items"].as_array().map_or(0, Vec::len)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn offers_from_any_body(body in prop_oneof![any_json(), broken_offer()]) {
        runtime().block_on(async {
            let app = App::embedded().await;
            let before = offer_count(&app).await;
            let reply = app.call("POST", "/offers", Some(&app.lyon()), Some(body.clone())).await;
            assert!(reply.status < 500, "{body} → {reply:?}");
            let after = offer_count(&app).await;
            if reply.status == 201 {
                assert_eq!(after, before + 1);
            } else {
                assert!(matches!(reply.status, 400 | 409 | 422), "{body} → {reply:?}");
                assert_eq!(after, before, "a refused offer wrote something: {body}");
            }
        });
    }

    #[test]
    fn patches_from_any_body(body in any_json()) {
        runtime().block_on(async {
            let app = App::embedded().await;
            let before = app.get("/offers/off_demo_iphone_lyon", None).await.body;
            let reply = app.call("PATCH", "/offers/off_demo_iphone_lyon", Some(&app.lyon()), Some(body.clone())).await;
            assert!(reply.status < 500, "{body} → {reply:?}");
            if reply.status != 200 {
                assert_eq!(app.get("/offers/off_demo_iphone_lyon", None).await.body, before, "a refused change wrote something");
            }
        });
    }

    #[test]
    fn onboarding_from_any_body(body in any_json()) {
        runtime().block_on(async {
            let app = App::embedded().await;
            let user = app.token("buyer", "fuzzer", None);
            let reply = app.call("POST", "/sellers", Some(&user), Some(body.clone())).await;
            assert!(matches!(reply.status, 400 | 422), "{body} → {reply:?}");
        });
    }

    #[test]
    fn quotes_and_orders_from_any_body(body in any_json()) {
        runtime().block_on(async {
            let app = App::embedded().await;
            for path in ["/quotes", "/orders"] {
                let reply = app.call("POST", path, Some(&app.buyer()), Some(body.clone())).await;
                assert!(matches!(reply.status, 400 | 404 | 422), "{path} {body} → {reply:?}");
            }
        });
    }

    #[test]
    fn webhooks_from_any_body(body in any_json(), signature in ".{0,80}") {
        runtime().block_on(async {
            let app = App::embedded().await;
            let signature: String = signature.chars().filter(|c| c.is_ascii_graphic()).collect();
            let headers = [("content-type", "application/json"), ("provider-signature", signature.as_str())];
            let reply = app.send("POST", "/payments/webhook", None, Some(&body.to_string()), &headers).await;
            assert_eq!(reply.status, 400, "{body} → {reply:?}");
        });
    }

    #[test]
    fn paths_and_queries_from_any_text(id in prop_oneof![".{0,40}", "[a-z_]{1000,3000}"], query in "[a-zA-Z=&%0-9]{0,30}") {
        runtime().block_on(async {
            let app = App::embedded().await;
            let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || "_-.~".contains(*c)).collect();
            for path in [format!("/products/{id}/offers?{query}"), format!("/offers/{id}"), format!("/sellers/{id}")] {
                let reply = app.get(&path, None).await;
                assert!(reply.status < 500, "{path} → {reply:?}");
            }
        });
    }
}

#[tokio::test]
async fn odd_requests() {
    let app = App::embedded().await;
    let seller = app.lyon();
    let huge = format!("{{\"productId\": \"{}\"}}", "x".repeat(70 * 1024));
    let reply = app.send("POST", "/offers", Some(&seller), Some(&huge), &[("content-type", "application/json")]).await;
    assert_eq!((reply.status, reply.code()), (413, "body_too_large"));
    let empty = app.send("POST", "/offers", Some(&seller), None, &[("content-type", "application/json")]).await;
    assert_eq!((empty.status, empty.code()), (400, "malformed_json"));
    let no_type = app.send("POST", "/offers", Some(&seller), Some(&valid_offer().to_string()), &[]).await;
    assert_eq!(no_type.status, 415);
    let array = app.call("POST", "/offers", Some(&seller), Some(json!([valid_offer()]))).await;
    assert_eq!(array.status, 400);
    let bad_header =
        app.send("GET", "/sellers/sel_demo_lyon/account", None, None, &[("authorization", "Basic Zm9vOmJhcg==")]).await;
    assert_eq!(bad_header.status, 401);
}
