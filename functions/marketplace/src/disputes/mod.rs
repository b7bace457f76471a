//! Disputes (R-DISPUTE): the amicable route with the platform first, then the consumer
//! mediator (the ADR entity of Directive 2013/11, Art. 13), then the courts. The EU online
//! dispute-resolution platform closed on 20 July 2025 and is never named.
//!
//! A buyer opens a case about one line of an order once a help request on it went unanswered
//! for `help_unanswered_business_days` (or was answered without agreement), or directly for a
//! delivered, refunded or cancelled line; one case per line at a time. Buyer, seller and admin
//! exchange messages; the seller answers within `seller_answer_business_days` of the market's
//! calendar or is flagged overdue. An admin resolves it (a refund never above what was paid for
//! the line, a replacement, or no action); a buyer who does not accept the outcome, or whose
//! case is not resolved within `resolution_business_days`, escalates it to the mediator.

pub mod legal;
pub mod timeline;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::help::{HelpRequest, HelpStatus};
use crate::money::Money;
use crate::order::{Order, PartStatus};
use crate::reviews::calendar::Calendar;
use crate::validation::{Violations, text};

/// The longest message, in characters.
pub const MESSAGE_MAX: usize = 2000;
/// Messages one case holds (a case is one item; items have a size limit).
pub const MESSAGES_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    Open,
    /// An admin decided; the buyer may still escalate.
    Resolved,
    /// Closed by the buyer's escalation to the consumer mediator.
    Escalated,
    /// Closed: the buyer withdrew it.
    Closed,
}

impl DisputeStatus {
    pub const ALL: [DisputeStatus; 4] = [Self::Open, Self::Resolved, Self::Escalated, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Escalated => "escalated",
            Self::Closed => "closed",
        }
    }

    /// Whether the case still holds its line (no second case may be opened on it).
    pub fn holds_the_line(self) -> bool {
        matches!(self, Self::Open | Self::Resolved)
    }
}

/// Who acts on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Buyer,
    Seller,
    Admin,
}

/// What a party may do to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Message,
    Resolve,
    Escalate,
    Withdraw,
    Export,
}

/// Who may do what in which state. The seller sees its own cases but not the case file (it
/// holds what the mediator needs of the buyer); only the buyer escalates or withdraws; only an
/// admin resolves.
pub fn may(party: Party, action: Action, status: DisputeStatus) -> bool {
    use Action::*;
    use DisputeStatus::*;
    match (action, party) {
        (Read, _) => true,
        (Export, Party::Buyer | Party::Admin) => true,
        (Export, Party::Seller) => false,
        (Message, _) => matches!(status, Open | Resolved),
        (Resolve, Party::Admin) => status == Open,
        (Escalate, Party::Buyer) => matches!(status, Open | Resolved),
        (Withdraw, Party::Buyer) => matches!(status, Open | Resolved),
        (Resolve | Escalate | Withdraw, _) => false,
    }
}

/// What the buyer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesiredOutcome {
    Refund,
    PartialRefund,
    Replacement,
    Repair,
    Other,
}

impl DesiredOutcome {
    pub const ALL: [DesiredOutcome; 5] =
        [Self::Refund, Self::PartialRefund, Self::Replacement, Self::Repair, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::PartialRefund => "partial_refund",
            Self::Replacement => "replacement",
            Self::Repair => "repair",
            Self::Other => "other",
        }
    }
}

/// What an admin decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Refund,
    PartialRefund,
    Replacement,
    NoAction,
}

