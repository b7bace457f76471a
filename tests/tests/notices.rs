//! Notice and action end to end (DSA Art. 16, 17, 20, 22, 23 and the transparency report) on
//! both adapters: a review with personal data is reported, removed by an admin — hidden at
//! once, its rating gone, one statement of reasons, notifier and author told — then reinstated
//! on the author's founded complaint; the report counts all of it with the right medians.
//! Trusted flaggers come first; a notifier whose notices are manifestly unfounded is warned,
//! then suspended. Careless and hostile callers get a clear 4xx and write nothing.

use acceptance::App;
use serde_json::{Value, json};

const IPHONE_LYON: &str = "off_demo_iphone_lyon";
const IPAD_LYON: &str = "off_demo_ipad_lyon";

fn mails_to<'a>(mails: &'a [Value], to: &str) -> Vec<&'a Value> {
    mails.iter().filter(|m| m["to"] == to).collect()
}

fn notice(content_type: &str, id: &str, reason: &str, email: &str) -> Value {
    json!({"contentType": content_type, "contentId": id, "reason": reason,
           "explanation": "The comment gives the seller's employee's full name and mobile number.",
           "notifier": {"name": "Ada Martin", "email": email}, "goodFaith": true})
}

/// A published review by a buyer with an address, and its id.
async fn published_review(app: &App, buyer: &str) -> String {
    let order = app.paid_order(buyer, &[IPHONE_LYON]).await;
    app.deliver(&order, &app.lyon()).await;
    let review = json!({"orderId": order, "offerId": IPHONE_LYON, "rating": 1,
                        "comment": "Slow. Call Marc Dupont on 06 12 34 56 78 at the shop, he is useless."});
    let submitted = app.call("POST", "/reviews", Some(buyer), Some(review)).await;
    assert_eq!(submitted.status, 202, "{submitted:?}");
    app.settle().await;
    submitted.body["id"].as_str().expect("an id").to_owned()
}

async fn review_count(app: &App) -> Value {
    app.get("/products/prd_demo_iphone13/reviews", None).await.body["aggregate"]["count"].clone()
}

async fn statement(app: &App, puid: &str) -> Value {
    let page = app.get("/dsa/statements?limit=100", Some(&app.admin())).await;
    let items = page.body["items"].as_array().cloned().unwrap_or_default();
    let found = items.into_iter().find(|s| s["puid"] == puid).expect("the statement is listed");
    let wrong = acceptance::transparency::violations(&found);
    assert!(wrong.is_empty(), "{wrong:?} in {found}");
    found
}

