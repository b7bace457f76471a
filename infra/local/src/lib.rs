//! The local runner: every function of `template.yaml` in one process. HTTP routes are served
//! on localhost behind a stand-in for API Gateway's JWT authorizer, queue messages are
//! delivered to their workers, and a movable clock drives everything. Storage is embedded by
//! default (a data folder, or memory for tests) or AWS (an emulator or a real account).

pub mod demo;
pub mod functions;
mod gateway;
mod local_api;
mod scheduler;
pub mod template;
mod timeline;
pub mod tokens;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use embedded_adapters::{EmbeddedTable, FolderBlobs, MemoryQueue, TableOutbox};
use ports::{Clock, MovableClock, Ports, QueuedActivity, RandomIds};
use sandbox_payments::SandboxPayments;

pub use template::Template;
pub use tokens::Tokens;

/// Where the runner keeps its state.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Everything in memory, gone at exit: for tests.
    Memory,
    /// The embedded table, blobs and token secret in this folder.
    Folder(PathBuf),
    /// AWS services from the environment (`AWS_ENDPOINT_URL` for an emulator, `TABLE_NAME`,
    /// `BUCKET_NAME`, `QUEUE_PREFIX`), created first when `provision` is set.
    Aws { provision: bool },
}

pub struct Runner {
    pub router: Router,
    pub ports: Ports,
    pub clock: Arc<MovableClock>,
    pub tokens: Arc<Tokens>,
    pub template: Template,
    timeline: Arc<timeline::Timeline>,
}

/// The sandbox provider's webhook secret, derived from the runner's secret so there is one
/// secret to keep.
pub fn webhook_secret(secret: &[u8]) -> Vec<u8> {
    [b"webhooks:".as_slice(), secret].concat()
}

/// The template the runner serves, read from the repository.
pub fn repository_template() -> Result<Template, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let yaml = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Template::parse(&yaml)
}

impl Runner {
    pub async fn start(template: Template, backend: Backend, token_secret: &[u8]) -> Result<Runner, String> {
        let clock = Arc::new(MovableClock::default());
        let ports = Self::ports(&template, &backend, clock.clone(), &webhook_secret(token_secret)).await?;
        Self::with_ports(template, ports, clock, token_secret)
    }

    /// The ports of a backend, every one reading `clock`.
    pub async fn ports(
        template: &Template,
        backend: &Backend,
        clock: Arc<MovableClock>,
        webhook_secret: &[u8],
    ) -> Result<Ports, String> {
        Ok(match backend {
            Backend::Memory | Backend::Folder(_) => {
                let queue = MemoryQueue::new(clock.clone());
                for q in &template.queues {
                    queue.declare(&q.name, q.max_receives.unwrap_or(u32::MAX));
                }
                let (table, blobs) = match &backend {
                    Backend::Folder(dir) => {
                        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                        let table = EmbeddedTable::open(&dir.join("table.redb")).map_err(|e| e.to_string())?;
                        (table, FolderBlobs::new(dir.join("blobs")))
                    }
                    _ => (
                        EmbeddedTable::in_memory(),
                        FolderBlobs::new(
                            std::env::temp_dir().join(format!("marketplace-blobs-{}", ulid::Ulid::generate())),
                        ),
                    ),
                };
                let table: Arc<dyn ports::Table> = Arc::new(table);
                let queue: Arc<dyn ports::Queue> = Arc::new(queue);
                Ports {
                    payments: Arc::new(SandboxPayments::new(table.clone(), webhook_secret.to_vec())),
                    mailer: Arc::new(TableOutbox::new(table.clone(), clock.clone())),
                    table,
                    activity: Arc::new(QueuedActivity(queue.clone())),
                    devices: Arc::new(demo_devices()),
                    labels: Arc::new(ports::SandboxLabels),
                    queue,
                    blobs: Arc::new(blobs),
                    clock: clock.clone(),
                    ids: Arc::new(RandomIds),
                }
            }
            Backend::Aws { provision } => {
                if *provision {
                    provision_aws(template).await?;
                }
                let ports = aws_adapters::ports_from_env().await;
                let payments = Arc::new(SandboxPayments::new(ports.table.clone(), webhook_secret.to_vec()));
                // Mail is kept in the outbox, never sent, whatever the storage.
                let mailer = Arc::new(TableOutbox::new(ports.table.clone(), clock.clone()));
                // No log service here: the activity lines go through the runner's own queue.
                let activity = Arc::new(QueuedActivity(ports.queue.clone()));
                let devices = Arc::new(demo_devices());
                Ports { clock: clock.clone(), payments, mailer, activity, devices, ..ports }
            }
        })
    }

    /// Hosts every function of `template` on `ports`.
    pub fn with_ports(
        template: Template,
        ports: Ports,
        clock: Arc<MovableClock>,
        token_secret: &[u8],
    ) -> Result<Runner, String> {
        Self::with_settings(template, ports, clock, token_secret, &functions::Settings::from_env()?)
    }

