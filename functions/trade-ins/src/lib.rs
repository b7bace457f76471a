//! Trade-in (R-TRADEIN): refurbishers publish buyback prices; a signed-in customer describes a
//! device and gets the best valid price as an offer, accepts it with the identity the register
//! of second-hand goods needs and a payout account, and ships the device with a prepaid label;
//! the refurbisher marks its receipt and inspects it (conforms, or a counter-offer the customer
//! accepts or rejects). Every handler decides the caller before it reads the body; a trade-in
//! is visible to its customer, its refurbisher's members and admins only (404 to anyone else).
//! Each change is conditional on the trade-in's version and carries its mails.
//!
//! Once the price is final, one write posts the purchase to the ledger (the refurbisher's
//! funds pay price and commission), records the register entry and changes the trade-in; the
//! customer is then paid through the provider under the payment's id, and one more write
//! posts the transfer and marks the trade-in paid. A step cut short is finished by the next
//! call or by the deadlines, which retry every pending payment: paid once whatever the retries.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, Problem, Result};
use jiff::Timestamp;
use marketplace::ledger::SellerAccount;
use marketplace::reviews::calendar::Calendar;
use marketplace::seller::SellerStatus;
use marketplace::trade_in::condition::Grade;
use marketplace::trade_in::device::DeviceId;
use marketplace::trade_in::payment::{RegisterEntry, purchase_transaction, register_csv};
use marketplace::trade_in::prices::{PriceList, PriceListInput, best_offer};
use marketplace::trade_in::{
    AcceptanceInput, Action, CounterOffer, InspectionInput, Label, Party, Payment, PayoutAccountChange, Return,
    TradeIn, TradeInStatus, TradeInTerms, may,
};
use marketplace::{Money, trade_in};
use payouts::Rail;
use ports::{Mail, Ports, Standing, TxOp};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::{Ledger, Mails, Posted, Products, Sellers, TradeIns};

/// The time limits and the commission (`MARKETPLACE_TRADE_IN`, JSON).
pub fn terms() -> &'static TradeInTerms {
    static TERMS: std::sync::OnceLock<TradeInTerms> = std::sync::OnceLock::new();
    TERMS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_TRADE_IN", TradeInTerms::from_json))
}

pub use edge::config::calendars;

mod payment;

pub use payment::{pay, record_paid, record_refused};

/// Which rail pays the customers, lent to the handlers that can set a final price.
#[derive(Clone)]
struct PayoutRail(Arc<Rail>);

pub fn router(ports: Ports, rail: Rail) -> Router {
    terms();
    calendars();
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/sellers/{id}/trade-in-prices", put(replace_prices).get(show_prices))
        .route("/trade-ins", post(offer).layer(idempotent()).get(list))
        .route("/trade-ins/{id}", get(show))
        .route("/trade-ins/{id}/acceptance", post(accept))
        .route("/trade-ins/{id}/cancellation", post(cancel))
        .route("/trade-ins/{id}/receipt", post(receive))
        .route("/trade-ins/{id}/inspection", post(inspect))
        .route("/trade-ins/{id}/counter-offer/acceptance", post(accept_counter_offer))
        .route("/trade-ins/{id}/counter-offer/rejection", post(reject_counter_offer))
        .route("/trade-ins/{id}/payout-account", put(change_payout_account))
        .route("/sellers/{id}/trade-in-register", get(register));
    edge::finish(routes, ports).layer(Extension(PayoutRail(Arc::new(rail))))
}

/// A trade-in as its parties see it. The customer's identity and account are shown to the
/// customer only, and then only the account's masked IBAN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeInView {
    pub id: String,
    pub status: TradeInStatus,
    pub product_id: String,
    pub product_name: String,
    pub grade: Grade,
    pub refurbisher_id: String,
    pub offered_price: Money,
    pub final_price: Option<Money>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub ship_by: Timestamp,
    pub country: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect_by: Option<Timestamp>,
    pub inspection_overdue: bool,
    pub deemed_conforming: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter_offer: Option<CounterOfferView>,
    #[serde(rename = "return", skip_serializing_if = "Option::is_none")]
    pub return_: Option<Return>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentView>,
    /// The customer's payout account, masked: shown to the customer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout_account: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CounterOfferView {
    pub price: Money,
    pub reasons: Vec<trade_in::Reason>,
    pub evidence: Vec<String>,
    pub respond_by: Timestamp,
    pub declined: bool,
}

