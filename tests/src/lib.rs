//! Shared helpers for the workspace-level tests.
//!
//! The AWS side of each contract suite runs against `AWS_ENDPOINT_URL` (the emulator that
//! `make test` starts). Without an endpoint those tests say so and pass, unless
//! `CONTRACT_AWS=required` (set by `make test`) makes a missing endpoint a failure.

pub mod counting;
pub mod faults;
pub mod openapi;
pub mod transparency;

/// Runs each case of a suite twice: on the embedded adapter (`embedded`) and on the AWS
/// adapter (`aws`, an `Option` that is `None` without an emulator). Every case is an
/// `async fn(&Subject)` in the calling file.
#[macro_export]
macro_rules! on_both_adapters {
    (embedded: $embedded:expr, aws: $aws:expr, cases: [$($case:ident),* $(,)?]) => {
        mod embedded {
            $(#[tokio::test]
            async fn $case() {
                super::$case(&$embedded).await;
            })*
        }
        mod aws {
            $(#[tokio::test]
            async fn $case() {
                if let Some(subject) = $aws {
                    super::$case(&subject).await;
                }
            })*
        }
    };
}

use std::sync::Arc;

use aws_adapters::{DynamoTable, S3Blobs, SqsQueue};
use ports::MovableClock;

/// The SDK configuration for the emulator, or `None` when no endpoint is configured.
pub async fn aws_config() -> Option<aws_adapters::SdkConfig> {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        assert!(
            std::env::var("CONTRACT_AWS").as_deref() != Ok("required"),
            "CONTRACT_AWS=required but AWS_ENDPOINT_URL is not set"
        );
        eprintln!("AWS_ENDPOINT_URL is not set: the AWS adapter is not exercised by this test");
        return None;
    }
    Some(aws_adapters::sdk_config().await)
}

/// A trader's onboarding application, written as a careless client would (spaces in the
/// phone, VAT id and IBAN, capitals in the e-mail), valid once normalised.
pub fn trader_application() -> serde_json::Value {
    serde_json::json!({
        "legalName": "Seconde Vie SARL",
        "address": {"line1": "8 rue Sainte-Catherine", "postalCode": "33000", "city": "Bordeaux", "country": "FR"},
        "phone": "+33 5 56 00 00 01",
        "email": "Bonjour@seconde-vie.example",
        "tradeRegister": {"name": "RCS Bordeaux", "number": "900 000 001"},
        "vatId": "FR12900000001",
        "paymentAccount": {"holder": "Seconde Vie SARL", "iban": "DE89 3704 0044 0532 0130 00"},
        "complianceSelfCertified": true
    })
}

/// A name no other test uses, so tests can share one emulator.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::generate().to_string().to_ascii_lowercase())
}

pub fn embedded_table() -> embedded_adapters::EmbeddedTable {
    embedded_adapters::EmbeddedTable::in_memory()
}

/// A fresh table on the emulator.
pub async fn aws_table() -> Option<DynamoTable> {
    let config = aws_config().await?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = unique("contract");
    aws_adapters::create_table(&client, &name).await.expect("the emulator creates a table");
    Some(DynamoTable::new(client, name))
}

/// The queue names every queue contract test uses.
pub const QUEUES: [&str; 2] = ["work", "work.fifo"];

pub fn embedded_queue_with_clock(clock: Arc<MovableClock>) -> embedded_adapters::MemoryQueue {
    let queue = embedded_adapters::MemoryQueue::new(clock);
    for name in QUEUES {
        queue.declare(name, 3);
    }
    queue
}

/// Fresh queues on the emulator, under a prefix of their own.
pub async fn aws_queue() -> Option<SqsQueue> {
    let config = aws_config().await?;
    let client = aws_sdk_sqs::Client::new(&config);
    let prefix = unique("contract");
    for name in QUEUES {
        aws_adapters::create_queue(&client, &format!("{prefix}-{name}")).await.expect("the emulator creates a queue");
    }
    Some(SqsQueue::new(client, format!("{prefix}-")))
}

pub fn embedded_blobs() -> embedded_adapters::FolderBlobs {
    embedded_adapters::FolderBlobs::new(std::env::temp_dir().join(unique("blobs")))
}

