//! The marketplace's rules. Everything here is pure: callers hand in `now` and the current
//! state, and get back decisions, new state or the reasons an input is refused.

pub mod catalog;
pub mod checkout;
pub mod disputes;
pub mod dsa;
pub mod error;
pub mod funds;
pub mod help;
pub mod ledger;
pub mod money;
pub mod offer;
pub mod order;
pub mod payments;
pub mod ranking;
pub mod reviews;
pub mod seller;
pub mod sepa;
pub mod settlement;
pub mod statement;
pub mod trade_in;
pub mod validation;

pub use error::Error;
pub use money::{Currency, Money};
pub use validation::{FieldError, Violations};