impl From<&CounterOffer> for CounterOfferView {
    fn from(c: &CounterOffer) -> Self {
        CounterOfferView {
            price: c.price,
            reasons: c.reasons.clone(),
            evidence: c.evidence.clone(),
            respond_by: c.respond_by,
            declined: c.declined,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub status: trade_in::PaymentStatus,
    pub amount: Money,
    pub due_by: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        PaymentView { status: p.status, amount: p.amount, due_by: p.due_by, sent_at: p.sent_at }
    }
}

fn view(t: &TradeIn, party: Party, now: Timestamp) -> TradeInView {
    TradeInView {
        id: t.id.clone(),
        status: t.status,
        product_id: t.product_id.clone(),
        product_name: t.product_name.clone(),
        grade: t.grade,
        refurbisher_id: t.refurbisher_id.clone(),
        offered_price: t.offered_price,
        final_price: t.final_price,
        created_at: t.created_at,
        expires_at: t.expires_at,
        ship_by: t.ship_by,
        country: t.country.clone(),
        label: t.label.clone(),
        received_at: t.received_at,
        inspect_by: t.inspect_by,
        inspection_overdue: t.inspection_overdue(now),
        deemed_conforming: t.deemed_conforming,
        counter_offer: t.counter_offer.as_ref().map(CounterOfferView::from),
        return_: t.return_.clone(),
        payment: t.payment.as_ref().map(PaymentView::from),
        payout_account: t.payout_account.as_ref().filter(|_| party == Party::Customer).map(|a| a.masked()),
    }
}

/// When the deadlines next have something to do to `t`: a payment still to make is due at
/// once (a retry, if the request that set the price did not finish it), otherwise what the
/// rules' time limits say.
fn due(t: &TradeIn) -> Option<Timestamp> {
    if t.payment_pending() {
        return t.purchased_at;
    }
    t.next_due(calendar(t), terms())
}

/// Trade-ins one run of the deadlines takes on.
const SWEEP_BATCH: u32 = 100;

/// What one run of the deadlines did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    pub expired: usize,
    pub deemed_conforming: usize,
    pub returned: usize,
    /// Customers paid by this run (payments a request left pending).
    pub paid: usize,
    /// On the SEPA rail: transfers put in credit transfer files for the bank.
    pub filed: usize,
}

/// What time alone does to trade-ins (`trade-in-deadlines`, hourly): offers not accepted and
/// devices not received in time expire, inspections overdue beyond their grace are deemed
/// conforming, unanswered counter-offers send the device back; each told by mail. A trade-in
/// changed meanwhile is left to the next run.
pub async fn sweep(ports: &Ports, rail: &Rail) -> std::result::Result<Swept, String> {
    let now = ports.clock.now();
    let store = TradeIns::new(ports.table.as_ref());
    let mut swept = Swept::default();
    let mut to_file = Vec::new();
    for t in store.due(now, SWEEP_BATCH).await.map_err(|e| e.to_string())? {
        if t.payment_pending() {
            if let Rail::Sepa(_) = rail {
                to_file.push(t);
                continue;
            }
            match pay(ports, rail, t).await {
                Ok(after) if after.status == TradeInStatus::Paid => swept.paid += 1,
                Ok(_) => {}
                Err(e) if e.status == StatusCode::CONFLICT => {}
                Err(e) => return Err(e.detail),
            }
            continue;
        }
        let Some(after) = t.sweep(calendar(&t), terms(), now) else { continue };
        let (customer, refurbisher) = deadline_mails(&t, &after);
        let mails = tell(ports, &after, "deadline", customer, refurbisher).await.map_err(|e| e.detail)?;
        match apply(ports, rail, &t, after.clone(), mails).await {
            Ok(_) => {}
            Err(e) if e.status == StatusCode::CONFLICT => continue,
            Err(e) => return Err(e.detail),
        }
        match after.status {
            TradeInStatus::Expired => swept.expired += 1,
            TradeInStatus::Returned => swept.returned += 1,
            _ => swept.deemed_conforming += 1,
        }
        tracing::info!(trade_in_id = %after.id, status = after.status.as_str(), "trade-in deadline passed");
    }
    if let Rail::Sepa(debtor) = rail {
        swept.filed = payment::file(ports, debtor, to_file).await?;
    }
    Ok(swept)
}