    /// The runner with the deployment's choices given rather than read from the environment.
    pub fn with_settings(
        template: Template,
        ports: Ports,
        clock: Arc<MovableClock>,
        token_secret: &[u8],
        settings: &functions::Settings,
    ) -> Result<Runner, String> {
        let tokens = Arc::new(Tokens::new(token_secret));
        let webhook_secret = webhook_secret(token_secret);
        let gateway = gateway::Gateway { tokens: tokens.clone(), clock: clock.clone() };
        let mut http_routes = Vec::new();
        let mut deliveries = Vec::new();
        let mut jobs = Vec::new();
        for function in &template.functions {
            let hosted = functions::host(&function.logical_id, &ports, &webhook_secret, settings).ok_or_else(|| {
                format!("template.yaml declares {}, which the local runner cannot host", function.logical_id)
            })?;
            for route in &function.routes {
                let router =
                    hosted.http.clone().ok_or_else(|| format!("{} has routes but no router", function.logical_id))?;
                http_routes.push((route.clone(), router));
            }
            for subscription in &function.subscriptions {
                let worker = hosted
                    .worker
                    .clone()
                    .ok_or_else(|| format!("{} has a queue but no worker", function.logical_id))?;
                let visibility = template
                    .queues
                    .iter()
                    .find(|q| q.name == subscription.queue)
                    .map_or(30, |q| q.visibility_timeout_secs);
                deliveries.push(timeline::Delivery {
                    queue: subscription.queue.clone(),
                    batch_size: subscription.batch_size,
                    visibility: Duration::from_secs(visibility),
                    worker,
                });
            }
            for schedule in &function.schedules {
                let job =
                    hosted.job.clone().ok_or_else(|| format!("{} has a schedule but no job", function.logical_id))?;
                jobs.push(scheduler::Scheduled::new(schedule.clone(), job, hosted.probe.clone()));
            }
        }
        let timeline = Arc::new(timeline::Timeline::new(clock.clone(), ports.queue.clone(), deliveries, jobs));
        let dispatcher = Arc::new(gateway::Dispatcher::new(gateway, http_routes)?);
        let gateway_service = {
            let dispatcher = dispatcher.clone();
            tower::service_fn(move |request| {
                let dispatcher = dispatcher.clone();
                async move { Ok::<_, std::convert::Infallible>(dispatcher.dispatch(request).await) }
            })
        };
        let local = local_api::router(local_api::LocalState {
            tokens: tokens.clone(),
            clock: clock.clone(),
            timeline: timeline.clone(),
            sandbox: Arc::new(SandboxPayments::new(ports.table.clone(), webhook_secret)),
            dispatcher,
            outbox: Arc::new(TableOutbox::new(ports.table.clone(), clock.clone())),
        });
        let router = local.fallback_service(gateway_service);
        Ok(Runner { router, ports, clock, tokens, template, timeline })
    }

    /// One pass over every queue subscription (see `Timeline::deliver`). Returns the
    /// messages handled.
    pub async fn deliver(&self) -> usize {
        self.timeline.deliver().await
    }

    /// Delivers until every queue is quiet (or `max_passes` is reached).
    pub async fn drain(&self, max_passes: usize) -> usize {
        self.timeline.drain(max_passes).await
    }

    /// Runs, in order, every schedule firing up to the runner's clock that has not run yet.
    /// Returns how many ran; the first call only starts the schedules.
    pub async fn run_due_schedules(&self) -> usize {
        self.timeline.catch_up().await
    }

    /// Moves the runner's clock to `to` as time passes: every schedule firing on the way runs
    /// at its own time, in order, with the queues delivered after each. Returns the runs.
    pub async fn move_clock(&self, to: jiff::Timestamp) -> Result<usize, edge::Problem> {
        self.timeline.move_to(|_| Ok(to)).await
    }

    /// Keeps firing schedules on time, on the runner's clock, in the background.
    pub fn spawn_schedules(self: &Arc<Self>) {
        let runner = self.clone();
        tokio::spawn(async move {
            loop {
                runner.run_due_schedules().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Keeps delivering queue messages in the background.
    pub fn spawn_deliveries(self: &Arc<Self>) {
        let runner = self.clone();
        tokio::spawn(async move {
            loop {
                if runner.timeline.deliver_in_turn().await == 0 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}

/// Creates the template's table, bucket and queues on the configured endpoint.
async fn provision_aws(template: &Template) -> Result<(), String> {
    let settings = aws_adapters::Settings::from_env();
    let config = aws_adapters::sdk_config().await;
    aws_adapters::create_table(&aws_sdk_dynamodb::Client::new(&config), &settings.table_name)
        .await
        .map_err(|e| e.to_string())?;
    aws_adapters::create_bucket(&aws_adapters::s3_client(&config), &settings.bucket_name)
        .await
        .map_err(|e| e.to_string())?;
    let sqs = aws_sdk_sqs::Client::new(&config);
    for queue in &template.queues {
        aws_adapters::create_queue(&sqs, &format!("{}{}", settings.queue_prefix, queue.name))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The sandbox registry with the demo's stolen IMEI listed beside `MARKETPLACE_DEVICE_BLOCKLIST`'s.
fn demo_devices() -> ports::SandboxDeviceCheck {
    ports::SandboxDeviceCheck::from_env_and([demo::STOLEN_IMEI.to_owned()])
}
