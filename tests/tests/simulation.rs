//! A seeded simulation of the marketplace under faults. From a seed, a random workload —
//! buyers ordering scarce stock, payments succeeding, failing, arriving twice, late or never,
//! sellers accepting, shipping, delivering and cancelling, refunds (some too large, some
//! retried), price changes, seller suspensions, clock jumps with the payment sweep, the
//! event relay, reviews submitted, edited, deleted and published by the worker or the sweep,
//! devices traded in (bought, counter-offered, paid, refused by the bank, paid again) —
//! runs through the real handlers while storage calls fail before or after
//! they apply. After every step the state is checked against the invariants. A failure
//! names its seed and the steps that led there; `make sim SEED=…` replays one seed and
//! `SEEDS=…` runs more (`make test` runs a bounded number).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use acceptance::App;
use acceptance::faults::{Fault, FaultyTable};
use marketplace::Currency;
use marketplace::funds::PayoutStatus;
use marketplace::ledger::Account;
use marketplace::order::{Order, OrderStatus, PartStatus, RefundState};
use ports::{Index, Query, Table};
use serde_json::json;

const OFFERS: [(&str, &str); 4] = [
    ("off_demo_iphone_lyon", "sel_demo_lyon"),
    ("off_demo_ipad_lyon", "sel_demo_lyon"),
    ("off_demo_iphone_berlin", "sel_demo_berlin"),
    ("off_demo_macbook_berlin", "sel_demo_berlin"),
];
const STEPS: usize = 25;

struct World {
    app: App,
    faulty: Arc<FaultyTable>,
    rng: fastrand::Rng,
    log: Vec<String>,
    /// Webhooks the provider sent and may send again: (body, signature).
    webhooks: Vec<(String, String)>,
    initial_stock: BTreeMap<String, i64>,
    keys: u64,
    /// Answers that were still a failure of ours after the client's retries.
    unrecovered: Vec<String>,
    /// The payout rail of this world (one, as a deployment has one): SEPA on odd seeds, whose
    /// payouts the bank answers with random reports, some of them sent twice.
    sepa: Option<marketplace::sepa::Debtor>,
}

impl World {
    fn key(&mut self) -> String {
        self.keys += 1;
        format!("key-{}", self.keys)
    }

    fn seller_token(&self, seller: &str) -> String {
        if seller == "sel_demo_lyon" { self.app.lyon() } else { self.app.berlin() }
    }

    async fn orders(&self) -> Vec<Order> {
        let table = self.faulty.inner();
        let mut all = Vec::new();
        for buyer in ["buyer-0", "buyer-1", "buyer-2"] {
            let (orders, _) = store::Orders::new(table.as_ref()).of_buyer(buyer, 100, None).await.expect("reads");
            all.extend(orders);
        }
        all
    }

    /// Fails one of the next few storage calls, sometimes.
    fn maybe_arm(&mut self) {
        if self.rng.u8(0..100) < 35 {
            let at = self.rng.usize(1..7);
            let fault = if self.rng.bool() { Fault::Before } else { Fault::After };
            self.faulty.arm(at, fault);
            self.log.push(format!("  (storage call {at} will fail {fault:?})"));
        } else {
            self.faulty.arm(0, Fault::Before);
        }
    }

    /// The bank answers some stored credit transfer files: each transfer accepted, rejected
    /// or left undecided, the report sometimes sent twice, through faults.
    async fn bank_answers(&mut self, every_file: bool) {
        let files = self.app.runner.ports.blobs.list("sepa/credit-transfers/").await.unwrap_or_default();
        for key in files {
            if !every_file && self.rng.u8(0..3) == 0 {
                continue;
            }
            let id = key.trim_start_matches("sepa/credit-transfers/").trim_end_matches(".xml").to_owned();
            let entries = store::PayoutFiles::new(self.faulty.inner().as_ref()).entries(&id).await;
            let Ok(entries) = entries else { continue };
            let statuses: Vec<(String, &str)> = entries
                .iter()
                .filter_map(|e| match self.rng.u8(0..5) {
                    0 => None,
                    1 => Some((e.end_to_end_id.clone(), "RJCT")),
                    _ => Some((e.end_to_end_id.clone(), "ACSC")),
                })
                .collect();
            let transfers: Vec<(&str, &str, Option<&str>)> =
                statuses.iter().map(|(e2e, status)| (e2e.as_str(), *status, Some("AC04"))).collect();
            let report = acceptance::status_report(&id, "PART", &transfers);
            let admin = self.app.admin();
            for _ in 0..self.rng.usize(1..=2) {
                self.maybe_arm();
                let mut reply = self.post_report(&admin, &report).await;
                for _ in 0..4 {
                    if reply.status < 500 {
                        break;
                    }
                    reply = self.post_report(&admin, &report).await;
                }
                self.log.push(format!("the bank answers {id} → {} {}", reply.status, reply.body));
                self.answered("status report", reply.status);
            }
        }
        self.faulty.arm(0, Fault::Before);
    }

    async fn post_report(&self, admin: &str, report: &str) -> acceptance::Reply {
        let headers = [("content-type", "application/xml")];
        self.app.send("POST", "/payouts/status-reports", Some(admin), Some(report), &headers).await
    }

