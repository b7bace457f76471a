//! A seller's monthly statement (R-SETTLE): every ledger transaction of the seller listed in
//! the month, with opening and closing balances. It is built from the ledger alone, so it
//! reconciles with it to the cent: closing = opening + the sum of the lines.
//!
//! Each line shows the buyers' money it concerns for the seller's part (`gross`: items and
//! shipping, taxes included; never the insurance premium, which is the insurer's), the
//! commission, and `net`, the change in what the platform holds for the seller (pending +
//! available + in transit − owed). For sales, refunds and their reversals net = gross −
//! commission; a monthly fee nets −fee with no gross; a confirmed payout nets −amount (the
//! money left the platform); releases, recoveries, payouts sent and payouts returned only move
//! money between the seller's own balances and net 0; a device bought back by trade-in nets
//! −(price + its commission). So, over a month:
//! `totals.net = grossSales − grossRefunds − commission − monthlyFees − payouts − tradeIns`
//! `= closing held − opening held`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::funds::SellerFunds;
use crate::ledger::{Kind, SellerAccount, Transaction};
use crate::money::{Currency, Money};

/// One transaction as the seller sees it: the buyers' money it concerns, the commission,
/// what it changed in the seller's money held, and how each of the seller's balances moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "StoredLine")]
pub struct StatementLine {
    pub posted_at: Timestamp,
    pub transaction_id: String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// What the buyer paid for the seller's part (items and shipping, taxes included) on a
    /// sale or a refund reversal; what was refunded of it on a refund (negative). Zero on
    /// every other line.
    pub gross: Money,
    /// Commission charged (negative: given back).
    pub commission: Money,
    /// The change in what the platform holds for the seller: pending + available + in transit
    /// − owed. gross − commission on sales, refunds and reversals.
    pub net: Money,
    pub pending: Money,
    pub available: Money,
    pub in_transit: Money,
    /// What the seller owes: up when funds could not cover a charge, down when recovered.
    pub owed: Money,
}

/// A line as stored: statements stored before `gross` and `net` existed lack them, and they
/// are derived again from the line's movements, exactly as [`Statement::build`] derives them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredLine {
    posted_at: Timestamp,
    transaction_id: String,
    kind: Kind,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    gross: Option<Money>,
    commission: Money,
    #[serde(default)]
    net: Option<Money>,
    pending: Money,
    available: Money,
    in_transit: Money,
    owed: Money,
}

impl From<StoredLine> for StatementLine {
    fn from(line: StoredLine) -> Self {
        let currency = line.commission.currency;
        let net = line.net.unwrap_or_else(|| {
            let held = line.pending.amount_minor + line.available.amount_minor + line.in_transit.amount_minor
                - line.owed.amount_minor;
            Money::new(held, currency)
        });
        let gross = line.gross.unwrap_or_else(|| {
            Money::new(gross_minor(line.kind, net.amount_minor, line.commission.amount_minor), currency)
        });
        StatementLine {
            posted_at: line.posted_at,
            transaction_id: line.transaction_id,
            kind: line.kind,
            order_id: line.order_id,
            gross,
            commission: line.commission,
            net,
            pending: line.pending,
            available: line.available,
            in_transit: line.in_transit,
            owed: line.owed,
        }
    }
}

/// The gross of a line from its net and commission: on the lines of an order's part the
/// seller's funds credited (or debited) plus the commission; nothing on the others.
fn gross_minor(kind: Kind, net_minor: i64, commission_minor: i64) -> i64 {
    match kind {
        Kind::Sale | Kind::Refund | Kind::RefundReversal => net_minor + commission_minor,
        _ => 0,
    }
}

/// The prices of the trade-ins among `lines`: what each took from the seller's funds, less
/// its commission.
fn trade_in_prices(lines: &[StatementLine]) -> i64 {
    lines.iter().filter(|l| l.kind == Kind::TradeIn).map(|l| -l.net.amount_minor - l.commission.amount_minor).sum()
}

