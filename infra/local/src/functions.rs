//! The functions the runner can host, by their logical id in `template.yaml`. A function the
//! template declares but this list lacks stops the runner at start-up (and fails the tests),
//! so a new function cannot be forgotten here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use ports::{Message, Ports};

pub type BatchFuture = Pin<Box<dyn Future<Output = Vec<String>> + Send>>;
/// A queue worker: a batch in, the ids of failed messages out.
pub type Worker = Arc<dyn Fn(Vec<Message>) -> BatchFuture + Send + Sync>;

pub struct Hosted {
    pub http: Option<Router>,
    pub worker: Option<Worker>,
}

pub fn host(logical_id: &str, ports: &Ports) -> Option<Hosted> {
    let http = |router| Some(Hosted { http: Some(router), worker: None });
    match logical_id {
        "SellersFunction" => http(sellers::router(ports.clone())),
        "CatalogFunction" => http(catalog::router(ports.clone())),
        "OfferVisibilityFunction" => {
            let ports = ports.clone();
            let worker: Worker = Arc::new(move |batch| {
                let ports = ports.clone();
                Box::pin(async move { offer_visibility::handle(&ports, batch).await })
            });
            Some(Hosted { http: None, worker: Some(worker) })
        }
        _ => None,
    }
}