    /// Notes an answer the client could not get past with retries.
    fn answered(&mut self, what: &str, status: u16) {
        if status >= 500 {
            self.unrecovered.push(format!("{what} → {status}"));
        }
    }

    async fn step(&mut self) {
        self.maybe_arm();
        let buyer_sub = format!("buyer-{}", self.rng.u8(0..3));
        let buyer = self.app.token("buyer", &buyer_sub, None);
        match self.rng.u8(0..13) {
            0..=2 => {
                let count = self.rng.usize(1..=2);
                let mut lines = Vec::new();
                for _ in 0..count {
                    let (offer, _) = OFFERS[self.rng.usize(0..OFFERS.len())];
                    if !lines.iter().any(|l: &serde_json::Value| l["offerId"] == offer) {
                        lines.push(
                            json!({"offerId": offer, "quantity": self.rng.i64(1..=2), "insurance": self.rng.bool()}),
                        );
                    }
                }
                let cart = json!({"lines": lines, "paymentMethod": "card", "shippingCountry": "FR"});
                let key = self.key();
                let quote = self.app.retried("POST", "/quotes", Some(&buyer), Some(&cart), Some(&key)).await;
                self.log.push(format!("{buyer_sub} quotes {cart} → {}", quote.status));
                self.answered("quote", quote.status);
                if quote.status == 201 {
                    let key = self.key();
                    let body = json!({"quoteId": quote.body["id"]});
                    let order = self.app.retried("POST", "/orders", Some(&buyer), Some(&body), Some(&key)).await;
                    self.log.push(format!("{buyer_sub} orders → {} {}", order.status, order.body["id"]));
                    self.answered("order", order.status);
                }
            }
            3 => {
                let awaiting: Vec<Order> =
                    self.orders().await.into_iter().filter(|o| o.status == OrderStatus::AwaitingPayment).collect();
                if let Some(order) = awaiting.get(self.rng.usize(0..awaiting.len().max(1))) {
                    let provider = sandbox_payments::SandboxPayments::new(
                        self.faulty.inner(),
                        local_runner::webhook_secret(acceptance::TEST_SECRET),
                    );
                    let intent = format!("pi_{}", order.id.trim_start_matches("ord_"));
                    let succeeded = self.rng.u8(0..4) != 0;
                    if let Ok(event) = provider.settle(&intent, succeeded, self.app.runner.now()).await {
                        self.log.push(format!("provider settles {intent} succeeded={succeeded}"));
                        self.webhooks.push((event.body, event.signature));
                    }
                }
            }
            4 => {
                // The provider (re)sends a webhook, perhaps long after, perhaps again.
                if !self.webhooks.is_empty() {
                    let (body, signature) = self.webhooks[self.rng.usize(0..self.webhooks.len())].clone();
                    let headers = [("content-type", "application/json"), ("provider-signature", signature.as_str())];
                    let mut reply = self.app.send("POST", "/payments/webhook", None, Some(&body), &headers).await;
                    for _ in 0..4 {
                        if reply.status < 500 {
                            break;
                        }
                        reply = self.app.send("POST", "/payments/webhook", None, Some(&body), &headers).await;
                    }
                    self.log.push(format!("webhook → {} {}", reply.status, reply.body["outcome"]));
                    self.answered("webhook", reply.status);
                }
            }
            5 | 6 => {
                let paid: Vec<Order> =
                    self.orders().await.into_iter().filter(|o| o.status == OrderStatus::Paid).collect();
                if let Some(order) = paid.get(self.rng.usize(0..paid.len().max(1))) {
                    let part = &order.parts[self.rng.usize(0..order.parts.len())];
                    let token = self.seller_token(&part.seller_id);
                    let path = format!("/orders/{}", order.id);
                    let (what, reply) = match self.rng.u8(0..6) {
                        0 => (
                            "accepts",
                            self.app.retried("POST", &format!("{path}/acceptance"), Some(&token), None, None).await,
                        ),
                        1 => {
                            let body = json!({"carrier": "DHL", "tracking": "T1"});
                            (
                                "ships",
                                self.app
                                    .retried("POST", &format!("{path}/shipment"), Some(&token), Some(&body), None)
                                    .await,
                            )
                        }
                        2 => (
                            "delivers",
                            self.app.retried("POST", &format!("{path}/delivery"), Some(&token), None, None).await,
                        ),
                        3 => (
                            "cancels",
                            self.app.retried("POST", &format!("{path}/cancellation"), Some(&token), None, None).await,
                        ),
                        _ => {
                            let cents = self.rng.i64(1..=60_000);
                            let body = json!({"amount": {"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "EUR"}});
                            let key = self.key();
                            (
                                "refunds",
                                self.app
                                    .retried("POST", &format!("{path}/refunds"), Some(&token), Some(&body), Some(&key))
                                    .await,
                            )
                        }
                    };
                    self.log.push(format!(
                        "{} {what} on {} → {} {}",
                        part.seller_id,
                        order.id,
                        reply.status,
                        reply.code()
                    ));
                }
            }
            7 if self.rng.bool() => {
                // A new trader onboards, or a buyer asks for help on a delivered item.
                if self.rng.bool() {
                    let user = format!("trader-{}", self.rng.u8(0..4));
                    let application = acceptance::trader_application();
                    let key = self.key();
                    let token = self.app.token("buyer", &user, None);
                    let reply =
                        self.app.retried("POST", "/sellers", Some(&token), Some(&application), Some(&key)).await;
                    self.log.push(format!("{user} onboards → {} {}", reply.status, reply.code()));
                    self.answered("onboarding", reply.status);
                } else {
                    let delivered: Vec<Order> = self
                        .orders()
                        .await
                        .into_iter()
                        .filter(|o| o.parts.iter().any(|p| p.status == PartStatus::Delivered))
                        .collect();
                    if let Some(order) = delivered.get(self.rng.usize(0..delivered.len().max(1))) {
                        let line = &order.lines[self.rng.usize(0..order.lines.len())];
                        let body =
                            json!({"offerId": line.offer_id, "reason": "defective", "message": "It stopped charging."});
                        let key = self.key();
                        let owner = self.app.token("buyer", &order.buyer, None);
                        let path = format!("/orders/{}/help-requests", order.id);
                        let reply = self.app.retried("POST", &path, Some(&owner), Some(&body), Some(&key)).await;
                        self.log.push(format!(
                            "{} asks for help on {} → {} {}",
                            order.buyer,
                            order.id,
                            reply.status,
                            reply.code()
                        ));
                        self.answered("help request", reply.status);
                        let (order, offer) = (order.clone(), line.offer_id.clone());
                        self.dispute(&order, &offer).await;
                    }
                }
            }
            7 => {
                let (offer, seller) = OFFERS[self.rng.usize(0..OFFERS.len())];
                let cents = self.rng.i64(10_000..=90_000);
                let body = json!({"price": {"amount": format!("{}.00", cents / 100), "currency": "EUR"}});
                let reply = self
                    .app
                    .retried("PATCH", &format!("/offers/{offer}"), Some(&self.seller_token(seller)), Some(&body), None)
                    .await;
                self.log.push(format!("{seller} reprices {offer} → {}", reply.status));
                self.answered("reprice", reply.status);
            }
            8 => {
                let minutes = self.rng.i64(5..=45);
                self.app.runner.clock.advance(jiff::SignedDuration::from_mins(minutes));
                let reply = self.app.call("POST", "/_local/schedules/payment-expiry/run", None, None).await;
                self.log.push(format!("clock +{minutes} min, sweep → {} {}", reply.status, reply.body["report"]));
            }
            10 | 11 => {
                // Settlement's schedules: the hold ending, a month closing, a payout run. A
                // failed run is simply run again by its schedule; it must never pay twice.
                let (what, days) = match self.rng.u8(0..3) {
                    0 => ("funds-release", 8),
                    1 => ("seller-fees", 31),
                    _ => ("payouts", 10),
                };
                self.app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * days));
                if let (Some(debtor), "payouts") = (self.sepa.clone(), what) {
                    let rail = payouts::Rail::Sepa(debtor);
                    let terms = marketplace::settlement::Terms::default();
                    let run = payouts::run(&self.app.runner.ports, &terms, &rail).await;
                    self.app.settle().await;
                    self.log.push(format!("clock +{days} days, SEPA payouts → {run:?}"));
                    self.bank_answers(false).await;
                } else {
                    let reply = self.app.call("POST", &format!("/_local/schedules/{what}/run"), None, None).await;
                    self.app.settle().await;
                    self.log.push(format!("clock +{days} days, {what} → {} {}", reply.status, reply.body["report"]));
                }
            }
            9 if self.rng.u8(0..4) != 0 => self.review().await,
            12 => {
                // A trade-in lives through several steps: a few at a time, faults armed anew.
                for _ in 0..self.rng.usize(2..=6) {
                    self.trade_in().await;
                    self.maybe_arm();
                }
            }
            _ => {
                let seller = if self.rng.bool() { "sel_demo_lyon" } else { "sel_demo_berlin" };
                let (what, body) = if self.rng.bool() {
                    ("suspension", json!({"reason": "seller_terms_breach", "explanation": "audit"}))
                } else {
                    ("reinstatement", json!({}))
                };
                let reply = self
                    .app
                    .retried("POST", &format!("/sellers/{seller}/{what}"), Some(&self.app.admin()), Some(&body), None)
                    .await;
                self.app.settle().await;
                self.log.push(format!("admin {what} of {seller} → {}", reply.status));
                self.answered(what, reply.status);
            }
        }
        self.faulty.arm(0, Fault::Before);
        self.app.call("POST", "/_local/schedules/event-relay/run", None, None).await;
    }

    async fn trade_ins(&self) -> Vec<marketplace::trade_in::TradeIn> {
        let table = self.faulty.inner();
        let mut all = Vec::new();
        for buyer in ["buyer-0", "buyer-1", "buyer-2"] {
            let (found, _) = store::TradeIns::new(table.as_ref()).of_customer(buyer, 100, None).await.expect("reads");
            all.extend(found);
        }
        all
    }

    /// A trade-in moves one step, as a careful client retries it: a new offer, or the next
    /// step of one open: acceptance (sometimes with an account the bank refuses), receipt,
    /// an inspection that conforms or counters, the answer, another account, the deadlines.
    async fn trade_in(&mut self) {
        use marketplace::trade_in::{PaymentStatus, TradeInStatus};
        let open: Vec<_> = self
            .trade_ins()
            .await
            .into_iter()
            .filter(|t| t.closed_at.is_none() && t.status != TradeInStatus::Paid)
            .collect();
        let Some(t) = open.get(self.rng.usize(0..open.len() + 1)).cloned() else {
            let buyer_sub = format!("buyer-{}", self.rng.u8(0..3));
            let buyer = self.app.token("buyer", &buyer_sub, None);
            let screen = if self.rng.bool() { "flawless" } else { "scratched" };
            let device = json!({"productId": "prd_demo_iphone13", "imei": "490154203237518", "country": "FR",
                                "condition": {"powersOn": true, "screen": screen, "body": "flawless", "faults": [],
                                              "accountLocksRemoved": true, "dataErased": true}});
            let key = self.key();
            let reply = self.app.retried("POST", "/trade-ins", Some(&buyer), Some(&device), Some(&key)).await;
            self.log
                .push(format!("{buyer_sub} asks a trade-in offer ({screen}) → {} {}", reply.status, reply.body["id"]));
            self.answered("trade-in offer", reply.status);
            return;
        };
        let customer = self.app.token("buyer", &t.customer, None);
        let refurbisher = self.seller_token(&t.refurbisher_id);
        let path = format!("/trade-ins/{}", t.id);
        let iban = |closed: bool| if closed { "DE94370400440532010000" } else { "FR7630006000011234567890189" };
        let (what, method, token, body) = match (t.status, t.payment.as_ref().map(|p| p.status)) {
            (_, Some(PaymentStatus::Pending)) => {
                let reply = self.app.call("POST", "/_local/schedules/trade-in-deadlines/run", None, None).await;
                self.log.push(format!("trade-in deadlines → {} {}", reply.status, reply.body["report"]));
                return;
            }
            (_, Some(_)) => (
                "payout-account",
                "PUT",
                customer,
                Some(json!({"payoutAccount": {"holder": "C. Martin", "iban": iban(false)}})),
            ),
            (TradeInStatus::Offered, _) => {
                let account = json!({"holder": "C. Martin", "iban": iban(self.rng.u8(0..4) == 0)});
                let identity = json!({"name": "C. Martin", "birthDate": "1990-04-12", "document": {"type": "passport", "number": "19FV28461"}});
                ("acceptance", "POST", customer, Some(json!({"identity": identity, "payoutAccount": account})))
            }
            (TradeInStatus::Accepted, _) => ("receipt", "POST", refurbisher, None),
            (TradeInStatus::Received, _) if self.rng.bool() => {
                ("inspection", "POST", refurbisher, Some(json!({"result": "conforms"})))
            }
            (TradeInStatus::Received, _) => {
                let counter = json!({"result": "counter_offer", "price": {"amount": "150.00", "currency": "EUR"}, "reasons": ["battery"], "evidence": ["p.jpg"]});
                ("inspection", "POST", refurbisher, Some(counter))
            }
            _ if self.rng.bool() => ("counter-offer/acceptance", "POST", customer, None),
            _ => ("counter-offer/rejection", "POST", customer, None),
        };
        let reply = self.app.retried(method, &format!("{path}/{what}"), Some(&token), body.as_ref(), None).await;
        self.log.push(format!("trade-in {} {what} → {} {}", t.id, reply.status, reply.body["status"]));
        self.answered(what, reply.status);
    }

    /// A buyer reviews a delivered line (retried as a careful client does), edits or deletes a
    /// review, or publication runs: its worker, or its sweep after a clock jump.
    /// The buyer takes a delivered line to a dispute, and an admin refunds part of it (at
    /// most what is left, sometimes asked for more): the refund joins the money path.
    async fn dispute(&mut self, order: &Order, offer: &str) {
        let owner = self.app.token("buyer", &order.buyer, None);
        let body = json!({"offerId": offer, "subject": "Stopped charging", "message": "It stopped charging.", "desiredOutcome": "partial_refund"});
        let key = self.key();
        let path = format!("/orders/{}/disputes", order.id);
        let opened = self.app.retried("POST", &path, Some(&owner), Some(&body), Some(&key)).await;
        self.log.push(format!(
            "{} disputes {offer} of {} → {} {}",
            order.buyer,
            order.id,
            opened.status,
            opened.code()
        ));
        self.answered("dispute", opened.status);
        let Some(id) = opened.body["id"].as_str() else { return };
        let cents = self.rng.i64(100..=25_000);
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let resolution = json!({"outcome": "partial_refund", "amount": {"amount": amount, "currency": "EUR"}, "explanation": "Partly refunded."});
        let admin = self.app.admin();
        let path = format!("/disputes/{id}/resolution");
        let resolved = self.app.retried("POST", &path, Some(&admin), Some(&resolution), None).await;
        self.log.push(format!("admin refunds {amount} on {id} → {} {}", resolved.status, resolved.code()));
        self.answered("dispute resolution", resolved.status);
        self.app.settle().await;
    }

    async fn review(&mut self) {
        let orders = self.orders().await;
        let delivered: Vec<&Order> =
            orders.iter().filter(|o| o.parts.iter().any(|p| p.status == PartStatus::Delivered)).collect();
        let order = match delivered.get(self.rng.usize(0..delivered.len().max(1))) {
            Some(order) => (*order).clone(),
            None => {
                // Nothing delivered yet: an order is paid if need be (the provider settles it and
                // its webhook arrives), then a seller delivers its first part.
                let Some(paid) =
                    orders.iter().find(|o| o.status == OrderStatus::Paid).cloned().or(self.pay_one(&orders).await)
                else {
                    return;
                };
                let token = self.seller_token(&paid.parts[0].seller_id);
                for step in ["acceptance", "shipment", "delivery"] {
                    let body = (step == "shipment").then(|| json!({"carrier": "DHL", "tracking": "T1"}));
                    let path = format!("/orders/{}/{step}", paid.id);
                    let reply = self.app.retried("POST", &path, Some(&token), body.as_ref(), None).await;
                    self.log.push(format!("{} {step} on {} → {}", paid.parts[0].seller_id, paid.id, reply.status));
                }
                paid
            }
        };
        let owner = self.app.token("buyer", &order.buyer, None);
        let line = &order.lines[self.rng.usize(0..order.lines.len())];
        let rating = self.rng.i64(1..=5);
        match self.rng.u8(0..4) {
            0 | 1 => {
                let body = json!({"orderId": order.id, "offerId": line.offer_id, "rating": rating,
                                  "comment": "x".repeat(self.rng.usize(0..60))});
                let key = self.key();
                let reply = self.app.retried("POST", "/reviews", Some(&owner), Some(&body), Some(&key)).await;
                self.log.push(format!(
                    "{} reviews {} on {} → {} {}",
                    order.buyer,
                    line.offer_id,
                    order.id,
                    reply.status,
                    reply.code()
                ));
                self.answered("review", reply.status);
            }
            2 => {
                let (mine, _) = store::Reviews::new(self.faulty.inner().as_ref())
                    .of_buyer(&order.buyer, 100, None)
                    .await
                    .unwrap_or_default();
                if let Some(review) = mine.get(self.rng.usize(0..mine.len().max(1))) {
                    let path = format!("/reviews/{}", review.id);
                    let (what, reply) = if self.rng.bool() {
                        (
                            "edits",
                            self.app
                                .retried("PATCH", &path, Some(&owner), Some(&json!({"rating": rating})), None)
                                .await,
                        )
                    } else {
                        ("deletes", self.app.retried("DELETE", &path, Some(&owner), None, None).await)
                    };
                    self.log.push(format!("{} {what} {} → {} {}", order.buyer, review.id, reply.status, reply.code()));
                    self.answered("review change", reply.status);
                }
            }
            _ => {
                self.app.runner.clock.advance(jiff::SignedDuration::from_hours(self.rng.i64(1..=30)));
                let reply = self.app.call("POST", "/_local/schedules/review-publication/run", None, None).await;
                self.log.push(format!("review sweep → {} {}", reply.status, reply.body["report"]));
            }
        }
        self.app.settle().await;
    }

    /// Pays the first order awaiting payment through the provider and its webhook; the order
    /// as it is then, if paid.
    async fn pay_one(&mut self, orders: &[Order]) -> Option<Order> {
        let order = orders.iter().find(|o| o.status == OrderStatus::AwaitingPayment)?;
        let provider = sandbox_payments::SandboxPayments::new(
            self.faulty.inner(),
            local_runner::webhook_secret(acceptance::TEST_SECRET),
        );
        let intent = format!("pi_{}", order.id.trim_start_matches("ord_"));
        let event = provider.settle(&intent, true, self.app.runner.now()).await.ok()?;
        let headers = [("content-type", "application/json"), ("provider-signature", event.signature.as_str())];
        for _ in 0..5 {
            let reply = self.app.send("POST", "/payments/webhook", None, Some(&event.body), &headers).await;
            if reply.status < 500 {
                break;
            }
        }
        self.webhooks.push((event.body.clone(), event.signature.clone()));
        self.log.push(format!("provider settles {intent} and its webhook arrives"));
        self.app.settle().await;
        let paid = self.orders().await.into_iter().find(|o| o.id == order.id)?;
        (paid.status == OrderStatus::Paid).then_some(paid)
    }

    /// Every statement of reasons the suspensions produced follows the Transparency Database's
    /// rules, its puid is unique, and each hidden offer's statement belongs to an account
    /// decision of the same moment: no cascade explains a decision that was not taken.
    async fn check_statements(&self) -> Result<(), String> {
        let table = self.faulty.inner();
        let dsa = store::Dsa::new(table.as_ref());
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = dsa.statements(100, cursor).await.map_err(|e| e.to_string())?;
            all.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut puids = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        for stored in &all {
            let json = serde_json::to_value(&stored.statement).map_err(|e| e.to_string())?;
            let wrong = acceptance::transparency::violations(&json);
            if !wrong.is_empty() {
                return Err(format!("statement {}: {wrong:?}", stored.statement.puid));
            }
            if !puids.insert(stored.statement.puid.clone()) {
                return Err(format!("puid {} twice", stored.statement.puid));
            }
            if stored.statement.decision_account.is_some() {
                accounts.insert((stored.seller_id.clone(), stored.created_at));
            }
        }
        for stored in all.iter().filter(|s| s.statement.decision_account.is_none()) {
            if !accounts.contains(&(stored.seller_id.clone(), stored.created_at)) {
                return Err(format!("{} explains an offer's restriction without its account's", stored.statement.puid));
            }
        }
        Ok(())
    }

    /// Every product's rating equals its published reviews, and each of its lists holds
    /// exactly those reviews, as published: nothing counted twice or left behind.
    async fn check_reviews(&self) -> Result<(), String> {
        let table = self.faulty.inner();
        let reviews = store::Reviews::new(table.as_ref());
        for product in ["prd_demo_iphone13", "prd_demo_ipad9", "prd_demo_macbook_air_m1"] {
            let tally = reviews.product_tally(product).await.map_err(|e| e.to_string())?;
            let mut lists = BTreeMap::new();
            for sort in [
                store::ReviewSort::Newest,
                store::ReviewSort::Highest,
                store::ReviewSort::Lowest,
                store::ReviewSort::Relevance,
            ] {
                let (page, _) =
                    reviews.of_product(product, sort, &tally, 100, None).await.map_err(|e| e.to_string())?;
                let mut ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
                ids.sort();
                lists.insert(format!("{sort:?}"), (ids, page));
            }
            let (newest, page) = &lists["Newest"];
            for (sort, (ids, _)) in &lists {
                if ids != newest {
                    return Err(format!("{product}: the {sort} list holds {ids:?}, the newest list {newest:?}"));
                }
            }
            let mut sum = 0;
            for copy in page {
                let stored =
                    reviews.get(&copy.id).await.map_err(|e| e.to_string())?.ok_or("a listed review vanished")?;
                if stored.status != marketplace::reviews::ReviewStatus::Published || stored.rating != copy.rating {
                    return Err(format!("{product}: {} is listed as {copy:?} but stored as {stored:?}", copy.id));
                }
                sum += i64::from(stored.rating);
            }
            if (tally.count, tally.sum) != (page.len() as i64, sum) {
                return Err(format!(
                    "{product}: rated {} reviews summing {}, lists {} summing {sum}",
                    tally.count,
                    tally.sum,
                    page.len()
                ));
            }
        }
        Ok(())
    }

    /// The invariants, read from the storage underneath.
    async fn check(&self) -> Result<(), String> {
        if let Some(failure) = self.unrecovered.first() {
            return Err(format!("a failure of ours outlived the client's retries: {failure}"));
        }
        let table: Arc<dyn Table> = self.faulty.inner();
        let orders = self.orders().await;
        let provider = sandbox_payments::SandboxPayments::new(table.clone(), Vec::new());
        let mut reserved: BTreeMap<String, i64> = BTreeMap::new();
        for order in &orders {
            let quote = store::Quotes::new(table.as_ref())
                .get(&order.quote_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("an order without its quote")?;
            if order.totals.total != quote.totals.total {
                return Err(format!(
                    "{} charges {} for a quote of {}",
                    order.id, order.totals.total, quote.totals.total
                ));
            }
            for part in &order.parts {
                let paid = order.part_amount(&part.seller_id).amount_minor;
                let recorded: i64 =
                    part.refunds.iter().filter(|r| r.state != RefundState::Refused).map(|r| r.amount_minor).sum();
                if part.refunded_minor != recorded || part.refunded_minor > paid || part.refunded_minor < 0 {
                    return Err(format!(
                        "{} part {}: refunded {} of {paid}, refunds say {recorded}",
                        order.id, part.seller_id, part.refunded_minor
                    ));
                }
                if order.status != OrderStatus::Cancelled && part.status != PartStatus::Cancelled {
                    for line in order.lines_of(&part.seller_id) {
                        *reserved.entry(line.offer_id.clone()).or_default() += i64::from(line.quantity);
                    }
                }
            }
            let intent = format!("pi_{}", order.id.trim_start_matches("ord_"));
            let at_provider = provider.refunded(&intent).await.map_err(|e| e.to_string())?;
            let sent: i64 = order
                .parts
                .iter()
                .flat_map(|p| &p.refunds)
                .filter(|r| r.state == RefundState::Sent)
                .map(|r| r.amount_minor)
                .sum();
            let pending: i64 = order
                .parts
                .iter()
                .flat_map(|p| &p.refunds)
                .filter(|r| r.state == RefundState::Pending)
                .map(|r| r.amount_minor)
                .sum();
            let stray = if order.status == OrderStatus::Cancelled { order.totals.total.amount_minor } else { 0 };
            if at_provider < sent || at_provider > sent + pending + stray {
                return Err(format!(
                    "{}: the provider refunded {at_provider}, the order sent {sent} (+{pending} pending)",
                    order.id
                ));
            }
            if at_provider > order.totals.total.amount_minor {
                return Err(format!("{}: refunded {at_provider}, more than the {} paid", order.id, order.totals.total));
            }
        }
        self.check_ledger().await?;
        self.check_reviews().await?;
        self.check_statements().await?;
        for (offer_id, initial) in &self.initial_stock {
            let offer = store::Offers::new(table.as_ref())
                .get(offer_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("an offer vanished")?;
            let expected = initial - reserved.get(offer_id).copied().unwrap_or(0);
            if i64::from(offer.stock) != expected {
                return Err(format!(
                    "{offer_id}: stock {} but {initial} − {} reserved = {expected}",
                    offer.stock,
                    reserved.get(offer_id).copied().unwrap_or(0)
                ));
            }
        }
        Ok(())
    }
}

impl World {
    /// The ledger's invariants at any moment: the accounts sum to zero, and no seller's funds
    /// are ever negative.
    async fn check_ledger(&self) -> Result<(), String> {
        match acceptance::ledger_total(self.faulty.inner().as_ref()).await? {
            0 => Ok(()),
            total => Err(format!("the ledger's accounts sum to {total}, not zero")),
        }
    }

    async fn sellers(&self) -> Result<Vec<String>, String> {
        let table = self.faulty.inner();
        let (sellers, _) = store::Sellers::new(table.as_ref()).all(1000, None).await.map_err(|e| e.to_string())?;
        Ok(sellers.into_iter().map(|s| s.id).collect())
    }

    /// Once every event is delivered and every schedule has run, the ledger says exactly what
    /// the orders and payouts say.
    async fn check_settled(&mut self) -> Result<(), String> {
        self.faulty.arm(0, Fault::Before);
        if let Some(debtor) = self.sepa.clone() {
            // A last release and SEPA run, and the bank's answer to every file.
            self.app.runner.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
            self.app.call("POST", "/_local/schedules/funds-release/run", None, None).await;
            self.app.settle().await;
            let terms = marketplace::settlement::Terms::default();
            let run = payouts::run(&self.app.runner.ports, &terms, &payouts::Rail::Sepa(debtor)).await;
            self.log.push(format!("last SEPA payouts → {run:?}"));
            self.bank_answers(true).await;
        }
        for _ in 0..4 {
            // Past the queue's visibility timeout, so failed messages are delivered again.
            self.app.runner.clock.advance(jiff::SignedDuration::from_mins(7));
            self.app.call("POST", "/_local/schedules/event-relay/run", None, None).await;
            self.app.settle().await;
        }
        let table = self.faulty.inner();
        let ledger = store::Ledger::new(table.as_ref());
        let mut orders = self.orders().await;
        // The demo order, paid when the demo was seeded.
        orders.extend(
            store::Orders::new(table.as_ref()).get(local_runner::demo::IPAD_ORDER).await.map_err(|e| e.to_string())?,
        );
        let (mut collected, mut service_fees, mut commission, mut insurance) = (0, 0, 0, 0);
        let rate = marketplace::settlement::Terms::default().commission_rate;
        for order in orders.iter().filter(|o| o.status == OrderStatus::Paid) {
            let record = ledger.order_ledger(order).await.map_err(|e| e.to_string())?;
            collected += order.totals.total.amount_minor;
            service_fees += order.totals.service_fee.amount_minor;
            for part in &order.parts {
                let posted = record.part(&part.seller_id).ok_or(format!("{}: a part was never settled", order.id))?;
                let refunded: i64 =
                    posted.refunds.iter().filter(|r| !r.reversed).map(|r| r.goods_minor + r.insurance_minor).sum();
                if refunded != part.refunded_minor {
                    return Err(format!(
                        "{} part {}: the ledger refunded {refunded}, the order {}",
                        order.id, part.seller_id, part.refunded_minor
                    ));
                }
                let goods: i64 = order
                    .lines_of(&part.seller_id)
                    .map(|l| l.items_amount().amount_minor + l.shipping_fee.amount_minor)
                    .sum();
                if posted.commission_minor != marketplace::settlement::commission(rate, goods) {
                    return Err(format!(
                        "{} part {}: commission {} on {goods}",
                        order.id, part.seller_id, posted.commission_minor
                    ));
                }
                collected -= part.refunded_minor;
                commission += posted.commission_minor - posted.commission_returned_minor();
                insurance += order.lines_of(&part.seller_id).map(|l| l.insurance_premium.amount_minor).sum::<i64>()
                    - posted.refunds.iter().filter(|r| !r.reversed).map(|r| r.insurance_minor).sum::<i64>();
            }
        }
        let mut paid_out = 0;
        for seller in self.sellers().await? {
            let (payouts, _) = ledger.payouts_of(&seller, 100, None).await.map_err(|e| e.to_string())?;
            paid_out +=
                payouts.iter().filter(|p| p.status == PayoutStatus::Paid).map(|p| p.amount.amount_minor).sum::<i64>();
        }
        // Devices bought: their commission earned, their price owed to the customer until the
        // transfer, which leaves the provider's clearing.
        let (mut owed_to_customers, mut transferred) = (0, 0);
        for t in self.trade_ins().await {
            let Some(payment) = &t.payment else { continue };
            commission += payment.commission.amount_minor;
            match payment.status {
                marketplace::trade_in::PaymentStatus::Sent => transferred += payment.amount.amount_minor,
                _ => owed_to_customers += payment.amount.amount_minor,
            }
        }
        let balance = |account: Account| {
            let ledger = &ledger;
            async move { ledger.platform_balance(&account, Currency::EUR).await.map_err(|e| e.to_string()) }
        };
        let expected = [
            ("clearing", balance(Account::ProviderClearing).await?, collected - paid_out - transferred),
            ("owed to trade-in customers", balance(Account::CustomerPayable).await?, owed_to_customers),
            ("service fees", balance(Account::ServiceFees).await?, service_fees),
            ("commission", balance(Account::Commission).await?, commission),
            ("insurer", balance(Account::InsurerPayable).await?, insurance),
        ];
        for (what, found, want) in expected {
            if found != want {
                return Err(format!("{what}: the ledger holds {found}, the orders and payouts say {want}"));
            }
        }
        self.check_ledger().await
    }
}

/// What one seed did: operations, and faults injected before and after their call applied.
struct Ran {
    operations: usize,
    /// Reviews accepted for publication.
    reviewed: usize,
    /// Disputes resolved with a refund.
    refunded_disputes: usize,
    /// Trade-ins paid.
    paid_trade_ins: usize,
    /// SEPA payouts the bank's reports settled (paid or returned).
    bank_settled: u64,
    before: usize,
    after: usize,
}

async fn run(seed: u64) -> Result<Ran, String> {
    let (app, faulty) = App::embedded_faulty().await;
    let mut initial_stock = BTreeMap::new();
    for (offer, _) in OFFERS {
        let found = store::Offers::new(faulty.inner().as_ref()).get(offer).await.expect("reads").expect("seeded");
        initial_stock.insert(offer.to_owned(), i64::from(found.stock));
    }
    let mut world = World {
        app,
        faulty,
        rng: fastrand::Rng::with_seed(seed),
        log: Vec::new(),
        webhooks: Vec::new(),
        initial_stock,
        keys: 0,
        unrecovered: Vec::new(),
        sepa: (seed % 2 == 1).then(|| {
            marketplace::sepa::Debtor::parse("Refurb Market SAS", "EUR:FR7630006000011234567890189:BNPAFRPPXXX")
                .expect("a valid debtor")
        }),
    };
    for _ in 0..STEPS {
        world.step().await;
        if let Err(broken) = world.check().await {
            return Err(format!("seed {seed}: {broken}\nsteps:\n{}", world.log.join("\n")));
        }
    }
    if let Err(broken) = world.check_settled().await {
        return Err(format!("seed {seed}, once settled: {broken}\nsteps:\n{}", world.log.join("\n")));
    }
    let outbox = world.faulty.inner().query(Query::new(Index::Gsi2, "OUTBOX")).await.map_err(|e| e.to_string())?;
    if !outbox.items.is_empty() {
        return Err(format!("seed {seed}: {} events never left the outbox", outbox.items.len()));
    }
    let (before, after) = world.faulty.injected();
    let reviewed = world.log.iter().filter(|l| l.contains(" reviews ") && l.contains("→ 202")).count();
    let refunded_disputes = world.log.iter().filter(|l| l.starts_with("admin refunds") && l.contains("→ 200")).count();
    let operations = world.log.iter().filter(|l| !l.starts_with("  (")).count();
    let paid_trade_ins =
        world.trade_ins().await.iter().filter(|t| t.status == marketplace::trade_in::TradeInStatus::Paid).count();
    let bank_settled = world
        .log
        .iter()
        .filter_map(|l| l.strip_prefix("the bank answers ").and_then(|l| l.split_once(" → 200 ")))
        .filter_map(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
        .map(|b| b["paid"].as_u64().unwrap_or(0) + b["returned"].as_u64().unwrap_or(0))
        .sum();
    Ok(Ran { operations, reviewed, refunded_disputes, paid_trade_ins, bank_settled, before, after })
}

#[tokio::test]
async fn seeded_workloads_under_faults_keep_every_invariant() {
    let first: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let seeds: u64 = std::env::var("SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let (mut operations, mut reviewed, mut refunded, mut before, mut after, mut traded) = (0, 0, 0, 0, 0, 0);
    let mut bank_settled = 0;
    for seed in first..first + seeds {
        let ran = run(seed).await.unwrap_or_else(|failure| panic!("{failure}"));
        operations += ran.operations;
        reviewed += ran.reviewed;
        refunded += ran.refunded_disputes;
        traded += ran.paid_trade_ins;
        bank_settled += ran.bank_settled;
        before += ran.before;
        after += ran.after;
    }
    println!(
        "simulation: {seeds} seeds from {first}, {operations} operations ({reviewed} reviews, {refunded} dispute refunds, {traded} trade-ins paid, {bank_settled} SEPA payouts settled by the bank), faults injected: {before} before a call applied, {after} after"
    );
}