impl OutcomeKind {
    pub const ALL: [OutcomeKind; 4] = [Self::Refund, Self::PartialRefund, Self::Replacement, Self::NoAction];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::PartialRefund => "partial_refund",
            Self::Replacement => "replacement",
            Self::NoAction => "no_action",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub author: Party,
    pub text: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// The refund, for the refund outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::money::at_rest::option")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    pub explanation: String,
    pub decided_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dispute {
    pub id: String,
    pub order_id: String,
    pub offer_id: String,
    pub seller_id: String,
    pub buyer: String,
    /// The order's shipping country: its calendar counts the time limits, its mediator hears
    /// the case.
    pub market: String,
    pub status: DisputeStatus,
    pub subject: String,
    pub desired_outcome: DesiredOutcome,
    pub messages: Vec<Message>,
    pub opened_at: Timestamp,
    /// The seller's answer is due by then.
    pub answer_by: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_answered_at: Option<Timestamp>,
    /// Unresolved by then, the buyer may escalate.
    pub resolve_by: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    pub version: i64,
}

/// The time limits, in business days of the order's market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisputeTerms {
    pub help_unanswered_business_days: u32,
    pub seller_answer_business_days: u32,
    pub resolution_business_days: u32,
}

impl Default for DisputeTerms {
    fn default() -> Self {
        DisputeTerms { help_unanswered_business_days: 3, seller_answer_business_days: 5, resolution_business_days: 20 }
    }
}

impl DisputeTerms {
    pub fn from_json(json: &str) -> Result<DisputeTerms, String> {
        let terms: DisputeTerms = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let days =
            [terms.help_unanswered_business_days, terms.seller_answer_business_days, terms.resolution_business_days];
        if days.iter().any(|d| !(1..=90).contains(d)) {
            return Err("every time limit is 1 to 90 business days".into());
        }
        Ok(terms)
    }
}

/// `n` business days after `at` on `calendar`, at the same local time (from a day off, the end
/// of the first business day counts as the first).
pub fn business_days_after(calendar: &Calendar, at: Timestamp, n: u32) -> Timestamp {
    (0..n).fold(at, |t, _| calendar.publish_by(t))
}

/// A case as the buyer submits it: enumerations as text, so a bad one is a named 422.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDispute {
    pub offer_id: String,
    pub subject: String,
    pub message: String,
    pub desired_outcome: String,
}

/// Whether the line may be disputed now, and if not why.
pub fn eligible(
    order: &Order,
    offer_id: &str,
    help: &[HelpRequest],
    calendar: &Calendar,
    terms: &DisputeTerms,
    now: Timestamp,
) -> Result<(), Error> {
    let Some(line) = order.lines.iter().find(|l| l.offer_id == offer_id) else {
        let mut v = Violations::new();
        v.add("offerId", "is not in this order");
        return Err(v.into());
    };
    let part = order.part(&line.seller_id);
    let settled =
        part.is_some_and(|p| matches!(p.status, PartStatus::Delivered | PartStatus::Cancelled) || p.refunded_minor > 0);
    if settled && order.paid_at.is_some() {
        return Ok(());
    }
    let about_line: Vec<&HelpRequest> = help.iter().filter(|h| h.offer_id == offer_id).collect();
    let answered = about_line.iter().any(|h| h.status != HelpStatus::Open);
    let ignored = about_line.iter().any(|h| {
        h.status == HelpStatus::Open
            && business_days_after(calendar, h.created_at, terms.help_unanswered_business_days) <= now
    });
    if answered || ignored {
        return Ok(());
    }
    Err(Error::conflict(
        "not_disputable_yet",
        format!(
            "ask the seller for help first: a case opens once a help request on this line is answered, or \
             unanswered for {} business days, or once the line is delivered, refunded or cancelled",
            terms.help_unanswered_business_days
        ),
    ))
}

