//! `make run`: the whole marketplace on localhost with demo data.
//!
//! Settings (environment): `PORT` (default 3000), `DATA_DIR` (default `.data`),
//! `MARKETPLACE_BACKEND` = `embedded` (default) or `aws` (AWS services from the usual
//! variables, `AWS_ENDPOINT_URL` for an emulator; `MARKETPLACE_PROVISION=1` creates them).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use local_runner::{Backend, Runner, demo};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    edge::logging::init();
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let data_dir = PathBuf::from(std::env::var("DATA_DIR").unwrap_or_else(|_| ".data".into()));
    let backend = match std::env::var("MARKETPLACE_BACKEND").as_deref() {
        Ok("aws") => Backend::Aws { provision: std::env::var("MARKETPLACE_PROVISION").as_deref() == Ok("1") },
        _ => Backend::Folder(data_dir.clone()),
    };
    // The settlement terms and the invitation settings are read by each function; a bad
    // configuration stops us here.
    order_settlement::terms_from_env()?;
    local_runner::functions::Settings::from_env()?;
    review_invitations::Settings::from_env()?;
    let secret = token_secret(&data_dir)?;
    let runner = Arc::new(Runner::start(local_runner::repository_template()?, backend, &secret).await?);
    demo::seed(&runner.ports).await?;
    runner.spawn_deliveries();
    runner.spawn_schedules();

    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("{}", banner(&runner, &format!("http://localhost:{port}")));
    axum::serve(listener, runner.router.clone())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The development-token secret: made once per data folder and kept there, so printed tokens
/// stay valid across restarts and nothing secret lives in the code.
fn token_secret(data_dir: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let path = data_dir.join("token-secret");
    if let Ok(secret) = std::fs::read(&path) {
        return Ok(secret);
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = format!("{}{}", ulid::Ulid::generate(), ulid::Ulid::generate()).into_bytes();
    std::fs::write(&path, &secret)?;
    Ok(secret)
}

fn banner(runner: &Runner, url: &str) -> String {
    let now = runner.now();
    let admin = runner.tokens.issue("admin-dev", &["admin"], None, now);
    let buyer = runner.tokens.issue_with_email(demo::BUYER, &["buyer"], None, Some(demo::BUYER_EMAIL), now);
    let seller = runner.tokens.issue(demo::LYON_OWNER, &["seller"], Some(demo::SELLER_LYON), now);
    let routes: usize = runner.template.functions.iter().map(|f| f.routes.len()).sum();
    format!(
        r#"
Marketplace running at {url}  ({routes} routes from template.yaml, state in DATA_DIR)

Development tokens (paste into your shell):
  export ADMIN={admin}
  export BUYER={buyer}
  export SELLER={seller}

Try:
  curl -s {url}/products/{iphone}/offers
  curl -s {url}/sellers/{lyon}
  curl -s {url}/sellers/{lyon}/account -H "Authorization: Bearer $SELLER"
  curl -s -X POST {url}/offers -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
       -H "Idempotency-Key: $(date +%s%N)" \
       -d '{{"productId":"{macbook}","grade":"good","price":{{"amount":"589.00","currency":"EUR"}},"shippingFee":{{"amount":"0.00","currency":"EUR"}},"stock":2,"warrantyMonths":12,"paymentMethods":["card","paypal"]}}'
  curl -s -X PATCH {url}/offers/off_demo_iphone_lyon -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
       -d '{{"price":{{"amount":"329.00","currency":"EUR"}}}}'
  curl -s -X POST {url}/sellers/{pending}/verification -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
       -d '{{"decision":"approve"}}'

The buy flow (quote → order → sandbox payment → accept → ship → deliver), ids picked with python3:
  QUOTE=$(curl -s -X POST {url}/quotes -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' \
       -d '{{"lines":[{{"offerId":"off_demo_iphone_lyon","quantity":1,"insurance":true}}],"paymentMethod":"card","shippingCountry":"FR"}}' \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  PLACED=$(curl -s -X POST {url}/orders -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' \
       -H "Idempotency-Key: $QUOTE" -d "{{\"quoteId\":\"$QUOTE\"}}")
  ORDER=$(echo "$PLACED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  INTENT=$(echo "$PLACED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["payment"]["intentId"])')
  curl -s -X POST {url}/_local/payments/$INTENT/succeed
  curl -s -X POST {url}/orders/$ORDER/acceptance -H "Authorization: Bearer $SELLER"
  curl -s -X POST {url}/orders/$ORDER/shipment -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
       -d '{{"carrier":"Colissimo","tracking":"6A00000000001"}}'
  curl -s -X POST {url}/orders/$ORDER/delivery -H "Authorization: Bearer $SELLER"
  curl -s {url}/orders/$ORDER -H "Authorization: Bearer $BUYER"

A dispute about that delivered line, escalated to the consumer mediator, and its case file:
  CASE=$(curl -s -X POST {url}/orders/$ORDER/disputes -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' \
       -d '{{"offerId":"off_demo_iphone_lyon","subject":"Screen scratched","message":"Two deep scratches.","desiredOutcome":"partial_refund"}}' \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -s -X POST {url}/disputes/$CASE/resolution -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
       -d '{{"outcome":"partial_refund","amount":{{"amount":"20.00","currency":"EUR"}},"explanation":"Light scratches."}}'
  curl -s -X POST {url}/disputes/$CASE/escalation -H "Authorization: Bearer $BUYER"
  curl -s {url}/disputes/$CASE/export -H "Authorization: Bearer $BUYER" -H 'Accept: application/pdf' -o case-file.pdf

A paid demo order waits for the Lyon seller: {demo_order}
  curl -s {url}/orders -H "Authorization: Bearer $SELLER"
  curl -s -X POST {url}/_local/clock -H 'Content-Type: application/json' -d '{{"advance":"P8D"}}'
  curl -s {url}/_local/outbox    # a week after delivery: the buyer's invitation to review

The seller's money (deliver the order above, then move the clock 40 days: every schedule firing on the way runs at its own time):
  MONTH=$(curl -s {url}/_local/clock | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"][:7])')
  curl -s {url}/sellers/{lyon}/balance -H "Authorization: Bearer $SELLER"
  curl -s -X POST {url}/_local/clock -H 'Content-Type: application/json' -d '{{"advance":"P40D"}}'
  curl -s {url}/sellers/{lyon}/payouts -H "Authorization: Bearer $SELLER"
  curl -s {url}/sellers/{lyon}/statements/$MONTH -H "Authorization: Bearer $SELLER" -H 'Accept: text/csv'
"#,
        iphone = demo::IPHONE,
        macbook = demo::MACBOOK,
        lyon = demo::SELLER_LYON,
        pending = demo::SELLER_PENDING,
        demo_order = demo::IPAD_ORDER,
    )
}
