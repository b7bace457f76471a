//! Reviews over HTTP (R-REV-WHO, R-REV-WHAT, R-REV-EDIT, R-REV-DELETE, R-REV-RANK,
//! R-REV-DISCLOSE): a buyer reviews a line of their own delivered order (answered `202`, with
//! the deadline by which it is published), edits it for 30 days after receipt, deletes it at
//! any time; the line's seller replies once; anyone reads a product's or a seller's published
//! reviews with their rating, and the review policy generated from the same configuration.
//! Publication itself is the `review-publication` function's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PageParams, PathId, Problem, Query, Result};
use jiff::Timestamp;
use marketplace::dsa::notice::Author;
use marketplace::order::PartStatus;
use marketplace::reviews::aggregate::Rating;
use marketplace::reviews::{self, Review, ReviewInput, ReviewStatus, ReviewTerms, SubRatings, Submission};
use ports::Ports;
use serde::{Deserialize, Serialize};
use store::{Notices, Offers, Orders, Products, ReviewSort, Reviews, Submitted};

pub mod policy;

/// The review terms (`MARKETPLACE_REVIEWS`, JSON of `ReviewTerms`) and the market calendars
/// (`MARKETPLACE_CALENDARS`, JSON of `Calendars`), read once; the defaults without them. A
/// configuration that does not parse stops the function at start-up (`router` reads it).
pub fn terms() -> &'static ReviewTerms {
    static TERMS: std::sync::OnceLock<ReviewTerms> = std::sync::OnceLock::new();
    TERMS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_REVIEWS", ReviewTerms::from_json))
}

pub use edge::config::calendars;

pub fn router(ports: Ports) -> Router {
    terms();
    calendars();
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/reviews", post(submit).layer(idempotent()))
        .route("/reviews/{id}", get(show).patch(edit).delete(delete))
        .route("/reviews/{id}/reply", post(reply))
        .route("/products/{id}/reviews", get(of_product))
        .route("/sellers/{id}/reviews", get(of_seller))
        .route("/me/reviews", get(mine))
        .route("/legal/reviews-policy", get(policy::show));
    edge::finish(routes, ports)
}