/// The seller's balances at a moment, as money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balances {
    pub pending: Money,
    pub available: Money,
    pub in_transit: Money,
    pub owed: Money,
}

impl Balances {
    pub fn of(funds: SellerFunds, currency: Currency) -> Balances {
        let m = |minor| Money::new(minor, currency);
        Balances {
            pending: m(funds.pending),
            available: m(funds.available),
            in_transit: m(funds.in_transit),
            owed: m(funds.receivable),
        }
    }

    /// What the platform holds for the seller: pending + available + in transit − owed.
    pub fn held(&self) -> Money {
        let minor = self.pending.amount_minor + self.available.amount_minor + self.in_transit.amount_minor
            - self.owed.amount_minor;
        Money::new(minor, self.pending.currency)
    }
}

/// The month's totals by kind of transaction, in the seller's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// What buyers paid for the seller's parts sold (items and shipping, taxes included).
    pub gross_sales: Money,
    /// Sales less their commission, credited pending.
    pub sales: Money,
    /// Commission charged on sales less commission given back by refunds (net of reversals).
    pub commission: Money,
    /// What was refunded to buyers of the seller's parts, less refunds reversed (positive).
    pub gross_refunds: Money,
    /// The seller's share of refunds (less the commission given back), and of reversals.
    pub refunds: Money,
    pub monthly_fees: Money,
    /// Paid to the seller's bank account (payouts confirmed).
    pub payouts: Money,
    /// The prices of the devices the seller bought back by trade-in (their commission is in
    /// `commission`).
    pub trade_ins: Money,
    /// The change in what the platform holds for the seller over the month: closing held −
    /// opening held = grossSales − grossRefunds − commission − monthlyFees − payouts − tradeIns.
    pub net: Money,
}

/// Totals as stored: statements stored before `grossSales`, `grossRefunds` and `net` existed
/// lack them; they are derived again from the statement's lines and balances.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredTotals {
    #[serde(default)]
    gross_sales: Option<Money>,
    sales: Money,
    commission: Money,
    #[serde(default)]
    gross_refunds: Option<Money>,
    refunds: Money,
    monthly_fees: Money,
    payouts: Money,
    #[serde(default)]
    trade_ins: Option<Money>,
    #[serde(default)]
    net: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "StoredStatement")]
pub struct Statement {
    pub seller_id: String,
    /// `2026-11`.
    pub month: String,
    pub currency: Currency,
    pub opening: Balances,
    pub closing: Balances,
    pub totals: Totals,
    pub lines: Vec<StatementLine>,
}

/// A statement as stored in the blobs when its month closed, perhaps before some totals existed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredStatement {
    seller_id: String,
    month: String,
    currency: Currency,
    opening: Balances,
    closing: Balances,
    totals: StoredTotals,
    lines: Vec<StatementLine>,
}

impl From<StoredStatement> for Statement {
    fn from(stored: StoredStatement) -> Self {
        let m = |minor| Money::new(minor, stored.currency);
        let gross_of = |kinds: &[Kind]| -> i64 {
            stored.lines.iter().filter(|l| kinds.contains(&l.kind)).map(|l| l.gross.amount_minor).sum()
        };
        let t = stored.totals;
        let totals = Totals {
            gross_sales: t.gross_sales.unwrap_or_else(|| m(gross_of(&[Kind::Sale]))),
            sales: t.sales,
            commission: t.commission,
            gross_refunds: t.gross_refunds.unwrap_or_else(|| m(-gross_of(&[Kind::Refund, Kind::RefundReversal]))),
            refunds: t.refunds,
            monthly_fees: t.monthly_fees,
            payouts: t.payouts,
            trade_ins: t.trade_ins.unwrap_or_else(|| m(trade_in_prices(&stored.lines))),
            net: t.net.unwrap_or_else(|| m(stored.closing.held().amount_minor - stored.opening.held().amount_minor)),
        };
        Statement {
            seller_id: stored.seller_id,
            month: stored.month,
            currency: stored.currency,
            opening: stored.opening,
            closing: stored.closing,
            totals,
            lines: stored.lines,
        }
    }
}

