//! Configuration more than one function reads, loaded once per process.

use marketplace::reviews::calendar::Calendars;

/// The markets' business days (`MARKETPLACE_CALENDARS`, JSON; see `Calendars::from_json`), as
/// reviews, disputes and trade-ins count them. A value that does not parse stops the function
/// at start-up, where each router reads it first.
pub fn calendars() -> &'static Calendars {
    static CALENDARS: std::sync::OnceLock<Calendars> = std::sync::OnceLock::new();
    CALENDARS.get_or_init(|| ports::config::json_or_default("MARKETPLACE_CALENDARS", Calendars::from_json))
}
