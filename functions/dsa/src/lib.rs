//! The Digital Services Act's records, for admins: every statement of reasons (Art. 17) the
//! platform recorded, oldest first, in the Transparency Database's own format, in pages of at
//! most 100 — one page is one `POST /api/v1/statements` batch (Art. 24(5)).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use edge::{Caller, Group, Json, PageParams, Paged, Result};
use marketplace::dsa::Statement;
use ports::Ports;
use store::Dsa;

pub fn router(ports: Ports) -> Router {
    let routes = Router::new().route("/dsa/statements", get(statements));
    edge::finish(routes, ports)
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
