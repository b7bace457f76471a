//! The Digital Services Act's duties towards the people the platform's decisions affect:
//! the platform's own removals (R-REMOVE) and their grounds, the statement of reasons each
//! restriction records in the Transparency Database's format (Art. 17, submitted under
//! Art. 24(5)), and the words of the mails that tell sellers (Art. 17) and the buyers of an
//! illegal product (Art. 32); the monthly active recipients in the Union (Art. 24(2)); and the
//! points of contact (Art. 11 and 12); notice and action with trusted flaggers first
//! (Art. 16 and 22), complaints (Art. 20), measures against misuse (Art. 23) and the
//! transparency report (Art. 15 and 24).

pub mod complaint;
pub mod contact;
pub mod mail;
pub mod misuse;
pub mod notice;
pub mod notice_mail;
pub mod publication;
pub mod recipients;
pub mod removal;
pub mod report;
pub mod statement;

pub use removal::Removal;
pub use statement::{Restriction, Source, Statement, Subject};