impl NewDispute {
    /// The case this submission opens, if the line may be disputed.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        self,
        id: String,
        order: &Order,
        help: &[HelpRequest],
        calendar: &Calendar,
        terms: &DisputeTerms,
        now: Timestamp,
    ) -> Result<Dispute, Error> {
        let mut v = Violations::new();
        let subject = text(&mut v, "subject", &self.subject, 200);
        let message = text(&mut v, "message", &self.message, MESSAGE_MAX);
        let desired = DesiredOutcome::ALL.into_iter().find(|d| d.as_str() == self.desired_outcome);
        if desired.is_none() {
            let names: Vec<&str> = DesiredOutcome::ALL.iter().map(|d| d.as_str()).collect();
            v.add("desiredOutcome", format!("must be one of {}", names.join(", ")));
        }
        if !order.lines.iter().any(|l| l.offer_id == self.offer_id) {
            v.add("offerId", "is not in this order");
        }
        v.finish(|| ())?;
        eligible(order, &self.offer_id, help, calendar, terms, now)?;
        let line = order.lines.iter().find(|l| l.offer_id == self.offer_id).expect("checked above");
        Ok(Dispute {
            id,
            order_id: order.id.clone(),
            offer_id: line.offer_id.clone(),
            seller_id: line.seller_id.clone(),
            buyer: order.buyer.clone(),
            market: order.shipping_country.clone(),
            status: DisputeStatus::Open,
            subject,
            desired_outcome: desired.expect("checked above"),
            messages: vec![Message { author: Party::Buyer, text: message, at: now }],
            opened_at: now,
            answer_by: business_days_after(calendar, now, terms.seller_answer_business_days),
            seller_answered_at: None,
            resolve_by: business_days_after(calendar, now, terms.resolution_business_days),
            outcome: None,
            closed_at: None,
            version: 1,
        })
    }
}

/// What an admin submits to resolve a case.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resolution {
    pub outcome: String,
    #[serde(default)]
    pub amount: Option<crate::money::MoneyInput>,
    pub explanation: String,
}

impl Dispute {
    fn next(&self) -> Dispute {
        Dispute { version: self.version + 1, ..self.clone() }
    }

    fn refuse(&self, party: Party, action: Action) -> Result<(), Error> {
        if may(party, action, self.status) {
            Ok(())
        } else {
            Err(Error::conflict(
                "invalid_transition",
                format!("a case that is {} does not take this", self.status.as_str()),
            ))
        }
    }

    /// Whether the seller's answer is overdue: no message from it by `answer_by`.
    pub fn seller_overdue(&self, now: Timestamp) -> bool {
        self.status == DisputeStatus::Open && self.seller_answered_at.is_none() && now > self.answer_by
    }

    /// `party` adds a message (plain text, bounded).
    pub fn post(&self, party: Party, message: &str, now: Timestamp) -> Result<Dispute, Error> {
        self.refuse(party, Action::Message)?;
        let mut v = Violations::new();
        let message = text(&mut v, "message", message, MESSAGE_MAX);
        v.finish(|| ())?;
        if self.messages.len() >= MESSAGES_MAX {
            return Err(Error::conflict("too_many_messages", format!("a case holds at most {MESSAGES_MAX} messages")));
        }
        let mut after = self.next();
        after.messages.push(Message { author: party, text: message, at: now });
        if party == Party::Seller && after.seller_answered_at.is_none() {
            after.seller_answered_at = Some(now);
        }
        Ok(after)
    }

    /// An admin resolves the case. A refund is at most `refundable` (what the buyer paid for
    /// the line, less what was refunded on its part); the whole of it for `refund`.
    pub fn resolve(
        &self,
        resolution: Resolution,
        refundable: Money,
        refund_id: String,
        now: Timestamp,
    ) -> Result<Dispute, Error> {
        self.refuse(Party::Admin, Action::Resolve)?;
        let mut v = Violations::new();
        let kind = OutcomeKind::ALL.into_iter().find(|k| k.as_str() == resolution.outcome);
        if kind.is_none() {
            let names: Vec<&str> = OutcomeKind::ALL.iter().map(|k| k.as_str()).collect();
            v.add("outcome", format!("must be one of {}", names.join(", ")));
        }
        let explanation = text(&mut v, "explanation", &resolution.explanation, MESSAGE_MAX);
        let amount = match (kind, &resolution.amount) {
            (Some(OutcomeKind::PartialRefund), None) => {
                v.add("amount", "a partial refund names its amount");
                None
            }
            (Some(OutcomeKind::PartialRefund), Some(input)) => {
                let currency = v.parse("amount.currency", input.currency.parse::<crate::Currency>());
                currency.and_then(|c| v.parse("amount.amount", Money::parse(&input.amount, c)))
            }
            (Some(OutcomeKind::Refund), None) => Some(refundable),
            (Some(_), Some(_)) => {
                v.add("amount", "only a partial refund names an amount");
                None
            }
            _ => None,
        };
        v.finish(|| ())?;
        let kind = kind.expect("an unknown outcome was recorded");
        if let Some(amount) = amount {
            let mut v = Violations::new();
            v.check(amount.currency == refundable.currency, "amount.currency", "must be the order's currency");
            v.check(amount.amount_minor > 0, "amount.amount", "must be positive");
            v.finish(|| ())?;
            if amount.amount_minor > refundable.amount_minor {
                return Err(Error::conflict(
                    "refund_exceeds_payment",
                    format!("at most {refundable} is left to refund on this line"),
                ));
            }
        }
        let mut after = self.next();
        after.status = DisputeStatus::Resolved;
        after.outcome =
            Some(Outcome { kind, amount, refund_id: amount.map(|_| refund_id), explanation, decided_at: now });
        Ok(after)
    }

