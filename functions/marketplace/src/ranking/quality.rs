//! A seller's processing quality over a rolling window (R-RANK): per delivered unit, how many
//! came back as defective, as the wrong product or with a missing accessory, or in a worse
//! cosmetic condition than their grade (help requests with those reasons), and how many
//! deliveries came after the promised window. Rates are smoothed towards a prior, so a seller
//! with two orders is neither perfect nor doomed.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::help::{HelpReason, HelpRequest};
use crate::order::{Order, PartStatus};

/// What one event adds to a seller's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Units delivered, on time or not.
    Delivered { units: i64, late: bool },
    /// A help request about a delivered unit, counted when its reason says something of the
    /// seller's processing.
    Help(HelpReason),
}

/// Counts over the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quality {
    pub delivered: i64,
    pub defective: i64,
    pub wrong_item: i64,
    pub cosmetic: i64,
    /// Deliveries (not units) after the promised window.
    pub late: i64,
}

/// Rates per delivered unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rates {
    pub defective: Decimal,
    pub wrong_item: Decimal,
    pub cosmetic: Decimal,
    pub late: Decimal,
}

impl Rates {
    pub fn all(&self) -> [Decimal; 4] {
        [self.defective, self.wrong_item, self.cosmetic, self.late]
    }
}

impl Event {
    /// The counters it moves, by name, as storage adds them (a help request of another reason
    /// moves none).
    pub fn counters(&self) -> Vec<(&'static str, i64)> {
        match *self {
            Event::Delivered { units, late } => {
                let mut out = vec![("delivered", units)];
                if late {
                    out.push(("late", 1));
                }
                out
            }
            Event::Help(HelpReason::Defective) => vec![("defective", 1)],
            Event::Help(HelpReason::WrongItem | HelpReason::MissingAccessory) => vec![("wrongItem", 1)],
            Event::Help(HelpReason::CosmeticCondition) => vec![("cosmetic", 1)],
            Event::Help(HelpReason::NotDelivered | HelpReason::Other) => Vec::new(),
        }
    }
}

/// What a change of an order from `before` to `after` adds to its sellers' counts: for each
/// part that became delivered, its units, and whether it came after the latest date its quote
/// promised (dates are UTC, as checkout computes them).
pub fn deliveries(before: &Order, after: &Order) -> Vec<(String, Event)> {
    after
        .parts
        .iter()
        .filter(|part| part.status == PartStatus::Delivered)
        .filter(|part| before.part(&part.seller_id).is_some_and(|p| p.status != PartStatus::Delivered))
        .filter_map(|part| {
            let delivered_on = part.delivered_at?.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            let lines: Vec<_> = after.lines_of(&part.seller_id).collect();
            let units = lines.iter().map(|l| i64::from(l.quantity)).sum();
            let promised = lines.iter().map(|l| l.delivery.latest).max()?;
            Some((part.seller_id.clone(), Event::Delivered { units, late: delivered_on > promised }))
        })
        .collect()
}

/// What a help request adds, if anything: only the reasons that say something of the
/// seller's processing count, once per order line and reason (the caller keeps the claim), so
/// a buyer asking again about the same unit does not count twice.
pub fn help(request: &HelpRequest) -> Option<Event> {
    let event = Event::Help(request.reason);
    (!event.counters().is_empty()).then_some(event)
}

impl Quality {
    /// The counts from named counters (missing ones are zero).
    pub fn from_counters(get: impl Fn(&str) -> i64) -> Quality {
        Quality {
            delivered: get("delivered"),
            defective: get("defective"),
            wrong_item: get("wrongItem"),
            cosmetic: get("cosmetic"),
            late: get("late"),
        }
    }

