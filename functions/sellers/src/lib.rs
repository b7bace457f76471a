//! Sellers (R-SELLER): onboarding with the trader data of DSA Art. 30, the admin decisions
//! that move a seller through pending verification → active → suspended / removed, the
//! admins' queue of the sellers in one status, and the public seller page. A status change
//! reaches all of the seller's offers (R-REMOVE). Every handler decides the caller before it
//! reads the body or the query.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, Problem, Query, Result};
use jiff::Timestamp;
use marketplace::Violations;
use marketplace::money::MoneyInput;
use marketplace::seller::{
    Address, Contract, Seller, SellerStatus, StatusChange, TradeRegister, TraderInfo, decision_reason,
};
use ports::Ports;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use marketplace::dsa::removal::RemovalInput;
use marketplace::dsa::{Removal, Restriction, Statement, Subject};
use store::events::{self, SellerStatusChanged};
use store::{About, Dsa, Onboarded, Sellers, StoredStatement};

pub fn router(ports: Ports) -> Router {
    let idempotent = from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        // The key layer wraps the onboarding only: a list is no creation.
        .route("/sellers", post(onboard).layer(idempotent).get(queue))
        .route("/sellers/{id}", get(show))
        .route("/sellers/{id}/account", get(account))
        .route("/sellers/{id}/verification", post(verify))
        .route("/sellers/{id}/suspension", post(suspend))
        .route("/sellers/{id}/reinstatement", post(reinstate))
        .route("/sellers/{id}/removal", post(remove))
        .route("/sellers/{id}/contract", put(set_contract));
    edge::finish(routes, ports)
}

/// What anyone may read of an active seller: the trader information DSA Art. 30(7) makes
/// public. The payment account stays private.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicSeller {
    pub id: String,
    pub status: SellerStatus,
    pub legal_name: String,
    pub address: Address,
    pub phone: String,
    pub email: String,
    pub trade_register: TradeRegister,
    pub vat_id: String,
    pub compliance_self_certified: bool,
    pub member_since: Timestamp,
}

/// What the seller's members and admins see.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateSeller {
    #[serde(flatten)]
    pub public: PublicSeller,
    pub payment_account: MaskedAccount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub contract: ContractView,
    pub updated_at: Timestamp,
}

/// The seller's own contract terms; an absent term is the marketplace's default.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commission_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_fee: Option<marketplace::Money>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MaskedAccount {
    pub holder: String,
    /// The last four characters of the IBAN.
    pub iban_ending: String,
}

fn public(seller: &Seller) -> PublicSeller {
    let t = &seller.trader;
    PublicSeller {
        id: seller.id.clone(),
        status: seller.status,
        legal_name: t.legal_name.clone(),
        address: t.address.clone(),
        phone: t.phone.clone(),
        email: t.email.clone(),
        trade_register: t.trade_register.clone(),
        vat_id: t.vat_id.clone(),
        compliance_self_certified: t.compliance_self_certified,
        member_since: seller.created_at,
    }
}

fn private(seller: &Seller) -> PrivateSeller {
    let iban = &seller.trader.payment_account.iban;
    PrivateSeller {
        public: public(seller),
        payment_account: MaskedAccount {
            holder: seller.trader.payment_account.holder.clone(),
            iban_ending: iban.chars().skip(iban.chars().count().saturating_sub(4)).collect(),
        },
        status_reason: seller.status_reason.clone(),
        contract: ContractView {
            commission_rate: seller.contract.commission_rate.map(|r| r.to_string()),
            monthly_fee: seller.contract.monthly_fee,
        },
        updated_at: seller.updated_at,
    }
}