type Text = Option<(String, String)>;

fn deadline_mails(before: &TradeIn, after: &TradeIn) -> (Text, Text) {
    match after.status {
        TradeInStatus::Expired => (
            Some((
                format!("Your trade-in offer for your {} has expired", after.product_name),
                "The offer was not accepted, or the device did not arrive, in time. Ask for a new offer at any time.\n".into(),
            )),
            (before.status == TradeInStatus::Accepted).then(|| {
                (format!("Trade-in {} expired", after.id), "The device did not arrive in time: the trade-in is closed.\n".into())
            }),
        ),
        TradeInStatus::Returned => {
            let by = after.return_.as_ref().map(|r| r.ship_by.to_string()).unwrap_or_default();
            (
                Some((
                    format!("Your {} is returned to you", after.product_name),
                    "The counter-offer was not answered in time, or the refurbisher declined to buy: the device comes back.\n".into(),
                )),
                Some((format!("Trade-in {}: send the device back", after.id), format!("Send the device back by {by}.\n"))),
            )
        }
        _ => (
            Some((
                format!("Your {} is bought at {}", after.product_name, after.offered_price),
                "The inspection was not done in time: the device is taken as you described it. The transfer is on its way.\n".into(),
            )),
            Some((
                format!("Trade-in {}: deemed conforming", after.id),
                format!("The inspection was overdue beyond its grace: the device is bought at {}.\n", after.offered_price),
            )),
        ),
    }
}

/// When the deadlines next have something to do, for the local runner's probe.
pub async fn next_due(ports: &Ports) -> std::result::Result<Option<Timestamp>, String> {
    TradeIns::new(ports.table.as_ref()).next_due().await.map_err(|e| e.to_string())
}

fn calendar(t: &TradeIn) -> &'static Calendar {
    calendars().for_country(&t.country)
}

/// The caller's part in `t`, if any.
fn party(caller: &Caller, t: &TradeIn) -> Option<Party> {
    let user = caller.user()?;
    if user.is(Group::Admin) {
        Some(Party::Admin)
    } else if user.is_member_of(&t.refurbisher_id) {
        Some(Party::Refurbisher)
    } else if user.sub == t.customer {
        Some(Party::Customer)
    } else {
        None
    }
}

/// The trade-in and the caller's part in it: 401 anonymous, 404 for anyone not a party, 403
/// for a party that may not do `action`.
async fn trade_in_for(ports: &Ports, caller: &Caller, id: &str, action: Action) -> Result<(TradeIn, Party)> {
    caller.signed_in()?;
    let found = match edge::body::is_id(id) {
        true => TradeIns::new(ports.table.as_ref()).get(id).await?,
        false => None,
    };
    let t = found.ok_or_else(|| Problem::not_found("trade-in"))?;
    let party = party(caller, &t).ok_or_else(|| Problem::not_found("trade-in"))?;
    if !may(party, action) {
        return Err(Problem::forbidden(match party {
            Party::Customer => "only the refurbisher that has the device does this",
            _ => "only the customer answers for the trade-in",
        }));
    }
    Ok((t, party))
}

/// The mails that tell the customer (when an address is on record) and the refurbisher.
async fn tell(
    ports: &Ports,
    t: &TradeIn,
    event: &str,
    customer: Option<(String, String)>,
    refurbisher: Option<(String, String)>,
) -> Result<Vec<TxOp>> {
    let now = ports.clock.now();
    let mut ops = Vec::new();
    if let (Some((subject, body)), Some(to)) = (customer, t.customer_email.as_deref()) {
        ops.push(Mails::queue(&format!("ti-{}-{event}-customer", t.id), &Mail { to: to.into(), subject, body }, now));
    }
    if let Some((subject, body)) = refurbisher
        && let Some(seller) = Sellers::new(ports.table.as_ref()).get(&t.refurbisher_id).await?
    {
        let mail = Mail { to: seller.trader.email.clone(), subject, body };
        ops.push(Mails::queue(&format!("ti-{}-{event}-refurbisher", t.id), &mail, now));
    }
    Ok(ops)
}

