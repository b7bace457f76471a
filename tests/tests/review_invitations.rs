//! Invitations to review by e-mail (R-REV-INVITE), end to end through the real handlers and
//! the hourly schedule on the runner's clock: a buyer is invited once, about a week after
//! delivery, with a link per delivered line; never for a cancelled or fully refunded order,
//! whatever else happened (partial refunds, help requests); an order of two sellers once,
//! after its last delivery; retried, concurrent and failed runs never send twice. Each case
//! runs on both adapters; the mails are read where the runner shows them, `GET /_local/outbox`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use acceptance::App;
use ports::{Mail, MailError, Mailer};
use review_invitations::Settings;
use serde_json::{Value, json};

const IPHONE_LYON: &str = "off_demo_iphone_lyon";
const MACBOOK_BERLIN: &str = "off_demo_macbook_berlin";

/// A buyer whose token carries an e-mail address (`sub` derived from it).
fn buyer(app: &App, email: &str) -> String {
    app.token_with_email("buyer", &format!("buyer-{}", email.replace(['@', '.'], "-")), email)
}

/// The mails in the runner's outbox.
fn sent_to<'a>(mails: &'a [Value], email: &str) -> Vec<&'a Value> {
    mails.iter().filter(|m| m["to"] == email).collect()
}

fn link(order: &str, offer: &str) -> String {
    format!("https://marketplace.example/review?orderId={order}&offerId={offer}")
}

async fn a_buyer_is_invited_once_about_a_week_after_delivery(app: &App) {
    // The development token carries the address, as an ID token's `email` claim does.
    let bad = json!({"role": "buyer", "sub": "ana", "email": "not an address"});
    let refused = app.call("POST", "/_local/tokens", None, Some(bad)).await;
    assert_eq!((refused.status, refused.fields()), (422, vec!["email".to_owned()]));
    let issued = app
        .call("POST", "/_local/tokens", None, Some(json!({"role": "buyer", "sub": "ana", "email": "ana@example.test"})))
        .await;
    let ana = issued.body["token"].as_str().expect("a token").to_owned();
    let order = app.paid_order(&ana, &[IPHONE_LYON]).await;
    app.deliver(&order, &app.lyon()).await;

    app.advance("P6D").await;
    assert!(sent_to(&app.outbox().await, "ana@example.test").is_empty(), "six days after delivery: not yet");

    app.advance("P2D").await;
    let mails = app.outbox().await;
    let mine = sent_to(&mails, "ana@example.test");
    assert_eq!(mine.len(), 1, "{mails:?}");
    let body = mine[0]["body"].as_str().expect("a body");
    assert!(body.contains(&link(&order, IPHONE_LYON)), "{body}");
    assert!(body.contains("iPhone 13"), "the line is named: {body}");
    assert!(!mine[0]["subject"].as_str().unwrap_or_default().is_empty());
    assert!(mine[0]["sentAt"].as_str().is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()), "{mails:?}");

    // Later, and again by hand: nothing more.
    app.advance("P30D").await;
    let ran = app.call("POST", "/_local/schedules/review-invitations/run", None, None).await;
    assert_eq!(ran.status, 200, "{ran:?}");
    assert_eq!(app.outbox().await.len(), mails.len());
    assert_eq!(sent_to(&app.outbox().await, "ana@example.test").len(), 1);
}

