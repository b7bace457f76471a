//! The monthly active recipients (DSA Art. 24(2)) end to end on both adapters: the requests of
//! a month's visitors, accounts on several devices, a seller, a bot and a visitor from outside
//! the Union; the month closed a day after it ends; the six-month report on the API, in the
//! transparency report, and published to S3 (JSON, CSV, the SVG chart) on schedule and on
//! demand. Lines delivered again by another container change nothing.

use acceptance::App;
use marketplace::dsa::recipients::Activity;
use serde_json::json;

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
const PRODUCT: &str = "/products/prd_demo_iphone13";

/// A page view by `token` (or a visitor) on `device`, from `country`, with `agent`: a public
/// product page for a visitor, the caller's orders when signed in (public routes get no
/// claims, in API Gateway as here, so only a signed-in route tells whose device it is).
async fn view(app: &App, token: Option<&str>, device: Option<&str>, country: Option<&str>, agent: &str) {
    let mut headers = vec![("user-agent", agent)];
    if let Some(device) = device {
        headers.push(("x-device-id", device));
    }
    if let Some(country) = country {
        headers.push(("cloudfront-viewer-country", country));
    }
    let path = if token.is_some() { "/orders" } else { PRODUCT };
    assert_eq!(app.send("GET", path, token, None, &headers).await.status, 200);
}

async fn report(app: &App) -> serde_json::Value {
    let reply = app.get("/dsa/active-recipients", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

async fn blob(app: &App, key: &str) -> String {
    let blob = app.runner.ports.blobs.get(key).await.expect("the bucket answers").unwrap_or_else(|| panic!("{key}"));
    String::from_utf8(blob.bytes).expect("text")
}

async fn each_recipient_counts_once_a_month_and_the_report_is_published(app: &App) {
    let ana = app.token("buyer", "ana", None);
    let lyon = app.lyon();
    // November. Ana browses on her laptop and her phone before signing in, then signs in on
    // both: one recipient. A visitor with no country header counts; a seller member counts.
    for _ in 0..3 {
        view(app, None, Some("laptop-ana"), Some("FR"), BROWSER).await;
    }
    view(app, None, Some("phone-ana"), Some("DE"), BROWSER).await;
    view(app, Some(&ana), Some("laptop-ana"), Some("FR"), BROWSER).await;
    view(app, Some(&ana), Some("phone-ana"), Some("DE"), BROWSER).await;
    view(app, None, Some("visitor-c"), None, BROWSER).await;
    view(app, Some(&lyon), None, Some("FR"), BROWSER).await;
    // Not counted: a crawler, a visitor from the United States, a request with no one to count.
    view(app, None, Some("bot-1"), Some("FR"), "Mozilla/5.0 (compatible; Googlebot/2.1)").await;
    view(app, None, Some("visitor-us"), Some("US"), BROWSER).await;
    view(app, None, None, Some("FR"), BROWSER).await;
    app.settle().await;

    // Another container delivering the same lines again (a retried batch) writes nothing new.
    let lines: Vec<String> =
        [(None, "laptop-ana"), (Some("ana"), "laptop-ana"), (None, "phone-ana"), (None, "visitor-c")]
            .into_iter()
            .filter_map(|(account, device): (Option<&str>, &str)| {
                edge::activity::line_of(&Activity {
                    at: app.runner.now(),
                    account: account.map(str::to_owned),
                    device: Some(device.to_owned()),
                    country: Some("FR".into()),
                    user_agent: Some(BROWSER.into()),
                })
            })
            .collect();
    assert_eq!(lines.len(), 4);
    let again = dsa_metrics::Counter::default().count(app.runner.ports.table.as_ref(), &lines).await.expect("counted");
    // Ana's laptop is recorded by its link (a plain put, the same item): three conditional puts fail.
    assert_eq!((again.new, again.repeats, again.links, again.remembered), (0, 3, 1, 1), "{again:?}");

    // December: Ana again (a new month), a new visitor; November closes a day after it ends.
    app.advance("P30DT16H").await;
    view(app, Some(&ana), Some("phone-ana"), Some("FR"), BROWSER).await;
    view(app, None, Some("visitor-d"), Some("IT"), BROWSER).await;
    app.settle().await;
    let before_close = report(app).await;
    assert_eq!(before_close["months"][5]["month"], "2026-10", "November is not closed on 1 December: {before_close}");
    app.advance("P2D").await;
    let six = report(app).await;
    let months: Vec<(&str, u64)> = six["months"]
        .as_array()
        .expect("months")
        .iter()
        .map(|m| (m["month"].as_str().expect("a month"), m["uniqueRecipients"].as_u64().expect("a count")))
        .collect();
    assert_eq!(
        months,
        [("2026-06", 0), ("2026-07", 0), ("2026-08", 0), ("2026-09", 0), ("2026-10", 0), ("2026-11", 3)]
    );
    assert_eq!(
        (six["average"].clone(), six["vlopThreshold"].clone(), six["isVlop"].clone()),
        (json!(1), json!(45_000_000), json!(false))
    );

    // The transparency report of November carries its average.
    let period = app.get("/dsa/transparency-report?from=2026-11-01&to=2026-11-30", None).await;
    assert_eq!(
        period.body["activeRecipients"],
        json!({"months": [{"month": "2026-11", "uniqueRecipients": 3}], "average": 3})
    );

    // Published on schedule (the half-year's publication when the job first ran) and on demand.
    let scheduled = blob(app, "dsa/active-recipients/2026-08/active-recipients.json").await;
    assert!(scheduled.contains("\"vlopThreshold\": 45000000"), "{scheduled}");
    let forbidden = app.call("POST", "/dsa/active-recipients/publications", Some(&ana), None).await;
    assert_eq!(forbidden.status, 403);
    let now = app.call("POST", "/dsa/active-recipients/publications", Some(&app.admin()), None).await;
    assert_eq!(now.status, 201, "{now:?}");
    assert_eq!(now.body["report"], six);
    let documents: Vec<&str> =
        now.body["documents"].as_array().expect("documents").iter().filter_map(|d| d.as_str()).collect();
    assert_eq!(documents.len(), 3);
    let csv = blob(app, documents[1]).await;
    assert!(csv.contains("2026-11,3\naverage,1\nvlop_threshold,45000000\nis_vlop,false"), "{csv}");
    let svg = blob(app, documents[2]).await;
    assert!(svg.starts_with("<svg") && svg.contains(">2026-11</text>"), "{svg}");

    // On 2 February the January publication is due; it covers August to January.
    app.advance("P62D").await;
    let february = blob(app, "dsa/active-recipients/2027-02/active-recipients.csv").await;
    assert!(february.starts_with("month,unique_recipients\n2026-08,0\n"), "{february}");
    assert!(february.contains("2026-11,3\n2026-12,2\n2027-01,0\naverage,1\n"), "{february}");
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [each_recipient_counts_once_a_month_and_the_report_is_published]
);