impl Statement {
    /// The statement of `transactions` (the seller's, of the month, in posting order) from
    /// the `opening` balances.
    pub fn build(
        seller_id: &str,
        month: &str,
        currency: Currency,
        opening: SellerFunds,
        transactions: &[Transaction],
    ) -> Statement {
        let m = |minor| Money::new(minor, currency);
        let mut closing = opening;
        let (mut gross_sales, mut sales, mut commission, mut gross_refunds, mut refunds) = (0, 0, 0, 0, 0);
        let (mut fees, mut payouts) = (0, 0);
        let mut lines = Vec::new();
        for t in transactions.iter().filter(|t| t.currency == currency) {
            closing = closing.after(t);
            let mv = |which| t.seller_movement(which);
            let own_funds = mv(SellerAccount::Pending) + mv(SellerAccount::Available) - mv(SellerAccount::Receivable);
            let net = own_funds + mv(SellerAccount::InTransit);
            let gross = gross_minor(t.kind, net, t.commission_minor());
            match t.kind {
                Kind::Sale => {
                    gross_sales += gross;
                    sales += own_funds;
                }
                Kind::Refund | Kind::RefundReversal => {
                    gross_refunds -= gross;
                    refunds -= own_funds;
                }
                Kind::MonthlyFee => fees -= own_funds,
                Kind::PayoutPaid => payouts -= mv(SellerAccount::InTransit),
                _ => {}
            }
            commission += t.commission_minor();
            lines.push(StatementLine {
                posted_at: t.posted_at,
                transaction_id: t.id.clone(),
                kind: t.kind,
                order_id: t.order_id.clone(),
                gross: m(gross),
                commission: m(t.commission_minor()),
                net: m(net),
                pending: m(mv(SellerAccount::Pending)),
                available: m(mv(SellerAccount::Available)),
                in_transit: m(mv(SellerAccount::InTransit)),
                owed: m(mv(SellerAccount::Receivable)),
            });
        }
        let (opening, closing) = (Balances::of(opening, currency), Balances::of(closing, currency));
        Statement {
            seller_id: seller_id.to_owned(),
            month: month.to_owned(),
            currency,
            opening,
            closing,
            totals: Totals {
                gross_sales: m(gross_sales),
                sales: m(sales),
                commission: m(commission),
                gross_refunds: m(gross_refunds),
                refunds: m(refunds),
                monthly_fees: m(fees),
                payouts: m(payouts),
                trade_ins: m(trade_in_prices(&lines)),
                net: m(closing.held().amount_minor - opening.held().amount_minor),
            },
            lines,
        }
    }

    /// The statement as CSV: a header, the opening balances as a row of their own, one row
    /// per transaction, then the closing balances. Amounts are decimal strings in the
    /// statement's currency. On every row `net` = pending + available + inTransit − owed (on
    /// the balance rows: what is held), so each column of movements adds up from the opening
    /// row to the closing row.
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("postedAt,kind,transactionId,orderId,gross,commission,net,pending,available,inTransit,owed\n");
        let row = |out: &mut String, at: &str, kind: &str, id: &str, order: &str, amounts: [Money; 7]| {
            let amounts: Vec<String> = amounts.iter().map(|a| a.amount_string()).collect();
            out.push_str(&format!("{at},{kind},{},{},{}\n", csv_field(id), csv_field(order), amounts.join(",")));
        };
        let zero = Money::zero(self.currency);
        let balances = |b: &Balances| [zero, zero, b.held(), b.pending, b.available, b.in_transit, b.owed];
        row(&mut out, "", "opening_balance", "", "", balances(&self.opening));
        for line in &self.lines {
            let at = line.posted_at.to_string();
            let amounts =
                [line.gross, line.commission, line.net, line.pending, line.available, line.in_transit, line.owed];
            row(
                &mut out,
                &at,
                line.kind.as_str(),
                &line.transaction_id,
                line.order_id.as_deref().unwrap_or(""),
                amounts,
            );
        }
        row(&mut out, "", "closing_balance", "", "", balances(&self.closing));
        out
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break, and defused when a
/// spreadsheet would read it as a formula.
pub(crate) fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::funds::{cover, monthly_fee, payout, recovery};
    use crate::ledger::{Account, Cause, Posting};

