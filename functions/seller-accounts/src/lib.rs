//! A seller's money as the ledger holds it (R-SETTLE), for the seller's members and admins:
//! its balance, its payouts, and its monthly statements in JSON or, with `Accept: text/csv`,
//! CSV. A closed month's statement is served as stored; the current month's is built from
//! the ledger as it stands. Whether the caller may see the seller's money is decided before
//! the query is read.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use edge::{Caller, Json, PageParams, Paged, PathId, PathParams, Problem, Query, Result};
use marketplace::Currency;
use marketplace::statement::Statement;
use ports::Ports;
use serde::Deserialize;
use store::{Ledger, Sellers, Statements};
use views::{BalanceView, PayoutView};

pub fn router(ports: Ports) -> Router {
    let routes = Router::new()
        .route("/sellers/{id}/balance", get(balance))
        .route("/sellers/{id}/payouts", get(payouts))
        .route("/sellers/{id}/statements/{month}", get(statement));
    edge::finish(routes, ports)
}

/// The seller named in the path, if the caller may see its money (404 otherwise, so a
/// stranger learns nothing, not even that the seller exists).
async fn managed_seller(ports: &Ports, caller: &Caller, id: &str) -> Result<String> {
    caller.signed_in()?;
    if !edge::body::is_id(id) || !caller.may_manage(id) {
        return Err(Problem::not_found("seller"));
    }
    Sellers::new(ports.table.as_ref()).get(id).await?.ok_or_else(|| Problem::not_found("seller"))?;
    Ok(id.to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InCurrency {
    currency: Option<String>,
}

impl InCurrency {
    fn currency(&self) -> Result<Currency> {
        match self.currency.as_deref() {
            None => Ok(Currency::EUR),
            Some(code) => code.parse().map_err(|_| {
                Problem::bad_request("invalid_query", "currency is an ISO 4217 code the marketplace settles in")
            }),
        }
    }
}

async fn balance(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    query: Result<Query<InCurrency>>,
) -> Result<Json<BalanceView>> {
    let seller = managed_seller(&ports, &caller, &id).await?;
    let currency = query?.0.currency()?;
    let funds = Ledger::new(ports.table.as_ref()).funds(&seller, currency).await?;
    Ok(Json(BalanceView::of(funds.funds, currency)))
}

async fn payouts(
    State(ports): State<Ports>,
    caller: Caller,
    PathId(id): PathId,
    page: Result<PageParams>,
) -> Result<Json<Paged<PayoutView>>> {
    let seller = managed_seller(&ports, &caller, &id).await?;
    let page = page?;
    let (found, next) = Ledger::new(ports.table.as_ref()).payouts_of(&seller, page.limit, page.cursor).await?;
    Ok(Json(Paged::new(found.iter().map(PayoutView::of).collect(), next)))
}

async fn statement(
    State(ports): State<Ports>,
    caller: Caller,
    PathParams((id, month)): PathParams<(String, String)>,
    query: Result<Query<InCurrency>>,
    headers: HeaderMap,
) -> Result<Response> {
    let seller = managed_seller(&ports, &caller, &id).await?;
    let currency = query?.0.currency()?;
    let current = marketplace::ledger::period_of(ports.clock.now());
    // A month that has not begun has no statement yet.
    if !marketplace::validation::is_month(&month) || month > current {
        return Err(Problem::not_found("statement"));
    }
    let statements = Statements::new(&ports);
    // Only a closed month has a stored statement; the current one is built as it stands.
    let stored = match month < current {
        true => statements.stored(&seller, &month, currency).await.map_err(Problem::unavailable)?,
        false => None,
    };
    let statement: Statement = match stored {
        Some(stored) => stored,
        None => statements.build(&seller, &month, currency).await?,
    };
    let wants_csv = edge::body::accepts(&headers, "text/csv");
    if !wants_csv {
        return Ok(Json(statement).into_response());
    }
    let filename = format!("attachment; filename=\"statement-{seller}-{month}-{}.csv\"", currency.code());
    let mut response = statement.to_csv().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
