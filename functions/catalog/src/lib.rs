//! The catalogue (R-OFFER, R-RANK, R-REMOVE): device models (products) from the
//! refurbished-electronics allowlist, the offers sellers make on them, ranked by quality and
//! price with the published parameters, and the platform's removal of an offer with its
//! statement of reasons. Buyers see an offer only while it is active, in stock and its seller
//! is active. Writes decide the caller (role, then whose offer it is) before they read the
//! body.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, Problem, Query, Result};
use jiff::Timestamp;
use marketplace::catalog::{Category, NewProduct, Product};
use marketplace::dsa::notice::{Author, ContentType};
use marketplace::dsa::removal::RemovalInput;
use marketplace::dsa::{Restriction, Statement, Subject};
use marketplace::offer::{
    Grade, NewOffer, Offer, OfferPatch, OfferStatus, PaymentMethod, RemovalReason, parse_payment_method,
};
use marketplace::ranking::{self, OfferFacts, Points, RankingTerms};
use marketplace::seller::{Seller, SellerStatus};
use marketplace::{Currency, Money};
use ports::Ports;
use serde::{Deserialize, Serialize};
use store::{About, BuyerNotices, Dsa, Notices, Offers, Products, SellerQuality, Sellers, StoredStatement};

/// The ranking's weights and priors (`MARKETPLACE_RANKING`, JSON; the defaults otherwise):
/// the listing ranks with them and `GET /legal/ranking-parameters` publishes them.
pub fn ranking_terms() -> &'static RankingTerms {
    static TERMS: std::sync::OnceLock<RankingTerms> = std::sync::OnceLock::new();
    TERMS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_RANKING", RankingTerms::from_json))
}

/// The most offers of one product and currency a listing ranks: the cheapest ones, in one
/// query, so the page costs the same whatever a product's number of offers.
pub const RANKED_AT_MOST: u32 = 100;

pub fn router(ports: Ports) -> Router {
    ranking_terms();
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/products", post(create_product).layer(idempotent()))
        .route("/products/{id}", get(show_product))
        .route("/products/{id}/offers", get(product_offers))
        .route("/offers", post(create_offer).layer(idempotent()))
        .route("/offers/{id}", get(show_offer).patch(change_offer).delete(withdraw_offer))
        .route("/offers/{id}/removal", post(remove_offer).layer(idempotent()))
        .route("/sellers/{id}/offers", get(seller_offers))
        .route("/sellers/{id}/quality", get(seller_quality))
        .route("/legal/ranking-parameters", get(ranking_parameters));
    edge::finish(routes, ports)
}

/// An offer as clients see it: amounts as decimal strings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    pub id: String,
    pub seller_id: String,
    pub product_id: String,
    pub category: Category,
    pub grade: Grade,
    pub price: Money,
    pub shipping_fee: Money,
    pub stock: u32,
    pub warranty_months: u32,
    pub handling_days: u32,
    pub payment_methods: Vec<PaymentMethod>,
    pub status: OfferStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal_reason: Option<RemovalReason>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// In a ranked list: the score and each parameter's points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<RankingView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RankingView {
    pub score: rust_decimal::Decimal,
    pub factors: Points,
    pub accepts_payment_method: bool,
}

impl From<&Offer> for OfferView {
    fn from(o: &Offer) -> Self {
        OfferView {
            id: o.id.clone(),
            seller_id: o.seller_id.clone(),
            product_id: o.product_id.clone(),
            category: o.category,
            grade: o.grade,
            price: o.price,
            shipping_fee: o.shipping_fee,
            stock: o.stock,
            warranty_months: o.warranty_months,
            handling_days: o.handling_days,
            payment_methods: o.payment_methods.clone(),
            status: o.status,
            removal_reason: o.removal_reason,
            created_at: o.created_at,
            updated_at: o.updated_at,
            ranking: None,
        }
    }
}