async fn a_removed_review_comes_back_on_a_founded_complaint(app: &App) {
    let author = app.token_with_email("buyer", "notice-author", "author@example.test");
    let review = published_review(app, &author).await;
    assert_eq!(review_count(app).await, 1);
    let day = app.get("/_local/clock", None).await.body["now"].as_str().unwrap_or_default()[..10].to_owned();

    let sent =
        app.call("POST", "/notices", None, Some(notice("review", &review, "personal_data", "ada@example.org"))).await;
    assert_eq!(sent.status, 201, "{sent:?}");
    assert_eq!((sent.body["status"].as_str(), sent.body["source"].as_str()), (Some("open"), Some("notice")));
    assert!(sent.body.get("author").is_none(), "the notifier does not learn who wrote it");
    let id = sent.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(app.get(&format!("/reviews/{review}"), None).await.status, 200, "visible until decided");

    app.advance("PT2H").await;
    let receipts = app.outbox().await;
    assert!(
        mails_to(&receipts, "ada@example.org").iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains(&id)))
    );
    let remove = json!({"action": "remove", "explanation": "Names and phone number of an employee."});
    let decided = app.call("POST", &format!("/notices/{id}/decision"), Some(&app.admin()), Some(remove)).await;
    assert_eq!(decided.status, 200, "{decided:?}");
    assert_eq!(decided.body["decision"]["automated"], false);
    assert_eq!(app.get(&format!("/reviews/{review}"), None).await.status, 404, "hidden everywhere");
    assert_eq!(review_count(app).await, 0, "the rating left the aggregate at once");
    let puid = decided.body["decision"]["statement"].as_str().expect("a statement").to_owned();
    let s = statement(app, &puid).await;
    assert_eq!(
        (s["source_type"].as_str(), s["content_type"][0].as_str()),
        (Some("SOURCE_ARTICLE_16"), Some("CONTENT_TYPE_TEXT"))
    );
    assert_eq!(s["decision_ground"], "DECISION_GROUND_ILLEGAL_CONTENT");
    for personal in ["author@example.test", "notice-author", "Marc Dupont", "ada@example.org"] {
        assert!(!s.to_string().contains(personal), "{personal} in {s}");
    }
    app.advance("PT10M").await;
    let mails = app.outbox().await;
    assert!(
        mails_to(&mails, "ada@example.org").iter().any(|m| m["subject"] == format!("Decision on your notice {id}"))
    );
    let told = mails_to(&mails, "author@example.test");
    let told = told.iter().find(|m| m["body"].as_str().is_some_and(|b| b.contains(&puid))).expect("author told");
    assert!(told["body"].as_str().is_some_and(|b| b.contains("POST /complaints") && b.contains("Art. 21")));

    let other = app.token("buyer", "someone-else", None);
    let complaint = json!({"decisionOf": id, "explanation": "My review is about my experience."});
    let refused = app.call("POST", "/complaints", Some(&other), Some(complaint.clone())).await;
    assert_eq!(refused.status, 404, "{refused:?}");
    let filed = app.call("POST", "/complaints", Some(&author), Some(complaint.clone())).await;
    assert_eq!(filed.status, 201, "{filed:?}");
    assert_eq!(filed.body["complainant"], "provider");
    assert_eq!(app.call("POST", "/complaints", Some(&author), Some(complaint)).await.status, 409, "once");
    let cmp = filed.body["id"].as_str().expect("an id").to_owned();

    app.advance("P1D").await;
    let by_buyer = app
        .call(
            "POST",
            &format!("/complaints/{cmp}/resolution"),
            Some(&author),
            Some(json!({"founded": true, "explanation": "x"})),
        )
        .await;
    assert_eq!(by_buyer.status, 403, "only an admin resolves");
    let founded = json!({"founded": true, "explanation": "The name is the shop's public contact."});
    let resolved = app.call("POST", &format!("/complaints/{cmp}/resolution"), Some(&app.admin()), Some(founded)).await;
    assert_eq!(resolved.status, 200, "{resolved:?}");
    assert_eq!(
        (resolved.body["resolution"]["reversed"].as_bool(), resolved.body["resolution"]["automated"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(app.get(&format!("/reviews/{review}"), None).await.status, 200, "visible again");
    assert_eq!(review_count(app).await, 1, "the rating is back");
    let notice = app.get(&format!("/notices/{id}"), Some(&app.admin())).await;
    assert!(notice.body["decision"]["reversedAt"].is_string(), "{notice:?}");

    let path = format!("/dsa/transparency-report?from={day}&to={day}");
    let tomorrow = app.get(&path, None).await;
    assert_eq!(tomorrow.status, 200, "{tomorrow:?}");
    let r = &tomorrow.body;
    assert_eq!((r["notices"]["total"].as_u64(), r["notices"]["byContentType"]["review"].as_u64()), (Some(1), Some(1)));
    assert_eq!(r["notices"]["byCategory"]["STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"], 1);
    assert_eq!(r["noticeActions"]["byAction"]["remove"], 1);
    assert_eq!(
        (r["noticeActions"]["restrictedIllegal"].as_u64(), r["noticeActions"]["automated"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(r["noticeActions"]["medianSecondsToDecision"], 7200);
    assert_eq!(r["noticeActions"]["medianSecondsToDecisionTrusted"], Value::Null);
    assert_eq!((r["complaints"]["received"].as_u64(), r["complaints"]["reversed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(r["complaints"]["medianSecondsToResolution"], 86400);
    let csv = app.send("GET", &path, None, None, &[("accept", "text/csv")]).await;
    assert!(csv.text.contains("complaints,reversed,1\n"), "{}", csv.text);
}

async fn trusted_flaggers_come_first_and_misuse_is_suspended(app: &App) {
    let flagger = json!({"name": "Consumer Watch Europe", "accounts": ["tf-ada"]});
    let registered = app.call("POST", "/trusted-flaggers", Some(&app.admin()), Some(flagger)).await;
    assert_eq!(registered.status, 201, "{registered:?}");
    let plain = app
        .call("POST", "/notices", None, Some(notice("offer", IPHONE_LYON, "not_repackaged", "bob@example.org")))
        .await;
    assert_eq!(plain.status, 201, "{plain:?}");
    app.advance("PT1M").await;
    let tf = app.token("buyer", "tf-ada", None);
    let trusted = app
        .call("POST", "/me/notices", Some(&tf), Some(notice("offer", IPAD_LYON, "prohibited_trade", "ada@cwe.example")))
        .await;
    assert_eq!((trusted.status, trusted.body["source"].as_str()), (201, Some("trusted_flagger")), "{trusted:?}");
    let queue = app.get("/notices?status=open", Some(&app.admin())).await;
    let ids: Vec<&str> =
        queue.body["items"].as_array().expect("items").iter().filter_map(|n| n["id"].as_str()).collect();
    assert_eq!(
        ids,
        [trusted.body["id"].as_str().expect("id"), plain.body["id"].as_str().expect("id")],
        "trusted first"
    );

    let tid = trusted.body["id"].as_str().expect("id");
    let remove = json!({"action": "remove", "explanation": "Sold with a counterfeit charger."});
    let decided = app.call("POST", &format!("/notices/{tid}/decision"), Some(&app.admin()), Some(remove)).await;
    assert_eq!(decided.status, 200, "{decided:?}");
    let puid = decided.body["decision"]["statement"].as_str().expect("a statement");
    assert_eq!(statement(app, puid).await["source_type"], "SOURCE_TRUSTED_FLAGGER");
    assert_eq!(app.get(&format!("/offers/{IPAD_LYON}"), None).await.status, 404, "off sale at once");

    // Three manifestly unfounded notices from one address: counted, warned, suspended.
    let mut ids = vec![plain.body["id"].as_str().expect("id").to_owned()];
    for _ in 0..2 {
        let again = app
            .call("POST", "/notices", None, Some(notice("offer", IPHONE_LYON, "not_repackaged", "bob@example.org")))
            .await;
        assert_eq!(again.status, 201, "{again:?}");
        ids.push(again.body["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        let keep = json!({"action": "keep", "explanation": "Photos show it repackaged.", "manifestlyUnfounded": true});
        let kept = app.call("POST", &format!("/notices/{id}/decision"), Some(&app.admin()), Some(keep)).await;
        assert_eq!(kept.status, 200, "{kept:?}");
    }
    app.advance("PT10M").await;
    let mails = app.outbox().await;
    let to_bob = mails_to(&mails, "bob@example.org");
    assert_eq!(to_bob.iter().filter(|m| m["subject"] == "Warning: misuse of the marketplace").count(), 1);
    assert_eq!(to_bob.iter().filter(|m| m["subject"] == "Suspension for misuse of the marketplace").count(), 1);
    let suspended = app
        .call("POST", "/notices", None, Some(notice("offer", IPHONE_LYON, "not_repackaged", "BOB@example.org")))
        .await;
    assert_eq!(suspended.status, 403, "{suspended:?}");
    let others = app
        .call("POST", "/notices", None, Some(notice("offer", IPHONE_LYON, "not_repackaged", "eve@example.org")))
        .await;
    assert_eq!(others.status, 201, "{others:?}");
    app.advance("P31D").await;
    let back = app
        .call("POST", "/notices", None, Some(notice("offer", IPHONE_LYON, "not_repackaged", "bob@example.org")))
        .await;
    assert_eq!(back.status, 201, "the suspension is for a period: {back:?}");
}

async fn careless_and_hostile_notices_write_nothing(app: &App) {
    let admin = app.admin();
    let before = app.get("/notices", Some(&admin)).await.body["items"].as_array().map(Vec::len);
    let mut no_faith = notice("offer", IPHONE_LYON, "not_repackaged", "x@example.org");
    no_faith["goodFaith"] = json!(false);
    for (body, field) in [
        (notice("review", "rev_doesnotexist", "personal_data", "x@example.org"), "contentId"),
        (notice("offer", "off_doesnotexist", "not_repackaged", "x@example.org"), "contentId"),
        (no_faith, "goodFaith"),
        (notice("offer", IPHONE_LYON, "bitcoin", "x@example.org"), "reason"),
        (notice("review", IPHONE_LYON, "not_repackaged", "x@example.org"), "reason"),
    ] {
        let refused = app.call("POST", "/notices", None, Some(body)).await;
        assert_eq!(refused.status, 422, "{refused:?}");
        assert!(refused.fields().contains(&field.to_owned()), "{field}: {refused:?}");
    }
    let buyer = app.token_with_email("buyer", "careless-notifier", "careless@example.test");
    let sent = app
        .call(
            "POST",
            "/me/notices",
            Some(&buyer),
            Some(notice("offer", IPHONE_LYON, "not_repackaged", "careless@example.test")),
        )
        .await;
    assert_eq!(sent.status, 201, "{sent:?}");
    let id = sent.body["id"].as_str().expect("id").to_owned();
    let keep = json!({"action": "keep", "explanation": "Fine."});
    let by_buyer = app.call("POST", &format!("/notices/{id}/decision"), Some(&buyer), Some(keep.clone())).await;
    assert_eq!(by_buyer.status, 403, "{by_buyer:?}");
    assert_eq!(app.get(&format!("/notices/{id}"), Some(&admin)).await.body["status"], "open", "nothing written");
    let early =
        app.call("POST", "/complaints", Some(&buyer), Some(json!({"decisionOf": id, "explanation": "x"}))).await;
    assert_eq!((early.status, early.code()), (409, "notice_open"), "{early:?}");
    assert_eq!(
        app.call("POST", &format!("/notices/{id}/decision"), Some(&admin), Some(keep.clone())).await.status,
        200
    );
    assert_eq!(
        app.call("POST", &format!("/notices/{id}/decision"), Some(&admin), Some(keep)).await.status,
        409,
        "decided once"
    );
    app.advance("P6M1D").await;
    let buyer = app.token_with_email("buyer", "careless-notifier", "careless@example.test");
    let late = app.call("POST", "/complaints", Some(&buyer), Some(json!({"decisionOf": id, "explanation": "x"}))).await;
    assert_eq!((late.status, late.code()), (409, "complaint_window_closed"), "{late:?}");
    let admin = app.admin();
    let after = app.get("/notices", Some(&admin)).await.body["items"].as_array().map(Vec::len);
    assert_eq!(after, before.map(|n| n + 1), "only the one good notice was stored");
    assert_eq!(app.get("/complaints", Some(&admin)).await.body["items"], json!([]));
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        a_removed_review_comes_back_on_a_founded_complaint,
        trusted_flaggers_come_first_and_misuse_is_suspended,
        careless_and_hostile_notices_write_nothing
    ]
);
