//! The ports: small traits shaped like the AWS services behind them, so the DynamoDB, SQS,
//! S3 and SES adapters map one to one and the embedded adapters implement the same semantics.

pub mod activity;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod devices;
pub mod item;
pub mod mail;
pub mod payments;
pub mod queue;
pub mod table;

use std::sync::Arc;

pub use activity::{ACTIVITY_QUEUE, ActivityLog, QueuedActivity, StdoutActivity};
pub use blobs::{Blob, Blobs, BlobsError};
pub use clock::{Clock, Ids, MovableClock, RandomIds, SystemClock};
pub use devices::{DeviceCheck, DeviceError, Labels, SandboxDeviceCheck, SandboxLabels, ShippingLabel, Standing};
pub use item::{FromItem, Item, ItemError, ToItem, Value};
pub use mail::{Mail, MailError, Mailer, NoMailer};
pub use payments::{PaymentError, PaymentProvider, PayoutAccount};
pub use queue::{Message, Queue, QueueError};
pub use table::{
    Condition, Cursor, Index, Key, MAX_PAGE, MAX_TX_ITEMS, Page, Query, SortKey, Table, TableError, TxOp, Update,
};

/// Everything a function needs from the outside world, built once at start-up and lent to
/// every request.
#[derive(Clone)]
pub struct Ports {
    pub table: Arc<dyn Table>,
    pub queue: Arc<dyn Queue>,
    pub blobs: Arc<dyn Blobs>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub payments: Arc<dyn PaymentProvider>,
    pub mailer: Arc<dyn Mailer>,
    /// Each request's recipient, for the monthly active recipients (DSA Art. 24(2)).
    pub activity: Arc<dyn ActivityLog>,
    /// Whether a traded-in device is reported lost or stolen.
    pub devices: Arc<dyn DeviceCheck>,
    /// Prepaid shipping labels for traded-in devices.
    pub labels: Arc<dyn Labels>,
}
