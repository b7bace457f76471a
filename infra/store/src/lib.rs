//! The marketplace's records on the Table port. Every key and access pattern lives here (and
//! in `docs/data-model.md`); functions use these repositories, never raw keys.

pub mod events;
mod help;
pub mod keys;
mod offers;
mod orders;
mod products;
mod quotes;
pub mod record;
mod sellers;

pub use help::HelpRequests;
pub use offers::Offers;
pub use orders::{Orders, Placed, awaiting_payment};
pub use products::Products;
pub use quotes::Quotes;
pub use sellers::{Onboarded, Sellers};
