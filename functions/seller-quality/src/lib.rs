//! The window of sellers' processing quality (R-RANK): deliveries and help requests are
//! counted in the transaction of the change itself, per seller and day; this daily sweep takes
//! every day that left the window (`windowDays` of `MARKETPLACE_RANKING`, 90 by default) off
//! its seller's totals and deletes it, each day in one conditional transaction, so a re-run or
//! a crash mid-way subtracts nothing twice. Reads never scan a seller's history.

use jiff::Timestamp;
use jiff::civil::Date;
use marketplace::ranking::RankingTerms;
use ports::Ports;
use serde::Serialize;
use store::SellerQuality;

/// Day buckets per page; a run goes on until none is left outside the window.
pub const BATCH: u32 = 100;
/// Pages per run at most (the next run takes the rest).
const PAGES: usize = 100;

/// The window, from the ranking's configuration (the same the listing and the published
/// parameters use).
pub fn window_days() -> u32 {
    ports::config::json_or_default("MARKETPLACE_RANKING", RankingTerms::from_json).window_days
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    pub first_day: Date,
    pub expired: usize,
}

/// The window's first day at `now`: today and the `window_days - 1` days before (UTC).
pub fn first_day(now: Timestamp, window_days: u32) -> Date {
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    today.checked_sub(jiff::Span::new().days(i64::from(window_days.max(1)) - 1)).unwrap_or(today)
}

pub async fn sweep(ports: &Ports, window_days: u32) -> Result<Swept, String> {
    let first_day = first_day(ports.clock.now(), window_days);
    let quality = SellerQuality::new(ports.table.as_ref());
    let mut expired = 0;
    for _ in 0..PAGES {
        let n = quality.expire(first_day, BATCH).await.map_err(|e| e.to_string())?;
        expired += n;
        if n < BATCH as usize {
            break;
        }
    }
    if expired > 0 {
        tracing::info!(expired, %first_day, "seller quality days left the window");
    }
    Ok(Swept { first_day, expired })
}

/// When the next run finds a day to expire (`None`: no day is counted), for the local
/// runner's probe: the oldest counted day leaves the window at the start of the day
/// `window_days` after it.
pub async fn next_due(ports: &Ports, window_days: u32) -> Result<Option<Timestamp>, String> {
    let oldest = SellerQuality::new(ports.table.as_ref()).oldest_day().await.map_err(|e| e.to_string())?;
    Ok(oldest.and_then(|day| {
        let leaves = day.checked_add(jiff::Span::new().days(i64::from(window_days.max(1)))).ok()?;
        Some(leaves.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?.timestamp())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_counts_today_and_the_days_before() {
        let now: Timestamp = "2026-12-01T10:00:00Z".parse().expect("time");
        assert_eq!(first_day(now, 90), "2026-09-03".parse::<Date>().expect("date"));
        assert_eq!(first_day(now, 1), "2026-12-01".parse::<Date>().expect("date"));
    }
}