async fn cancelled_and_fully_refunded_orders_get_none_whatever_else_happened(app: &App) {
    let lyon = app.lyon();
    // Cancelled by the seller before shipping.
    let cancelled = app.paid_order(&buyer(app, "cancelled@example.test"), &[IPHONE_LYON]).await;
    let reply = app.call("POST", &format!("/orders/{cancelled}/cancellation"), Some(&lyon), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // Delivered, then refunded in full.
    let refunded = app.paid_order(&buyer(app, "refunded@example.test"), &[IPHONE_LYON]).await;
    app.deliver(&refunded, &lyon).await;
    let total = app.get(&format!("/orders/{refunded}"), Some(&lyon)).await.body["total"].clone();
    let reply = app
        .retried(
            "POST",
            &format!("/orders/{refunded}/refunds"),
            Some(&lyon),
            Some(&json!({"amount": total})),
            Some("full-refund"),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    // Delivered, refunded in part: invited.
    let partly = app.paid_order(&buyer(app, "partly@example.test"), &[IPHONE_LYON]).await;
    app.deliver(&partly, &lyon).await;
    let amount = json!({"amount": "10.00", "currency": "EUR"});
    let reply = app
        .retried(
            "POST",
            &format!("/orders/{partly}/refunds"),
            Some(&lyon),
            Some(&json!({"amount": amount})),
            Some("part-refund"),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    // Delivered, with a help request: invited.
    let helped_buyer = buyer(app, "helped@example.test");
    let helped = app.paid_order(&helped_buyer, &[IPHONE_LYON]).await;
    app.deliver(&helped, &lyon).await;
    let help = json!({"offerId": IPHONE_LYON, "reason": "defective", "message": "The screen flickers."});
    let reply = app.call("POST", &format!("/orders/{helped}/help-requests"), Some(&helped_buyer), Some(help)).await;
    assert_eq!(reply.status, 201, "{reply:?}");

    app.advance("P8D").await;
    let mails = app.outbox().await;
    assert!(sent_to(&mails, "cancelled@example.test").is_empty(), "{mails:?}");
    assert!(sent_to(&mails, "refunded@example.test").is_empty(), "{mails:?}");
    let partly_mails = sent_to(&mails, "partly@example.test");
    assert_eq!(partly_mails.len(), 1, "{mails:?}");
    assert!(partly_mails[0]["body"].as_str().unwrap_or_default().contains(&link(&partly, IPHONE_LYON)));
    assert_eq!(sent_to(&mails, "helped@example.test").len(), 1, "{mails:?}");
    // Nothing is left on the due list.
    let next = review_invitations::next_due(&app.runner.ports, &Settings::default()).await.expect("the due list");
    assert_eq!(next, None);
}

async fn an_order_of_two_sellers_is_invited_once_after_its_last_delivery(app: &App) {
    let bo = buyer(app, "bo@example.test");
    let order = app.paid_order(&bo, &[IPHONE_LYON, MACBOOK_BERLIN]).await;
    app.deliver(&order, &app.lyon()).await;
    app.advance("P3D").await;
    app.deliver(&order, &app.berlin()).await;
    // A week after the first delivery, the second is only four days old.
    app.advance("P5D").await;
    assert!(sent_to(&app.outbox().await, "bo@example.test").is_empty());
    app.advance("P3D").await;
    let mails = app.outbox().await;
    let mine = sent_to(&mails, "bo@example.test");
    assert_eq!(mine.len(), 1, "{mails:?}");
    let body = mine[0]["body"].as_str().expect("a body");
    assert!(body.contains(&link(&order, IPHONE_LYON)) && body.contains(&link(&order, MACBOOK_BERLIN)), "{body}");
}

async fn orders_without_an_address_and_concurrent_runs_send_nothing_twice(app: &App) {
    // A token without the `email` claim: the order is taken off the list, unsent.
    let anonymous = app.token("buyer", "buyer-no-email", None);
    let silent = app.paid_order(&anonymous, &[IPHONE_LYON]).await;
    app.deliver(&silent, &app.lyon()).await;
    let cy = buyer(app, "cy@example.test");
    let order = app.paid_order(&cy, &[IPHONE_LYON]).await;
    app.deliver(&order, &app.lyon()).await;
    // Eight days pass without the schedule (as if it was down), then two runs at once.
    app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
    let settings = Settings::default();
    let ports = &app.runner.ports;
    let (one, two) = tokio::join!(review_invitations::run(ports, &settings), review_invitations::run(ports, &settings));
    let (one, two) = (one.expect("a run"), two.expect("a run"));
    assert_eq!(one.sent + two.sent, 1, "{one:?} {two:?}");
    let again = review_invitations::run(ports, &settings).await.expect("a run");
    assert_eq!((again.sent, again.failed), (0, 0), "{again:?}");
    let mails = app.outbox().await;
    assert_eq!(sent_to(&mails, "cy@example.test").len(), 1, "{mails:?}");
    assert_eq!(mails.len(), 1, "the order without an address got nothing: {mails:?}");
    assert_eq!(review_invitations::next_due(ports, &settings).await.expect("the due list"), None);
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        a_buyer_is_invited_once_about_a_week_after_delivery,
        cancelled_and_fully_refunded_orders_get_none_whatever_else_happened,
        an_order_of_two_sellers_is_invited_once_after_its_last_delivery,
        orders_without_an_address_and_concurrent_runs_send_nothing_twice
    ]
);

/// A mail service that fails while `down` is set (refusing the request, or taking it and never
/// answering when `answerless`), then keeps the mails in the outbox.
struct Flaky {
    outbox: Arc<dyn Mailer>,
    down: AtomicBool,
    answerless: AtomicBool,
}

#[async_trait::async_trait]
impl Mailer for Flaky {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.answerless.load(Ordering::SeqCst) {
            // It went out, but the answer never came.
            self.outbox.send(mail).await?;
            return Err(MailError::Unknown("timeout".into()));
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(MailError::Unavailable("down".into()));
        }
        self.outbox.send(mail).await
    }
}

/// A failed send releases the claim: the next run after the service is back sends the mail,
/// once.
#[tokio::test]
async fn embedded_a_failed_send_is_retried_at_the_next_run() {
    let template = local_runner::repository_template().expect("template.yaml parses");
    let clock = Arc::new(ports::MovableClock::default());
    let secret = local_runner::webhook_secret(acceptance::TEST_SECRET);
    let ports = local_runner::Runner::ports(&template, &local_runner::Backend::Memory, clock.clone(), &secret)
        .await
        .expect("embedded ports");
    let flaky = Arc::new(Flaky {
        outbox: ports.mailer.clone(),
        down: AtomicBool::new(true),
        answerless: AtomicBool::new(false),
    });
    let ports = ports::Ports { mailer: flaky.clone(), ..ports };
    let runner = local_runner::Runner::with_ports(template, ports, clock, acceptance::TEST_SECRET)
        .expect("the runner hosts every function");
    runner.clock.set(acceptance::start());
    local_runner::demo::seed(&runner.ports).await.expect("demo data");
    let app = App { runner };

    let dee = buyer(&app, "dee@example.test");
    let order = app.paid_order(&dee, &[IPHONE_LYON]).await;
    app.deliver(&order, &app.lyon()).await;
    app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
    let settings = Settings::default();
    let failed = review_invitations::run(&app.runner.ports, &settings).await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(app.outbox().await.is_empty());
    flaky.down.store(false, Ordering::SeqCst);
    let sent = review_invitations::run(&app.runner.ports, &settings).await.expect("a run");
    assert_eq!(sent.sent, 1, "{sent:?}");
    review_invitations::run(&app.runner.ports, &settings).await.expect("a run");
    assert_eq!(sent_to(&app.outbox().await, "dee@example.test").len(), 1);

    // A send with no answer may have left: that order is never mailed again.
    let eve = buyer(&app, "eve@example.test");
    let order = app.paid_order(&eve, &[IPHONE_LYON]).await;
    app.deliver(&order, &app.lyon()).await;
    app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
    flaky.answerless.store(true, Ordering::SeqCst);
    review_invitations::run(&app.runner.ports, &settings).await.expect("a run");
    flaky.answerless.store(false, Ordering::SeqCst);
    for _ in 0..2 {
        app.runner.clock.advance(jiff::SignedDuration::from_hours(2));
        review_invitations::run(&app.runner.ports, &settings).await.expect("a run");
    }
    assert_eq!(sent_to(&app.outbox().await, "eve@example.test").len(), 1, "sent once, never again");
}