/// Writes `after` over `before` with `also`; a concurrent change is a 409 to retry.
async fn commit(
    ports: &Ports,
    rail: &Rail,
    before: &TradeIn,
    after: &TradeIn,
    party: Party,
    also: Vec<TxOp>,
) -> Result<Json<TradeInView>> {
    let after = apply(ports, rail, before, after.clone(), also).await?;
    tracing::info!(trade_in_id = %after.id, status = after.status.as_str(), "trade-in changed");
    Ok(Json(view(&after, party, ports.clock.now())))
}

/// Writes `after` over `before` with `also`, and returns the trade-in as it then is. When
/// `after` sets the final price, the write also posts the purchase and the register entry,
/// and the customer is paid.
async fn apply(ports: &Ports, rail: &Rail, before: &TradeIn, after: TradeIn, also: Vec<TxOp>) -> Result<TradeIn> {
    let store = TradeIns::new(ports.table.as_ref());
    if after.final_price.is_none() || before.final_price.is_some() {
        store.change(before, &after, due(&after), also).await?;
        return Ok(after);
    }
    purchase(ports, before, &after, also).await?;
    pay(ports, rail, after).await
}

/// Tries of a write computed from the refurbisher's funds, which sales may move meanwhile.
const FUNDS_TRIES: usize = 5;

/// The purchase in one write: the trade-in with its final price, the ledger's transaction
/// charging the refurbisher (computed from its funds as read, which must not have changed),
/// the register entry and `also`.
async fn purchase(ports: &Ports, before: &TradeIn, after: &TradeIn, also: Vec<TxOp>) -> Result<()> {
    let table = ports.table.as_ref();
    let (ledger, store) = (Ledger::new(table), TradeIns::new(table));
    let price = after.final_price.ok_or_else(|| Problem::internal("a purchase has its final price"))?;
    let entry = RegisterEntry::of(after).ok_or_else(|| Problem::internal("a purchase makes its register entry"))?;
    let mut ops =
        vec![TradeIns::change_op(before, after, due(after))?, TradeIns::register_op(&after.refurbisher_id, &entry)?];
    ops.extend(also);
    for _ in 0..FUNDS_TRIES {
        let funds = ledger.funds(&after.refurbisher_id, price.currency).await?;
        let transaction = purchase_transaction(after, funds.funds)
            .map_err(Problem::internal)?
            .ok_or_else(|| Problem::internal("a purchase has its payment"))?;
        match ledger.post(&transaction, Some(funds.expect(&[SellerAccount::Available])), ops.clone()).await? {
            Posted::Now => {
                tracing::info!(trade_in_id = %after.id, seller_id = %after.refurbisher_id, "trade-in bought");
                return Ok(());
            }
            Posted::Before => break,
            // The funds moved, or the trade-in did: read it again to tell which.
            Posted::Stale => {
                if store.get(&before.id).await?.is_none_or(|now| now.version != before.version) {
                    break;
                }
            }
        }
    }
    Err(ports::TableError::ConditionFailed.into())
}

/// A buyback list as the API shows it (amounts as decimal strings).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceListView {
    pub refurbisher_id: String,
    pub valid_until: Timestamp,
    pub items: Vec<PriceView>,
    pub updated_at: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceView {
    pub product_id: String,
    pub grade: Grade,
    pub price: Money,
}

impl From<&PriceList> for PriceListView {
    fn from(l: &PriceList) -> Self {
        PriceListView {
            refurbisher_id: l.refurbisher_id.clone(),
            valid_until: l.valid_until,
            items: l
                .items
                .iter()
                .map(|p| PriceView { product_id: p.product_id.clone(), grade: p.grade, price: p.price })
                .collect(),
            updated_at: l.updated_at,
        }
    }
}