    /// The buyer takes the case to the consumer mediator: after a resolution it does not
    /// accept, or when the case is still open past `resolve_by`.
    pub fn escalate(&self, now: Timestamp) -> Result<Dispute, Error> {
        self.refuse(Party::Buyer, Action::Escalate)?;
        if self.status == DisputeStatus::Open && now < self.resolve_by {
            return Err(Error::conflict(
                "not_escalable_yet",
                format!(
                    "the platform has until {} to resolve the case; escalate after that or once it is resolved",
                    self.resolve_by
                ),
            ));
        }
        let mut after = self.next();
        after.status = DisputeStatus::Escalated;
        after.closed_at = Some(now);
        Ok(after)
    }

    /// The buyer withdraws the case (settled between the parties, or accepted).
    pub fn withdraw(&self, now: Timestamp) -> Result<Dispute, Error> {
        self.refuse(Party::Buyer, Action::Withdraw)?;
        let mut after = self.next();
        after.status = DisputeStatus::Closed;
        after.closed_at = Some(now);
        Ok(after)
    }
}

/// What is left to refund on a line: what the buyer paid for it (goods, shipping and
/// insurance), at most what is left on its seller's part.
pub fn refundable(order: &Order, offer_id: &str) -> Money {
    let Some(line) = order.lines.iter().find(|l| l.offer_id == offer_id) else {
        return Money::new(0, order.currency);
    };
    let line_paid =
        line.items_amount().amount_minor + line.shipping_fee.amount_minor + line.insurance_premium.amount_minor;
    let part_left =
        order.part(&line.seller_id).map_or(0, |p| order.part_amount(&p.seller_id).amount_minor - p.refunded_minor);
    Money::new(line_paid.min(part_left).max(0), order.currency)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::help::{HelpReason, HelpStatus};
    use crate::order::tests::{delivered, paid};
    use crate::reviews::calendar::Calendars;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a time")
    }

    fn fr() -> Calendar {
        Calendars::default().for_country("FR").clone()
    }

    fn new(offer: &str) -> NewDispute {
        NewDispute {
            offer_id: offer.into(),
            subject: "The phone does not charge".into(),
            message: "It stopped charging after two days.".into(),
            desired_outcome: "refund".into(),
        }
    }

    fn help(order: &Order, status: HelpStatus, created: Timestamp) -> HelpRequest {
        HelpRequest {
            id: "help_1".into(),
            order_id: order.id.clone(),
            offer_id: "phone".into(),
            seller_id: "sel_phone".into(),
            buyer: order.buyer.clone(),
            reason: HelpReason::Defective,
            message: "Broken".into(),
            status,
            answer: None,
            created_at: created,
            answered_at: None,
        }
    }

    fn open_case() -> Dispute {
        let order = delivered(at("2026-11-02T10:00:00Z"));
        new("phone")
            .open("dsp_1".into(), &order, &[], &fr(), &DisputeTerms::default(), at("2026-11-03T10:00:00Z"))
            .expect("opens")
    }

    #[test]
    fn a_case_opens_after_delivery_or_an_ignored_help_request_on_the_market_s_calendar() {
        let terms = DisputeTerms::default();
        let order = paid();
        // Not delivered, no help asked: not yet.
        let early = new("phone").open("dsp_1".into(), &order, &[], &fr(), &terms, at("2026-11-03T10:00:00Z"));
        assert!(matches!(early, Err(Error::Conflict { code: "not_disputable_yet", .. })), "{early:?}");
        // Help asked Friday 2026-11-06 10:00 in France; Wednesday 11 November is a holiday:
        // three business days end Thursday 12th 10:00.
        let asked = help(&order, HelpStatus::Open, at("2026-11-06T09:00:00Z"));
        let before = new("phone").open(
            "dsp_1".into(),
            &order,
            std::slice::from_ref(&asked),
            &fr(),
            &terms,
            at("2026-11-12T08:59:59Z"),
        );
        assert!(before.is_err(), "{before:?}");
        let after = new("phone").open(
            "dsp_1".into(),
            &order,
            std::slice::from_ref(&asked),
            &fr(),
            &terms,
            at("2026-11-12T09:00:00Z"),
        );
        assert!(after.is_ok(), "{after:?}");
        // Answered (without agreement: the buyer opens the case): at once.
        let answered = help(&order, HelpStatus::Answered, at("2026-11-06T09:00:00Z"));
        assert!(
            new("phone").open("dsp_1".into(), &order, &[answered], &fr(), &terms, at("2026-11-06T10:00:00Z")).is_ok()
        );
        // Bad input is named, whatever the state.
        let mut bad = new("nope");
        bad.desired_outcome = "money".into();
        bad.subject = " ".into();
        match bad.open("dsp_1".into(), &order, &[], &fr(), &terms, at("2026-11-06T10:00:00Z")) {
            Err(Error::Invalid(v)) => {
                let fields: Vec<&str> = v.errors().iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["subject", "desiredOutcome", "offerId"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_seller_s_answer_and_the_resolution_are_due_in_business_days() {
        let case = open_case();
        // Opened Tuesday 3 November 10:00 UTC (11:00 in Paris); five business days, skipping
        // the weekend: Tuesday 10th. Twenty skip Armistice Day (Wednesday 11th) too.
        assert_eq!(case.answer_by, at("2026-11-10T10:00:00Z"));
        assert!(!case.seller_overdue(at("2026-11-10T10:00:00Z")));
        assert!(case.seller_overdue(at("2026-11-10T10:00:01Z")));
        assert_eq!(case.resolve_by, at("2026-12-02T10:00:00Z"));
        let answered = case
            .post(Party::Seller, "Please send it back, we will replace it.", at("2026-11-13T08:00:00Z"))
            .expect("posted");
        assert!(!answered.seller_overdue(at("2026-11-20T00:00:00Z")), "late, but answered");
        assert_eq!(answered.seller_answered_at, Some(at("2026-11-13T08:00:00Z")));
        assert!(case.resolve_by > case.answer_by);
    }

    #[test]
    fn who_may_do_what_in_which_state() {
        use Action::*;
        for status in DisputeStatus::ALL {
            let live = status.holds_the_line();
            for party in [Party::Buyer, Party::Seller, Party::Admin] {
                assert!(may(party, Read, status));
                assert_eq!(may(party, Message, status), live, "{party:?} {status:?}");
                assert_eq!(may(party, Resolve, status), party == Party::Admin && status == DisputeStatus::Open);
                assert_eq!(may(party, Escalate, status), party == Party::Buyer && live);
                assert_eq!(may(party, Withdraw, status), party == Party::Buyer && live);
                assert_eq!(may(party, Export, status), party != Party::Seller, "the seller gets no case file");
            }
        }
        let case = open_case();
        let escalated_early = case.escalate(at("2026-11-04T00:00:00Z"));
        assert!(matches!(escalated_early, Err(Error::Conflict { code: "not_escalable_yet", .. })));
        let late = case.escalate(case.resolve_by).expect("unresolved in time");
        assert_eq!(late.status, DisputeStatus::Escalated);
        assert!(late.post(Party::Buyer, "hello", case.resolve_by).is_err(), "a closed case takes no message");
        let resolution =
            Resolution { outcome: "no_action".into(), amount: None, explanation: "Working as described.".into() };
        let resolved = case
            .resolve(resolution.clone(), Money::new(100, crate::Currency::EUR), "rf".into(), at("2026-11-05T00:00:00Z"))
            .expect("resolved");
        assert!(
            resolved
                .resolve(resolution, Money::new(100, crate::Currency::EUR), "rf".into(), at("2026-11-05T00:00:00Z"))
                .is_err()
        );
        assert_eq!(
            resolved.escalate(at("2026-11-05T00:00:01Z")).expect("not accepted").status,
            DisputeStatus::Escalated
        );
        assert_eq!(resolved.withdraw(at("2026-11-05T00:00:01Z")).expect("accepted").status, DisputeStatus::Closed);
    }

    fn resolution(kind: &str, amount: Option<i64>) -> Resolution {
        Resolution {
            outcome: kind.into(),
            amount: amount.map(|a| crate::money::MoneyInput {
                amount: format!("{}.{:02}", a / 100, a % 100),
                currency: "EUR".into(),
            }),
            explanation: "Defect confirmed by the photos.".into(),
        }
    }

    proptest! {
        #[test]
        fn a_refund_through_a_dispute_never_exceeds_what_was_paid_for_the_line(
            refunded_before in 0i64..30_000,
            asked in 1i64..60_000,
            full in any::<bool>(),
        ) {
            let mut order = delivered(at("2026-11-02T10:00:00Z"));
            let paid_for_line = order.lines[0].items_amount().amount_minor + order.lines[0].shipping_fee.amount_minor + order.lines[0].insurance_premium.amount_minor;
            let before = refunded_before.min(order.part_amount("sel_phone").amount_minor);
            order.parts[0].refunded_minor = before;
            let left = refundable(&order, "phone");
            prop_assert!(left.amount_minor <= paid_for_line);
            prop_assert!(left.amount_minor <= order.part_amount("sel_phone").amount_minor - before);
            let case = open_case();
            let decided = if full { case.resolve(resolution("refund", None), left, "rf".into(), at("2026-11-05T00:00:00Z")) }
                          else { case.resolve(resolution("partial_refund", Some(asked)), left, "rf".into(), at("2026-11-05T00:00:00Z")) };
            match decided {
                Ok(resolved) => {
                    let amount = resolved.outcome.and_then(|o| o.amount).map_or(0, |a| a.amount_minor);
                    prop_assert!(amount <= left.amount_minor && amount <= paid_for_line);
                    if full { prop_assert_eq!(amount, left.amount_minor); }
                }
                Err(_) => prop_assert!(!full && asked > left.amount_minor || left.amount_minor == 0),
            }
        }
    }

    #[test]
    fn an_amount_goes_with_a_partial_refund_only() {
        let case = open_case();
        let left = Money::new(25_399, crate::Currency::EUR);
        let now = at("2026-11-05T00:00:00Z");
        assert!(case.resolve(resolution("partial_refund", None), left, "rf".into(), now).is_err());
        assert!(case.resolve(resolution("replacement", Some(100)), left, "rf".into(), now).is_err());
        assert!(case.resolve(resolution("bitcoin", None), left, "rf".into(), now).is_err());
        let partial =
            case.resolve(resolution("partial_refund", Some(5_000)), left, "rf_1".into(), now).expect("resolved");
        let outcome = partial.outcome.expect("an outcome");
        assert_eq!(
            (outcome.amount, outcome.refund_id.as_deref()),
            (Some(Money::new(5_000, crate::Currency::EUR)), Some("rf_1"))
        );
        let replaced = case.resolve(resolution("replacement", None), left, "rf_1".into(), now).expect("resolved");
        assert_eq!(replaced.outcome.and_then(|o| o.refund_id), None, "no money moves");
    }
}
