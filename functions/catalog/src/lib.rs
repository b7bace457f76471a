//! The catalogue (R-OFFER): device models (products) from the refurbished-electronics
//! allowlist, and the offers sellers make on them. Buyers see an offer only while it is
//! active, in stock and its seller is active. Writes decide the caller (role, then whose offer
//! it is) before they read the body.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, Problem, Query, Result};
use jiff::Timestamp;
use marketplace::catalog::{Category, NewProduct, Product};
use marketplace::offer::{
    Grade, NewOffer, Offer, OfferPatch, OfferStatus, PaymentMethod, RemovalReason, parse_payment_method,
};
use marketplace::seller::{Seller, SellerStatus};
use marketplace::{Currency, Money};
use ports::Ports;
use serde::{Deserialize, Serialize};
use store::{Offers, Products, Sellers};

pub fn router(ports: Ports) -> Router {
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/products", post(create_product).layer(idempotent()))
        .route("/products/{id}", get(show_product))
        .route("/products/{id}/offers", get(product_offers))
        .route("/offers", post(create_offer).layer(idempotent()))
        .route("/offers/{id}", get(show_offer).patch(change_offer).delete(withdraw_offer))
        .route("/sellers/{id}/offers", get(seller_offers));
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

async fn show_product(State(ports): State<Ports>, PathId(id): PathId) -> Result<Json<Product>> {
    Products::new(ports.table.as_ref()).get(&id).await?.map(Json).ok_or_else(|| Problem::not_found("product"))
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

/// A product's buyable offers, cheapest first, in one currency (default EUR). The listing
/// index holds only listable offers; sellers are checked again here so an offer never shows
/// while its seller is not active, even mid-way through a suspension. A page may therefore
/// hold fewer than `limit` offers; `nextCursor` still leads on.
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
    if Products::new(ports.table.as_ref()).get(&id).await?.is_none() {
        return Err(Problem::not_found("product"));
    }
    let (offers, next) = Offers::new(ports.table.as_ref()).listing(&id, currency, page.limit, page.cursor).await?;
    let seller_ids: BTreeSet<&str> = offers.iter().map(|o| o.seller_id.as_str()).collect();
    let sellers = Sellers::new(ports.table.as_ref()).get_many(&seller_ids.into_iter().collect::<Vec<_>>()).await?;
    let active: BTreeSet<String> = sellers.into_iter().filter(Seller::is_active).map(|s| s.id).collect();
    let items = offers
        .iter()
        .filter(|o| active.contains(&o.seller_id) && o.is_listable(SellerStatus::Active))
        .filter(|o| method.is_none_or(|m| o.payment_methods.contains(&m)))
        .map(OfferView::from)
        .collect();
    Ok(Json(Paged::new(items, next)))
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
