//! The marketplace's records on the Table port, and its documents on the Blobs port. Every
//! key and access pattern lives here (and in `docs/data-model.md`); functions use these
//! repositories, never raw keys.

mod disputes;
mod dsa;
pub mod events;
mod help;
mod invitations;
pub mod keys;
mod ledger;
mod mails;
mod notices;
mod offers;
mod orders;
mod payout_files;
mod products;
mod quality;
mod quotes;
pub mod recipients;
pub mod record;
mod reviews;
mod sellers;
mod statements;
mod trade_ins;

pub use disputes::{Disputes, Opened};
pub use dsa::{About, BuyerNotices, Dsa, Sale, StoredStatement};
pub use help::HelpRequests;
pub use invitations::{Claim, Invitations};
pub use ledger::{Expect, FundsRead, Ledger, Posted};
pub use mails::{Claimed, Mails, Queued};
pub use notices::{Notices, TrustedFlagger};
pub use offers::Offers;
pub use orders::{Orders, Placed, awaiting_payment};
pub use payout_files::{PayoutFiles, document_key as payout_file_key};
pub use products::Products;
pub use quality::{SellerQuality, Standing};
pub use quotes::Quotes;
pub use recipients::Recipients;
pub use reviews::{PUBLICATION_QUEUE, ReviewSort, Reviews, Submitted};
pub use sellers::{Onboarded, Sellers};
pub use statements::{Statements, document_key};
pub use trade_ins::TradeIns;