async fn replace_prices(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(seller_id): PathId,
    body: JsonBody,
) -> Result<Json<PriceListView>> {
    let user = caller.signed_in()?;
    if !user.is_member_of(&seller_id) {
        return Err(Problem::forbidden("only the refurbisher's members publish its buyback prices"));
    }
    let seller =
        Sellers::new(ports.table.as_ref()).get(&seller_id).await?.ok_or_else(|| Problem::not_found("seller"))?;
    if seller.status != SellerStatus::Active {
        return Err(Problem::conflict("seller_not_active", "only an active seller buys devices back"));
    }
    let input: PriceListInput = body.parse()?;
    let products: Vec<String> = input.items.iter().map(|i| i.product_id.clone()).collect();
    let known = Products::new(ports.table.as_ref()).existing(&products).await?;
    let now = ports.clock.now();
    let list = input.validate(&seller_id, |p| known.contains(p), now)?;
    let store = TradeIns::new(ports.table.as_ref());
    let before = store.prices(&seller_id).await?;
    match store.replace_prices(before.as_ref(), &list).await {
        Err(ports::TableError::ConditionFailed) => {
            Err(Problem::conflict("concurrent_update", "the list changed meanwhile: send it again"))
        }
        other => {
            other?;
            tracing::info!(seller_id = %seller_id, prices = list.items.len(), "buyback prices replaced");
            Ok(Json(PriceListView::from(&list)))
        }
    }
}

async fn show_prices(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(seller_id): PathId,
) -> Result<Json<PriceListView>> {
    caller.signed_in()?;
    if !caller.may_manage(&seller_id) {
        return Err(Problem::forbidden("only the refurbisher's members and admins read its buyback prices"));
    }
    let list = TradeIns::new(ports.table.as_ref()).prices(&seller_id).await?;
    list.map(|l| Json(PriceListView::from(&l))).ok_or_else(|| Problem::not_found("buyback price list"))
}

fn imei_hash(imei: &str) -> String {
    Sha256::digest(imei.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The best offer for the device: checked against the registry first (a blocklisted device
/// is refused, only its fraud record kept), then priced from the active refurbishers' lists.
async fn offer(State(ports): State<Ports>, caller: Caller, body: JsonBody) -> Result<(StatusCode, Json<TradeInView>)> {
    let user = caller.signed_in()?;
    let request = body.parse::<trade_in::RequestInput>()?.validate()?;
    let table = ports.table.as_ref();
    let product = match edge::body::is_id(&request.product_id) {
        true => Products::new(table).get(&request.product_id).await?,
        false => None,
    };
    let product = product.ok_or_else(|| Problem::invalid_field("productId", "is not a product of the catalogue"))?;
    let now = ports.clock.now();
    if let DeviceId::Imei(imei) = &request.device {
        let standing = ports.devices.check(imei).await.map_err(Problem::internal)?;
        if standing == Standing::Blocklisted {
            TradeIns::new(table).refuse_device(&imei_hash(imei), &user.sub, &product.id, now).await?;
            tracing::warn!(product_id = %product.id, "trade-in refused: the device is blocklisted");
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "device_blocklisted",
                "this device is reported lost or stolen, or blocklisted: it cannot be traded in",
            ));
        }
    }
    let grade = request.condition.grade();
    let lists = TradeIns::new(table).candidates(&product.id, grade, now).await?;
    let ids: Vec<&str> = lists.iter().map(|l| l.refurbisher_id.as_str()).collect();
    let active: Vec<String> = Sellers::new(table)
        .get_many(&ids)
        .await?
        .into_iter()
        .filter(|s| s.status == SellerStatus::Active && !user.is_member_of(&s.id))
        .map(|s| s.id)
        .collect();
    let open: Vec<&PriceList> = lists.iter().filter(|l| active.contains(&l.refurbisher_id)).collect();
    let best = best_offer(open, &product.id, grade, now).ok_or_else(|| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_offer",
            format!("no refurbisher buys this product in the {} grade at the moment", grade.as_str()),
        )
    })?;
    let name = format!("{} {}", product.brand, product.name);
    let mut t = TradeIn::offer(ports.ids.new_id("ti"), &user.sub, request, name, best, terms(), now);
    t.customer_email = user.email.clone();
    TradeIns::new(table).create(&t, due(&t)).await?;
    tracing::info!(trade_in_id = %t.id, product_id = %t.product_id, grade = grade.as_str(), "trade-in offered");
    Ok((StatusCode::CREATED, Json(view(&t, Party::Customer, now))))
}