    const SELLER: &str = "sel_a";

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn transaction(id: &str, kind: Kind, posted_at: &str, postings: Vec<Posting>) -> Transaction {
        let cause = Cause {
            id: id.into(),
            kind,
            currency: Currency::EUR,
            seller_id: Some(SELLER.into()),
            order_id: Some("ord_1".into()),
            posted_at: at(posted_at),
        };
        Transaction::new(cause, postings).expect("balanced")
    }

    fn seller(f: fn(String) -> Account) -> Account {
        f(SELLER.into())
    }

    /// A month of one part's life, with the postings `settlement` and `funds` make: the
    /// worked example's 253.99 phone sold with a 10.00 insurance premium, released, partly
    /// paid out, refunded in full (the funds cover part of it, the rest is owed), charged the
    /// monthly fee, the refund reversed, what is owed recovered.
    fn month() -> (SellerFunds, Vec<Transaction>) {
        let opening = SellerFunds { available: 1_000, ..SellerFunds::default() };
        let mut funds = opening;
        let mut journal = Vec::new();
        let mut post = |t: Transaction, journal: &mut Vec<Transaction>| {
            funds = funds.after(&t);
            journal.push(t);
            funds
        };
        let sale = transaction(
            "ord_1:sel_a:sale",
            Kind::Sale,
            "2026-11-02T10:00:00Z",
            vec![
                Posting::debit(Account::ProviderClearing, 25_399 + 1_000),
                Posting::credit(seller(Account::SellerPending), 22_859),
                Posting::credit(Account::Commission, 2_540),
                Posting::credit(Account::InsurerPayable, 1_000),
            ],
        );
        post(sale, &mut journal);
        let release = transaction(
            "ord_1:sel_a:release",
            Kind::Release,
            "2026-11-12T10:00:00Z",
            vec![
                Posting::debit(seller(Account::SellerPending), 22_859),
                Posting::credit(seller(Account::SellerAvailable), 22_859),
            ],
        );
        post(release, &mut journal);
        let now = at("2026-11-16T03:00:00Z");
        let sent = payout("po_sel_a_2026-11-16_eur", SELLER, Kind::Payout, eur(20_000), now).expect("balanced");
        post(sent, &mut journal);
        let paid = payout("po_sel_a_2026-11-16_eur", SELLER, Kind::PayoutPaid, eur(20_000), now).expect("balanced");
        let funds_now = post(paid, &mut journal);
        // The whole part refunded: goods, then the premium; the seller's 228.59 comes from
        // available funds (38.59) and the rest is owed.
        let refund = transaction(
            "ord_1:sel_a:refund:rf_1",
            Kind::Refund,
            "2026-11-20T10:00:00Z",
            vec![
                Posting::credit(Account::ProviderClearing, 26_399),
                Posting::debit(seller(Account::SellerAvailable), 22_859),
                Posting::debit(Account::Commission, 2_540),
                Posting::debit(Account::InsurerPayable, 1_000),
            ],
        );
        let funds_now = post(cover(refund, funds_now).expect("balanced"), &mut journal);
        let fee = monthly_fee(SELLER, "2026-10", eur(5_000), funds_now, at("2026-11-21T00:05:00Z")).expect("balanced");
        post(fee, &mut journal);
        let reversal = transaction(
            "ord_1:sel_a:refund:rf_1:reversal",
            Kind::RefundReversal,
            "2026-11-22T10:00:00Z",
            vec![
                Posting::debit(Account::ProviderClearing, 26_399),
                Posting::credit(seller(Account::SellerAvailable), 22_859),
                Posting::credit(Account::Commission, 2_540),
                Posting::credit(Account::InsurerPayable, 1_000),
            ],
        );
        let funds_now = post(reversal, &mut journal);
        let recovered = recovery(SELLER, "2026-11-26:1", Currency::EUR, funds_now, at("2026-11-26T03:00:00Z"))
            .expect("balanced")
            .expect("something owed and available");
        post(recovered, &mut journal);
        (opening, journal)
    }