async fn create_product(
    State(ports): State<Ports>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<Product>)> {
    caller.require(Group::Admin)?;
    let body: NewProduct = body.parse()?;
    let product = body.validate(ports.ids.new_id("prd"), ports.clock.now())?;
    Products::new(ports.table.as_ref()).create(&product).await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// A product, with the notices about its offers removed as illegal that buyers the platform
/// could not mail must see (DSA Art. 32).
#[derive(Serialize)]
struct ProductPage {
    #[serde(flatten)]
    product: Product,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<String>,
}

async fn show_product(State(ports): State<Ports>, PathId(id): PathId) -> Result<Json<ProductPage>> {
    let table = ports.table.as_ref();
    let (products, dsa) = (Products::new(table), Dsa::new(table));
    let (product, notices) = tokio::join!(products.get(&id), dsa.product_notices(&id));
    let product = product?.ok_or_else(|| Problem::not_found("product"))?;
    Ok(Json(ProductPage { product, notices: notices? }))
}

async fn seller_status(ports: &Ports, seller_id: &str) -> Result<Option<Seller>> {
    Ok(Sellers::new(ports.table.as_ref()).get(seller_id).await?)
}

async fn create_offer(
    State(ports): State<Ports>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<OfferView>)> {
    let (_, seller_id) = caller.seller_member()?;
    let body: NewOffer = body.parse()?;
    let seller = seller_status(&ports, seller_id).await?;
    let Some(seller) = seller.filter(Seller::is_active) else {
        return Err(Problem::conflict("seller_not_active", "only a verified, active seller can list offers"));
    };
    let author = Author::Seller { seller_id: seller.id.clone() };
    if Notices::new(ports.table.as_ref()).publishing_suspended(&author, ports.clock.now()).await? {
        return Err(Problem::forbidden("listing offers is suspended for misuse (Art. 23 DSA)"));
    }
    let product = match edge::body::is_id(&body.product_id) {
        true => Products::new(ports.table.as_ref()).get(&body.product_id).await?,
        false => None,
    };
    let product = product.ok_or_else(|| Problem::invalid_field("productId", "no such product"))?;
    let offer = body.validate(ports.ids.new_id("off"), seller.id.clone(), product.category, ports.clock.now())?;
    Offers::new(ports.table.as_ref()).create(&offer, &seller).await?;
    Ok((StatusCode::CREATED, Json(OfferView::from(&offer))))
}

/// A buyable offer. Sellers see all of theirs, whatever the status, at
/// `GET /sellers/{id}/offers`.
async fn show_offer(State(ports): State<Ports>, PathId(id): PathId) -> Result<Json<OfferView>> {
    let offer = Offers::new(ports.table.as_ref()).get(&id).await?.ok_or_else(|| Problem::not_found("offer"))?;
    let status = seller_status(&ports, &offer.seller_id).await?.map(|s| s.status);
    if status.is_some_and(|s| offer.is_listable(s)) {
        Ok(Json(OfferView::from(&offer)))
    } else {
        Err(Problem::not_found("offer"))
    }
}

/// The offer and its seller, if the caller is a member of the seller that owns it; 404
/// otherwise, so other sellers cannot learn which offers exist.
async fn own_offer(ports: &Ports, caller: &Caller, id: &str) -> Result<(Offer, Seller)> {
    let (_, seller_id) = caller.seller_member()?;
    let offer = Offers::new(ports.table.as_ref()).get(id).await?;
    let offer = offer.filter(|o| o.seller_id == seller_id).ok_or_else(|| Problem::not_found("offer"))?;
    let seller = seller_status(ports, seller_id).await?.ok_or_else(|| Problem::not_found("offer"))?;
    Ok((offer, seller))
}

async fn change_offer(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<OfferView>> {
    let (before, seller) = own_offer(&ports, &caller, &id).await?;
    let patch: OfferPatch = body.parse()?;
    if patch.is_empty() {
        return Err(Problem::invalid_field("body", "name at least one field to change"));
    }
    let after = before.apply(patch, ports.clock.now())?;
    Offers::new(ports.table.as_ref()).replace(&before, &after, &seller).await?;
    Ok(Json(OfferView::from(&after)))
}

async fn withdraw_offer(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<OfferView>> {
    let (before, seller) = own_offer(&ports, &caller, &id).await?;
    let after = before.withdraw(ports.clock.now());
    if after != before {
        Offers::new(ports.table.as_ref()).replace(&before, &after, &seller).await?;
    }
    Ok(Json(OfferView::from(&after)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListingFilter {
    currency: Option<String>,
    payment_method: Option<String>,
}

/// A product's buyable offers in one currency (default EUR), ranked by quality and price
/// (R-RANK): each with its score and the points of each parameter. The cheapest
/// [`RANKED_AT_MOST`] offers are read in one query and their sellers' standing (status, rating,
/// quality) and the product's rating in one batched read; the ranking is then paged. Sellers
/// are checked here so an offer never shows while its seller is not active, even mid-way
/// through a suspension. `?paymentMethod=` puts the offers that accept it first.
async fn product_offers(
    State(ports): State<Ports>,
    PathId(id): PathId,
    Query(filter): Query<ListingFilter>,
    page: PageParams,
) -> Result<Json<Paged<OfferView>>> {
    let currency = match filter.currency.as_deref() {
        None => Currency::EUR,
        Some(code) => {
            code.parse().map_err(|e: String| Problem::bad_request("invalid_query", format!("currency {e}")))?
        }
    };
    let method = filter
        .payment_method
        .as_deref()
        .map(parse_payment_method)
        .transpose()
        .map_err(|e| Problem::bad_request("invalid_query", format!("paymentMethod {e}")))?;
    // A page's cursor belongs to this product's ranking for this currency and method.
    let list = format!("{id}#{}#{}", currency.code(), filter.payment_method.as_deref().unwrap_or(""));
    let table = ports.table.as_ref();
    let (offers, _) = Offers::new(table).listing(&id, currency, RANKED_AT_MOST, None).await?;
    if offers.is_empty() {
        return match Products::new(table).get(&id).await? {
            Some(_) => Ok(Json(edge::page::slice(Vec::new(), &page, &list)?)),
            None => Err(Problem::not_found("product")),
        };
    }
    let seller_ids: BTreeSet<&str> = offers.iter().map(|o| o.seller_id.as_str()).collect();
    let seller_ids: Vec<&str> = seller_ids.into_iter().collect();
    let (product_ratings, standings) = SellerQuality::new(table).for_ranking(&id, &seller_ids).await?;
    let listable: Vec<&Offer> = offers
        .iter()
        .filter(|o| standings.get(&o.seller_id).is_some_and(|s| s.status == Some(SellerStatus::Active)))
        .filter(|o| o.is_listable(SellerStatus::Active))
        .collect();
    let facts: Vec<OfferFacts> = listable
        .iter()
        .map(|o| {
            let standing = standings.get(&o.seller_id).cloned().unwrap_or_default();
            OfferFacts {
                offer_id: o.id.clone(),
                price_minor: o.price.amount_minor.saturating_add(o.shipping_fee.amount_minor),
                product: product_ratings,
                seller: standing.ratings,
                quality: standing.quality,
                accepts_payment_method: method.is_none_or(|m| o.payment_methods.contains(&m)),
            }
        })
        .collect();
    let ranked = ranking::rank(&facts, ranking_terms());
    let items = ranked
        .into_iter()
        .filter_map(|r| {
            let offer = listable.iter().find(|o| o.id == r.offer_id)?;
            let ranking =
                RankingView { score: r.score, factors: r.factors, accepts_payment_method: r.accepts_payment_method };
            Some(OfferView { ranking: Some(ranking), ..OfferView::from(*offer) })
        })
        .collect();
    Ok(Json(edge::page::slice(items, &page, &list)?))
}

/// The main parameters of the ranking, their weights and why, in plain words (DSA Art. 27,
/// P2B Regulation Art. 5): generated from the configuration the listing ranks with.
async fn ranking_parameters() -> Json<ranking::published::Published> {
    Json(ranking::published::parameters(ranking_terms()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QualityPage {
    seller_id: String,
    #[serde(flatten)]
    standing: ranking::published::SellerStanding,
}

/// A seller's own processing quality over the window and what it costs its offers in rank:
/// its members and admins (404 to anyone else, so sellers cannot read one another's).
async fn seller_quality(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<QualityPage>> {
    caller.signed_in()?;
    if !caller.may_manage(&id) {
        return Err(Problem::not_found("seller"));
    }
    let sellers = Sellers::new(ports.table.as_ref());
    let quality = SellerQuality::new(ports.table.as_ref());
    let (seller, standing) = tokio::join!(sellers.get(&id), quality.of(&id));
    seller?.ok_or_else(|| Problem::not_found("seller"))?;
    let standing = standing?;
    let standing = ranking::published::standing(standing.ratings, standing.quality, ranking_terms());
    Ok(Json(QualityPage { seller_id: id, standing }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RemovalView {
    #[serde(flatten)]
    offer: OfferView,
    /// The `puid` of the decision's statement of reasons.
    statement_of_reasons: String,
}

/// An admin removes an offer for one of R-REMOVE's grounds (R-REMOVE, DSA Art. 17): it leaves
/// the listings at once and can no longer be quoted or bought (open quotes on it fail with 409
/// when ordered); the statement of reasons is written with the removal and mailed to the
/// seller; a removal as illegal lists its buyers of the last six months to be told (Art. 32).
/// Removing an offer removed before is a 409.
async fn remove_offer(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<RemovalView>> {
    caller.require(Group::Admin)?;
    let removal = body.parse::<RemovalInput>()?.validate()?;
    let table = ports.table.as_ref();
    let offer = match edge::body::is_id(&id) {
        true => Offers::new(table).get(&id).await?,
        false => None,
    };
    let offer = offer.ok_or_else(|| Problem::not_found("offer"))?;
    if offer.status == OfferStatus::Removed {
        return Err(Problem::conflict("already_removed", "this offer was removed before"));
    }
    let seller = seller_status(&ports, &offer.seller_id).await?.ok_or_else(|| Problem::not_found("offer"))?;
    let product = Products::new(table).get(&offer.product_id).await?;
    let now = ports.clock.now();
    let after = offer.remove(removal.reason, now);
    let subject = Subject::Offer { offer: &after, product: product.as_ref() };
    let statement = Statement::of(subject, Restriction::OfferRemoved, &removal, now);
    let puid = statement.puid.clone();
    let about = About { content_type: Some(ContentType::Offer), id: offer.id.clone(), notice_id: None };
    let stored = StoredStatement { statement, seller_id: seller.id.clone(), about: Some(about), created_at: now };
    let mut also = Dsa::record(&stored, &seller.trader.email)?;
    if removal.reason.is_illegality() {
        also.push(Dsa::notify_buyers(&BuyerNotices {
            offer_id: offer.id.clone(),
            product_id: offer.product_id.clone(),
            seller_id: seller.id.clone(),
            reason: removal.reason,
            removed_at: now,
        })?);
    }
    Offers::new(table).replace_with(&offer, &after, &seller, also).await?;
    tracing::info!(offer_id = %offer.id, reason = removal.reason.as_str(), "offer removed");
    Ok(Json(RemovalView { offer: OfferView::from(&after), statement_of_reasons: puid }))
}

async fn seller_offers(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    page: Result<PageParams>,
) -> Result<Json<Paged<OfferView>>> {
    caller.signed_in()?;
    if !caller.may_manage(&id) {
        return Err(Problem::not_found("seller"));
    }
    let page = page?;
    let (offers, next) = Offers::new(ports.table.as_ref()).of_seller(&id, page.limit, page.cursor).await?;
    Ok(Json(Paged::new(offers.iter().map(OfferView::from).collect(), next)))
}
