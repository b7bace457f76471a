//! Settlement of orders under the payment mandate (R-MANDATE, R-COMMISSION, R-SETTLE): the
//! marketplace's terms, and which ledger transactions an order's current state calls for.
//! What is charged to or paid from a seller's funds outside an order is in `funds`.
//!
//! An order's settlement is driven by its state, not by the events that announce it: each
//! call of [`next_step`] compares the order with what was already posted for it (its
//! [`OrderLedger`]) and answers the one next thing to post. Redelivered, duplicated or
//! out-of-order events therefore post nothing twice, and miss nothing.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ledger::{Account, Cause, Kind, Posting, Transaction, Unbalanced};
use crate::money::{Currency, Money};
use crate::order::{Order, OrderStatus, PartStatus, RefundState};
use crate::seller::Contract;

/// The marketplace's default terms; a seller's contract may set its own commission and fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub commission_rate: Decimal,
    pub monthly_fee: Money,
    /// How long after delivery a seller's proceeds stay pending.
    pub hold: SignedDuration,
    /// Payouts smaller than this wait for the next run.
    pub payout_minimum_minor: i64,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            commission_rate: Decimal::new(10, 2),
            monthly_fee: Money::new(5_000, Currency::EUR),
            hold: SignedDuration::from_hours(7 * 24),
            payout_minimum_minor: 100,
        }
    }
}

/// The terms as configured (`MARKETPLACE_SETTLEMENT`): each field optional, defaults otherwise.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TermsConfig {
    commission_rate: Option<Decimal>,
    monthly_fee: Option<Money>,
    hold_days: Option<u32>,
    payout_minimum: Option<Money>,
}

impl Terms {
    /// Terms from their JSON configuration, e.g.
    /// `{"commissionRate": "0.12", "monthlyFee": {"amount": "39.00", "currency": "EUR"}, "holdDays": 14}`.
    pub fn from_json(json: &str) -> Result<Terms, String> {
        let config: TermsConfig = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let defaults = Terms::default();
        let rate = config.commission_rate.unwrap_or(defaults.commission_rate);
        if rate < Decimal::ZERO || rate > Decimal::ONE {
            return Err("commissionRate must be between 0 and 1".into());
        }
        let monthly_fee = config.monthly_fee.unwrap_or(defaults.monthly_fee);
        let minimum = config.payout_minimum.map_or(defaults.payout_minimum_minor, |m| m.amount_minor);
        if monthly_fee.amount_minor < 0 || minimum < 0 {
            return Err("amounts must not be negative".into());
        }
        Ok(Terms {
            commission_rate: rate,
            monthly_fee,
            hold: config.hold_days.map_or(defaults.hold, |d| SignedDuration::from_hours(24 * i64::from(d))),
            payout_minimum_minor: minimum,
        })
    }

    pub fn commission_rate(&self, contract: &Contract) -> Decimal {
        contract.commission_rate.unwrap_or(self.commission_rate)
    }

    pub fn monthly_fee(&self, contract: &Contract) -> Money {
        contract.monthly_fee.unwrap_or(self.monthly_fee)
    }
}

/// Commission on a transaction amount: `rate × amount`, rounded half away from zero, once.
pub fn commission(rate: Decimal, amount_minor: i64) -> i64 {
    round_minor(rate * Decimal::from(amount_minor))
}

/// The one rounding rule, on an amount already in minor units.
fn round_minor(value: Decimal) -> i64 {
    let rounded = value.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(rounded).unwrap_or(if value.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// What was posted for one refund, so a refused refund can be undone exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostedRefund {
    pub id: String,
    pub goods_minor: i64,
    pub insurance_minor: i64,
    pub commission_minor: i64,
    #[serde(default)]
    pub reversed: bool,
}

impl PostedRefund {
    /// The seller's share: the goods refunded less the commission given back.
    pub fn seller_minor(&self) -> i64 {
        self.goods_minor - self.commission_minor
    }
}

/// What was posted for one seller's part of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartLedger {
    pub seller_id: String,
    /// Items and shipping, taxes included: the amount commission is charged on.
    pub goods_minor: i64,
    pub insurance_minor: i64,
    pub commission_minor: i64,
    #[serde(default)]
    pub refunds: Vec<PostedRefund>,
    /// When the proceeds become available (delivery plus the hold period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_due: Option<Timestamp>,
    #[serde(default)]
    pub released: bool,
}

impl PartLedger {
    fn live_refunds(&self) -> impl Iterator<Item = &PostedRefund> {
        self.refunds.iter().filter(|r| !r.reversed)
    }

