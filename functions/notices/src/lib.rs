//! Notice and action (DSA Art. 16, 17, 20, 22, 23). Anyone, signed in or not, sends a notice
//! about a review or an offer; trusted flaggers' notices come first in the moderators' queue;
//! an admin decides, and the notifier and the provider of the content are told the outcome
//! and their redress; a restriction hides the content at once (a review leaves its lists and
//! ratings, an offer follows the platform's removal path, Art. 32 included) with exactly one
//! statement of reasons. The notifier or the provider complains within six months; an admin
//! resolves it, and a founded complaint reverses the decision. Manifestly unfounded notices
//! and manifestly illegal content lead, after a warning, to a suspension. Every handler
//! decides the caller before it reads the body.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use edge::{Caller, Group, Json, JsonBody, PageParams, Paged, PathId, Problem, Query, Result};
use jiff::Timestamp;
use marketplace::catalog::Product;
use marketplace::dsa::complaint::{
    Complainant, Complaint, ComplaintInput, ComplaintStatus, Decided, ResolutionInput, within_window,
};
use marketplace::dsa::misuse::{Misuse, MisuseTerms, Misuser, Step};
use marketplace::dsa::notice::{
    Action, Author, ContentType, Decision, DecisionInput, Notice, NoticeInput, NoticeStatus, Notifier,
};
use marketplace::dsa::{Source, Statement, Subject, notice_mail};
use marketplace::offer::{Offer, OfferStatus, RemovalReason};
use marketplace::reviews::{Review, ReviewStatus};
use marketplace::seller::Seller;
use ports::{Mail, Ports, TxOp};
use serde::{Deserialize, Serialize};
use store::{
    About, BuyerNotices, Dsa, Mails, Notices, Offers, Orders, Products, Reviews, Sellers, StoredStatement,
    TrustedFlagger,
};

/// The misuse threshold and period (`MARKETPLACE_MISUSE`, JSON).
pub fn misuse_terms() -> &'static MisuseTerms {
    static TERMS: std::sync::OnceLock<MisuseTerms> = std::sync::OnceLock::new();
    TERMS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_MISUSE", MisuseTerms::from_json))
}

pub fn router(ports: Ports) -> Router {
    misuse_terms();
    let idempotent = || from_fn_with_state(ports.clone(), edge::idempotency::idempotent);
    let routes = Router::new()
        .route("/notices", post(receive_anonymous).layer(idempotent()).get(list))
        .route("/me/notices", post(receive).layer(idempotent()))
        .route("/notices/{id}", get(show))
        .route("/notices/{id}/decision", post(decide))
        .route("/complaints", post(complain).layer(idempotent()).get(open_complaints))
        .route("/complaints/{id}", get(show_complaint))
        .route("/complaints/{id}/resolution", post(resolve))
        .route("/trusted-flaggers", post(register).get(trusted_flaggers));
    edge::finish(routes, ports)
}

/// A notice as the notifier and admins see it: who provided the content is for admins only.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeView {
    id: String,
    status: NoticeStatus,
    content_type: ContentType,
    content_id: String,
    reason: String,
    explanation: String,
    notifier: Notifier,
    source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    trusted_flagger: Option<String>,
    received_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<Author>,
}

impl NoticeView {
    fn of(n: Notice, caller: &Caller) -> NoticeView {
        NoticeView {
            author: caller.is_admin().then_some(n.author),
            id: n.id,
            status: n.status,
            content_type: n.content_type,
            content_id: n.content_id,
            reason: n.reason,
            explanation: n.explanation,
            notifier: n.notifier,
            source: n.source,
            trusted_flagger: n.trusted_flagger,
            received_at: n.received_at,
            decision: n.decision,
        }
    }
}

/// The content a notice is about, as stored.
enum Content {
    Review(Box<Review>),
    Offer { offer: Box<Offer>, seller: Box<Seller>, product: Option<Box<Product>> },
}

impl Content {
    fn author(&self) -> Author {
        match self {
            Content::Review(r) => Author::Buyer { sub: r.buyer.clone() },
            Content::Offer { seller, .. } => Author::Seller { seller_id: seller.id.clone() },
        }
    }

