//! The local runner as `make run` uses it: state kept in a data folder survives a restart,
//! the demo data seeds once, and the local-only endpoints behave.

use acceptance::App;
use local_runner::{Backend, Runner, demo};
use serde_json::json;

#[tokio::test]
async fn restarts_on_its_data_folder_and_seeds_once() {
    let dir = std::env::temp_dir().join(acceptance::unique("runner-data"));
    let template = || local_runner::repository_template().expect("template.yaml parses");
    {
        let runner = Runner::start(template(), Backend::Folder(dir.clone()), b"secret").await.expect("starts");
        demo::seed(&runner.ports).await.expect("seeds");
        let table = runner.ports.table.as_ref();
        let offer = store::Offers::new(table).get("off_demo_iphone_lyon").await.expect("reads").expect("seeded");
        let cheaper = marketplace::offer::Offer { stock: 1, ..offer.clone() };
        let seller = store::Sellers::new(table).get(&offer.seller_id).await.expect("reads").expect("seeded");
        store::Offers::new(table).replace(&offer, &cheaper, &seller).await.expect("writes");
    }
    let runner = Runner::start(template(), Backend::Folder(dir.clone()), b"secret").await.expect("restarts");
    demo::seed(&runner.ports).await.expect("seeding again changes nothing");
    let offer = store::Offers::new(runner.ports.table.as_ref()).get("off_demo_iphone_lyon").await.expect("reads");
    assert_eq!(offer.map(|o| o.stock), Some(1), "the change made before the restart is kept");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn issues_development_tokens() {
    let app = App::embedded().await;
    let reply = app
        .call("POST", "/_local/tokens", None, Some(json!({"role": "seller", "sellerId": "sel_demo_lyon", "sub": "me"})))
        .await;
    let token = reply.body["token"].as_str().expect("a token").to_owned();
    assert_eq!(app.get("/sellers/sel_demo_lyon/account", Some(&token)).await.status, 200);
    let no_seller = app.call("POST", "/_local/tokens", None, Some(json!({"role": "seller"}))).await;
    assert_eq!((no_seller.status, no_seller.fields()), (422, vec!["sellerId".to_owned()]));
    let bad_role = app.call("POST", "/_local/tokens", None, Some(json!({"role": "root"}))).await;
    assert_eq!((bad_role.status, bad_role.fields()), (422, vec!["role".to_owned()]));
}

#[tokio::test]
async fn moves_its_clock() {
    let app = App::embedded().await;
    let before = app.runner.now();
    let moved = app.call("POST", "/_local/clock", None, Some(json!({"advance": "P8D"}))).await;
    assert_eq!(moved.status, 200);
    let now: jiff::Timestamp = moved.body["now"].as_str().expect("now").parse().expect("RFC 3339");
    assert!(now.duration_since(before) >= jiff::SignedDuration::from_hours(8 * 24));
    let set = app.call("POST", "/_local/clock", None, Some(json!({"set": "2027-01-01T00:00:00Z"}))).await;
    assert!(set.body["now"].as_str().is_some_and(|n| n.starts_with("2027-01-01T00:00")), "{set:?}");
    for bad in [
        json!({"advance": "-P1D"}),
        json!({"advance": "soon"}),
        json!({"set": "tomorrow"}),
        json!({}),
        json!({"advance": "P1D", "set": "2027-01-01T00:00:00Z"}),
        json!({"advance": "P1000Y"}),
        json!({"advance": "P367D"}),
        json!({"set": "9999-12-31T00:00:00Z"}),
    ] {
        assert_eq!(app.call("POST", "/_local/clock", None, Some(bad.clone())).await.status, 422, "{bad}");
    }
    let schedules = app.get("/_local/schedules", None).await;
    let items = schedules.body["items"].as_array().cloned().unwrap_or_default();
    assert!(items.contains(&json!({"name": "payment-expiry", "schedule": "rate(5 minutes)"})), "{items:?}");
    assert!(items.contains(&json!({"name": "event-relay", "schedule": "rate(1 minute)"})), "{items:?}");
    assert_eq!(app.call("POST", "/_local/schedules/nightly/run", None, None).await.status, 404);
    let ran = app.call("POST", "/_local/schedules/payment-expiry/run", None, None).await;
    assert_eq!(ran.body["report"], "cancelled 0 unpaid orders", "{ran:?}");
}

#[tokio::test]
async fn delivers_failed_messages_again_then_dead_letters_them() {
    let app = App::embedded().await;
    app.settle().await; // the demo order's events

    let queue = app.runner.ports.queue.clone();
    queue.send(store::events::SELLER_EVENTS, "not json", std::time::Duration::ZERO, None).await.expect("sent");
    let visibility = jiff::SignedDuration::from_secs(361);
    for _ in 0..5 {
        assert_eq!(app.runner.deliver().await, 1, "delivered, failed, hidden");
        assert_eq!(app.runner.deliver().await, 0);
        app.runner.clock.advance(visibility);
    }
    assert_eq!(app.runner.deliver().await, 0, "after five receives the message is dead-lettered");
}

#[tokio::test]
async fn relays_events_left_in_the_outbox_and_fires_rates_on_its_clock() {
    let app = App::embedded().await;
    app.settle().await; // the demo order's events

    let event = store::events::OrderEvent::new("order.delivered", "ord_x", Some("sel_demo_lyon"));
    let now = app.runner.now();
    app.runner.ports.table.transact(vec![store::events::outbox::put(&event, now)]).await.expect("an event left behind");
    let waiting = || store::events::outbox::waiting(app.runner.ports.table.as_ref());
    assert!(waiting().await.expect("reads"));
    // The first look at the clock starts the rates; a minute later the relay is due, and what
    // it sends is delivered before the next firing.
    assert_eq!(app.runner.run_due_schedules().await, 0);
    app.runner.clock.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(app.runner.run_due_schedules().await, 1, "only the relay is due after a minute");
    assert!(!waiting().await.expect("reads"), "sent");
    assert_eq!(app.runner.deliver().await, 0, "and delivered");
    let again = app.call("POST", "/_local/schedules/event-relay/run", None, None).await;
    assert_eq!(again.body["report"], "relayed 0 events", "sent once, then cleared");
}

/// Every HTTP function's log group is subscribed to by `DsaMetricsFunction` with the recipient
/// filter, so no function's recipients go uncounted (DSA Art. 24(2)); only HTTP functions get
/// the salt.
#[test]
fn every_http_function_s_recipients_reach_the_counting() {
    use serde_norway::Value;
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).expect("template.yaml");
    let template: Value = serde_norway::from_str(&text).expect("YAML");
    let resources = template["Resources"].as_mapping().expect("resources");
    let reference = |v: &Value| match v {
        Value::Tagged(t) => t.value.as_str().map(str::to_owned),
        _ => None,
    };
    let subscribed: Vec<String> = template["Resources"]["DsaMetricsFunction"]["Properties"]["Events"]
        .as_mapping()
        .expect("events")
        .values()
        .filter(|e| e["Type"] == "CloudWatchLogs")
        .inspect(|e| assert_eq!(e["Properties"]["FilterPattern"], r#"{ $.activity = "recipient" }"#))
        .filter_map(|e| reference(&e["Properties"]["LogGroupName"]))
        .collect();
    let mut http = 0;
    for (id, resource) in resources {
        let properties = &resource["Properties"];
        let serves_http =
            properties["Events"].as_mapping().is_some_and(|events| events.values().any(|e| e["Type"] == "HttpApi"));
        let salted = properties["Environment"]["Variables"].get("MARKETPLACE_RECIPIENT_SALT").is_some();
        assert_eq!(serves_http, salted, "{id:?}: the salt goes to the HTTP functions only");
        if serves_http {
            http += 1;
            let group = reference(&properties["LoggingConfig"]["LogGroup"]).expect("a log group of its own");
            assert!(subscribed.contains(&group), "{id:?} logs to {group}, which no subscription reads");
        }
    }
    assert_eq!(subscribed.len(), http);
}
