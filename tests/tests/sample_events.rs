//! Every file in `events/` runs through its function's handler, as `sam local invoke -e`
//! would hand it over, and answers what `events/manifest.json` expects. Every function of the
//! template has at least one sample.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use tower::ServiceExt;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(events_dir().join("manifest.json")).expect("events/manifest.json");
    let manifest: Value = serde_json::from_str(&text).expect("the manifest is JSON");
    manifest["samples"].as_array().cloned().expect("a list of samples")
}

#[tokio::test]
async fn every_sample_answers_as_expected() {
    for sample in manifest() {
        let file = sample["event"].as_str().expect("an event file");
        let function = sample["function"].as_str().expect("a function");
        let text = std::fs::read_to_string(events_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let app = acceptance::App::embedded().await;
        let hosted = local_runner::functions::host(
            function,
            &app.runner.ports,
            &local_runner::webhook_secret(b"test-token-secret"),
            &local_runner::functions::Settings::default(),
        )
        .unwrap_or_else(|| panic!("{file}: unknown function {function}"));
        if let Some(expected) = sample["status"].as_u64() {
            let request = lambda_http::request::from_str(&text)
                .unwrap_or_else(|e| panic!("{file} is not an API Gateway event: {e}"));
            let router = hosted.http.unwrap_or_else(|| panic!("{function} serves no HTTP"));
            let response = router.oneshot(request).await.expect("routers do not fail");
            assert_eq!(u64::from(response.status().as_u16()), expected, "{file}");
        } else if let Some(expected) = sample["logs"].as_object() {
            // A CloudWatch Logs subscription's delivery: gzip, base64, handed to the function
            // as a parsed value, as the Lambda runtime does.
            let event: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let lines = dsa_metrics::subscription_lines(&event)
                .unwrap_or_else(|e| panic!("{file} is not a logs event: {e}"))
                .unwrap_or_else(|| panic!("{file} is not a logs event"));
            let tally =
                dsa_metrics::Counter::default().count(app.runner.ports.table.as_ref(), &lines).await.expect("counted");
            let tally = serde_json::to_value(tally).expect("a tally");
            for (name, value) in expected {
                assert_eq!(&tally[name], value, "{file}: {name} in {tally}");
            }
        } else if sample["job"].is_string() {
            let job = hosted.job.unwrap_or_else(|| panic!("{function} has no scheduled job"));
            job().await.unwrap_or_else(|e| panic!("{file}: {e}"));
        } else {
            let event: aws_lambda_events::sqs::SqsEvent =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not an SQS event: {e}"));
            let worker = hosted.worker.unwrap_or_else(|| panic!("{function} has no worker"));
            let failed = worker(edge::worker::messages(event)).await;
            assert_eq!(failed.len() as u64, sample["failedMessages"].as_u64().unwrap_or(0), "{file}");
        }
    }
}

#[test]
fn every_function_has_a_sample_and_every_file_is_listed() {
    let template = local_runner::repository_template().expect("template.yaml parses");
    let samples = manifest();
    let covered: BTreeSet<&str> = samples.iter().filter_map(|s| s["function"].as_str()).collect();
    for function in &template.functions {
        assert!(covered.contains(function.logical_id.as_str()), "{} has no sample event", function.logical_id);
    }
    let listed: BTreeSet<String> = samples.iter().filter_map(|s| s["event"].as_str().map(str::to_owned)).collect();
    for entry in std::fs::read_dir(events_dir()).expect("events/") {
        let folder = entry.expect("an entry").path();
        if !folder.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&folder).expect("a folder") {
            let path = file.expect("a file").path();
            let relative = path.strip_prefix(events_dir()).expect("under events/").to_string_lossy().into_owned();
            assert!(listed.contains(&relative), "{relative} is not in events/manifest.json");
        }
    }
}