pub async fn aws_blobs() -> Option<S3Blobs> {
    let config = aws_config().await?;
    let client = aws_adapters::s3_client(&config);
    let bucket = unique("contract");
    aws_adapters::create_bucket(&client, &bucket).await.expect("the emulator creates a bucket");
    Some(S3Blobs::new(client, bucket))
}

/// The whole marketplace in one process, as `make run` serves it, for tests that go through
/// HTTP: routes from the template, the stand-in authorizer, the real handlers and workers.
pub struct App {
    pub runner: local_runner::Runner,
}

/// One answer: its status, headers and JSON body (`Null` when empty or not JSON), and the
/// body as text.
pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["field"].as_str().map(str::to_owned))
            .collect()
    }
}

pub const TEST_SECRET: &[u8] = b"test-token-secret";

/// Where every test marketplace's clock starts, and when its demo data is seeded: a fixed
/// moment, so no test depends on today's date. Tests move the clock on from here.
pub fn start() -> jiff::Timestamp {
    "2026-11-01T08:00:00Z".parse().expect("a valid timestamp")
}

/// The template, the runner's clock, the provider's webhook secret and the in-memory ports.
async fn embedded_ports() -> (local_runner::Template, Arc<MovableClock>, Vec<u8>, ports::Ports) {
    let template = local_runner::repository_template().expect("template.yaml parses");
    let clock = Arc::new(MovableClock::default());
    let secret = local_runner::webhook_secret(TEST_SECRET);
    let ports = local_runner::Runner::ports(&template, &local_runner::Backend::Memory, clock.clone(), &secret)
        .await
        .expect("embedded ports");
    (template, clock, secret, ports)
}

/// Seeds the demo data at `start()`.
async fn seeded(runner: local_runner::Runner) -> App {
    runner.clock.set(start());
    local_runner::demo::seed(&runner.ports).await.expect("demo data");
    App { runner }
}

impl App {
    /// On the embedded adapters, in memory, with the demo data seeded at `start()`.
    pub async fn embedded() -> App {
        Self::embedded_with(&local_runner::functions::Settings::default()).await
    }

    /// As [`App::embedded`], with the deployment's choices given.
    pub async fn embedded_with(settings: &local_runner::functions::Settings) -> App {
        let (template, clock, _, ports) = embedded_ports().await;
        let runner = local_runner::Runner::with_settings(template, ports, clock, TEST_SECRET, settings)
            .expect("the runner hosts every function");
        seeded(runner).await
    }

    /// As [`App::aws`], with the deployment's choices given.
    pub async fn aws_with(settings: &local_runner::functions::Settings) -> Option<App> {
        let table: Arc<dyn ports::Table> = Arc::new(aws_table().await?);
        Self::aws_on_with(table.clone(), table, settings).await
    }

    /// On the embedded adapters with a table that fails on purpose once armed (demo data is
    /// seeded first, unfailing).
    pub async fn embedded_faulty() -> (App, Arc<faults::FaultyTable>) {
        let (template, clock, secret, ports) = embedded_ports().await;
        let faulty = Arc::new(faults::FaultyTable::new(ports.table.clone()));
        let ports = ports::Ports {
            table: faulty.clone(),
            // The provider's own storage is not the marketplace's to fail.
            payments: Arc::new(sandbox_payments::SandboxPayments::new(ports.table.clone(), secret)),
            ..ports
        };
        let runner = local_runner::Runner::with_ports(template, ports, clock, TEST_SECRET)
            .expect("the runner hosts every function");
        (seeded(runner).await, faulty)
    }

    /// On the AWS adapters against the emulator (fresh table, queues and bucket), with the
    /// demo data; `None` without an emulator.
    pub async fn aws() -> Option<App> {
        let table: Arc<dyn ports::Table> = Arc::new(aws_table().await?);
        Self::aws_on(table.clone(), table).await
    }

    /// On the AWS adapters with every DynamoDB request counted; `None` without an emulator.
    pub async fn aws_counted() -> Option<(App, Arc<counting::CountingTable>)> {
        let table: Arc<dyn ports::Table> = Arc::new(aws_table().await?);
        let counter = Arc::new(counting::CountingTable::new(table.clone()));
        // The sandbox provider's own records are the provider's cost, not the marketplace's.
        let app = Self::aws_on(counter.clone(), table).await?;
        counter.take();
        Some((app, counter))
    }