async fn onboard(
    State(ports): State<Ports>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<PrivateSeller>)> {
    let user = caller.signed_in()?;
    let application: TraderInfo = body.parse()?;
    let trader = application.validate()?;
    let seller = Seller::onboard(ports.ids.new_id("sel"), user.sub.clone(), trader, ports.clock.now());
    match Sellers::new(ports.table.as_ref()).create(&seller).await? {
        Onboarded::Created => Ok((StatusCode::CREATED, Json(private(&seller)))),
        Onboarded::UserHasSeller => {
            Err(Problem::conflict("already_onboarded", "this account already onboarded a seller"))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    status: Option<String>,
    /// Read by `PageParams`; named here so that any other parameter is refused.
    #[serde(rename = "limit")]
    _limit: Option<String>,
    #[serde(rename = "cursor")]
    _cursor: Option<String>,
}

/// The admins' queue: the sellers in one `status` (required), newest first, as their members
/// and admins see them; `?status=pending_verification` is the applications waiting for
/// verification. A decision moves the seller to its new status's queue in the same write.
/// Only admins (403 otherwise), decided before the query is read.
async fn queue(
    State(ports): State<Ports>,
    caller: Caller,
    query: Result<Query<QueueQuery>>,
    page: Result<PageParams>,
) -> Result<Json<Paged<PrivateSeller>>> {
    caller.require(Group::Admin)?;
    let (Query(query), page) = (query?, page?);
    let statuses = || SellerStatus::ALL.map(SellerStatus::as_str).join(", ");
    let status = match query.status.as_deref() {
        None => {
            return Err(Problem::bad_request("invalid_query", format!("status is required: one of {}", statuses())));
        }
        Some(name) => SellerStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| Problem::bad_request("invalid_query", format!("status is one of {}", statuses())))?,
    };
    let (sellers, next) = Sellers::new(ports.table.as_ref()).in_status(status, page.limit, page.cursor).await?;
    Ok(Json(Paged::new(sellers.iter().map(private).collect(), next)))
}

/// The public seller page: the trader information and the seller's rating (the published
/// reviews of its deliveries).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SellerPage {
    #[serde(flatten)]
    seller: PublicSeller,
    rating: marketplace::reviews::aggregate::Rating,
}

/// The public seller page: only active sellers have one. The seller and its rating are read at
/// once.
async fn show(State(ports): State<Ports>, PathId(id): PathId) -> Result<Json<SellerPage>> {
    let table = ports.table.as_ref();
    let (sellers, reviews) = (Sellers::new(table), store::Reviews::new(table));
    let (seller, tally) = tokio::join!(sellers.get(&id), reviews.seller_tally(&id));
    let seller = seller?.filter(Seller::is_active).ok_or_else(|| Problem::not_found("seller"))?;
    Ok(Json(SellerPage { seller: public(&seller), rating: tally?.rating() }))
}

