//! The functions the runner can host, by their logical id in `template.yaml`. A function the
//! template declares but this list lacks stops the runner at start-up (and fails the tests),
//! so a new function cannot be forgotten here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use jiff::Timestamp;
use ports::{Message, Ports};

pub type BatchFuture = Pin<Box<dyn Future<Output = Vec<String>> + Send>>;
/// A queue worker: a batch in, the ids of failed messages out.
pub type Worker = Arc<dyn Fn(Vec<Message>) -> BatchFuture + Send + Sync>;

pub type JobFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;
/// A scheduled job: runs once, reports what it did.
pub type Job = Arc<dyn Fn() -> JobFuture + Send + Sync>;

pub type ProbeFuture = Pin<Box<dyn Future<Output = Result<Option<Timestamp>, String>> + Send>>;
/// When a job's next run finds work, from the due list it sweeps: `None` when nothing waits.
/// A `rate()` schedule with a probe skips the runs that would find nothing when the clock
/// jumps, which keeps a month's move fast; the job decides nothing from it.
pub type Probe = Arc<dyn Fn() -> ProbeFuture + Send + Sync>;

#[derive(Default)]
pub struct Hosted {
    pub http: Option<Router>,
    pub worker: Option<Worker>,
    pub job: Option<Job>,
    pub probe: Option<Probe>,
}

/// The deployment's choices the functions read from their environment in AWS: fixed for the
/// runner's life, and given by tests that need another.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// How payouts and trade-in transfers reach their banks (`MARKETPLACE_PAYOUTS`).
    pub payouts: payouts::Rail,
}

impl Settings {
    pub fn from_env() -> Result<Settings, String> {
        Ok(Settings { payouts: payouts::Rail::from_env()? })
    }
}