    /// On the AWS adapters with a table that fails on purpose once armed; `None` without an
    /// emulator.
    pub async fn aws_faulty() -> Option<(App, Arc<faults::FaultyTable>)> {
        let table: Arc<dyn ports::Table> = Arc::new(aws_table().await?);
        let faulty = Arc::new(faults::FaultyTable::new(table.clone()));
        let app = Self::aws_on(faulty.clone(), table).await?;
        Some((app, faulty))
    }

    async fn aws_on(table: Arc<dyn ports::Table>, provider_table: Arc<dyn ports::Table>) -> Option<App> {
        Self::aws_on_with(table, provider_table, &local_runner::functions::Settings::default()).await
    }

    async fn aws_on_with(
        table: Arc<dyn ports::Table>,
        provider_table: Arc<dyn ports::Table>,
        settings: &local_runner::functions::Settings,
    ) -> Option<App> {
        let template = local_runner::repository_template().expect("template.yaml parses");
        let config = aws_config().await?;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let prefix = format!("{}-", unique("app"));
        for queue in &template.queues {
            aws_adapters::create_queue(&sqs, &format!("{prefix}{}", queue.name))
                .await
                .expect("the emulator creates a queue");
        }
        let clock = Arc::new(MovableClock::default());
        let secret = local_runner::webhook_secret(TEST_SECRET);
        let queue: Arc<dyn ports::Queue> = Arc::new(SqsQueue::new(sqs, prefix));
        let ports = ports::Ports {
            // Like the provider's, the outbox's records are not the marketplace's.
            mailer: Arc::new(embedded_adapters::TableOutbox::new(provider_table.clone(), clock.clone())),
            payments: Arc::new(sandbox_payments::SandboxPayments::new(provider_table, secret)),
            table,
            activity: Arc::new(ports::QueuedActivity(queue.clone())),
            devices: Arc::new(ports::SandboxDeviceCheck::new([local_runner::demo::STOLEN_IMEI.to_owned()])),
            labels: Arc::new(ports::SandboxLabels),
            queue,
            blobs: Arc::new(aws_blobs().await?),
            clock: clock.clone(),
            ids: Arc::new(ports::RandomIds),
        };
        let runner = local_runner::Runner::with_settings(template, ports, clock, TEST_SECRET, settings)
            .expect("the runner hosts every function");
        Some(seeded(runner).await)
    }

    pub fn token(&self, role: &str, sub: &str, seller_id: Option<&str>) -> String {
        self.runner.tokens.issue(sub, &[role], seller_id, self.runner.now())
    }

    /// A token carrying the user's e-mail address (the `email` claim).
    pub fn token_with_email(&self, role: &str, sub: &str, email: &str) -> String {
        self.runner.tokens.issue_with_email(sub, &[role], None, Some(email), self.runner.now())
    }

    pub fn admin(&self) -> String {
        self.token("admin", "admin-1", None)
    }

    pub fn buyer(&self) -> String {
        self.token("buyer", "buyer-1", None)
    }

    /// A member of the demo seller in Lyon.
    pub fn lyon(&self) -> String {
        self.token("seller", local_runner::demo::LYON_OWNER, Some(local_runner::demo::SELLER_LYON))
    }

    pub fn berlin(&self) -> String {
        self.token("seller", local_runner::demo::BERLIN_OWNER, Some(local_runner::demo::SELLER_BERLIN))
    }