    fn seller_id(&self) -> &str {
        match self {
            Content::Review(r) => &r.seller_id,
            Content::Offer { seller, .. } => &seller.id,
        }
    }
}

/// The content, or `None` when there is none a notice can be about: a published review, an
/// offer on sale or withdrawn (a removed one is already restricted).
async fn content(ports: &Ports, content_type: ContentType, id: &str) -> Result<Option<Content>> {
    if !edge::body::is_id(id) {
        return Ok(None);
    }
    let table = ports.table.as_ref();
    Ok(match content_type {
        ContentType::Review => Reviews::new(table).get(id).await?.map(|r| Content::Review(Box::new(r))),
        ContentType::Offer => match Offers::new(table).get(id).await? {
            None => None,
            Some(offer) => {
                let seller = Sellers::new(table).get(&offer.seller_id).await?;
                let product = Products::new(table).get(&offer.product_id).await?;
                seller.map(|seller| Content::Offer {
                    offer: Box::new(offer),
                    seller: Box::new(seller),
                    product: product.map(Box::new),
                })
            }
        },
    })
}

/// The provider's address: a review's buyer as the order has it, an offer's trader.
async fn provider_email(ports: &Ports, content: &Content) -> Result<Option<String>> {
    Ok(match content {
        Content::Review(r) => Orders::new(ports.table.as_ref()).get(&r.order_id).await?.and_then(|o| o.buyer_email),
        Content::Offer { seller, .. } => Some(seller.trader.email.clone()),
    })
}

fn mail(to: &str, (subject, body): (String, String)) -> Mail {
    Mail { to: to.to_owned(), subject, body }
}

/// `POST /notices`: open to anyone, and read as anonymous wherever it is served (the API
/// gateway does not authenticate an open route), so it is the same locally and in AWS.
async fn receive_anonymous(ports: State<Ports>, body: JsonBody) -> Result<(StatusCode, Json<NoticeView>)> {
    notice(ports, &Caller::Anonymous, body).await
}

/// `POST /me/notices`: the same, signed in — the notifier may then follow the notice and
/// complain about its decision, and a trusted flagger's account notifies as the flagger.
async fn receive(ports: State<Ports>, caller: Caller, body: JsonBody) -> Result<(StatusCode, Json<NoticeView>)> {
    caller.signed_in()?;
    notice(ports, &caller, body).await
}