/// The caller's trade-ins: a customer's own, a refurbisher's members' all of its.
async fn list(
    State(ports): State<Ports>,
    caller: Caller,
    page: Result<PageParams>,
) -> Result<Json<Paged<TradeInView>>> {
    let user = caller.signed_in()?;
    let page = page?;
    let store = TradeIns::new(ports.table.as_ref());
    let member_of = user.seller_id.clone().filter(|_| user.is(Group::Seller));
    let (found, next, party) = match member_of {
        Some(seller) => {
            let (found, next) = store.of_refurbisher(&seller, page.limit, page.cursor).await?;
            (found, next, Party::Refurbisher)
        }
        None => {
            let (found, next) = store.of_customer(&user.sub, page.limit, page.cursor).await?;
            (found, next, Party::Customer)
        }
    };
    let now = ports.clock.now();
    Ok(Json(Paged::new(found.iter().map(|t| view(t, party, now)).collect(), next)))
}

async fn show(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::Read).await?;
    Ok(Json(view(&t, party, ports.clock.now())))
}

async fn accept(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::Accept).await?;
    let now = ports.clock.now();
    let today = now.to_zoned_datetime(calendar(&t).time_zone.clone()).date();
    let (identity, account) = body.parse::<AcceptanceInput>()?.validate(today)?;
    let issued = ports.labels.label(&t.id, &t.country, &t.refurbisher_id).await.map_err(Problem::internal)?;
    let label = Label { carrier: issued.carrier, tracking: issued.tracking, url: issued.url };
    let after = t.accept(identity, account, label, now)?;
    let tracking = after.label.as_ref().map(|l| l.tracking.clone()).unwrap_or_default();
    let mails = tell(
        &ports,
        &after,
        "accepted",
        Some((
            format!("Your trade-in of your {}: ship it by {}", after.product_name, after.ship_by),
            format!(
                "You accepted {} for your {}. Print the prepaid label ({}), pack the device with its \
                 data erased and its account locks removed, and send it by {} (tracking {tracking}).\n",
                after.offered_price,
                after.product_name,
                after.label.as_ref().map(|l| l.url.as_str()).unwrap_or_default(),
                after.ship_by
            ),
        )),
        Some((
            format!("Trade-in {}: a {} is on its way", after.id, after.product_name),
            format!(
                "The customer accepted your price of {}. Tracking {tracking}; mark its receipt when it arrives.\n",
                after.offered_price
            ),
        )),
    )
    .await?;
    commit(&ports, &rail, &t, &after, party, mails).await
}

async fn cancel(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::Cancel).await?;
    let after = t.cancel(ports.clock.now())?;
    let mails = tell(
        &ports,
        &after,
        "cancelled",
        None,
        (t.status == TradeInStatus::Accepted).then(|| {
            (
                format!("Trade-in {} cancelled", t.id),
                format!("The customer cancelled the trade-in of a {}: no device will come.\n", t.product_name),
            )
        }),
    )
    .await?;
    commit(&ports, &rail, &t, &after, party, mails).await
}

async fn receive(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::Receive).await?;
    let after = t.receive(calendar(&t), terms(), ports.clock.now())?;
    let mails = tell(
        &ports,
        &after,
        "received",
        Some((
            format!("Your {} has arrived", after.product_name),
            format!(
                "The refurbisher received your device and inspects it by {}.\n",
                after.inspect_by.map(|t| t.to_string()).unwrap_or_default()
            ),
        )),
        None,
    )
    .await?;
    commit(&ports, &rail, &t, &after, party, mails).await
}

async fn inspect(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::Inspect).await?;
    let input: InspectionInput = body.parse()?;
    let after = t.inspect(input, calendar(&t), terms(), ports.clock.now())?;
    let customer = match &after.counter_offer {
        Some(c) if c.declined => (
            format!("The refurbisher declined to buy your {}", after.product_name),
            format!(
                "After inspection the refurbisher declined to buy the device ({}). It is returned to you.\n",
                reasons(c)
            ),
        ),
        Some(c) => (
            format!("A counter-offer for your {}", after.product_name),
            format!(
                "After inspection the refurbisher offers {} instead of {} ({}). Accept or reject it by {}; \
                 without an answer the device is returned to you.\n",
                c.price,
                after.offered_price,
                reasons(c),
                c.respond_by
            ),
        ),
        None => (
            format!("Your {} conforms: you will be paid {}", after.product_name, after.offered_price),
            "The refurbisher found the device as you described it. The transfer is on its way.\n".to_owned(),
        ),
    };
    let mails = tell(&ports, &after, "inspected", Some(customer), None).await?;
    commit(&ports, &rail, &t, &after, party, mails).await
}

