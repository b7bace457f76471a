//! Reviews end to end (R-REV-WHO, R-REV-WHAT, R-REV-EDIT, R-REV-DELETE, R-REV-PUBLISH,
//! R-REV-RANK) on both adapters: only the buyer of a delivered line reviews it, once; every
//! review is published by its deadline, by the worker or, when the worker is down, by the
//! sweep; redelivery publishes once; edits for 30 days after receipt, deletion at any time,
//! with the rating following at once; the sort orders; the seller's one reply.

use acceptance::App;
use local_runner::demo::{IPHONE, SELLER_LYON};
use serde_json::{Value, json};

const IPHONE_LYON: &str = "off_demo_iphone_lyon";
const IPHONE_BERLIN: &str = "off_demo_iphone_berlin";

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a timestamp")
}

/// `buyer` buys one unit of `offer` and its seller delivers it; returns the order id.
async fn delivered(app: &App, buyer: &str, offer: &str, seller_token: &str) -> String {
    let order = app.paid_order(&app.token("buyer", buyer, None), &[offer]).await;
    app.deliver(&order, seller_token).await;
    order
}

async fn review(app: &App, buyer: &str, order: &str, offer: &str, body: Value) -> acceptance::Reply {
    let mut body = body;
    body["orderId"] = json!(order);
    body["offerId"] = json!(offer);
    app.call("POST", "/reviews", Some(&app.token("buyer", buyer, None)), Some(body)).await
}

fn ids(reply: &acceptance::Reply) -> Vec<String> {
    reply.body["items"].as_array().into_iter().flatten().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect()
}

async fn only_a_buyer_of_a_delivered_line_reviews_it_once(app: &App) {
    app.runner.clock.set(at("2026-11-20T09:00:00Z"));
    let order = delivered(app, "reviewer-1", IPHONE_LYON, &app.lyon()).await;
    let body = json!({"rating": 4, "comment": "Battery at 91 %, like new, arrived in two days.", "subRatings": {"delivery": 5}});

    // Bad input from the buyer: a clear 4xx, nothing written.
    for (bad, status) in [
        (json!({"rating": 0}), 422),
        (json!({"rating": 6}), 422),
        (json!({"rating": 4.5}), 400),
        (json!({"rating": 5, "comment": "x".repeat(3000)}), 422),
        (json!({"rating": 5, "subRatings": {"delivery": 9}}), 422),
        (json!({"rating": 5, "incentive": "voucher"}), 400),
    ] {
        let reply = review(app, "reviewer-1", &order, IPHONE_LYON, bad.clone()).await;
        assert_eq!(reply.status, status, "{bad}: {reply:?}");
    }
    let huge = json!({"orderId": order, "offerId": IPHONE_LYON, "rating": 5, "comment": "y".repeat(100_000)});
    let reply = app.call("POST", "/reviews", Some(&app.token("buyer", "reviewer-1", None)), Some(huge)).await;
    assert_eq!(reply.status, 413, "{reply:?}");
    assert_eq!(review(app, "reviewer-1", &order, IPHONE_BERLIN, body.clone()).await.status, 422, "not in the order");
    assert_eq!(review(app, "someone-else", &order, IPHONE_LYON, body.clone()).await.status, 404, "not theirs");
    let undelivered =
        review(app, local_runner::demo::BUYER, local_runner::demo::IPAD_ORDER, "off_demo_ipad_lyon", body.clone())
            .await;
    assert_eq!((undelivered.status, undelivered.code()), (409, "not_delivered"));
    let as_seller = app
        .call(
            "POST",
            "/reviews",
            Some(&app.lyon()),
            Some(json!({"orderId": order, "offerId": IPHONE_LYON, "rating": 5})),
        )
        .await;
    assert_eq!(as_seller.status, 403);
    let nothing = app.get("/me/reviews", Some(&app.token("buyer", "reviewer-1", None))).await;
    assert_eq!(ids(&nothing), Vec::<String>::new(), "nothing was written");
    assert_eq!(nothing.body["openToReview"].as_array().map(Vec::len), Some(1), "{nothing:?}");

    // The review: accepted, with its deadline, then published by the worker.
    let submitted = review(app, "reviewer-1", &order, IPHONE_LYON, body.clone()).await;
    assert_eq!((submitted.status, submitted.body["status"].as_str()), (202, Some("submitted")), "{submitted:?}");
    assert!(submitted.body["publishBy"].as_str().is_some());
    let id = submitted.body["id"].as_str().expect("an id").to_owned();
    let again = review(app, "reviewer-1", &order, IPHONE_LYON, body.clone()).await;
    assert_eq!((again.status, again.code()), (409, "already_reviewed"));
    app.settle().await;
    let shown = app.get(&format!("/reviews/{id}"), None).await;
    assert_eq!(shown.body["status"], "published", "{shown:?}");
    assert_eq!(shown.body["verifiedPurchase"], true);
    assert_eq!(shown.body["experienceDate"].as_str().map(|d| &d[..10]), Some("2026-11-20"));
    assert!(shown.body.get("orderId").is_none(), "the public does not see the order");
    let page = app.get(&format!("/products/{IPHONE}/reviews"), None).await;
    assert_eq!(ids(&page), vec![id.clone()]);
    assert_eq!(page.body["aggregate"]["count"], 1);
    assert_eq!(page.body["aggregate"]["average"], "4");
    assert_eq!(page.body["aggregate"]["subRatings"]["delivery"], "5");
    let seller = app.get(&format!("/sellers/{SELLER_LYON}/reviews"), None).await;
    assert_eq!((ids(&seller), &seller.body["aggregate"]["count"]), (vec![id.clone()], &json!(1)));
    let page = app.get(&format!("/sellers/{SELLER_LYON}"), None).await;
    assert_eq!(
        (&page.body["rating"]["count"], &page.body["rating"]["average"]),
        (&json!(1), &json!("4")),
        "the seller page"
    );
    let mine = app.get("/me/reviews", Some(&app.token("buyer", "reviewer-1", None))).await;
    assert_eq!((ids(&mine), mine.body["openToReview"].as_array().map(Vec::len)), (vec![id.clone()], Some(0)));

    // The seller's one reply; nobody else's.
    let berlin =
        app.call("POST", &format!("/reviews/{id}/reply"), Some(&app.berlin()), Some(json!({"text": "Ours?"}))).await;
    assert_eq!(berlin.status, 404);
    let reply =
        app.call("POST", &format!("/reviews/{id}/reply"), Some(&app.lyon()), Some(json!({"text": "Thank you!"}))).await;
    assert_eq!((reply.status, &reply.body["reply"]["text"]), (201, &json!("Thank you!")), "{reply:?}");
    let twice =
        app.call("POST", &format!("/reviews/{id}/reply"), Some(&app.lyon()), Some(json!({"text": "Again"}))).await;
    assert_eq!((twice.status, twice.code()), (409, "already_replied"));
    let page = app.get(&format!("/products/{IPHONE}/reviews"), None).await;
    assert_eq!(page.body["items"][0]["reply"]["text"], "Thank you!", "shown with the review");
    assert_eq!(page.body["aggregate"]["count"], 1, "a reply changes no rating");
    let stranger = app
        .call(
            "PATCH",
            &format!("/reviews/{id}"),
            Some(&app.token("buyer", "someone-else", None)),
            Some(json!({"rating": 1})),
        )
        .await;
    assert_eq!(stranger.status, 404, "an edit by someone else");
    assert_eq!(
        app.call("DELETE", &format!("/reviews/{id}"), Some(&app.token("buyer", "someone-else", None)), None)
            .await
            .status,
        404
    );
}