    /// Each rate smoothed towards its prior as if `prior_units` more units had been delivered
    /// at the prior's rate: `(events + prior × prior_units) / (delivered + prior_units)`.
    pub fn smoothed(&self, priors: &Rates, prior_units: i64) -> Rates {
        let units = Decimal::from(prior_units.max(0));
        let delivered = Decimal::from(self.delivered.max(0));
        let rate = |events: i64, prior: Decimal| {
            let total = delivered + units;
            if total.is_zero() { prior } else { (Decimal::from(events.max(0)) + prior * units) / total }
        };
        Rates {
            defective: rate(self.defective, priors.defective),
            wrong_item: rate(self.wrong_item, priors.wrong_item),
            cosmetic: rate(self.cosmetic, priors.cosmetic),
            late: rate(self.late, priors.late),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priors() -> Rates {
        Rates {
            defective: Decimal::new(2, 2),
            wrong_item: Decimal::new(1, 2),
            cosmetic: Decimal::new(1, 2),
            late: Decimal::new(5, 2),
        }
    }

    #[test]
    fn a_seller_without_history_has_the_priors() {
        assert_eq!(Quality::default().smoothed(&priors(), 20), priors());
        assert_eq!(Quality::default().smoothed(&priors(), 0), priors());
    }

    #[test]
    fn evidence_moves_the_rate_from_the_prior_towards_what_happened() {
        let few = Quality { delivered: 2, defective: 2, ..Quality::default() }.smoothed(&priors(), 20);
        let many = Quality { delivered: 200, defective: 200, ..Quality::default() }.smoothed(&priors(), 20);
        assert!(few.defective > priors().defective && few.defective < many.defective);
        assert_eq!(few.defective, (Decimal::from(2) + Decimal::new(40, 2)) / Decimal::from(22));
    }

    #[test]
    fn a_delivery_counts_its_units_and_whether_it_was_late() {
        let paid = crate::order::tests::paid();
        let at = |s: &str| s.parse::<jiff::Timestamp>().expect("time");
        let latest = paid.lines_of("sel_phone").map(|l| l.delivery.latest).max().expect("a line");
        let on_time = latest.to_zoned_datetime(jiff::tz::TimeZone::UTC).expect("zoned").timestamp();
        let deliver = |when| {
            paid.accept("sel_phone", when)
                .and_then(|o| o.ship("sel_phone", "DHL", "1", when))
                .and_then(|o| o.deliver("sel_phone", when))
                .expect("delivered")
        };
        let shipped =
            paid.accept("sel_phone", on_time).and_then(|o| o.ship("sel_phone", "DHL", "1", on_time)).expect("shipped");
        let units = paid.lines_of("sel_phone").map(|l| i64::from(l.quantity)).sum();
        let last_minute = on_time.checked_add(jiff::SignedDuration::from_secs(86_399)).expect("time");
        assert_eq!(
            deliveries(&shipped, &deliver(last_minute)),
            [("sel_phone".to_owned(), Event::Delivered { units, late: false })]
        );
        let next_day = on_time.checked_add(jiff::SignedDuration::from_hours(24)).expect("time");
        assert_eq!(
            deliveries(&shipped, &deliver(next_day)),
            [("sel_phone".to_owned(), Event::Delivered { units, late: true })]
        );
        let delivered = deliver(at("2026-01-10T00:00:00Z"));
        assert_eq!(deliveries(&delivered, &delivered), [], "a delivery counts once");
    }

    #[test]
    fn help_reasons_map_to_the_rates_of_the_published_parameters() {
        assert_eq!(Event::Help(HelpReason::MissingAccessory).counters(), [("wrongItem", 1)]);
        assert_eq!(Event::Help(HelpReason::Other).counters(), []);
        assert_eq!(Event::Delivered { units: 2, late: true }.counters(), [("delivered", 2), ("late", 1)]);
        let counters = [("delivered", 10), ("defective", 1)];
        let q = Quality::from_counters(|name| counters.iter().find(|(n, _)| *n == name).map_or(0, |(_, v)| *v));
        assert_eq!(q, Quality { delivered: 10, defective: 1, ..Quality::default() });
    }
}