/// Hosts a function of the template on `ports`; `webhook_secret` is what the payment
/// provider signs with.
pub fn host(logical_id: &str, ports: &Ports, webhook_secret: &[u8], settings: &Settings) -> Option<Hosted> {
    let http = |router| Some(Hosted { http: Some(router), ..Hosted::default() });
    // Checked at start-up (`main`): a bad configuration stops the runner there.
    let terms = Arc::new(order_settlement::terms_from_env().unwrap_or_default());
    match logical_id {
        "SellersFunction" => http(sellers::router(ports.clone())),
        "CatalogFunction" => http(catalog::router(ports.clone())),
        "CheckoutFunction" => http(checkout::router(ports.clone())),
        "OrdersFunction" => http(orders::router(ports.clone())),
        "PaymentEventsFunction" => http(payment_events::router(ports.clone(), webhook_secret.to_vec())),
        "PaymentExpiryFunction" => job(ports, |ports| async move {
            payment_expiry::sweep(&ports).await.map(|swept| format!("cancelled {} unpaid orders", swept.cancelled))
        })
        .map(|hosted| hosted.probed(ports, |ports| async move { payment_expiry::next_due(&ports).await })),
        "EventRelayFunction" => job(ports, |ports| async move {
            event_relay::relay(&ports).await.map(|relayed| format!("relayed {} events", relayed.sent))
        })
        .map(|hosted| {
            hosted.probed(ports, |ports| async move {
                // Whatever waits is due now: the relay sends regardless of age.
                Ok(event_relay::waiting(&ports).await?.then_some(Timestamp::MIN))
            })
        }),
        "SellerAccountsFunction" => http(seller_accounts::router(ports.clone())),
        "PayoutReportsFunction" => http(payout_reports::router(ports.clone())),
        "ReviewsFunction" => http(reviews::router(ports.clone())),
        "ReviewPublicationFunction" => {
            let sweep = job(ports, |ports| async move {
                review_publication::sweep(&ports).await.map(|s| format!("published {} reviews", s.published))
            })?
            .probed(ports, |ports| async move { review_publication::next_due(&ports).await });
            let ports = ports.clone();
            let worker: Worker = Arc::new(move |batch| {
                let ports = ports.clone();
                Box::pin(async move { review_publication::handle(&ports, batch).await })
            });
            Some(Hosted { worker: Some(worker), ..sweep })
        }
        "ReviewInvitationsFunction" => {
            // Checked at start-up (`main`) too.
            let settings = Arc::new(review_invitations::Settings::from_env().unwrap_or_default());
            let probe_settings = settings.clone();
            job(ports, move |ports| {
                let settings = settings.clone();
                async move {
                    review_invitations::run(&ports, &settings).await.map(|r| {
                        format!(
                            "sent {} invitations to review ({} due orders not invited)",
                            r.sent,
                            r.not_invited + r.no_email
                        )
                    })
                }
            })
            .map(|hosted| {
                hosted.probed(ports, move |ports| {
                    let settings = probe_settings.clone();
                    async move { review_invitations::next_due(&ports, &settings).await }
                })
            })
        }
        "SellerFeesFunction" => job(ports, move |ports| {
            let terms = terms.clone();
            async move {
                seller_fees::charge_last_month(&ports, &terms).await.map(|c| {
                    format!(
                        "{}: charged {} sellers ({} before), stored {} statements",
                        c.month, c.charged, c.already, c.statements
                    )
                })
            }
        }),
        "PayoutsFunction" => {
            let rail = Arc::new(settings.payouts.clone());
            job(ports, move |ports| {
                let (terms, rail) = (terms.clone(), rail.clone());
                async move {
                    payouts::run(&ports, &terms, &rail).await.map(|r| {
                        format!(
                            "{}: {} paid, {} returned, {} unconfirmed, {} transfers in {} SEPA files",
                            r.run, r.paid, r.returned, r.unconfirmed, r.filed, r.files
                        )
                    })
                }
            })
        }
        "OrderSettlementFunction" => {
            let release_terms = terms.clone();
            let sweep = job(ports, move |ports| {
                let terms = release_terms.clone();
                async move {
                    order_settlement::release_due(&ports, &terms)
                        .await
                        .map(|r| format!("released proceeds of {} orders", r.orders))
                }
            })?
            .probed(ports, |ports| async move { order_settlement::next_release_due(&ports).await });
            let ports = ports.clone();
            let worker: Worker = Arc::new(move |batch| {
                let (ports, terms) = (ports.clone(), terms.clone());
                Box::pin(async move { order_settlement::handle(&ports, &terms, batch).await })
            });
            Some(Hosted { worker: Some(worker), ..sweep })
        }
        "DsaFunction" => http(dsa::router(ports.clone())),
        "DsaMetricsFunction" => {
            let run = job(ports, |ports| async move {
                dsa_metrics::run(&ports).await.map(|run| {
                    format!(
                        "closed {} months, published {}",
                        run.closed.len(),
                        run.published.as_deref().unwrap_or("nothing")
                    )
                })
            })?
            .probed(ports, |ports| async move { dsa_metrics::next_due(&ports).await });
            let (ports, counter) = (ports.clone(), Arc::new(dsa_metrics::Counter::default()));
            // The log subscription's stand-in: a failed batch is delivered again, whole.
            let worker: Worker = Arc::new(move |batch: Vec<Message>| {
                let (ports, counter) = (ports.clone(), counter.clone());
                Box::pin(async move {
                    match counter.count(ports.table.as_ref(), batch.iter().map(|m| m.body.as_str())).await {
                        Ok(_) => vec![],
                        Err(_) => batch.into_iter().map(|m| m.id).collect(),
                    }
                })
            });
            Some(Hosted { worker: Some(worker), ..run })
        }
        "DisputesFunction" => http(disputes::router(ports.clone())),
        "TradeInsFunction" => http(trade_ins::router(ports.clone(), settings.payouts.clone())),
        "NoticesFunction" => http(notices::router(ports.clone())),
        "NotificationsFunction" => job(ports, |ports| async move {
            notifications::run(&ports)
                .await
                .map(|m| format!("sent {} mails; told {} buyers on the product page", m.sent, m.buyers_shown))
        })
        .map(|hosted| {
            hosted.probed(ports, |ports| async move {
                // Whatever waits is due now.
                Ok(notifications::waiting(&ports).await?.then_some(Timestamp::MIN))
            })
        }),
        "SellerQualityFunction" => {
            let window = seller_quality::window_days();
            job(ports, move |ports| async move {
                seller_quality::sweep(&ports, window)
                    .await
                    .map(|s| format!("{} seller-quality days left the window (it starts {})", s.expired, s.first_day))
            })
            .map(|hosted| {
                hosted.probed(ports, move |ports| async move { seller_quality::next_due(&ports, window).await })
            })
        }
        "TradeInDeadlinesFunction" => {
            let rail = Arc::new(settings.payouts.clone());
            job(ports, move |ports| {
                let rail = rail.clone();
                async move {
                    trade_ins::sweep(&ports, &rail).await.map(|s| {
                        format!(
                            "{} trade-ins expired, {} deemed conforming, {} returned, {} paid, {} transfers filed",
                            s.expired, s.deemed_conforming, s.returned, s.paid, s.filed
                        )
                    })
                }
            })
            .map(|hosted| hosted.probed(ports, |ports| async move { trade_ins::next_due(&ports).await }))
        }
        "OfferVisibilityFunction" => {
            let ports = ports.clone();
            let worker: Worker = Arc::new(move |batch| {
                let ports = ports.clone();
                Box::pin(async move { offer_visibility::handle(&ports, batch).await })
            });
            Some(Hosted { worker: Some(worker), ..Hosted::default() })
        }
        _ => None,
    }
}

/// A scheduled function: each run gets the ports and reports what it did.
fn job<F, Fut>(ports: &Ports, run: F) -> Option<Hosted>
where
    F: Fn(Ports) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<String, String>> + Send + 'static,
{
    let ports = ports.clone();
    let job: Job = Arc::new(move || Box::pin(run(ports.clone())));
    Some(Hosted { job: Some(job), ..Hosted::default() })
}

impl Hosted {
    /// The job with the probe that says when its next run finds work.
    fn probed<F, Fut>(self, ports: &Ports, probe: F) -> Hosted
    where
        F: Fn(Ports) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Timestamp>, String>> + Send + 'static,
    {
        let ports = ports.clone();
        let probe: Probe = Arc::new(move || Box::pin(probe(ports.clone())));
        Hosted { probe: Some(probe), ..self }
    }
}
