//! The Digital Services Act's records and pages: for admins, every statement of reasons
//! (Art. 17) the platform recorded, oldest first, in the Transparency Database's own format, in
//! pages of at most 100 — one page is one `POST /api/v1/statements` batch (Art. 24(5)); for
//! anyone, the points of contact (Art. 11 and 12).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use edge::{Caller, Group, Json, PageParams, Paged, Result};
use marketplace::dsa::Statement;
use marketplace::dsa::contact::ContactPoints;
use ports::Ports;
use store::Dsa;

/// The points of contact (`MARKETPLACE_CONTACT_POINTS`, JSON; the defaults otherwise).
pub fn contact_points() -> &'static ContactPoints {
    static POINTS: std::sync::OnceLock<ContactPoints> = std::sync::OnceLock::new();
    POINTS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_CONTACT_POINTS", ContactPoints::from_json))
}

pub fn router(ports: Ports) -> Router {
    contact_points();
    let routes = Router::new()
        .route("/dsa/statements", get(statements))
        .route("/legal/contact-points", get(show_contact_points));
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
