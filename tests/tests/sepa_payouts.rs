//! SEPA payouts end to end (R-SETTLE), on both adapters. A payout run on the SEPA rail files
//! one pain.001.001.09 per currency, valid against the official schema, and leaves its payouts
//! sent. The bank's pain.002 then settles them: an accepted payout is paid, a rejected one's
//! money is back in the seller's available balance, once, however often the report comes. A
//! report that is not one, answers no file of ours or names a transfer the file lacks is
//! refused whole; the next run pays the returned money again in a new file.

use std::path::{Path, PathBuf};

use acceptance::faults::{Fault, FaultyTable};
use acceptance::{App, Reply};
use marketplace::sepa::{Debtor, end_to_end_id};
use marketplace::settlement::Terms;
use payouts::{PayoutRun, Rail};
use serde_json::json;
use store::{Ledger, PayoutFiles, payout_file_key};

const PAYS: &str = "DE89 3704 0044 0532 0130 00";
const REJECTS: &str = "FR14 2004 1010 0505 0001 3M02 606";

fn rail() -> Rail {
    Rail::Sepa(
        Debtor::parse("Refurb Market SAS", "EUR:FR7630006000011234567890189:BNPAFRPPXXX").expect("a valid debtor"),
    )
}

async fn sepa_run(app: &App) -> PayoutRun {
    let report = payouts::run(&app.runner.ports, &Terms::default(), &rail()).await.expect("the run");
    app.settle().await;
    report
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a timestamp")
}

