//! A seller's monthly statement (R-SETTLE): every ledger transaction of the seller listed in
//! the month, with opening and closing balances. It is built from the ledger alone, so it
//! reconciles with it to the cent: closing = opening + the sum of the lines.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::funds::SellerFunds;
use crate::ledger::{Kind, SellerAccount, Transaction};
use crate::money::{Currency, Money};

/// One transaction as the seller sees it: the buyers' money it concerns, the commission,
/// and how each of the seller's balances moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementLine {
    pub posted_at: Timestamp,
    pub transaction_id: String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Commission charged (negative: given back).
    pub commission: Money,
    pub pending: Money,
    pub available: Money,
    pub in_transit: Money,
    /// What the seller owes: up when funds could not cover a charge, down when recovered.
    pub owed: Money,
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
}

/// The month's totals by kind of transaction, in the seller's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Sales less their commission, credited pending.
    pub sales: Money,
    pub commission: Money,
    /// The seller's share of refunds (less the commission given back), and of reversals.
    pub refunds: Money,
    pub monthly_fees: Money,
    /// Paid to the seller's bank account (payouts confirmed).
    pub payouts: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
        let (mut sales, mut commission, mut refunds, mut fees, mut payouts) = (0, 0, 0, 0, 0);
        let mut lines = Vec::new();
        for t in transactions.iter().filter(|t| t.currency == currency) {
            closing = closing.after(t);
            let mv = |which| t.seller_movement(which);
            let own_funds = mv(SellerAccount::Pending) + mv(SellerAccount::Available) - mv(SellerAccount::Receivable);
            match t.kind {
                Kind::Sale => sales += own_funds,
                Kind::Refund | Kind::RefundReversal => refunds -= own_funds,
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
                commission: m(t.commission_minor()),
                pending: m(mv(SellerAccount::Pending)),
                available: m(mv(SellerAccount::Available)),
                in_transit: m(mv(SellerAccount::InTransit)),
                owed: m(mv(SellerAccount::Receivable)),
            });
        }
        Statement {
            seller_id: seller_id.to_owned(),
            month: month.to_owned(),
            currency,
            opening: Balances::of(opening, currency),
            closing: Balances::of(closing, currency),
            totals: Totals {
                sales: m(sales),
                commission: m(commission),
                refunds: m(refunds),
                monthly_fees: m(fees),
                payouts: m(payouts),
            },
            lines,
        }
    }

    /// The statement as CSV: a header, one row per transaction, then the opening and closing
    /// balances as rows of their own. Amounts are decimal strings in the statement's currency.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("postedAt,kind,transactionId,orderId,commission,pending,available,inTransit,owed\n");
        let row = |out: &mut String, at: &str, kind: &str, id: &str, order: &str, amounts: [Money; 5]| {
            let amounts: Vec<String> = amounts.iter().map(|a| a.amount_string()).collect();
            out.push_str(&format!("{at},{kind},{},{},{}\n", csv_field(id), csv_field(order), amounts.join(",")));
        };
        let zero = Money::zero(self.currency);
        let balances = |b: &Balances| [zero, b.pending, b.available, b.in_transit, b.owed];
        row(&mut out, "", "opening_balance", "", "", balances(&self.opening));
        for line in &self.lines {
            let at = line.posted_at.to_string();
            let amounts = [line.commission, line.pending, line.available, line.in_transit, line.owed];
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
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Account, Cause, Posting};

    fn transaction(id: &str, kind: Kind, postings: Vec<Posting>) -> Transaction {
        let cause = Cause {
            id: id.into(),
            kind,
            currency: Currency::EUR,
            seller_id: Some("sel_a".into()),
            order_id: Some("ord_1".into()),
            posted_at: "2026-11-02T10:00:00Z".parse().expect("time"),
        };
        Transaction::new(cause, postings).expect("balanced")
    }

    #[test]
    fn a_statement_reconciles_its_lines_with_its_balances() {
        let seller = |f: fn(String) -> Account| f("sel_a".into());
        let sale = transaction(
            "ord_1:sel_a:sale",
            Kind::Sale,
            vec![
                Posting::debit(Account::ProviderClearing, 25_399),
                Posting::credit(seller(Account::SellerPending), 22_859),
                Posting::credit(Account::Commission, 2_540),
            ],
        );
        let release = transaction(
            "ord_1:sel_a:release",
            Kind::Release,
            vec![
                Posting::debit(seller(Account::SellerPending), 22_859),
                Posting::credit(seller(Account::SellerAvailable), 22_859),
            ],
        );
        let fee = transaction(
            "fee:sel_a:2026-11:EUR",
            Kind::MonthlyFee,
            vec![
                Posting::debit(seller(Account::SellerAvailable), 20_000),
                Posting::debit(seller(Account::SellerReceivable), 30_000),
                Posting::credit(Account::Subscriptions, 50_000),
            ],
        );
        let opening = SellerFunds { available: 1_000, ..SellerFunds::default() };
        let statement = Statement::build("sel_a", "2026-11", Currency::EUR, opening, &[sale, release, fee]);
        let eur = |minor| Money::new(minor, Currency::EUR);
        assert_eq!(statement.closing.available, eur(1_000 + 22_859 - 20_000));
        assert_eq!(statement.closing.owed, eur(30_000));
        assert_eq!(statement.closing.pending, eur(0));
        assert_eq!(statement.totals.sales, eur(22_859));
        assert_eq!(statement.totals.commission, eur(2_540));
        assert_eq!(statement.totals.monthly_fees, eur(50_000));
        let csv = statement.to_csv();
        assert_eq!(csv.lines().count(), 1 + 1 + 3 + 1);
        assert!(
            csv.contains("2026-11-02T10:00:00Z,monthly_fee,fee:sel_a:2026-11:EUR,ord_1,0.00,0.00,-200.00,0.00,300.00")
        );
        assert!(csv.ends_with(",closing_balance,,,0.00,0.00,38.59,0.00,300.00\n"));
    }

    #[test]
    fn csv_fields_cannot_break_rows_or_run_formulas() {
        assert_eq!(csv_field("ord_1"), "ord_1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