/// The seller account as its members and admins see it, whatever its status.
async fn account(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<PrivateSeller>> {
    caller.signed_in()?;
    let seller = Sellers::new(ports.table.as_ref()).get(&id).await?;
    seller.filter(|s| caller.may_manage(&s.id)).map(|s| Json(private(&s))).ok_or_else(|| Problem::not_found("seller"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Verification {
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    #[serde(default)]
    reason: Option<String>,
}

async fn verify(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<PrivateSeller>> {
    caller.require(Group::Admin)?;
    let body: Verification = body.parse()?;
    let mut v = Violations::new();
    let change = match body.decision.as_str() {
        "approve" => Some(StatusChange::Approve),
        "reject" => Some(StatusChange::Reject),
        _ => {
            v.add("decision", "must be approve or reject");
            None
        }
    };
    let reason = decision_reason(&mut v, body.reason.as_deref(), change == Some(StatusChange::Reject));
    let change = v.finish(|| change.expect("an unknown decision was recorded as a violation"))?;
    decide(&ports, &id, change, reason, None).await
}

/// Suspension and removal take one of R-REMOVE's grounds and an explanation: the seller's
/// statement of reasons (DSA Art. 17) carries both, and so do its offers'.
async fn suspend(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<PrivateSeller>> {
    restrict(&ports, &caller, &id, StatusChange::Suspend, body).await
}

async fn reinstate(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<PrivateSeller>> {
    caller.require(Group::Admin)?;
    let body: Reason = body.parse_or_default()?;
    let mut v = Violations::new();
    let reason = decision_reason(&mut v, body.reason.as_deref(), false);
    v.finish(|| ())?;
    decide(&ports, &id, StatusChange::Reinstate, reason, None).await
}

async fn remove(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<PrivateSeller>> {
    restrict(&ports, &caller, &id, StatusChange::Remove, body).await
}

async fn restrict(
    ports: &Ports,
    caller: &Caller,
    id: &str,
    change: StatusChange,
    body: JsonBody,
) -> Result<Json<PrivateSeller>> {
    caller.require(Group::Admin)?;
    let removal = body.parse::<RemovalInput>()?.validate()?;
    decide(ports, id, change, Some(removal.explanation.clone()), Some(removal)).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContractBody {
    #[serde(default)]
    commission_rate: Option<String>,
    #[serde(default)]
    monthly_fee: Option<MoneyInput>,
}

/// An admin records the seller's negotiated terms (R-COMMISSION, R-MONTHLY); a term left out
/// (or `null`) returns to the marketplace default. A sale's commission is fixed when
/// settlement posts it (moments after the payment), a month's fee when the month is charged,
/// so a change applies from then on.
async fn set_contract(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<PrivateSeller>> {
    caller.require(Group::Admin)?;
    let body: ContractBody = body.parse()?;
    let contract = Contract::from_input(body.commission_rate.as_deref(), body.monthly_fee.as_ref())?;
    let sellers = Sellers::new(ports.table.as_ref());
    let before = sellers.get(&id).await?.ok_or_else(|| Problem::not_found("seller"))?;
    let after = Seller { contract, updated_at: ports.clock.now(), ..before.clone() };
    if after.contract != before.contract {
        sellers.replace(&before, &after, vec![]).await?;
        tracing::info!(seller_id = %after.id, "seller contract changed");
    }
    Ok(Json(private(if after.contract == before.contract { &before } else { &after })))
}

/// Applies an admin decision and announces it on the seller-events queue, whose worker brings
/// the seller's offers in line. A suspension or removal records the account's statement of
/// reasons in the same write. Repeating a decision changes nothing on the seller and
/// announces it again, so a retry finishes what a failed attempt began.
async fn decide(
    ports: &Ports,
    id: &str,
    change: StatusChange,
    reason: Option<String>,
    removal: Option<Removal>,
) -> Result<Json<PrivateSeller>> {
    let sellers = Sellers::new(ports.table.as_ref());
    let before = sellers.get(id).await?.ok_or_else(|| Problem::not_found("seller"))?;
    let now = ports.clock.now();
    let mut after = before.change_status(change, reason, now)?;
    if after != before {
        after.status_ground = removal.as_ref().map(|r| r.reason);
        let restriction = match after.status {
            SellerStatus::Suspended => Some(Restriction::AccountSuspended),
            SellerStatus::Removed => Some(Restriction::AccountTerminated),
            _ => None,
        };
        let mut also = Vec::new();
        if let (Some(restriction), Some(removal)) = (restriction, removal.as_ref()) {
            let statement = Statement::of(Subject::Account { seller: &after }, restriction, removal, now);
            let about = About { content_type: None, id: after.id.clone(), notice_id: None };
            let stored =
                StoredStatement { statement, seller_id: after.id.clone(), about: Some(about), created_at: now };
            also.extend(Dsa::record(&stored, &after.trader.email)?);
        }
        sellers.replace(&before, &after, also).await?;
    }
    let event = SellerStatusChanged { seller_id: after.id.clone(), status: after.status };
    ports.queue.send(events::SELLER_EVENTS, &event.to_json(), Duration::ZERO, None).await?;
    tracing::info!(seller_id = %after.id, status = after.status.as_str(), "seller status decided");
    Ok(Json(private(&after)))
}