    /// Sends a request; `body` is sent as JSON.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<serde_json::Value>) -> Reply {
        let raw = body.map(|b| b.to_string());
        self.send(method, path, token, raw.as_deref(), &[("content-type", "application/json")]).await
    }

    /// Sends a request with a raw body and the given headers.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        use tower::ServiceExt;
        let mut request = axum::http::Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request =
            request.body(axum::body::Body::from(body.unwrap_or_default().to_owned())).expect("a valid request");
        let response = self.runner.router.clone().oneshot(request).await.expect("the router never fails");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("a readable body").to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        if !path.starts_with("/_local/") {
            let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
            openapi::spec().check(method, path.split('?').next().unwrap_or_default(), status, content_type, &body);
        }
        Reply { status, headers, body, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Sends a request as a careful client does: again while the answer is a failure of ours
    /// (5xx), and again once its lock expires while a crashed attempt holds its key.
    pub async fn retried(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        key: Option<&str>,
    ) -> Reply {
        let text = body.map(serde_json::Value::to_string);
        let mut headers = vec![("content-type", "application/json")];
        if let Some(key) = key {
            headers.push(("idempotency-key", key));
        }
        let mut reply = self.send(method, path, token, text.as_deref(), &headers).await;
        for _ in 0..8 {
            if reply.code() == "request_in_progress" {
                self.runner.clock.advance(jiff::SignedDuration::from_secs(31));
            } else if reply.status < 500 {
                return reply;
            }
            reply = self.send(method, path, token, text.as_deref(), &headers).await;
        }
        reply
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None).await
    }

    /// `buyer` (a token) orders one unit of each offer, shipped to France, and pays through
    /// the sandbox; returns the order's id. The order's view never shows the buyer's address.
    /// Moves the runner's clock by an ISO 8601 duration (`PT10M`, `P8D`); due schedules run.
    pub async fn advance(&self, by: &str) {
        let moved = self.call("POST", "/_local/clock", None, Some(serde_json::json!({"advance": by}))).await;
        assert_eq!(moved.status, 200, "{moved:?}");
    }

    /// Every mail the runner sent so far.
    pub async fn outbox(&self) -> Vec<serde_json::Value> {
        let reply = self.get("/_local/outbox", None).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["items"].as_array().cloned().expect("a list of mails")
    }

    pub async fn paid_order(&self, buyer: &str, offers: &[&str]) -> String {
        let lines: Vec<serde_json::Value> =
            offers.iter().map(|o| serde_json::json!({"offerId": o, "quantity": 1})).collect();
        let cart = serde_json::json!({"lines": lines, "paymentMethod": "card", "shippingCountry": "FR"});
        let quote = self.call("POST", "/quotes", Some(buyer), Some(cart)).await;
        assert_eq!(quote.status, 201, "{quote:?}");
        let order =
            self.call("POST", "/orders", Some(buyer), Some(serde_json::json!({"quoteId": quote.body["id"]}))).await;
        assert_eq!(order.status, 201, "{order:?}");
        assert!(!order.text.contains('@'), "the buyer's address is not in the order's view: {}", order.text);
        let intent = order.body["payment"]["intentId"].as_str().expect("an intent").to_owned();
        let paid = self.call("POST", &format!("/_local/payments/{intent}/succeed"), None, None).await;
        assert_eq!(paid.status, 200, "{paid:?}");
        self.settle().await;
        order.body["id"].as_str().expect("an order id").to_owned()
    }

    /// A new active seller with one offer; returns the seller's id, a member's token and the
    /// offer's id. `iban` is where its payouts go.
    pub async fn seller_with_offer(
        &self,
        who: &str,
        iban: &str,
        product: &str,
        price: &str,
        shipping: &str,
    ) -> (String, String, String) {
        let user = self.token("buyer", who, None);
        let mut application = trader_application();
        application["paymentAccount"]["iban"] = serde_json::json!(iban);
        let created = self.call("POST", "/sellers", Some(&user), Some(application)).await;
        assert_eq!(created.status, 201, "{created:?}");
        let id = created.body["id"].as_str().expect("an id").to_owned();
        let approved = self
            .call(
                "POST",
                &format!("/sellers/{id}/verification"),
                Some(&self.admin()),
                Some(serde_json::json!({"decision": "approve"})),
            )
            .await;
        assert_eq!(approved.status, 200, "{approved:?}");
        let member = self.token("seller", who, Some(&id));
        let offer = serde_json::json!({
            "productId": product,
            "grade": "very_good",
            "price": {"amount": price, "currency": "EUR"},
            "shippingFee": {"amount": shipping, "currency": "EUR"},
            "stock": 5,
            "warrantyMonths": 12,
            "paymentMethods": ["card"]
        });
        let offer = self.call("POST", "/offers", Some(&member), Some(offer)).await;
        assert_eq!(offer.status, 201, "{offer:?}");
        (id, member, offer.body["id"].as_str().expect("an offer id").to_owned())
    }

    /// A new seller whose sale of a 50.00 tablet, paid `day` days after 2 November and
    /// delivered, has been released: 45.00 available. Returns its id and a member's token.
    pub async fn funded_seller(&self, who: &str, day: i64) -> (String, String) {
        let start: jiff::Timestamp = "2026-11-02T09:00:00Z".parse().expect("a timestamp");
        let start = start.checked_add(jiff::SignedDuration::from_hours(24 * day)).expect("time");
        self.runner.clock.set(start);
        let iban = "DE89 3704 0044 0532 0130 00";
        let (seller, member, offer) =
            self.seller_with_offer(who, iban, local_runner::demo::IPAD, "50.00", "0.00").await;
        let order = self.paid_order(&self.buyer(), &[&offer]).await;
        self.deliver(&order, &member).await;
        self.runner.clock.set(start.checked_add(jiff::SignedDuration::from_hours(24 * 8)).expect("time"));
        let released = self.call("POST", "/_local/schedules/funds-release/run", None, None).await;
        assert_eq!(released.status, 200, "{released:?}");
        self.settle().await;
        let balance = self.get(&format!("/sellers/{seller}/balance"), Some(&member)).await;
        assert_eq!(balance.body["available"]["amount"], "45.00", "{balance:?}");
        (seller, member)
    }

    /// The seller `member` (a token) accepts, ships and delivers its part of `order`.
    pub async fn deliver(&self, order: &str, member: &str) {
        for (step, body) in [
            ("acceptance", None),
            ("shipment", Some(serde_json::json!({"carrier": "DHL", "tracking": "JD0001"}))),
            ("delivery", None),
        ] {
            let reply = self.call("POST", &format!("/orders/{order}/{step}"), Some(member), body).await;
            assert_eq!(reply.status, 200, "{step}: {reply:?}");
        }
        self.settle().await;
    }

    /// Delivers queue messages until every queue is quiet.
    pub async fn settle(&self) {
        self.runner.drain(20).await;
    }
}