/// With the worker down (its messages lost), the sweep publishes before the deadline: a
/// review submitted on a Friday evening in France is due on Monday evening.
async fn the_sweep_publishes_by_the_deadline_when_the_worker_is_down(app: &App) {
    app.runner.clock.set(at("2026-11-27T18:00:00Z"));
    let order = delivered(app, "reviewer-2", IPHONE_LYON, &app.lyon()).await;
    let submitted = review(
        app,
        "reviewer-2",
        &order,
        IPHONE_LYON,
        json!({"rating": 1, "comment": "Stopped charging after a week."}),
    )
    .await;
    assert_eq!(submitted.status, 202, "{submitted:?}");
    assert_eq!(submitted.body["publishBy"].as_str().map(|d| &d[..16]), Some("2026-11-30T18:00"), "Monday, same hour");
    let id = submitted.body["id"].as_str().expect("an id").to_owned();
    // The worker never sees it.
    let queue = app.runner.ports.queue.clone();
    for message in
        queue.receive(store::PUBLICATION_QUEUE, 10, std::time::Duration::from_secs(900)).await.expect("receives")
    {
        queue.delete(store::PUBLICATION_QUEUE, &message.receipt).await.expect("deletes");
    }
    app.call("POST", "/_local/clock", None, Some(json!({"set": "2026-11-30T15:00:00Z"}))).await;
    assert_eq!(app.get(&format!("/reviews/{id}"), None).await.status, 404, "not yet: the sweep waits for the worker");
    app.call("POST", "/_local/clock", None, Some(json!({"set": "2026-11-30T17:59:00Z"}))).await;
    let shown = app.get(&format!("/reviews/{id}"), None).await;
    assert_eq!(shown.body["status"], "published", "{shown:?}");
    let published: jiff::Timestamp = shown.body["publishedAt"].as_str().expect("a time").parse().expect("RFC 3339");
    assert!(published <= at("2026-11-30T18:00:00Z"), "published {published}, before the deadline");
}