    pub fn goods_refunded_minor(&self) -> i64 {
        self.live_refunds().map(|r| r.goods_minor).sum()
    }

    pub fn commission_returned_minor(&self) -> i64 {
        self.live_refunds().map(|r| r.commission_minor).sum()
    }

    /// The seller's proceeds of this part still held pending (all of them until release).
    pub fn pending_minor(&self) -> i64 {
        if self.released {
            return 0;
        }
        self.goods_minor - self.commission_minor - self.live_refunds().map(PostedRefund::seller_minor).sum::<i64>()
    }

    /// The split of a new refund of `amount_minor`: goods first (the insurance stays in force
    /// while any goods are kept), and the commission given back so that the commission
    /// returned so far is `round(commission × goods refunded / goods)`; a full refund so
    /// returns all of it.
    pub fn split_refund(&self, id: &str, amount_minor: i64) -> PostedRefund {
        let goods_left = self.goods_minor - self.goods_refunded_minor();
        let goods = amount_minor.min(goods_left).max(0);
        let insurance = amount_minor - goods;
        let refunded_after = self.goods_refunded_minor() + goods;
        let target = if self.goods_minor == 0 {
            0
        } else {
            round_minor(
                Decimal::from(self.commission_minor) * Decimal::from(refunded_after) / Decimal::from(self.goods_minor),
            )
        };
        let commission = (target - self.commission_returned_minor()).clamp(0, goods);
        PostedRefund {
            id: id.to_owned(),
            goods_minor: goods,
            insurance_minor: insurance,
            commission_minor: commission,
            reversed: false,
        }
    }
}

/// What was posted for an order: the settlement record, written with every posting for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLedger {
    pub order_id: String,
    pub currency: Currency,
    #[serde(default)]
    pub service_fee_posted: bool,
    #[serde(default)]
    pub parts: Vec<PartLedger>,
    /// Bumped by every write: each is conditional on the version it read.
    #[serde(default)]
    pub version: i64,
}

impl OrderLedger {
    pub fn new(order: &Order) -> OrderLedger {
        OrderLedger {
            order_id: order.id.clone(),
            currency: order.currency,
            service_fee_posted: false,
            parts: Vec::new(),
            version: 0,
        }
    }

    pub fn part(&self, seller_id: &str) -> Option<&PartLedger> {
        self.parts.iter().find(|p| p.seller_id == seller_id)
    }

    fn part_mut(&mut self, seller_id: &str) -> &mut PartLedger {
        self.parts.iter_mut().find(|p| p.seller_id == seller_id).expect("a part is recorded before it changes")
    }

    fn next(&self) -> OrderLedger {
        OrderLedger { version: self.version + 1, ..self.clone() }
    }
}

/// The next thing an order's settlement needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Post `transaction` and write `ledger` in the same atomic write. When `charge` is set,
    /// the transaction debits the seller's available funds, and the part they cannot cover
    /// must go to its receivable first (see [`cover`]).
    Post { transaction: Transaction, ledger: OrderLedger, charge: bool },
    /// Write `ledger`, which now knows when `seller_id`'s proceeds are due for release.
    ScheduleRelease { seller_id: String, due: Timestamp, ledger: OrderLedger },
}

