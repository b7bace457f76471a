//! The Digital Services Act's records and pages: for admins, every statement of reasons
//! (Art. 17) the platform recorded, oldest first, in the Transparency Database's own format, in
//! pages of at most 100 — one page is one `POST /api/v1/statements` batch (Art. 24(5)); for
//! anyone, the points of contact (Art. 11 and 12) and the transparency report (Art. 15 and
//! 24) of a period, in JSON or, with `Accept: text/csv`, CSV.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use edge::{Caller, Group, Json, PageParams, Paged, Result};
use edge::{Problem, Query};
use jiff::civil::Date;
use marketplace::dsa::Statement;
use marketplace::dsa::contact::ContactPoints;
use marketplace::dsa::recipients::{self, Report};
use ports::Ports;
use serde::Deserialize;
use store::recipients::{Published, publish};
use store::{Dsa, Notices, Recipients};

/// The points of contact (`MARKETPLACE_CONTACT_POINTS`, JSON; the defaults otherwise).
pub fn contact_points() -> &'static ContactPoints {
    static POINTS: std::sync::OnceLock<ContactPoints> = std::sync::OnceLock::new();
    POINTS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_CONTACT_POINTS", ContactPoints::from_json))
}

pub fn router(ports: Ports) -> Router {
    contact_points();
    let routes = Router::new()
        .route("/dsa/statements", get(statements))
        .route("/legal/contact-points", get(show_contact_points))
        .route("/dsa/transparency-report", get(transparency_report))
        .route("/dsa/active-recipients", get(active_recipients))
        .route("/dsa/active-recipients/publications", post(publish_now));
    edge::finish(routes, ports)
}

/// The single points of contact for authorities and for users (anyone).
async fn show_contact_points() -> Json<ContactPoints> {
    Json(contact_points().clone())
}

/// A page of statements of reasons, exactly as the Transparency Database takes them: no
/// internal attribute (whom it was mailed to) leaves with them.
async fn statements(
    State(ports): State<Ports>,
    caller: Caller,
    page: Result<PageParams>,
) -> Result<Json<Paged<Statement>>> {
    caller.require(Group::Admin)?;
    let page = page?;
    let (stored, next) = Dsa::new(ports.table.as_ref()).statements(page.limit, page.cursor).await?;
    Ok(Json(Paged::new(stored.into_iter().map(|s| s.statement).collect(), next)))
}

/// The average monthly active recipients in the Union over the last six complete months
/// (Art. 24(2)), to anyone.
async fn active_recipients(State(ports): State<Ports>) -> Result<Json<Report>> {
    let counts = Recipients::new(ports.table.as_ref()).closed().await?;
    Ok(Json(recipients::report(&counts, ports.clock.now())))
}

/// Publishes the report to S3 now, beside the half-yearly publications (admins).
async fn publish_now(State(ports): State<Ports>, caller: Caller) -> Result<(StatusCode, Json<Published>)> {
    caller.require(Group::Admin)?;
    let now = ports.clock.now();
    let key = format!("on-demand-{}", now.strftime("%Y%m%dT%H%M%S%.3fZ"));
    let published = publish(&ports, &key, now).await.map_err(Problem::internal)?;
    Ok((StatusCode::CREATED, Json(published)))
}

/// The longest period one report covers: a year and a day (reports are half-yearly or yearly).
const MAX_PERIOD_DAYS: i32 = 366;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /dsa/transparency-report?from=YYYY-MM-DD&to=YYYY-MM-DD` (both days included), to anyone.
async fn transparency_report(
    State(ports): State<Ports>,
    headers: HeaderMap,
    query: Result<Query<Period>>,
) -> Result<Response> {
    let Query(period) = query?;
    let day = |name: &str, value: Option<&str>| -> Result<Date> {
        value
            .and_then(|v| v.parse::<Date>().ok())
            .ok_or_else(|| Problem::bad_request("invalid_query", format!("{name} is required, a date as YYYY-MM-DD")))
    };
    let (from, to) = (day("from", period.from.as_deref())?, day("to", period.to.as_deref())?);
    let days = (to - from).get_days();
    if !(0..MAX_PERIOD_DAYS).contains(&days) {
        return Err(Problem::bad_request("invalid_query", "to is on or after from, and the period at most 366 days"));
    }
    let start =
        |d: Date| d.to_zoned_datetime(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).map_err(Problem::internal);
    let end = to.tomorrow().map_err(Problem::internal)?;
    let (since, until) = (start(from)?, start(end)?);
    let table = ports.table.as_ref();
    let notices = Notices::new(table);
    let received = notices.received_between(since, until).await?;
    let complaints = notices.complaints_between(since, until).await?;
    let statements: Vec<Statement> =
        Dsa::new(table).statements_between(since, until).await?.into_iter().map(|s| s.statement).collect();
    let suspensions = notices.suspensions_between(since, until).await?;
    let mut report = marketplace::dsa::report::report((from, to), &received, &complaints, &statements, &suspensions);
    report.active_recipients = recipients::over_period(&Recipients::new(table).closed().await?, from, to);
    let wants_csv = edge::body::accepts(&headers, "text/csv");
    if wants_csv {
        let content_type = [(header::CONTENT_TYPE, "text/csv; charset=utf-8")];
        return Ok((content_type, report.to_csv()).into_response());
    }
    Ok(Json(report).into_response())
}