    #[test]
    fn a_statement_shows_gross_commission_and_net_and_reconciles_with_its_balances() {
        let (opening, journal) = month();
        let statement = Statement::build(SELLER, "2026-11", Currency::EUR, opening, &journal);
        let shown: Vec<(&str, i64, i64, i64)> = statement
            .lines
            .iter()
            .map(|l| (l.kind.as_str(), l.gross.amount_minor, l.commission.amount_minor, l.net.amount_minor))
            .collect();
        assert_eq!(
            shown,
            [
                ("sale", 25_399, 2_540, 22_859),
                ("release", 0, 0, 0),
                ("payout", 0, 0, 0),
                ("payout_paid", 0, 0, -20_000),
                ("refund", -25_399, -2_540, -22_859),
                ("monthly_fee", 0, 0, -5_000),
                ("refund_reversal", 25_399, 2_540, 22_859),
                ("recovery", 0, 0, 0),
            ],
            "the premium is the insurer's: never in the seller's gross"
        );
        let refund = &statement.lines[4];
        assert_eq!((refund.available, refund.owed), (eur(-3_859), eur(19_000)), "covered in part, the rest owed");
        assert_eq!(
            statement.closing,
            Balances { pending: eur(0), available: eur(0), in_transit: eur(0), owed: eur(1_141) }
        );
        let t = statement.totals;
        assert_eq!((t.gross_sales, t.sales, t.commission), (eur(25_399), eur(22_859), eur(2_540)));
        assert_eq!((t.gross_refunds, t.refunds), (eur(0), eur(0)), "the refund was reversed");
        assert_eq!((t.monthly_fees, t.payouts), (eur(5_000), eur(20_000)));
        assert_eq!(t.net, eur(-1_141 - 1_000), "closing held − opening held");
        check(&statement).expect("reconciles");

        let csv = statement.to_csv();
        assert_eq!(csv.lines().count(), 1 + 1 + journal.len() + 1);
        assert!(csv.starts_with(
            "postedAt,kind,transactionId,orderId,gross,commission,net,pending,available,inTransit,owed\n\
             ,opening_balance,,,0.00,0.00,10.00,0.00,10.00,0.00,0.00\n\
             2026-11-02T10:00:00Z,sale,ord_1:sel_a:sale,ord_1,253.99,25.40,228.59,228.59,0.00,0.00,0.00\n"
        ));
        assert!(csv.contains(
            "2026-11-20T10:00:00Z,refund,ord_1:sel_a:refund:rf_1,ord_1,-253.99,-25.40,-228.59,0.00,-38.59,0.00,190.00\n"
        ));
        assert!(csv.contains(",monthly_fee,fee:sel_a:2026-10,,0.00,0.00,-50.00,0.00,0.00,0.00,50.00\n"));
        assert!(csv.ends_with(",closing_balance,,,0.00,0.00,-11.41,0.00,0.00,0.00,11.41\n"), "{csv}");
    }

    #[test]
    fn statements_stored_before_gross_and_net_read_as_built() {
        let (opening, journal) = month();
        let statement = Statement::build(SELLER, "2026-11", Currency::EUR, opening, &journal);
        let json = serde_json::to_value(&statement).expect("json");
        assert_eq!(serde_json::from_value::<Statement>(json.clone()).ok(), Some(statement.clone()));
        assert_eq!(stored_before_gross(&json).ok(), Some(statement));
    }

