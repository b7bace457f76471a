//! Embedded adapters: the whole marketplace runs on one machine with no cloud account and no
//! Docker. They implement the ports with the same semantics as the AWS adapters; the contract
//! suites in `tests/` hold both to it.

mod blobs;
mod outbox;
mod queue;
mod table;

pub use blobs::FolderBlobs;
pub use outbox::{SentMail, TableOutbox};
pub use queue::MemoryQueue;
pub use table::EmbeddedTable;