async fn redelivered_messages_publish_once(app: &App) {
    app.runner.clock.set(at("2026-11-20T09:00:00Z"));
    let order = delivered(app, "reviewer-3", IPHONE_LYON, &app.lyon()).await;
    let submitted = review(app, "reviewer-3", &order, IPHONE_LYON, json!({"rating": 5})).await;
    let message = json!({"reviewId": submitted.body["id"], "version": 1}).to_string();
    for _ in 0..3 {
        app.runner
            .ports
            .queue
            .send(store::PUBLICATION_QUEUE, &message, std::time::Duration::ZERO, None)
            .await
            .expect("sends");
    }
    app.settle().await;
    app.call("POST", "/_local/schedules/review-publication/run", None, None).await;
    let page = app.get(&format!("/products/{IPHONE}/reviews"), None).await;
    assert_eq!((ids(&page).len(), &page.body["aggregate"]["count"]), (1, &json!(1)), "{page:?}");
}

async fn edits_for_thirty_days_and_deletes_any_time(app: &App) {
    app.runner.clock.set(at("2026-11-20T09:00:00Z"));
    let order = delivered(app, "reviewer-4", IPHONE_LYON, &app.lyon()).await;
    let submitted =
        review(app, "reviewer-4", &order, IPHONE_LYON, json!({"rating": 2, "comment": "Scratched screen"})).await;
    let id = submitted.body["id"].as_str().expect("an id").to_owned();
    app.settle().await;
    // Day 30 after delivery: in time; the edit is published again and shown as edited.
    app.call("POST", "/_local/clock", None, Some(json!({"set": "2026-12-20T20:00:00Z"}))).await;
    let author = app.token("buyer", "reviewer-4", None);
    let edited = app.call("PATCH", &format!("/reviews/{id}"), Some(&author), Some(json!({"rating": 4}))).await;
    assert_eq!((edited.status, edited.body["status"].as_str()), (200, Some("submitted")), "{edited:?}");
    app.settle().await;
    let shown = app.get(&format!("/reviews/{id}"), None).await;
    assert_eq!((shown.body["rating"].as_u64(), shown.body["edited"].as_bool()), (Some(4), Some(true)), "{shown:?}");
    assert_eq!(shown.body["comment"], "Scratched screen", "what the edit left out stays");
    let page = app.get(&format!("/products/{IPHONE}/reviews"), None).await;
    assert_eq!((&page.body["aggregate"]["count"], &page.body["aggregate"]["average"]), (&json!(1), &json!("4")));
    // Day 31: too late.
    app.call("POST", "/_local/clock", None, Some(json!({"set": "2026-12-21T00:00:01Z"}))).await;
    let late = app.call("PATCH", &format!("/reviews/{id}"), Some(&author), Some(json!({"rating": 5}))).await;
    assert_eq!((late.status, late.code()), (409, "edit_window_closed"));
    // Day 400: deleted, gone from every list and from the rating at once.
    app.call("POST", "/_local/clock", None, Some(json!({"set": "2027-11-20T00:00:00Z"}))).await;
    app.call("POST", "/_local/clock", None, Some(json!({"set": "2027-12-25T00:00:00Z"}))).await;
    let author = app.token("buyer", "reviewer-4", None);
    assert_eq!(app.call("DELETE", &format!("/reviews/{id}"), Some(&author), None).await.status, 204);
    assert_eq!(app.get(&format!("/reviews/{id}"), None).await.status, 404);
    let page = app.get(&format!("/products/{IPHONE}/reviews"), None).await;
    assert_eq!((ids(&page).len(), &page.body["aggregate"]["count"]), (0, &json!(0)), "{page:?}");
    assert_eq!(ids(&app.get(&format!("/sellers/{SELLER_LYON}/reviews"), None).await).len(), 0);
    assert_eq!(ids(&app.get("/me/reviews", Some(&author)).await).len(), 0);
    assert_eq!(app.call("DELETE", &format!("/reviews/{id}"), Some(&author), None).await.status, 404);
}