async fn available(app: &App, seller: &str, member: &str) -> serde_json::Value {
    let reply = app.get(&format!("/sellers/{seller}/balance"), Some(member)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["available"]["amount"].clone()
}

async fn payouts_of(app: &App, seller: &str, member: &str) -> Vec<serde_json::Value> {
    let reply = app.get(&format!("/sellers/{seller}/payouts"), Some(member)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["items"].as_array().cloned().expect("a list")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Validates `xml` against the ISO 20022 schema `schema` with the project's Python tools.
fn validate(schema: &str, xml: &str) {
    let file = std::env::temp_dir().join(format!("{}.xml", acceptance::unique(schema)));
    std::fs::write(&file, xml).expect("a temporary file");
    let python = workspace().join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: `make test` installs the schemas' validator there", python.display());
    let out = std::process::Command::new(python)
        .arg(workspace().join("infra/scripts/validate_iso20022.py"))
        .arg(schema)
        .arg(&file)
        .output()
        .expect("the validator runs");
    assert!(out.status.success(), "{schema} invalid: {}\n{xml}", String::from_utf8_lossy(&out.stderr));
}

async fn post_report(app: &App, token: Option<&str>, content_type: &str, body: &str) -> Reply {
    app.send("POST", "/payouts/status-reports", token, Some(body), &[("content-type", content_type)]).await
}

async fn files_stored(app: &App) -> Vec<String> {
    app.runner.ports.blobs.list("sepa/credit-transfers/").await.expect("the bucket lists")
}

async fn a_sepa_run_files_valid_transfers_that_the_bank_s_report_settles_once(app: &App) {
    app.runner.clock.set(at("2026-11-02T09:00:00Z"));
    let (paid, paid_member, paid_offer) =
        app.seller_with_offer("sepa-paid", PAYS, local_runner::demo::IPAD, "100.00", "0.00").await;
    let (rejected, rejected_member, rejected_offer) =
        app.seller_with_offer("sepa-rejected", REJECTS, local_runner::demo::IPAD, "50.00", "0.00").await;
    let order = app.paid_order(&app.buyer(), &[&paid_offer, &rejected_offer]).await;
    app.deliver(&order, &paid_member).await;
    app.deliver(&order, &rejected_member).await;
    app.runner.clock.set(at("2026-11-16T03:00:00Z"));
    let released = app.call("POST", "/_local/schedules/funds-release/run", None, None).await;
    assert_eq!(released.status, 200, "{released:?}");
    app.settle().await;
    assert_eq!(available(app, &rejected, &rejected_member).await, json!("45.00"));

    // The run files every payout in one EUR file and pays nothing yet.
    let run = sepa_run(app).await;
    assert_eq!((run.files, run.paid, run.returned), (1, 0, 0), "{run:?}");
    assert_eq!(available(app, &paid, &paid_member).await, json!("0.00"));
    assert_eq!(payouts_of(app, &paid, &paid_member).await[0]["status"], "sent");
    let keys = files_stored(app).await;
    assert_eq!(keys, ["sepa/credit-transfers/MP-20261116-EUR-1.xml"]);
    let file = PayoutFiles::new(app.runner.ports.table.as_ref())
        .get("MP-20261116-EUR-1")
        .await
        .expect("the table answers")
        .expect("the file");
    let entries = PayoutFiles::new(app.runner.ports.table.as_ref()).entries(&file.id).await.expect("entries");
    assert_eq!((file.count, entries.len()), (run.filed, run.filed));
    let blob = app.runner.ports.blobs.get(&keys[0]).await.expect("the bucket answers").expect("the document");
    assert_eq!(blob.content_type, "application/xml");
    let xml = String::from_utf8(blob.bytes).expect("UTF-8");
    validate("pain.001.001.09", &xml);
    let paid_payout = payouts_of(app, &paid, &paid_member).await[0]["id"].as_str().expect("an id").to_owned();
    let rejected_payout =
        payouts_of(app, &rejected, &rejected_member).await[0]["id"].as_str().expect("an id").to_owned();
    let (paid_ref, rejected_ref) = (end_to_end_id(&paid_payout), end_to_end_id(&rejected_payout));
    let shown = payouts_of(app, &paid, &paid_member).await[0]["reference"].clone();
    assert_eq!(shown, json!(paid_ref), "the seller sees the reference its bank statement shows");
    for (reference, amount, iban) in
        [(&paid_ref, "90.00", "DE89370400440532013000"), (&rejected_ref, "45.00", "FR1420041010050500013M02606")]
    {
        let at = xml.find(&format!("<EndToEndId>{reference}</EndToEndId>")).expect("the transfer is in the file");
        let transfer = &xml[at..xml[at..].find("</CdtTrfTxInf>").map_or(xml.len(), |end| at + end)];
        assert!(transfer.contains(&format!("<InstdAmt Ccy=\"EUR\">{amount}</InstdAmt>")), "{transfer}");
        assert!(transfer.contains(&format!("<IBAN>{iban}</IBAN>")), "{transfer}");
        assert!(transfer.contains("<Nm>Seconde Vie SARL</Nm>"), "{transfer}");
    }
    let sum: i64 = entries.iter().map(|e| e.amount_minor).sum();
    assert_eq!(file.control_sum_minor, sum);
    let control = marketplace::Money::new(sum, marketplace::Currency::EUR).amount_string();
    assert_eq!(xml.matches(&format!("<CtrlSum>{control}</CtrlSum>")).count(), 2);

    // The same run again files nothing more and leaves the document as it was.
    let again = sepa_run(app).await;
    assert_eq!((again.files, again.filed), (0, 0), "{again:?}");
    assert_eq!(files_stored(app).await.len(), 1);

    // Refused whole, nothing written: not a report, not ours, naming a transfer not in it.
    let admin = app.admin();
    let accepted = acceptance::status_report(
        "MP-20261116-EUR-1",
        "PART",
        &[(&paid_ref, "ACSC", None), (&rejected_ref, "RJCT", Some("AC04"))],
    );
    validate("pain.002.001.12", &accepted);
    let seller = app.lyon();
    for (token, content_type, body, status, code) in [
        (None, "application/xml", accepted.as_str(), 401, "unauthorized"),
        (Some(seller.as_str()), "application/xml", &accepted, 403, "forbidden"),
        (Some(&admin), "application/json", &accepted, 415, "unsupported_media_type"),
        (Some(&admin), "application/xml", "<Document><CstmrPmtStsRpt>", 400, "malformed_report"),
        (Some(&admin), "application/xml", &xml, 400, "malformed_report"),
        (
            Some(&admin),
            "application/xml",
            &acceptance::status_report("MP-20991231-EUR-1", "ACSC", &[]),
            422,
            "unknown_file",
        ),
        (
            Some(&admin),
            "application/xml",
            &acceptance::status_report(
                "MP-20261116-EUR-1",
                "PART",
                &[(&paid_ref, "ACSC", None), ("MP0000", "RJCT", None)],
            ),
            422,
            "unknown_transfers",
        ),
    ] {
        let reply = post_report(app, token, content_type, body).await;
        assert_eq!((reply.status, reply.code()), (status, code), "{reply:?}");
    }
    assert_eq!(payouts_of(app, &paid, &paid_member).await[0]["status"], "sent", "nothing was written");

    // The bank's answer: one paid, one rejected, then the same report again.
    let reply = post_report(app, Some(&admin), "application/xml", &accepted).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!((reply.body["paid"].as_u64(), reply.body["returned"].as_u64()), (Some(1), Some(1)), "{reply:?}");
    let undecided = reply.body["undecided"].as_u64().expect("a count");
    for _ in 0..2 {
        assert_eq!(payouts_of(app, &paid, &paid_member).await[0]["status"], "paid");
        let returned = &payouts_of(app, &rejected, &rejected_member).await[0];
        assert_eq!(returned["status"], "returned");
        assert_eq!(returned["failure"], "rejected by the bank (AC04): the account is closed");
        assert_eq!(available(app, &paid, &paid_member).await, json!("0.00"));
        assert_eq!(available(app, &rejected, &rejected_member).await, json!("45.00"), "returned once");
        assert_eq!(acceptance::ledger_total(app.runner.ports.table.as_ref()).await, Ok(0));
        let replay = post_report(app, Some(&admin), "application/xml", &accepted).await;
        assert_eq!(replay.status, 200, "{replay:?}");
        assert_eq!(
            (replay.body["paid"].as_u64(), replay.body["returned"].as_u64(), replay.body["unchanged"].as_u64()),
            (Some(0), Some(0), Some(2)),
            "{replay:?}"
        );
        assert_eq!(replay.body["undecided"].as_u64(), Some(undecided));
    }

    // A rejection arriving after the bank reported the settlement changes nothing: it is
    // counted for a person to take up with the bank.
    let late = acceptance::status_report("MP-20261116-EUR-1", "PART", &[(&paid_ref, "RJCT", Some("AC04"))]);
    let reply = post_report(app, Some(&admin), "application/xml", &late).await;
    assert_eq!((reply.status, reply.body["contested"].as_u64()), (200, Some(1)), "{reply:?}");
    assert_eq!(payouts_of(app, &paid, &paid_member).await[0]["status"], "paid");
    assert_eq!(available(app, &paid, &paid_member).await, json!("0.00"));

    // The next run pays the returned money again, in a file of its own.
    app.runner.clock.set(at("2026-11-26T03:00:00Z"));
    let next = sepa_run(app).await;
    assert_eq!(next.files, 1, "{next:?}");
    let later = PayoutFiles::new(app.runner.ports.table.as_ref())
        .get("MP-20261126-EUR-1")
        .await
        .expect("the table answers")
        .expect("the file");
    let later_entries = PayoutFiles::new(app.runner.ports.table.as_ref()).entries(&later.id).await.expect("entries");
    let mine: Vec<_> = later_entries.iter().filter(|e| e.seller_id == rejected || e.seller_id == paid).collect();
    assert_eq!(mine.len(), 1, "{later:?}");
    assert_eq!((mine[0].seller_id.as_str(), mine[0].amount_minor), (rejected.as_str(), 4_500));
    let stored = app.runner.ports.blobs.get(&payout_file_key(&later.id)).await.expect("answers").expect("stored");
    validate("pain.001.001.09", &String::from_utf8(stored.bytes).expect("UTF-8"));
    let ledger = Ledger::new(app.runner.ports.table.as_ref());
    let funds = ledger.funds(&rejected, marketplace::Currency::EUR).await.expect("funds");
    assert_eq!((funds.funds.available, funds.funds.in_transit), (0, 4_500));
}

/// The filing and the report's application crashing at every storage call in turn, before or
/// after the call applied, then run again: every payout is in exactly one stored document,
/// settled once, and the ledger balanced.
async fn filed_and_settled_once_after_a_crash_at_any_call(app: &App, faulty: &FaultyTable, every: usize) {
    let Rail::Sepa(debtor) = rail() else { unreachable!("rail() is SEPA") };
    let ports = &app.runner.ports;
    // One seller's payout through both steps, crashing at `crash` (file, report) if any.
    let round = |n: i64, crash: Option<(usize, Fault)>| {
        let debtor = debtor.clone();
        async move {
            let (seller, member) = app.funded_seller(&format!("crash-{n}"), n * 10).await;
            let admin = app.admin();
            let mut report = PayoutRun { run: format!("run-{n}"), ..PayoutRun::default() };
            payouts::send_all(ports, &Terms::default(), &rail(), &mut report).await.expect("sent");
            let payout = payouts_of(app, &seller, &member).await[0]["id"].as_str().expect("an id").to_owned();
            faulty.arm(crash.map_or(0, |(at, _)| at), crash.map_or(Fault::Before, |(_, f)| f));
            let _ = payouts::sepa::file(ports, &debtor, &mut report).await;
            let filing = faulty.calls();
            faulty.arm(0, Fault::Before);
            payouts::sepa::file(ports, &debtor, &mut report).await.expect("filed on the second try");
            let reference = end_to_end_id(&payout);
            let mut holding = Vec::new();
            for key in files_stored(app).await {
                let blob = ports.blobs.get(&key).await.expect("answers").expect("stored");
                let xml = String::from_utf8(blob.bytes).expect("UTF-8");
                holding.extend(std::iter::repeat_n(
                    key,
                    xml.matches(&format!("<EndToEndId>{reference}</EndToEndId>")).count(),
                ));
            }
            assert_eq!(holding.len(), 1, "crash {crash:?}: {payout} in {holding:?}");
            let file = holding[0].trim_start_matches("sepa/credit-transfers/").trim_end_matches(".xml").to_owned();
            let accepted = acceptance::status_report(&file, "ACSC", &[]);
            faulty.arm(crash.map_or(0, |(at, _)| at), crash.map_or(Fault::Before, |(_, f)| f));
            let _ = post_report(app, Some(&admin), "application/xml", &accepted).await;
            let applying = faulty.calls();
            faulty.arm(0, Fault::Before);
            let again = post_report(app, Some(&admin), "application/xml", &accepted).await;
            assert_eq!(again.status, 200, "crash {crash:?}: {again:?}");
            assert_eq!(payouts_of(app, &seller, &member).await[0]["status"], "paid", "crash {crash:?}");
            let funds = Ledger::new(faulty.inner().as_ref())
                .funds(&seller, marketplace::Currency::EUR)
                .await
                .expect("funds")
                .funds;
            assert_eq!((funds.available, funds.in_transit), (0, 0), "crash {crash:?}: paid once");
            assert_eq!(acceptance::ledger_total(faulty.inner().as_ref()).await, Ok(0), "crash {crash:?}");
            (filing, applying)
        }
    };
    let (filing, applying) = round(0, None).await;
    assert!(filing >= 6 && applying >= 3, "a clean round counts its calls: {filing} and {applying}");
    let mut n = 1;
    for at in (1..=filing.max(applying)).step_by(every) {
        for fault in [Fault::Before, Fault::After] {
            round(n, Some((at, fault))).await;
            n += 1;
        }
    }
    let (before, after) = faulty.injected();
    assert!(before > 0 && after > 0, "faults were injected: {before} before, {after} after");
}

#[tokio::test]
async fn embedded_payouts_are_filed_and_settled_once_after_a_crash_at_any_call() {
    let (app, faulty) = App::embedded_faulty().await;
    filed_and_settled_once_after_a_crash_at_any_call(&app, &faulty, 1).await;
}

/// Every third call on the emulator, which is slower.
#[tokio::test]
async fn aws_payouts_are_filed_and_settled_once_after_a_crash_half_way() {
    if let Some((app, faulty)) = App::aws_faulty().await {
        filed_and_settled_once_after_a_crash_at_any_call(&app, &faulty, 3).await;
    }
}

/// A payout the run sent but could not file (its file sealed by the other job meanwhile) is
/// filed by the next hourly trade-in deadlines, not ten days later by the next payout run.
async fn the_hourly_deadlines_file_what_a_payout_run_left(app: &App) {
    let (seller, member) = app.funded_seller("left-unfiled", 0).await;
    let Rail::Sepa(debtor) = rail() else { unreachable!("rail() is SEPA") };
    let mut report = PayoutRun { run: "2026-11-10".into(), ..PayoutRun::default() };
    payouts::send_all(&app.runner.ports, &Terms::default(), &Rail::Sepa(debtor), &mut report).await.expect("sent");
    assert!(files_stored(app).await.is_empty(), "sent, not filed");
    let run = app.call("POST", "/_local/schedules/trade-in-deadlines/run", None, None).await;
    assert_eq!(run.status, 200, "{run:?}");
    let keys = files_stored(app).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let payout = payouts_of(app, &seller, &member).await[0]["id"].as_str().expect("an id").to_owned();
    let blob = app.runner.ports.blobs.get(&keys[0]).await.expect("answers").expect("stored");
    let xml = String::from_utf8(blob.bytes).expect("UTF-8");
    assert!(xml.contains(&format!("<EndToEndId>{}</EndToEndId>", end_to_end_id(&payout))), "{xml}");
}

mod with_the_sepa_rail_configured {
    use super::*;

    fn settings() -> local_runner::functions::Settings {
        local_runner::functions::Settings { payouts: rail() }
    }

    acceptance::on_both_adapters!(
        embedded: acceptance::App::embedded_with(&super::settings()).await,
        aws: acceptance::App::aws_with(&super::settings()).await,
        cases: [the_hourly_deadlines_file_what_a_payout_run_left]
    );
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [a_sepa_run_files_valid_transfers_that_the_bank_s_report_settles_once]
);