fn reasons(c: &CounterOffer) -> String {
    let names: Vec<String> = c
        .reasons
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    names.join(", ")
}

async fn answer(ports: Ports, rail: &Rail, caller: Caller, id: String, accept: bool) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::AnswerCounterOffer).await?;
    let after = t.answer(accept, calendar(&t), terms(), ports.clock.now())?;
    let refurbisher = if accept {
        (
            format!("Trade-in {}: counter-offer accepted", t.id),
            format!("The customer accepted {}.\n", after.final_price.map(|p| p.to_string()).unwrap_or_default()),
        )
    } else {
        let by = after.return_.as_ref().map(|r| r.ship_by.to_string()).unwrap_or_default();
        (
            format!("Trade-in {}: send the device back", t.id),
            format!("The customer rejected the counter-offer: send the device back by {by}.\n"),
        )
    };
    let mails =
        tell(&ports, &after, if accept { "counter-accepted" } else { "counter-rejected" }, None, Some(refurbisher))
            .await?;
    commit(&ports, rail, &t, &after, party, mails).await
}

async fn accept_counter_offer(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<TradeInView>> {
    answer(ports, &rail, caller, id, true).await
}

async fn reject_counter_offer(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<TradeInView>> {
    answer(ports, &rail, caller, id, false).await
}

/// The customer gives another account after the bank refused a transfer; it is tried at once.
async fn change_payout_account(
    State(ports): State<Ports>,
    Extension(PayoutRail(rail)): Extension<PayoutRail>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<TradeInView>> {
    let (t, party) = trade_in_for(&ports, &caller, &id, Action::ChangePayoutAccount).await?;
    let account = body.parse::<PayoutAccountChange>()?.validate()?;
    let after = t.change_payout_account(account)?;
    TradeIns::new(ports.table.as_ref()).change(&t, &after, due(&after), Vec::new()).await?;
    let after = pay(&ports, &rail, after).await?;
    Ok(Json(view(&after, party, ports.clock.now())))
}

/// The refurbisher's register of second-hand goods, in the order of purchase: JSON, or CSV
/// with `Accept: text/csv` (the next page's cursor then in a `Link` header).
async fn register(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(seller_id): PathId,
    headers: HeaderMap,
    page: Result<PageParams>,
) -> Result<Response> {
    caller.signed_in()?;
    if !caller.may_manage(&seller_id) {
        return Err(Problem::forbidden("only the refurbisher's members and admins read its register"));
    }
    let page = page?;
    let (entries, next) = TradeIns::new(ports.table.as_ref()).register(&seller_id, page.limit, page.cursor).await?;
    if edge::body::accepts(&headers, "text/csv") {
        let mut response =
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], register_csv(&entries)).into_response();
        if let Some(next) = next {
            let link = format!(
                "</sellers/{seller_id}/trade-in-register?limit={}&cursor={}>; rel=\"next\"",
                page.limit, next.0
            );
            let value = header::HeaderValue::from_str(&link).map_err(Problem::internal)?;
            response.headers_mut().insert(header::LINK, value);
        }
        return Ok(response);
    }
    let views = entries.iter().map(RegisterEntryView::from).collect();
    Ok(Json(Paged::new(views, next)).into_response())
}

/// A register entry as the API shows it (the price as a decimal string).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntryView {
    pub purchased_at: Timestamp,
    pub trade_in_id: String,
    pub seller: trade_in::payment::RegisterSeller,
    pub product_id: String,
    pub description: String,
    pub grade: Grade,
    pub device: DeviceId,
    pub price: Money,
    pub payment_method: String,
    pub payment_reference: String,
}

impl From<&RegisterEntry> for RegisterEntryView {
    fn from(e: &RegisterEntry) -> Self {
        RegisterEntryView {
            purchased_at: e.purchased_at,
            trade_in_id: e.trade_in_id.clone(),
            seller: e.seller.clone(),
            product_id: e.product_id.clone(),
            description: e.description.clone(),
            grade: e.grade,
            device: e.device.clone(),
            price: e.price,
            payment_method: e.payment_method.clone(),
            payment_reference: e.payment_reference.clone(),
        }
    }
}
