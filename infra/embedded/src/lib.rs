//! Embedded adapters: the whole marketplace runs on one machine with no cloud account and no
//! Docker. They implement the ports with the same semantics as the AWS adapters; the contract
//! suites in `tests/` hold both to it.

mod blobs;
mod queue;
mod table;

pub use blobs::FolderBlobs;
pub use queue::MemoryQueue;
pub use table::EmbeddedTable;