/// A review as it is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    pub id: String,
    pub status: ReviewStatus,
    pub product_id: String,
    pub offer_id: String,
    pub seller_id: String,
    pub rating: u8,
    pub comment: Option<String>,
    pub sub_ratings: SubRatings,
    pub publish_by: Timestamp,
    pub published_at: Option<Timestamp>,
    /// The day the buyer received the product (the experience the review is about): a day,
    /// not an instant, so it cannot be matched to an order.
    pub experience_date: jiff::civil::Date,
    /// Always true: only the buyer of a delivered order line can review it.
    pub verified_purchase: bool,
    pub edited: bool,
    pub reply: Option<reviews::Reply>,
    /// Only for the author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl ReviewView {
    /// The view `caller` gets: the author also sees the order.
    pub fn of(review: &Review, caller: &Caller) -> ReviewView {
        let author = caller.user().is_some_and(|u| u.sub == review.buyer);
        ReviewView {
            id: review.id.clone(),
            status: review.status,
            product_id: review.product_id.clone(),
            offer_id: review.offer_id.clone(),
            seller_id: review.seller_id.clone(),
            rating: review.rating,
            comment: review.comment.clone(),
            sub_ratings: review.sub_ratings,
            publish_by: review.publish_by,
            published_at: review.published_at,
            experience_date: review.experience_date.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
            verified_purchase: true,
            edited: review.edited,
            reply: review.reply.clone(),
            order_id: author.then(|| review.order_id.clone()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewReview {
    order_id: String,
    offer_id: String,
    #[serde(default)]
    rating: Option<i64>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    sub_ratings: Option<reviews::SubRatingsInput>,
}

/// Tells the publication worker; a message lost here is published by the sweep.
async fn announce(ports: &Ports, review: &Review) {
    let body = serde_json::json!({"reviewId": review.id, "version": review.version}).to_string();
    if let Err(error) = ports.queue.send(store::PUBLICATION_QUEUE, &body, std::time::Duration::ZERO, None).await {
        tracing::warn!(review_id = %review.id, %error, "the sweep will publish the review");
    }
}

fn publish_by(country: &str) -> impl Fn(Timestamp) -> Timestamp + '_ {
    move |at| calendars().for_country(country).publish_by(at)
}

async fn category_of(ports: &Ports, product_id: &str) -> Result<Option<marketplace::catalog::Category>> {
    Ok(Products::new(ports.table.as_ref()).get(product_id).await?.map(|p| p.category))
}

/// `POST /reviews`: the buyer's review of one line of their own delivered order.
async fn submit(State(ports): State<Ports>, caller: Caller, body: JsonBody) -> Result<(StatusCode, Json<ReviewView>)> {
    let user = caller.require(Group::Buyer)?;
    let body: NewReview = body.parse()?;
    let order = match edge::body::is_id(&body.order_id) {
        true => Orders::new(ports.table.as_ref()).get(&body.order_id).await?,
        false => None,
    };
    // Someone else's order is as unknown as no order.
    let order = order.filter(|o| o.buyer == user.sub).ok_or_else(|| Problem::not_found("order"))?;
    let author = Author::Buyer { sub: user.sub.clone() };
    if Notices::new(ports.table.as_ref()).publishing_suspended(&author, ports.clock.now()).await? {
        return Err(Problem::forbidden("publishing reviews is suspended for misuse (Art. 23 DSA)"));
    }
    let line = order.lines.iter().find(|l| l.offer_id == body.offer_id);
    let category = match line {
        Some(line) => category_of(&ports, &line.product_id).await?,
        None => None,
    };
    let input = ReviewInput { rating: body.rating, comment: body.comment, sub_ratings: body.sub_ratings };
    let deadline = publish_by(&order.shipping_country);
    let submission = Submission {
        id: ports.ids.new_id("rev"),
        buyer: &user.sub,
        order: &order,
        offer_id: &body.offer_id,
        category,
        publish_by: &deadline,
        now: ports.clock.now(),
    };
    let review = reviews::submit(&input, submission, terms())?;
    match Reviews::new(ports.table.as_ref()).submit(&review).await? {
        Submitted::Created => {}
        Submitted::AlreadyReviewed => {
            return Err(Problem::conflict("already_reviewed", "this order line already has its review"));
        }
    }
    announce(&ports, &review).await;
    Ok((StatusCode::ACCEPTED, Json(ReviewView::of(&review, &caller))))
}

/// A published review (the route is public: an author sees every state of theirs at
/// `/me/reviews`).
async fn published(ports: &Ports, id: &str) -> Result<Review> {
    let review = Reviews::new(ports.table.as_ref()).get(id).await?;
    review.filter(|r| r.status == ReviewStatus::Published).ok_or_else(|| Problem::not_found("review"))
}

async fn show(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<ReviewView>> {
    let review = published(&ports, &id).await?;
    Ok(Json(ReviewView::of(&review, &caller)))
}

/// The author's own review, or 404 for anyone else.
async fn own(ports: &Ports, caller: &Caller, id: &str) -> Result<Review> {
    let user = caller.signed_in()?;
    let review = Reviews::new(ports.table.as_ref()).get(id).await?;
    review
        .filter(|r| r.buyer == user.sub && r.status != ReviewStatus::Deleted)
        .ok_or_else(|| Problem::not_found("review"))
}

/// `PATCH /reviews/{id}`: the author changes the rating, the comment or the sub-ratings until
/// 30 days after receipt; the review is published again by a new deadline.
async fn edit(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<ReviewView>> {
    let before = own(&ports, &caller, &id).await?;
    let input: ReviewInput = body.parse()?;
    let now = ports.clock.now();
    let category = category_of(&ports, &before.product_id).await?;
    let after = before.edit(&input, category, publish_by(&before.market)(now), now, terms())?;
    Reviews::new(ports.table.as_ref()).change(&before, &after).await?;
    announce(&ports, &after).await;
    Ok(Json(ReviewView::of(&after, &caller)))
}

/// `DELETE /reviews/{id}`: gone at once from every list and rating.
async fn delete(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<StatusCode> {
    let before = own(&ports, &caller, &id).await?;
    let after = before.delete()?;
    Reviews::new(ports.table.as_ref()).change(&before, &after).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: String,
}

/// `POST /reviews/{id}/reply`: a member of the reviewed line's seller, once, on a published
/// review. It changes nothing of the review.
async fn reply(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<(StatusCode, Json<ReviewView>)> {
    let (_, seller_id) = caller.seller_member()?;
    let before = Reviews::new(ports.table.as_ref()).get(&id).await?;
    let before = before
        .filter(|r| r.seller_id == seller_id && r.status != ReviewStatus::Deleted)
        .ok_or_else(|| Problem::not_found("review"))?;
    let body: ReplyBody = body.parse()?;
    let after = before.reply(&body.text, ports.clock.now())?;
    Reviews::new(ports.table.as_ref()).change(&before, &after).await?;
    Ok((StatusCode::CREATED, Json(ReviewView::of(&after, &caller))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    sort: Option<String>,
    /// Read by `PageParams`; named here so that any other parameter is refused.
    #[serde(default, rename = "limit")]
    _limit: Option<String>,
    #[serde(default, rename = "cursor")]
    _cursor: Option<String>,
}

/// A page of reviews with the rating they make up.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RatedPage {
    items: Vec<ReviewView>,
    next_cursor: Option<String>,
    aggregate: Rating,
}

/// `GET /products/{id}/reviews`: the published reviews, `?sort=relevance` (default),
/// `newest`, `highest` or `lowest`, with the product's rating. Shown while the product is
/// offered by any seller.
async fn of_product(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(product_id): PathId,
    query: Result<Query<ListQuery>>,
    page: Result<PageParams>,
) -> Result<Json<RatedPage>> {
    let (Query(query), page) = (query?, page?);
    let sort = match query.sort.as_deref().unwrap_or("relevance") {
        "relevance" => ReviewSort::Relevance,
        "newest" => ReviewSort::Newest,
        "highest" => ReviewSort::Highest,
        "lowest" => ReviewSort::Lowest,
        _ => return Err(Problem::bad_request("invalid_query", "sort is relevance, newest, highest or lowest")),
    };
    let table = ports.table.as_ref();
    let reviews = Reviews::new(table);
    let offers = Offers::new(table);
    let (offered, tally) = tokio::join!(offers.is_offered(&product_id), reviews.product_tally(&product_id));
    let (offered, tally) = (offered?, tally?);
    if !offered {
        // Kept, not shown, while no seller offers the product.
        let empty = marketplace::reviews::aggregate::Tally::default();
        return Ok(Json(RatedPage { items: Vec::new(), next_cursor: None, aggregate: empty.rating() }));
    }
    let (items, next) = reviews.of_product(&product_id, sort, &tally, page.limit, page.cursor).await?;
    let items = items.iter().map(|r| ReviewView::of(r, &caller)).collect();
    Ok(Json(RatedPage { items, next_cursor: next.map(|c| c.0), aggregate: tally.rating() }))
}

/// `GET /sellers/{id}/reviews`: the published reviews of the seller's deliveries, newest first,
/// with the seller's rating.
async fn of_seller(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(seller_id): PathId,
    page: Result<PageParams>,
) -> Result<Json<RatedPage>> {
    let page = page?;
    let reviews = Reviews::new(ports.table.as_ref());
    let (list, tally) =
        tokio::join!(reviews.of_seller(&seller_id, page.limit, page.cursor), reviews.seller_tally(&seller_id));
    let ((items, next), tally) = (list?, tally?);
    let items = items.iter().map(|r| ReviewView::of(r, &caller)).collect();
    Ok(Json(RatedPage { items, next_cursor: next.map(|c| c.0), aggregate: tally.rating() }))
}

/// An order line the buyer can still review.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenLine {
    order_id: String,
    offer_id: String,
    product_id: String,
    delivered_at: Option<Timestamp>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MyReviews {
    items: Vec<ReviewView>,
    next_cursor: Option<String>,
    /// Delivered lines of the buyer's latest orders that have no review yet.
    open_to_review: Vec<OpenLine>,
}

/// Orders looked at for lines still open to a review: the buyer's latest.
const OPEN_LINE_ORDERS: u32 = 20;

/// `GET /me/reviews`: the buyer's own reviews in every state, and the delivered lines of their
/// latest orders still open to a review.
async fn mine(State(ports): State<Ports>, caller: Caller, page: Result<PageParams>) -> Result<Json<MyReviews>> {
    let user = caller.require(Group::Buyer)?;
    let page = page?;
    let table = ports.table.as_ref();
    let reviews = Reviews::new(table);
    let (items, next) = reviews.of_buyer(&user.sub, page.limit, page.cursor).await?;
    let (orders, _) = Orders::new(table).of_buyer(&user.sub, OPEN_LINE_ORDERS, None).await?;
    let delivered: Vec<(&marketplace::order::Order, &marketplace::checkout::QuoteLine)> = orders
        .iter()
        .flat_map(|order| order.lines.iter().map(move |line| (order, line)))
        .filter(|(order, line)| order.part(&line.seller_id).is_some_and(|p| p.status == PartStatus::Delivered))
        .collect();
    let lines: Vec<(&str, &str)> = delivered.iter().map(|(o, l)| (o.id.as_str(), l.offer_id.as_str())).collect();
    let claimed = reviews.claimed(&lines).await?;
    let open_to_review = delivered
        .into_iter()
        .filter(|(order, line)| !claimed.iter().any(|(o, offer)| *o == order.id && *offer == line.offer_id))
        .map(|(order, line)| OpenLine {
            order_id: order.id.clone(),
            offer_id: line.offer_id.clone(),
            product_id: line.product_id.clone(),
            delivered_at: order.part(&line.seller_id).and_then(|p| p.delivered_at),
        })
        .collect();
    let items = items.iter().map(|r| ReviewView::of(r, &caller)).collect();
    Ok(Json(MyReviews { items, next_cursor: next.map(|c| c.0), open_to_review }))
}