async fn sort_orders_are_right_and_stable(app: &App) {
    app.runner.clock.set(at("2026-11-20T09:00:00Z"));
    let mut published = Vec::new();
    // Five reviews an hour apart: ratings 5, 1, 5, 3, 1; the second and fifth say most.
    let lines = [
        ("sort-1", IPHONE_LYON, 5, "Good."),
        ("sort-2", IPHONE_LYON, 1, "The battery died after three days and support never answered my messages."),
        ("sort-3", IPHONE_LYON, 5, "Perfect condition, as described, fast delivery."),
        ("sort-4", IPHONE_BERLIN, 3, "Okay."),
        ("sort-5", IPHONE_BERLIN, 1, "Wrong colour sent, and the charger was missing from the box entirely."),
    ];
    for (buyer, offer, rating, comment) in lines {
        let seller = if offer == IPHONE_LYON { app.lyon() } else { app.berlin() };
        let order = delivered(app, buyer, offer, &seller).await;
        let reply = review(app, buyer, &order, offer, json!({"rating": rating, "comment": comment})).await;
        assert_eq!(reply.status, 202, "{reply:?}");
        app.settle().await;
        published.push(reply.body["id"].as_str().expect("an id").to_owned());
        app.runner.clock.advance(jiff::SignedDuration::from_hours(1));
    }
    let order_of = |sort: &str| format!("/products/{IPHONE}/reviews?sort={sort}");
    let p = |i: usize| published[i].clone();
    assert_eq!(ids(&app.get(&order_of("newest"), None).await), [p(4), p(3), p(2), p(1), p(0)]);
    assert_eq!(ids(&app.get(&order_of("highest"), None).await), [p(2), p(0), p(3), p(4), p(1)], "ties: newest first");
    assert_eq!(ids(&app.get(&order_of("lowest"), None).await), [p(4), p(1), p(3), p(2), p(0)], "ties: newest first");
    // Relevance: the substantive reviews first, criticism and praise interleaved; then the rest.
    let relevance = ids(&app.get(&order_of("relevance"), None).await);
    assert_eq!(relevance, [p(1), p(2), p(4), p(3), p(0)], "{relevance:?}");
    // Pages of two add up to the same order, whatever the sort.
    for sort in ["relevance", "newest", "highest", "lowest"] {
        let whole = ids(&app.get(&order_of(sort), None).await);
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..5 {
            let path = match &cursor {
                Some(c) => format!("{}&limit=2&cursor={c}", order_of(sort)),
                None => format!("{}&limit=2", order_of(sort)),
            };
            let page = app.get(&path, None).await;
            paged.extend(ids(&page));
            cursor = page.body["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(paged, whole, "{sort}");
    }
    assert_eq!(app.get(&format!("{}&cursor=nonsense", order_of("relevance")), None).await.status, 400);
    assert_eq!(app.get(&order_of("best"), None).await.status, 400);
}

/// The policy says what the code does: it is generated from the same terms, so these are the
/// numbers the other tests hold the code to.
#[tokio::test]
async fn the_published_policy_is_the_configuration_the_code_applies() {
    let app = App::embedded().await;
    let policy = app.get("/legal/reviews-policy", None).await;
    assert_eq!(policy.status, 200, "{policy:?}");
    let terms = marketplace::reviews::ReviewTerms::default();
    assert_eq!(policy.body["editing"]["editDaysAfterReceipt"], terms.edit_days);
    assert_eq!(policy.body["publication"]["maximumDelayBusinessDays"], 1);
    assert_eq!(policy.body["publication"]["moderatedBeforePublication"], false);
    assert_eq!(policy.body["publication"]["marketsWithHolidays"], json!(["BE", "DE", "ES", "FR", "IT", "NL"]));
    assert_eq!(policy.body["ranking"]["sortOrders"], json!(["relevance", "newest", "highest", "lowest"]));
    let relevance = policy.body["ranking"]["relevance"].as_str().expect("a description");
    assert!(relevance.contains(&marketplace::reviews::relevance::SUBSTANTIVE_CHARS.to_string()), "{relevance}");
    // The removal grounds of the API contract (R-REV-REMOVE), every one and no other.
    let grounds: Vec<&str> =
        policy.body["removal"]["grounds"].as_array().into_iter().flatten().filter_map(|g| g["code"].as_str()).collect();
    assert_eq!(
        grounds,
        [
            "advertising",
            "duplicate_or_multiple_accounts",
            "off_topic",
            "other_product",
            "promotes_competitor",
            "inconsistent",
            "offensive",
            "false_or_by_seller",
            "illegal_content",
            "third_party_rights",
            "identity_theft",
            "personal_data",
            "incites_hatred"
        ]
    );
    let categories: Vec<String> = terms.sub_rating_categories.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(policy.body["subRatings"]["categories"], json!(categories));
    // Nothing in it names the closed EU online dispute-resolution platform.
    assert!(!policy.text.contains("ec.europa.eu/consumers/odr"), "{}", policy.text);
}

acceptance::on_both_adapters!(
    embedded: acceptance::App::embedded().await,
    aws: acceptance::App::aws().await,
    cases: [
        only_a_buyer_of_a_delivered_line_reviews_it_once,
        the_sweep_publishes_by_the_deadline_when_the_worker_is_down,
        redelivered_messages_publish_once,
        edits_for_thirty_days_and_deletes_any_time,
        sort_orders_are_right_and_stable
    ]
);