    /// The statement's JSON as it was stored before lines had `gross` and `net`, and totals
    /// `grossSales`, `grossRefunds` and `net`, read back.
    fn stored_before_gross(json: &serde_json::Value) -> serde_json::Result<Statement> {
        let mut old = json.clone();
        if let Some(totals) = old["totals"].as_object_mut() {
            for field in ["grossSales", "grossRefunds", "tradeIns", "net"] {
                totals.remove(field);
            }
        }
        for line in old["lines"].as_array_mut().into_iter().flatten() {
            if let Some(line) = line.as_object_mut() {
                line.remove("gross");
                line.remove("net");
            }
        }
        serde_json::from_value(old)
    }

    /// Every line's gross, commission and net against its transaction's postings, and the
    /// totals against the lines and the balances.
    fn check_against(statement: &Statement, journal: &[Transaction]) -> Result<(), TestCaseError> {
        for line in &statement.lines {
            let t = journal.iter().find(|t| t.id == line.transaction_id).expect("a line is a transaction");
            let natural = |account: &Account| account.natural(t.amount_on(account));
            let movements = line.pending.amount_minor + line.available.amount_minor + line.in_transit.amount_minor
                - line.owed.amount_minor;
            prop_assert_eq!(line.net.amount_minor, movements, "{:?}", line);
            prop_assert_eq!(line.commission.amount_minor, natural(&Account::Commission));
            match line.kind {
                Kind::Sale | Kind::Refund | Kind::RefundReversal => {
                    // What the buyer paid (or got back), less the insurer's premium.
                    let buyers = natural(&Account::ProviderClearing) - natural(&Account::InsurerPayable);
                    prop_assert_eq!(line.gross.amount_minor, buyers, "{:?}", t);
                    prop_assert_eq!(line.net.amount_minor, line.gross.amount_minor - line.commission.amount_minor);
                    let sign = if line.kind == Kind::Refund { -1 } else { 1 };
                    prop_assert!(sign * line.gross.amount_minor >= 0 && sign * line.net.amount_minor >= 0);
                }
                Kind::MonthlyFee => {
                    prop_assert_eq!(line.gross.amount_minor, 0);
                    prop_assert_eq!(line.net.amount_minor, -natural(&Account::Subscriptions));
                }
                Kind::PayoutPaid => {
                    prop_assert_eq!(line.gross.amount_minor, 0);
                    prop_assert_eq!(line.net.amount_minor, natural(&Account::ProviderClearing), "it left the provider");
                }
                Kind::TradeIn => {
                    // The price owed to the customer and the commission, from the seller's funds.
                    prop_assert_eq!(line.gross.amount_minor, 0);
                    prop_assert_eq!(
                        line.net.amount_minor,
                        -natural(&Account::CustomerPayable) - line.commission.amount_minor
                    );
                }
                _ => prop_assert_eq!((line.gross.amount_minor, line.net.amount_minor), (0, 0), "{:?}", line),
            }
        }
        check(statement)
    }

    /// One of a line's balance movements.
    type Column = fn(&StatementLine) -> Money;

