//! The counting path of the monthly active recipients (DSA Art. 24(2)), not a test:
//! `make bench` runs it (`cargo bench -p acceptance --bench recipient_counting`), on the
//! embedded table and, when `AWS_ENDPOINT_URL` names the emulator, on DynamoDB's.
//!
//! A month's population (`RECIPIENTS`, 10,000 by default): 70 % visitors browsing on one
//! device, 30 % accounts seen first on a device before signing in, then signed in on it (a
//! device line, then an account line that links the device). The lines go to the counter in
//! batches of 1,000, as a log subscription delivers them, four times: the first delivery; the
//! same batches again to the same container (remembered); to a new container (every identity
//! a failed conditional put); then the month is counted on the table's side, and must equal
//! the population.

use std::sync::Arc;
use std::time::Instant;

use acceptance::counting::{CountingTable, Usage};
use marketplace::dsa::recipients::Activity;
use ports::Table;

const BATCH: usize = 1_000;
const MONTH: &str = "2026-11";

fn lines(recipients: usize) -> Vec<String> {
    let at: jiff::Timestamp = "2026-11-20T08:00:00Z".parse().expect("a time");
    let line = |account: Option<String>, device: String| {
        edge::activity::line_of(&Activity {
            at,
            account,
            device: Some(device),
            country: Some("FR".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0".into()),
        })
        .expect("a visitor in France counts")
    };
    let mut lines = Vec::new();
    for i in 0..recipients {
        if i % 10 < 7 {
            lines.push(line(None, format!("visitor-{i}")));
        } else {
            lines.push(line(None, format!("device-of-{i}")));
            lines.push(line(Some(format!("account-{i}")), format!("device-of-{i}")));
        }
    }
    lines
}

fn row(adapter: &str, pass: &str, lines: usize, seconds: f64, usage: &Usage) {
    let requests: Vec<String> = usage.requests.iter().map(|(op, n)| format!("{n} {op}")).collect();
    let requests = if requests.is_empty() { "none".to_owned() } else { requests.join(", ") };
    println!(
        "| {adapter} | {pass} | {lines} | {:.0} | {requests} | {:.2} |",
        lines as f64 / seconds,
        f64::from(usage.round_trips()) / lines as f64
    );
}

async fn deliver(counter: &dsa_metrics::Counter, table: &dyn Table, lines: &[String]) -> (f64, dsa_metrics::Tally) {
    let started = Instant::now();
    let mut total = dsa_metrics::Tally::default();
    for batch in lines.chunks(BATCH) {
        let tally = counter.count(table, batch).await.expect("counted");
        total.lines += tally.lines;
        total.new += tally.new;
        total.repeats += tally.repeats;
        total.links += tally.links;
        total.remembered += tally.remembered;
    }
    (started.elapsed().as_secs_f64(), total)
}

async fn measure(adapter: &str, inner: Arc<dyn Table>, recipients: usize) {
    let table = CountingTable::new(inner);
    let lines = lines(recipients);
    let first = dsa_metrics::Counter::default();

    let (seconds, tally) = deliver(&first, &table, &lines).await;
    let accounts = (0..recipients).filter(|i| i % 10 >= 7).count();
    // A device linked in its own batch is recorded by the link alone.
    assert_eq!(
        (tally.new + tally.remembered, tally.links, tally.repeats),
        (recipients + accounts, accounts, 0),
        "{tally:?}"
    );
    row(adapter, "first delivery", lines.len(), seconds, &table.take());

    let (seconds, tally) = deliver(&first, &table, &lines).await;
    assert_eq!(tally.remembered, tally.lines + accounts, "{tally:?}");
    row(adapter, "delivered again, same container", lines.len(), seconds, &table.take());

    let (seconds, tally) = deliver(&dsa_metrics::Counter::default(), &table, &lines).await;
    assert_eq!((tally.new, tally.links), (0, accounts), "{tally:?}");
    row(adapter, "delivered again, another container", lines.len(), seconds, &table.take());

    let started = Instant::now();
    let unique = store::Recipients::new(&table).count(MONTH).await.expect("counted");
    assert_eq!(unique, recipients as u64, "the month's unique recipients");
    let seconds = started.elapsed().as_secs_f64();
    let usage = table.take();
    println!(
        "| {adapter} | the month counted (32 shards) | {unique} identities | {:.0} | {} Query | — |",
        unique as f64 / seconds,
        usage.round_trips()
    );
}

fn main() {
    let recipients: usize = std::env::var("RECIPIENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        println!("| table | delivery | lines | lines/s | requests | requests per line |\n|---|---|---|---|---|---|");
        measure("embedded", Arc::new(acceptance::embedded_table()), recipients).await;
        if let Some(table) = acceptance::aws_table().await {
            measure("DynamoDB (emulator)", Arc::new(table), recipients).await;
        }
    });
}