/// The bank's pain.002.001.12 on `message_id`: a group status and transfers' statuses.
pub fn status_report(message_id: &str, group: &str, transfers: &[(&str, &str, Option<&str>)]) -> String {
    let mut tx = String::new();
    for (i, (e2e, status, reason)) in transfers.iter().enumerate() {
        let reason = reason.map(|r| format!("<StsRsnInf><Rsn><Cd>{r}</Cd></Rsn></StsRsnInf>")).unwrap_or_default();
        tx.push_str(&format!(
            "<TxInfAndSts><StsId>S{i}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>{reason}</TxInfAndSts>"
        ));
    }
    let batch = if tx.is_empty() {
        String::new()
    } else {
        format!("<OrgnlPmtInfAndSts><OrgnlPmtInfId>{message_id}</OrgnlPmtInfId>{tx}</OrgnlPmtInfAndSts>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"><CstmrPmtStsRpt>
<GrpHdr><MsgId>BANK-{message_id}</MsgId><CreDtTm>2026-11-17T09:00:00Z</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>{group}</GrpSts></OrgnlGrpInfAndSts>
{batch}</CstmrPmtStsRpt></Document>"#
    )
}

/// The signed sum of every ledger account in euros, platform and sellers: zero while the
/// ledger balances. Also fails when a seller's funds went negative.
pub async fn ledger_total(table: &dyn ports::Table) -> Result<i64, String> {
    use marketplace::ledger::{Account, SellerAccount};
    let currency = marketplace::Currency::EUR;
    let ledger = store::Ledger::new(table);
    let mut total = 0;
    for account in Account::PLATFORM {
        total += account.natural(ledger.platform_balance(&account, currency).await.map_err(|e| e.to_string())?);
    }
    let (sellers, _) = store::Sellers::new(table).all(1000, None).await.map_err(|e| e.to_string())?;
    for seller in sellers {
        let funds = ledger.funds(&seller.id, currency).await.map_err(|e| e.to_string())?.funds;
        for which in SellerAccount::ALL {
            if funds.get(which) < 0 {
                return Err(format!("{}'s {} funds went negative", seller.id, which.as_str()));
            }
            total += which.of(&seller.id).natural(funds.get(which));
        }
    }
    Ok(total)
}