    /// What a statement must satisfy on its own: its lines add up to its totals, and its
    /// totals to the change between its balances.
    fn check(statement: &Statement) -> Result<(), TestCaseError> {
        let sum = |keep: &dyn Fn(&StatementLine) -> bool, amount: &dyn Fn(&StatementLine) -> Money| -> i64 {
            statement.lines.iter().filter(|l| keep(l)).map(|l| amount(l).amount_minor).sum()
        };
        let all = |_: &StatementLine| true;
        let sales = |l: &StatementLine| l.kind == Kind::Sale;
        let refunds = |l: &StatementLine| matches!(l.kind, Kind::Refund | Kind::RefundReversal);
        let trade_ins = |l: &StatementLine| l.kind == Kind::TradeIn;
        let t = statement.totals;
        prop_assert_eq!(
            statement.opening.held().amount_minor + t.net.amount_minor,
            statement.closing.held().amount_minor
        );
        prop_assert_eq!(sum(&all, &|l| l.net), t.net.amount_minor, "the lines' nets add up to the month's");
        prop_assert_eq!(sum(&sales, &|l| l.gross), t.gross_sales.amount_minor);
        prop_assert_eq!(-sum(&refunds, &|l| l.gross), t.gross_refunds.amount_minor);
        prop_assert_eq!(sum(&all, &|l| l.gross), t.gross_sales.amount_minor - t.gross_refunds.amount_minor);
        prop_assert_eq!(sum(&all, &|l| l.commission), t.commission.amount_minor);
        prop_assert_eq!(t.sales.amount_minor, t.gross_sales.amount_minor - sum(&sales, &|l| l.commission));
        prop_assert_eq!(t.refunds.amount_minor, t.gross_refunds.amount_minor + sum(&refunds, &|l| l.commission));
        prop_assert_eq!(
            t.net.amount_minor,
            t.gross_sales.amount_minor
                - t.gross_refunds.amount_minor
                - t.commission.amount_minor
                - t.monthly_fees.amount_minor
                - t.payouts.amount_minor
                - t.trade_ins.amount_minor
        );
        prop_assert_eq!(
            t.net.amount_minor,
            t.sales.amount_minor
                - t.refunds.amount_minor
                - t.monthly_fees.amount_minor
                - t.payouts.amount_minor
                - t.trade_ins.amount_minor
                - sum(&trade_ins, &|l| l.commission)
        );
        prop_assert_eq!(-sum(&trade_ins, &|l| l.net) - sum(&trade_ins, &|l| l.commission), t.trade_ins.amount_minor);
        let (o, c) = (statement.opening, statement.closing);
        let columns: [(Column, Money, Money); 4] = [
            (|l| l.pending, o.pending, c.pending),
            (|l| l.available, o.available, c.available),
            (|l| l.in_transit, o.in_transit, c.in_transit),
            (|l| l.owed, o.owed, c.owed),
        ];
        for (column, open, close) in columns {
            prop_assert_eq!(open.amount_minor + sum(&all, &column), close.amount_minor);
        }
        Ok(())
    }

    /// The statements of every month of `seller`'s transactions in `journal` (every account
    /// empty before the first), each checked against the postings, chained month to month,
    /// and read back as stored now and as stored before lines had gross and net. Returns
    /// the last month's closing balances.
    pub(crate) fn statements_reconcile(journal: &[Transaction], seller: &str) -> Result<SellerFunds, TestCaseError> {
        let mut months: BTreeMap<String, Vec<Transaction>> = BTreeMap::new();
        for t in journal.iter().filter(|t| t.seller_id.as_deref() == Some(seller)) {
            months.entry(t.period()).or_default().push(t.clone());
        }
        let mut opening = SellerFunds::default();
        for (month, transactions) in &months {
            let statement = Statement::build(seller, month, Currency::EUR, opening, transactions);
            check_against(&statement, transactions)?;
            let json = serde_json::to_value(&statement).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_value::<Statement>(json.clone()).ok(), Some(statement.clone()));
            prop_assert_eq!(stored_before_gross(&json).ok(), Some(statement.clone()));
            prop_assert_eq!(statement.to_csv().lines().count(), 3 + statement.lines.len());
            let c = statement.closing;
            opening = SellerFunds {
                pending: c.pending.amount_minor,
                available: c.available.amount_minor,
                in_transit: c.in_transit.amount_minor,
                receivable: c.owed.amount_minor,
            };
        }
        Ok(opening)
    }

    #[test]
    fn csv_fields_cannot_break_rows_or_run_formulas() {
        assert_eq!(csv_field("ord_1"), "ord_1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        let mut statement = Statement::build(SELLER, "2026-11", Currency::EUR, SellerFunds::default(), &month().1);
        statement.lines[0].order_id = Some("=cmd|' /C calc'!A0".into());
        let csv = statement.to_csv();
        assert!(csv.contains(",ord_1:sel_a:sale,'=cmd|' /C calc'!A0,253.99,"), "{csv}");
    }
}