/// Where an order's settlement stands after the step, and the step. `rate_of` gives each
/// seller's commission rate. `None`: everything the order's state calls for is posted.
pub fn next_step(
    order: &Order,
    ledger: &OrderLedger,
    rate_of: &dyn Fn(&str) -> Decimal,
    hold: SignedDuration,
    now: Timestamp,
) -> Result<Option<Step>, Unbalanced> {
    // Nothing was collected for an order that was never paid.
    if order.status != OrderStatus::Paid {
        return Ok(None);
    }
    let currency = order.currency;
    let cause = |id: String, kind: Kind, seller_id: Option<&str>| Cause {
        id,
        kind,
        currency,
        seller_id: seller_id.map(str::to_owned),
        order_id: Some(order.id.clone()),
        posted_at: now,
    };
    if !ledger.service_fee_posted {
        let fee = order.totals.service_fee.amount_minor;
        let transaction = Transaction::new(
            cause(format!("{}:service_fee", order.id), Kind::ServiceFee, None),
            vec![Posting::debit(Account::ProviderClearing, fee), Posting::credit(Account::ServiceFees, fee)],
        )?;
        let mut after = ledger.next();
        after.service_fee_posted = true;
        return Ok(Some(Step::Post { transaction, ledger: after, charge: false }));
    }
    for part in &order.parts {
        let seller = part.seller_id.as_str();
        let Some(posted) = ledger.part(seller) else {
            let lines: Vec<_> = order.lines_of(seller).collect();
            let goods: i64 = lines.iter().map(|l| l.items_amount().amount_minor + l.shipping_fee.amount_minor).sum();
            let insurance: i64 = lines.iter().map(|l| l.insurance_premium.amount_minor).sum();
            let commission = commission(rate_of(seller), goods);
            let transaction = Transaction::new(
                cause(format!("{}:{seller}:sale", order.id), Kind::Sale, Some(seller)),
                vec![
                    Posting::debit(Account::ProviderClearing, goods + insurance),
                    Posting::credit(Account::SellerPending(seller.to_owned()), goods - commission),
                    Posting::credit(Account::Commission, commission),
                    Posting::credit(Account::InsurerPayable, insurance),
                ],
            )?;
            let mut after = ledger.next();
            after.parts.push(PartLedger {
                seller_id: seller.to_owned(),
                goods_minor: goods,
                insurance_minor: insurance,
                commission_minor: commission,
                refunds: Vec::new(),
                release_due: None,
                released: false,
            });
            return Ok(Some(Step::Post { transaction, ledger: after, charge: false }));
        };
        // The seller's funds of this part are pending until released, available after.
        let funds = if posted.released {
            Account::SellerAvailable(seller.to_owned())
        } else {
            Account::SellerPending(seller.to_owned())
        };
        for refund in &part.refunds {
            let earlier = posted.refunds.iter().find(|r| r.id == refund.id);
            match (refund.state, earlier) {
                (RefundState::Pending | RefundState::Sent, None) => {
                    let split = posted.split_refund(&refund.id, refund.amount_minor);
                    let transaction = Transaction::new(
                        cause(format!("{}:{seller}:refund:{}", order.id, refund.id), Kind::Refund, Some(seller)),
                        vec![
                            Posting::credit(Account::ProviderClearing, refund.amount_minor),
                            Posting::debit(funds.clone(), split.seller_minor()),
                            Posting::debit(Account::Commission, split.commission_minor),
                            Posting::debit(Account::InsurerPayable, split.insurance_minor),
                        ],
                    )?;
                    let mut after = ledger.next();
                    after.part_mut(seller).refunds.push(split);
                    return Ok(Some(Step::Post { transaction, ledger: after, charge: posted.released }));
                }
                (RefundState::Refused, Some(earlier)) if !earlier.reversed => {
                    let transaction = Transaction::new(
                        cause(
                            format!("{}:{seller}:refund:{}:reversal", order.id, refund.id),
                            Kind::RefundReversal,
                            Some(seller),
                        ),
                        vec![
                            Posting::debit(Account::ProviderClearing, earlier.goods_minor + earlier.insurance_minor),
                            Posting::credit(funds.clone(), earlier.seller_minor()),
                            Posting::credit(Account::Commission, earlier.commission_minor),
                            Posting::credit(Account::InsurerPayable, earlier.insurance_minor),
                        ],
                    )?;
                    let mut after = ledger.next();
                    if let Some(r) = after.part_mut(seller).refunds.iter_mut().find(|r| r.id == refund.id) {
                        r.reversed = true;
                    }
                    return Ok(Some(Step::Post { transaction, ledger: after, charge: false }));
                }
                _ => {}
            }
        }
        if part.status != PartStatus::Delivered || posted.released {
            continue;
        }
        let Some(delivered_at) = part.delivered_at else { continue };
        let due = delivered_at.saturating_add(hold).unwrap_or(Timestamp::MAX);
        if now < due {
            if posted.release_due != Some(due) {
                let mut after = ledger.next();
                after.part_mut(seller).release_due = Some(due);
                return Ok(Some(Step::ScheduleRelease { seller_id: seller.to_owned(), due, ledger: after }));
            }
            continue;
        }
        let amount = posted.pending_minor();
        let transaction = Transaction::new(
            cause(format!("{}:{seller}:release", order.id), Kind::Release, Some(seller)),
            vec![
                Posting::debit(Account::SellerPending(seller.to_owned()), amount),
                Posting::credit(Account::SellerAvailable(seller.to_owned()), amount),
            ],
        )?;
        let mut after = ledger.next();
        let released = after.part_mut(seller);
        released.released = true;
        released.release_due = Some(due);
        return Ok(Some(Step::Post { transaction, ledger: after, charge: false }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::checkout::{Cart, CartLine, Pricing, SellerFacts, price};
    use crate::funds::*;
    use crate::ledger::SellerAccount;
    use crate::offer::PaymentMethod;
    use crate::seller::SellerStatus;

    const PHONE: &str = "sel_phone";
    const TABLET: &str = "sel_tablet";

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    /// The worked example's order: a 249.00 phone with 4.99 shipping and an 89.00 tablet
    /// shipped free, from two sellers; `insured` adds the tablet's insurance.
    fn order(insured: bool, now: Timestamp) -> Order {
        numbered_order(1, insured, now)
    }

    /// The same order, the `n`-th of the buyer's (its own id).
    fn numbered_order(n: usize, insured: bool, now: Timestamp) -> Order {
        let facts = || SellerFacts { status: SellerStatus::Active, country: "FR".into() };
        let offers = [
            Some((crate::checkout::tests::offer("phone", 24_900, 499, 3), facts())),
            Some((crate::checkout::tests::offer("tablet", 8_900, 0, 3), facts())),
        ];
        let cart = Cart {
            lines: vec![
                CartLine { offer_id: "phone".into(), quantity: 1, insurance: false },
                CartLine { offer_id: "tablet".into(), quantity: 1, insurance: insured },
            ],
            payment_method: PaymentMethod::Card,
            shipping_country: "FR".into(),
        };
        let quote =
            price(&Pricing::default(), format!("qt_{n}"), "buyer".into(), &cart, &offers, now).expect("a quote");
        let placed = Order::place(&quote, now);
        placed.pay(&format!("pi_{n}"), placed.totals.total, now).expect("paid")
    }

    /// An in-memory ledger: balances per account and the ids posted, refusing a second post.
    #[derive(Default)]
    struct Book {
        balances: BTreeMap<Account, i64>,
        posted: BTreeSet<String>,
        journal: Vec<Transaction>,
    }

    impl Book {
        fn post(&mut self, transaction: Transaction) -> bool {
            assert_eq!(transaction.postings.iter().map(|p| p.amount_minor).sum::<i64>(), 0, "{transaction:?}");
            if !self.posted.insert(transaction.id.clone()) {
                return false;
            }
            for p in &transaction.postings {
                *self.balances.entry(p.account.clone()).or_default() += p.amount_minor;
            }
            self.journal.push(transaction);
            true
        }

        fn natural(&self, account: &Account) -> i64 {
            account.natural(self.balances.get(account).copied().unwrap_or(0))
        }

        fn funds(&self, seller: &str) -> SellerFunds {
            let mut funds = SellerFunds::default();
            for which in SellerAccount::ALL {
                funds.set(which, self.natural(&which.of(seller)));
            }
            funds
        }

        /// Posts every step the order calls for; returns how many were posted.
        fn settle(&mut self, order: &Order, ledger: &mut OrderLedger, rate: Decimal, now: Timestamp) -> usize {
            let mut posted = 0;
            while let Some(step) = next_step(order, ledger, &|_| rate, Terms::default().hold, now).expect("balanced") {
                match step {
                    Step::Post { transaction, ledger: after, charge } => {
                        let seller = transaction.seller_id.clone().unwrap_or_default();
                        let transaction = if charge {
                            cover(transaction, self.funds(&seller)).expect("balanced")
                        } else {
                            transaction
                        };
                        assert!(self.post(transaction), "a step never repeats a posted transaction");
                        *ledger = after;
                        posted += 1;
                    }
                    Step::ScheduleRelease { ledger: after, .. } => *ledger = after,
                }
            }
            posted
        }
    }

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    #[test]
    fn terms_come_from_configuration() {
        let terms = Terms::from_json(r#"{"commissionRate": "0.12", "holdDays": 14}"#).expect("terms");
        assert_eq!(terms.commission_rate, Decimal::new(12, 2));
        assert_eq!(terms.hold, SignedDuration::from_hours(14 * 24));
        assert_eq!(terms.monthly_fee, eur(5_000), "a default");
        assert_eq!(Terms::from_json("{}"), Ok(Terms::default()));
        assert!(Terms::from_json(r#"{"commissionRate": "1.5"}"#).is_err());
        assert!(Terms::from_json(r#"{"holdDay": 3}"#).is_err(), "a misspelt field is refused");
        let custom = Contract { commission_rate: Some(Decimal::new(8, 2)), monthly_fee: Some(eur(0)) };
        assert_eq!(terms.commission_rate(&custom), Decimal::new(8, 2));
        assert_eq!(terms.monthly_fee(&custom), eur(0));
    }

    #[test]
    fn commission_rounds_half_away_from_zero_once() {
        let ten = Decimal::new(10, 2);
        assert_eq!(commission(ten, 25_399), 2_540, "25.399 → 25.40");
        assert_eq!(commission(ten, 8_900), 890);
        assert_eq!(commission(ten, 25_395), 2_540, "25.395 → 25.40: half away from zero");
        assert_eq!(commission(ten, 25_394), 2_539);
        assert_eq!(commission(ten, 5), 1, "0.5 minor units round up");
        assert_eq!(commission(ten, 4), 0);
        assert_eq!(commission(Decimal::new(125, 3), 100), 13, "12.5 → 13");
    }

    /// The worked example of `docs/ledger.md`, step by step.
    #[test]
    fn worked_example() {
        let paid_at = at("2026-11-02T10:00:00Z");
        let order = order(false, paid_at);
        assert_eq!(order.totals.service_fee, eur(399), "items total 338.00");
        assert_eq!(order.totals.total, eur(24_900 + 499 + 8_900 + 399));
        let rate = Terms::default().commission_rate;
        let mut book = Book::default();
        let mut ledger = OrderLedger::new(&order);
        assert_eq!(book.settle(&order, &mut ledger, rate, paid_at), 3, "service fee and two sales");
        assert_eq!(book.natural(&Account::Commission), 2_540 + 890);
        assert_eq!(book.natural(&Account::ServiceFees), 399);
        assert_eq!(book.natural(&Account::ProviderClearing), order.totals.total.amount_minor);
        assert_eq!(book.funds(PHONE), SellerFunds { pending: 22_859, ..SellerFunds::default() });
        assert_eq!(book.funds(TABLET), SellerFunds { pending: 8_010, ..SellerFunds::default() });
        assert_eq!(book.settle(&order, &mut ledger, rate, paid_at), 0, "settling again posts nothing");

        // Both parts delivered on the 5th; proceeds stay pending for the 7-day hold.
        let delivered_at = at("2026-11-05T09:00:00Z");
        let mut delivered = order.clone();
        for seller in [PHONE, TABLET] {
            delivered = delivered
                .accept(seller, delivered_at)
                .and_then(|o| o.ship(seller, "Colissimo", "6A1", delivered_at))
                .and_then(|o| o.deliver(seller, delivered_at))
                .expect("delivered");
        }
        assert_eq!(book.settle(&delivered, &mut ledger, rate, delivered_at), 0);
        assert_eq!(ledger.part(PHONE).and_then(|p| p.release_due), Some(at("2026-11-12T09:00:00Z")));
        assert_eq!(book.settle(&delivered, &mut ledger, rate, at("2026-11-12T08:59:59Z")), 0, "still held");
        assert_eq!(book.settle(&delivered, &mut ledger, rate, at("2026-11-12T09:00:00Z")), 2, "two releases");
        assert_eq!(book.funds(PHONE), SellerFunds { available: 22_859, ..SellerFunds::default() });
        assert_eq!(book.funds(TABLET), SellerFunds { available: 8_010, ..SellerFunds::default() });

        // The November fee, charged on 1 December.
        let first = at("2026-12-01T00:05:00Z");
        let (month, _, _) = previous_month(first);
        assert_eq!(month, "2026-11");
        for seller in [PHONE, TABLET] {
            let fee = monthly_fee(seller, &month, eur(5_000), book.funds(seller), first).expect("balanced");
            assert!(book.post(fee.clone()));
            assert!(!book.post(fee), "a month's fee is charged once");
        }
        assert_eq!(book.funds(PHONE).available, 17_859);
        assert_eq!(book.funds(TABLET).available, 3_010);

        // The payout run of 6 December pays all that is available.
        let run_at = at("2026-12-06T03:00:00Z");
        for seller in [PHONE, TABLET] {
            let amount = eur(book.funds(seller).available);
            let id = payout_id(seller, "2026-12-06", Currency::EUR);
            assert!(book.post(payout(&id, seller, Kind::Payout, amount, run_at).expect("balanced")));
            assert!(book.post(payout(&id, seller, Kind::PayoutPaid, amount, run_at).expect("balanced")));
        }
        assert_eq!(book.funds(PHONE), SellerFunds::default());
        assert_eq!(book.funds(TABLET), SellerFunds::default());
        assert_eq!(book.natural(&Account::ProviderClearing), 399 + 2_540 + 890 + 10_000, "revenue stays");
        assert_eq!(book.natural(&Account::Subscriptions), 10_000);
        assert_eq!(book.balances.values().sum::<i64>(), 0);
    }

    #[test]
    fn refunds_return_commission_in_proportion_and_all_of_it_when_full() {
        let now = at("2026-11-02T10:00:00Z");
        let rate = Terms::default().commission_rate;
        let order = order(true, now);
        let mut book = Book::default();
        let mut ledger = OrderLedger::new(&order);
        book.settle(&order, &mut ledger, rate, now);
        // 100.00 of the phone's 253.99: 10.00 of commission back (25.40 × 100/253.99 = 10.0004).
        let partly = order.refund(PHONE, "rf_1", eur(10_000), now).expect("refund");
        book.settle(&partly, &mut ledger, rate, now);
        assert_eq!(book.natural(&Account::Commission), 2_540 - 1_000 + 890);
        assert_eq!(book.funds(PHONE).pending, 22_859 - 9_000);
        // The rest returns the rest of the commission, to the cent.
        let fully = partly.refund(PHONE, "rf_2", eur(15_399), now).expect("refund");
        book.settle(&fully, &mut ledger, rate, now);
        assert_eq!(book.natural(&Account::Commission), 890);
        assert_eq!(book.funds(PHONE).pending, 0);
        // Cancelling the insured tablet refunds goods and premium; the premium leaves the insurer.
        let premium = fully.lines_of(TABLET).map(|l| l.insurance_premium.amount_minor).sum::<i64>();
        assert!(premium > 0);
        assert_eq!(book.natural(&Account::InsurerPayable), premium);
        let (cancelled, _) = fully.cancel_part(TABLET, "rf_c", now).expect("cancelled");
        book.settle(&cancelled, &mut ledger, rate, now);
        assert_eq!(book.natural(&Account::Commission), 0);
        assert_eq!(book.natural(&Account::InsurerPayable), 0);
        assert_eq!(book.natural(&Account::ProviderClearing), order.totals.service_fee.amount_minor);
        // A refused refund is undone by a reversal; the original stays in the journal.
        let refused = cancelled.settle_refund(PHONE, "rf_2", false).expect("refused");
        book.settle(&refused, &mut ledger, rate, now);
        assert_eq!(book.journal.last().map(|t| t.kind), Some(Kind::RefundReversal));
        assert_eq!(book.natural(&Account::Commission), 2_540 - 1_000);
        assert_eq!(book.balances.values().sum::<i64>(), 0);
    }

    #[test]
    fn a_refund_after_release_comes_from_available_funds_then_from_what_is_owed() {
        let now = at("2026-11-02T10:00:00Z");
        let rate = Terms::default().commission_rate;
        let mut order = order(false, now);
        let mut book = Book::default();
        let mut ledger = OrderLedger::new(&order);
        order = order
            .accept(TABLET, now)
            .and_then(|o| o.ship(TABLET, "DHL", "1", now))
            .and_then(|o| o.deliver(TABLET, now))
            .expect("delivered");
        let later = at("2026-11-20T00:00:00Z");
        book.settle(&order, &mut ledger, rate, later);
        assert_eq!(book.funds(TABLET).available, 8_010);
        // Paid out, then the buyer is refunded in full: the seller owes the proceeds.
        let id = payout_id(TABLET, "2026-11-26", Currency::EUR);
        book.post(payout(&id, TABLET, Kind::Payout, eur(8_010), later).expect("balanced"));
        let refunded = order.refund(TABLET, "rf_1", eur(8_900), later).expect("refund");
        book.settle(&refunded, &mut ledger, rate, later);
        assert_eq!(book.funds(TABLET), SellerFunds { in_transit: 8_010, receivable: 8_010, ..SellerFunds::default() });
        assert_eq!(book.natural(&Account::Commission), 2_540, "the tablet's commission came back");
        // Later funds pay what is owed first.
        let funds = SellerFunds { available: 5_000, ..book.funds(TABLET) };
        let recovered = recovery(TABLET, "2026-12-06", Currency::EUR, funds, later).expect("balanced");
        assert_eq!(recovered.map(|t| t.seller_movement(SellerAccount::Receivable)), Some(-5_000));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Accept(usize),
        Deliver(usize),
        Refund(usize, i64),
        Cancel(usize),
        Answer(usize, bool),
        Advance(i64),
        Settle,
        MonthEnd,
        Payout(bool),
        /// A refurbisher buys a device back at a price.
        TradeIn(usize, i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..2usize).prop_map(Op::Accept),
            (0..2usize).prop_map(Op::Deliver),
            (0..2usize, 1..20_000i64).prop_map(|(p, a)| Op::Refund(p, a)),
            (0..2usize).prop_map(Op::Cancel),
            (0..2usize, any::<bool>()).prop_map(|(p, s)| Op::Answer(p, s)),
            (1..20i64).prop_map(Op::Advance),
            Just(Op::Settle),
            Just(Op::MonthEnd),
            any::<bool>().prop_map(Op::Payout),
            (0..2usize, 100..40_000i64).prop_map(|(p, price)| Op::TradeIn(p, price)),
        ]
    }

    proptest! {
        /// Random lives of one to three orders of the same two sellers, settled at random
        /// moments (each settlement is an event delivered late, early or again), with month
        /// ends and payouts in between.
        #[test]
        fn the_ledger_balances_and_never_pays_a_seller_more_than_it_earned(
            ops in proptest::collection::vec((0..3usize, op()), 1..60),
            order_count in 1..=3usize,
            rate_pct in 0u32..=30,
            insured in any::<bool>(),
        ) {
            let rate = Decimal::new(i64::from(rate_pct), 2);
            let mut now = at("2026-11-02T10:00:00Z");
            let mut orders: Vec<(Order, OrderLedger)> = (1..=order_count)
                .map(|n| {
                    let order = numbered_order(n, insured, now);
                    let ledger = OrderLedger::new(&order);
                    (order, ledger)
                })
                .collect();
            let sellers = [PHONE, TABLET];
            let mut book = Book::default();
            let mut fees: BTreeMap<&str, i64> = BTreeMap::new();
            let mut paid_out: BTreeMap<&str, i64> = BTreeMap::new();
            let mut refund_no = 0;
            // Devices bought back: what each refurbisher was charged, and the transfers due.
            let mut traded: BTreeMap<&str, i64> = BTreeMap::new();
            let mut unpaid: Vec<crate::trade_in::TradeIn> = Vec::new();
            for (which, op) in ops {
                let (order, ledger) = &mut orders[which % order_count];
                match op {
                    Op::Accept(p) => { if let Ok(o) = order.accept(sellers[p], now) { *order = o } }
                    Op::Deliver(p) => {
                        if let Ok(o) = order.ship(sellers[p], "DHL", "1", now).and_then(|o| o.deliver(sellers[p], now)) { *order = o }
                    }
                    Op::Refund(p, amount) => {
                        refund_no += 1;
                        if let Ok(o) = order.refund(sellers[p], &format!("rf_{refund_no}"), eur(amount), now) { *order = o }
                    }
                    Op::Cancel(p) => {
                        if let Ok((o, _)) = order.cancel_part(sellers[p], &format!("rf_cancel_{p}"), now) { *order = o }
                    }
                    Op::Answer(p, sent) => {
                        let pending = order.part(sellers[p]).and_then(|part| part.refunds.iter().find(|r| r.state == RefundState::Pending)).map(|r| r.id.clone());
                        if let Some(id) = pending { *order = order.settle_refund(sellers[p], &id, sent).expect("pending") }
                    }
                    Op::Advance(days) => now = now.saturating_add(SignedDuration::from_hours(24 * days)).expect("in range"),
                    Op::Settle => { book.settle(order, ledger, rate, now); }
                    Op::MonthEnd => {
                        let (month, _, _) = previous_month(now);
                        for seller in sellers {
                            let fee = monthly_fee(seller, &month, eur(5_000), book.funds(seller), now).expect("balanced");
                            if book.post(fee) { *fees.entry(seller).or_default() += 5_000 }
                        }
                    }
                    Op::TradeIn(p, price) => {
                        use crate::trade_in::payment::purchase_transaction;
                        let t = crate::trade_in::tests::bought_by(sellers[p], &format!("ti_{}", book.journal.len()), price, now);
                        let purchase = |book: &Book| purchase_transaction(&t, book.funds(sellers[p])).expect("balanced").expect("final");
                        prop_assert!(book.post(purchase(&book)));
                        prop_assert!(!book.post(purchase(&book)), "a purchase posts once");
                        let charged = t.payment.as_ref().map(|p| p.amount.amount_minor + p.commission.amount_minor);
                        *traded.entry(sellers[p]).or_default() += charged.expect("final");
                        unpaid.push(t);
                    }
                    Op::Payout(succeeds) => {
                        // The customers' transfers never wait on the refurbishers' funds.
                        for t in unpaid.drain(..) {
                            let paid = crate::trade_in::payment::payment_transaction(&t, now).expect("balanced").expect("final");
                            prop_assert!(book.post(paid.clone()));
                            prop_assert!(!book.post(paid), "a transfer posts once");
                        }
                        for seller in sellers {
                            let run = now.strftime("%Y-%m-%d").to_string();
                            // Numbered as the payout run numbers them: a second run the same day
                            // recovers under the next number.
                            for n in 0.. {
                                let occasion = format!("{run}:{n}");
                                let Some(r) = recovery(seller, &occasion, Currency::EUR, book.funds(seller), now).expect("balanced") else { break };
                                book.post(r);
                            }
                            let amount = book.funds(seller).available;
                            if amount <= 0 { continue }
                            let id = payout_id(seller, &run, Currency::EUR);
                            if !book.post(payout(&id, seller, Kind::Payout, eur(amount), now).expect("balanced")) { continue }
                            let stage = if succeeds { Kind::PayoutPaid } else { Kind::PayoutReturned };
                            book.post(payout(&id, seller, stage, eur(amount), now).expect("balanced"));
                            if succeeds { *paid_out.entry(seller).or_default() += amount }
                        }
                    }
                }
                prop_assert_eq!(book.balances.values().sum::<i64>(), 0, "the accounts always sum to zero");
                let owed_to_customers: i64 = unpaid.iter().filter_map(|t| t.final_price).map(|p| p.amount_minor).sum();
                prop_assert_eq!(book.natural(&Account::CustomerPayable), owed_to_customers);
                for seller in sellers {
                    let funds = book.funds(seller);
                    prop_assert!(funds.pending >= 0 && funds.available >= 0 && funds.in_transit >= 0 && funds.receivable >= 0, "{funds:?}");
                }
            }
            // Everything the orders' final states call for, posted once more and again.
            let end = now.saturating_add(SignedDuration::from_hours(24 * 30)).expect("in range");
            for (order, ledger) in &mut orders {
                book.settle(order, ledger, rate, end);
                prop_assert_eq!(book.settle(order, ledger, rate, end), 0, "settled twice posts nothing");
            }
            for seller in sellers {
                let (mut earned, mut sold_net) = (0, 0);
                for (order, ledger) in &orders {
                    let part = order.part(seller).expect("a part");
                    let goods: i64 = order.lines_of(seller).map(|l| l.items_amount().amount_minor + l.shipping_fee.amount_minor).sum();
                    let posted = ledger.part(seller).expect("posted");
                    let refunded_goods = posted.goods_refunded_minor();
                    // Commission charged on the sale is rate × goods, returned in proportion
                    // and wholly by a full refund.
                    prop_assert_eq!(posted.commission_minor, commission(rate, goods));
                    let commission_kept = posted.commission_minor - posted.commission_returned_minor();
                    if refunded_goods == goods { prop_assert_eq!(commission_kept, 0) }
                    let counted: i64 = part.refunds.iter().filter(|r| r.state != RefundState::Refused).map(|r| r.amount_minor).sum();
                    prop_assert_eq!(counted, part.refunded_minor);
                    let posted_refunds: i64 = posted.refunds.iter().filter(|r| !r.reversed).map(|r| r.goods_minor + r.insurance_minor).sum();
                    prop_assert_eq!(posted_refunds, part.refunded_minor, "the ledger refunded what the order did");
                    earned += goods - refunded_goods - commission_kept;
                    sold_net += goods - posted.commission_minor;
                }
                // What the seller ever receives: its goods less refunds, commission and fees.
                let funds = book.funds(seller);
                let fee = fees.get(seller).copied().unwrap_or(0);
                let paid = paid_out.get(seller).copied().unwrap_or(0);
                let bought = traded.get(seller).copied().unwrap_or(0);
                prop_assert_eq!(
                    funds.pending + funds.available + funds.in_transit - funds.receivable + paid,
                    earned - fee - bought
                );
                // Paid out, less what it owes back (a refund after the payout, a device bought
                // back), never exceeds what it earned; paid out alone never exceeds its sales
                // less commission.
                prop_assert!(paid - funds.receivable <= earned - fee - bought);
                prop_assert!(paid <= sold_net);
            }
            // Each month's statement of each seller adds up, line by line, to its totals and to
            // its balances, and the last one closes on the seller's balances.
            for seller in sellers {
                let closing = crate::statement::tests::statements_reconcile(&book.journal, seller)?;
                prop_assert_eq!(closing, book.funds(seller));
            }
        }
    }
}