async fn notice(State(ports): State<Ports>, caller: &Caller, body: JsonBody) -> Result<(StatusCode, Json<NoticeView>)> {
    let account = caller.user().map(|u| u.sub.clone());
    let new = body.parse::<NoticeInput>()?.validate()?;
    let table = ports.table.as_ref();
    let now = ports.clock.now();
    let notices = Notices::new(table);
    if notices.misuse(Misuser::Notifier, &new.notifier.email).await?.is_suspended(now) {
        return Err(Problem::forbidden("notices from this address are suspended for misuse (Art. 23 DSA)"));
    }
    let found = content(&ports, new.content_type, &new.content_id).await?;
    let found = found.filter(|c| match c {
        Content::Review(r) => r.status == ReviewStatus::Published,
        Content::Offer { offer, .. } => offer.status != OfferStatus::Removed,
    });
    let Some(found) = found else {
        let what = new.content_type.as_str();
        return Err(Problem::invalid_field("contentId", &format!("names no {what} on the marketplace")));
    };
    let flagger = match &account {
        Some(sub) => notices.flagger_of(sub).await?,
        None => None,
    };
    let notice = Notice::receive(ports.ids.new_id("ntc"), new, found.author(), account, flagger, now);
    let receipt = Mails::queue(
        &format!("{}-received", notice.id),
        &mail(&notice.notifier.email, notice_mail::notice_received(&notice)),
        now,
    );
    notices.receive(&notice, vec![receipt]).await?;
    tracing::info!(notice_id = %notice.id, content_type = notice.content_type.as_str(), source = notice.source.as_str(), "notice received");
    Ok((StatusCode::CREATED, Json(NoticeView::of(notice, caller))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    #[serde(rename = "limit")]
    _limit: Option<String>,
    #[serde(rename = "cursor")]
    _cursor: Option<String>,
}

/// The moderators' queue (`?status=open`, trusted flaggers first), or every notice.
async fn list(
    State(ports): State<Ports>,
    caller: Caller,
    query: Result<Query<ListQuery>>,
    page: Result<PageParams>,
) -> Result<Json<Paged<NoticeView>>> {
    caller.require(Group::Admin)?;
    let (Query(query), page) = (query?, page?);
    let notices = Notices::new(ports.table.as_ref());
    let (found, next) = match query.status.as_deref() {
        Some("open") => notices.open(page.limit, page.cursor).await?,
        None | Some("all") => notices.all(page.limit, page.cursor).await?,
        Some(_) => return Err(Problem::bad_request("invalid_query", "status is open or all")),
    };
    Ok(Json(Paged::new(found.into_iter().map(|n| NoticeView::of(n, &caller)).collect(), next)))
}

/// A notice, to admins and to the signed-in account that sent it (404 to anyone else).
async fn show(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<NoticeView>> {
    let user = caller.signed_in()?;
    let found = match edge::body::is_id(&id) {
        true => Notices::new(ports.table.as_ref()).get(&id).await?,
        false => None,
    };
    found
        .filter(|n| user.is(Group::Admin) || n.notifier_account.as_deref() == Some(user.sub.as_str()))
        .map(|n| Json(NoticeView::of(n, &caller)))
        .ok_or_else(|| Problem::not_found("notice"))
}

/// The content's change a decision brings, run in one transaction with `also`.
enum Change {
    None,
    Review { before: Box<Review>, after: Box<Review> },
    Offer { before: Box<Offer>, after: Box<Offer>, seller: Box<Seller> },
}

async fn commit(ports: &Ports, change: Change, also: Vec<TxOp>) -> Result<()> {
    let table = ports.table.as_ref();
    match change {
        Change::None => Notices::new(table).apply(also).await?,
        Change::Review { before, after } => Reviews::new(table).change_with(&before, &after, also).await?,
        Change::Offer { before, after, seller } => {
            Offers::new(table).replace_with(&before, &after, &seller, also).await?
        }
    }
    Ok(())
}

/// The restriction of `content` on `notice`'s grounds at `now`: the change, the statement's
/// writes (and, for an offer removed as illegal, its buyers' notices), and the statement.
fn restrict(
    notice: &Notice,
    content: Content,
    action: Action,
    explanation: &str,
    now: Timestamp,
) -> Result<(Change, Vec<TxOp>, Statement)> {
    let restriction = action.restriction().ok_or_else(|| Problem::internal("keep restricts nothing"))?;
    let grounds = notice.grounds();
    let seller_id = content.seller_id().to_owned();
    let (change, statement, mut ops) = match content {
        Content::Review(before) => {
            let after = before.hide()?;
            let statement = Statement::decided(
                Subject::Review { review: &after },
                restriction,
                &grounds,
                explanation,
                notice.source,
                now,
            );
            (Change::Review { before, after: Box::new(after) }, statement, Vec::new())
        }
        Content::Offer { offer, seller, product } => {
            if offer.status == OfferStatus::Removed {
                return Err(Problem::conflict("already_removed", "this offer was removed before"));
            }
            let reason = RemovalReason::ground(&notice.reason).unwrap_or(RemovalReason::SellerTermsBreach);
            let after = offer.remove(reason, now);
            let subject = Subject::Offer { offer: &after, product: product.as_deref() };
            let statement = Statement::decided(subject, restriction, &grounds, explanation, notice.source, now);
            let mut ops = Vec::new();
            if grounds.is_illegality() {
                ops.push(Dsa::notify_buyers(&BuyerNotices {
                    offer_id: offer.id.clone(),
                    product_id: offer.product_id.clone(),
                    seller_id: seller.id.clone(),
                    reason,
                    removed_at: now,
                })?);
            }
            (Change::Offer { before: offer, after: Box::new(after), seller }, statement, ops)
        }
    };
    let about = About {
        content_type: Some(notice.content_type),
        id: notice.content_id.clone(),
        notice_id: Some(notice.id.clone()),
    };
    let stored = StoredStatement { statement: statement.clone(), seller_id, about: Some(about), created_at: now };
    ops.push(Dsa::put(&stored)?);
    Ok((change, ops, statement))
}

/// Counts one more case of misuse, with its warning or suspension mail.
async fn count_misuse(
    ports: &Ports,
    misuser: Misuser,
    identity: &str,
    to: Option<&str>,
    cause: &str,
) -> Result<Vec<TxOp>> {
    let now = ports.clock.now();
    let before: Misuse = Notices::new(ports.table.as_ref()).misuse(misuser, identity).await?;
    let (after, step) = before.record(misuse_terms(), now);
    let suspended = match step {
        Step::Suspended { until } => Some(until),
        _ => None,
    };
    let mut ops = Notices::record_misuse(misuser, identity, &before, &after, suspended.map(|_| now))?;
    if let (Some(to), false) = (to, step == Step::Counted) {
        let id = format!("{cause}-misuse-{}", after.version);
        ops.push(Mails::queue(&id, &mail(to, notice_mail::misuse(misuser, suspended)), now));
    }
    if let Step::Suspended { .. } = step {
        tracing::info!(misuser = ?misuser, "suspended for misuse");
    }
    Ok(ops)
}

async fn decide(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<NoticeView>> {
    caller.require(Group::Admin)?;
    let found = match edge::body::is_id(&id) {
        true => Notices::new(ports.table.as_ref()).get(&id).await?,
        false => None,
    };
    let before = found.ok_or_else(|| Problem::not_found("notice"))?;
    let now = ports.clock.now();
    let decision: Decision = body.parse::<DecisionInput>()?.validate(now)?;
    let mut after = before.decide(decision.clone())?;
    let found = content(&ports, before.content_type, &before.content_id).await?;
    let email = match &found {
        Some(c) => provider_email(&ports, c).await?,
        None => None,
    };
    let (change, mut ops, statement) = match (decision.action, found) {
        (Action::Keep, _) => (Change::None, Vec::new(), None),
        (_, None) => return Err(Problem::conflict("content_gone", "the content is no longer on the marketplace")),
        (action, Some(content)) => {
            let (change, ops, statement) = restrict(&before, content, action, &decision.explanation, now)?;
            (change, ops, Some(statement))
        }
    };
    if let (Some(d), Some(s)) = (after.decision.as_mut(), &statement) {
        d.statement = Some(s.puid.clone());
    }
    let mut also = vec![Notices::change(&before, &after)?];
    also.append(&mut ops);
    also.push(Mails::queue(
        &format!("{}-decided-notifier", after.id),
        &mail(&after.notifier.email, notice_mail::decision_to_notifier(&after)),
        now,
    ));
    if let Some(to) = &email {
        let text = notice_mail::decision_to_provider(&after, statement.as_ref());
        also.push(Mails::queue(&format!("{}-decided-provider", after.id), &mail(to, text), now));
    }
    if decision.manifestly_unfounded {
        let email = after.notifier.email.clone();
        also.extend(count_misuse(&ports, Misuser::Notifier, &email, Some(&email), &after.id).await?);
    }
    if decision.manifestly_illegal {
        let identity = after.author.identity();
        also.extend(count_misuse(&ports, Misuser::Provider, &identity, email.as_deref(), &after.id).await?);
    }
    commit(&ports, change, also).await?;
    tracing::info!(notice_id = %after.id, action = decision.action.as_str(), "notice decided");
    Ok(Json(NoticeView::of(after, &caller)))
}

/// The caller's part in a decision, `None` when it has none.
fn part(user: &edge::User, author: &Author, notifier: Option<&str>) -> Option<Complainant> {
    let provider = match author {
        Author::Buyer { sub } => *sub == user.sub,
        Author::Seller { seller_id } => user.is_member_of(seller_id),
    };
    if provider {
        Some(Complainant::Provider)
    } else if notifier == Some(user.sub.as_str()) {
        Some(Complainant::Notifier)
    } else {
        None
    }
}

async fn complain(State(ports): State<Ports>, caller: Caller, body: JsonBody) -> Result<(StatusCode, Json<Complaint>)> {
    let user = caller.signed_in()?;
    let (decision_of, explanation) = body.parse::<ComplaintInput>()?.validate()?;
    let table = ports.table.as_ref();
    let not_found = || Problem::not_found("decision");
    let (decided, complainant, reply_to) = if decision_of.starts_with("ntc_") {
        let notice = Notices::new(table).get(&decision_of).await?.ok_or_else(not_found)?;
        let complainant = part(user, &notice.author, notice.notifier_account.as_deref()).ok_or_else(not_found)?;
        let Some(d) = &notice.decision else {
            return Err(Problem::conflict("notice_open", "the notice is not decided yet"));
        };
        let reply_to = match complainant {
            Complainant::Notifier => Some(notice.notifier.email.clone()),
            Complainant::Provider => user.email.clone(),
        };
        let decided = Decided {
            notice_id: Some(notice.id.clone()),
            statement: d.statement.clone(),
            content_type: Some(notice.content_type),
            subject_id: notice.content_id.clone(),
            decided_at: d.decided_at,
        };
        (decided, complainant, reply_to)
    } else {
        let stored = Dsa::new(table).statement(&decision_of).await?.ok_or_else(not_found)?;
        let about = stored.about.clone().ok_or_else(|| {
            Problem::invalid_field(
                "decisionOf",
                "this restriction follows an account decision: complain about that one",
            )
        })?;
        let author = match about.content_type {
            Some(ContentType::Review) => {
                let review = Reviews::new(table).get(&about.id).await?.ok_or_else(not_found)?;
                Author::Buyer { sub: review.buyer }
            }
            _ => Author::Seller { seller_id: stored.seller_id.clone() },
        };
        if part(user, &author, None) != Some(Complainant::Provider) {
            return Err(not_found());
        }
        let decided = Decided {
            notice_id: about.notice_id.clone(),
            statement: Some(stored.statement.puid.clone()),
            content_type: about.content_type,
            subject_id: about.id.clone(),
            decided_at: stored.created_at,
        };
        (decided, Complainant::Provider, user.email.clone())
    };
    let now = ports.clock.now();
    within_window(decided.decided_at, now)?;
    let complaint = Complaint {
        id: ports.ids.new_id("cmp"),
        decision_of,
        decided,
        complainant,
        account: user.sub.clone(),
        explanation,
        reply_to,
        status: ComplaintStatus::Open,
        received_at: now,
        resolution: None,
        version: 1,
    };
    let mut also = Vec::new();
    if let Some(to) = &complaint.reply_to {
        let receipt = mail(to, notice_mail::complaint_received(&complaint));
        also.push(Mails::queue(&format!("{}-received", complaint.id), &receipt, now));
    }
    if !Notices::new(table).complain(&complaint, also).await? {
        return Err(Problem::conflict("complaint_exists", "you complained about this decision before"));
    }
    tracing::info!(complaint_id = %complaint.id, "complaint received");
    Ok((StatusCode::CREATED, Json(complaint)))
}

async fn open_complaints(
    State(ports): State<Ports>,
    caller: Caller,
    page: Result<PageParams>,
) -> Result<Json<Paged<Complaint>>> {
    caller.require(Group::Admin)?;
    let page = page?;
    let (found, next) = Notices::new(ports.table.as_ref()).open_complaints(page.limit, page.cursor).await?;
    Ok(Json(Paged::new(found, next)))
}

async fn complaint_of(ports: &Ports, id: &str) -> Result<Option<Complaint>> {
    Ok(match edge::body::is_id(id) {
        true => Notices::new(ports.table.as_ref()).complaint(id).await?,
        false => None,
    })
}

async fn show_complaint(State(ports): State<Ports>, caller: Caller, PathId(id): PathId) -> Result<Json<Complaint>> {
    let user = caller.signed_in()?;
    let found = complaint_of(&ports, &id).await?;
    found
        .filter(|c| user.is(Group::Admin) || c.account == user.sub)
        .map(Json)
        .ok_or_else(|| Problem::not_found("complaint"))
}

/// What reversing a decision changes: a restriction is lifted; a notice kept is acted on.
async fn reversal(ports: &Ports, complaint: &Complaint, now: Timestamp) -> Result<(Change, Vec<TxOp>)> {
    let table = ports.table.as_ref();
    let decided = &complaint.decided;
    let notice = match &decided.notice_id {
        Some(id) => Notices::new(table).get(id).await?,
        None => None,
    };
    let mut ops = Vec::new();
    if let Some(notice) = &notice {
        ops.push(Notices::change(notice, &notice.reverse(now)?)?);
        if let Some(d) = notice.decision.as_ref().filter(|d| d.action == Action::Keep) {
            let found = content(ports, notice.content_type, &notice.content_id).await?;
            let Some(found) = found else { return Ok((Change::None, ops)) };
            let why = format!(
                "On complaint {}, the decision to keep the content was reversed. {}",
                complaint.id, d.explanation
            );
            let (change, more, _) = restrict(notice, found, Action::Remove, &why, now)?;
            ops.extend(more);
            return Ok((change, ops));
        }
    }
    let change = match decided.content_type {
        Some(ContentType::Review) => match Reviews::new(table).get(&decided.subject_id).await? {
            Some(before) => match before.reinstate() {
                Some(after) => Change::Review { before: Box::new(before), after: Box::new(after) },
                None => Change::None,
            },
            None => Change::None,
        },
        Some(ContentType::Offer) => match Offers::new(table).get(&decided.subject_id).await? {
            Some(before) => match (before.reinstate(now), Sellers::new(table).get(&before.seller_id).await?) {
                (Some(after), Some(seller)) => {
                    Change::Offer { before: Box::new(before), after: Box::new(after), seller: Box::new(seller) }
                }
                _ => Change::None,
            },
            None => Change::None,
        },
        None => Change::None,
    };
    Ok((change, ops))
}

async fn resolve(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Json<Complaint>> {
    caller.require(Group::Admin)?;
    let before = complaint_of(&ports, &id).await?.ok_or_else(|| Problem::not_found("complaint"))?;
    let (founded, explanation) = body.parse::<ResolutionInput>()?.validate()?;
    let now = ports.clock.now();
    let reversible = before.decided.content_type.is_some();
    let after = before.resolve(founded, explanation, reversible, now)?;
    let mut also = vec![Notices::change_complaint(&before, &after)?];
    let change = match after.resolution.as_ref().is_some_and(|r| r.reversed) {
        true => {
            let (change, ops) = reversal(&ports, &after, now).await?;
            also.extend(ops);
            change
        }
        false => Change::None,
    };
    if let Some(to) = &after.reply_to {
        let text = mail(to, notice_mail::complaint_resolved(&after));
        also.push(Mails::queue(&format!("{}-resolved", after.id), &text, now));
    }
    commit(&ports, change, also).await?;
    tracing::info!(complaint_id = %after.id, founded, "complaint resolved");
    Ok(Json(after))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlaggerInput {
    name: Option<String>,
    accounts: Option<Vec<String>>,
}

/// Registers a trusted flagger (Art. 22) and the accounts that notify for it.
async fn register(
    State(ports): State<Ports>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<TrustedFlagger>)> {
    caller.require(Group::Admin)?;
    let input: FlaggerInput = body.parse()?;
    let mut v = marketplace::Violations::new();
    let name = marketplace::validation::text(&mut v, "name", input.name.as_deref().unwrap_or(""), 200);
    let mut accounts = input.accounts.unwrap_or_default();
    accounts.sort();
    accounts.dedup();
    let well_formed = |a: &String| (1..=128).contains(&a.len()) && a.chars().all(|c| c.is_ascii_graphic());
    v.check(
        (1..=20).contains(&accounts.len()) && accounts.iter().all(well_formed),
        "accounts",
        "1 to 20 account ids (sub) that notify for the entity",
    );
    let flagger =
        v.finish(|| TrustedFlagger { id: ports.ids.new_id("tfl"), name, accounts, registered_at: ports.clock.now() })?;
    if !Notices::new(ports.table.as_ref()).register(&flagger).await? {
        return Err(Problem::conflict("account_flags_already", "an account already notifies for a trusted flagger"));
    }
    Ok((StatusCode::CREATED, Json(flagger)))
}

async fn trusted_flaggers(
    State(ports): State<Ports>,
    caller: Caller,
    page: Result<PageParams>,
) -> Result<Json<Paged<TrustedFlagger>>> {
    caller.require(Group::Admin)?;
    let page = page?;
    let (found, next) = Notices::new(ports.table.as_ref()).trusted_flaggers(page.limit, page.cursor).await?;
    Ok(Json(Paged::new(found, next)))
}
