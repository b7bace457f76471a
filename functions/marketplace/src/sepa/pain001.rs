//! The customer credit transfer initiation, `pain.001.001.09`: one message, one batch (a
//! payment information block) paid from one debtor account, one transaction per payout, with
//! the count and the control sum at both levels, as the EPC's SEPA Credit Transfer guidelines
//! lay it out.

use jiff::Timestamp;
use jiff::civil::Date;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{DebtorAccount, Transfer, is_reference};
use crate::money::{Currency, Money};

pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// A file's content and its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditTransferFile {
    pub xml: String,
    pub count: usize,
    pub control_sum: Money,
}

/// One message of credit transfers from `account`, to be executed on `execution`.
pub struct Batch<'a> {
    pub message_id: &'a str,
    pub created_at: Timestamp,
    pub execution: Date,
    pub debtor_name: &'a str,
    pub account: &'a DebtorAccount,
    pub transfers: &'a [Transfer],
}

/// The message, or why it cannot be written: a file a bank would reject is never produced.
pub fn credit_transfers(batch: &Batch) -> Result<CreditTransferFile, String> {
    let currency = batch.account.currency;
    if batch.transfers.is_empty() {
        return Err("a credit transfer file needs at least one transfer".into());
    }
    if !is_reference(batch.message_id) {
        return Err(format!("{:?} is not a SEPA reference", batch.message_id));
    }
    let mut sum = 0i64;
    for (i, t) in batch.transfers.iter().enumerate() {
        if t.amount.currency != currency || t.amount.amount_minor <= 0 {
            return Err(format!("transfer {i} is not a positive amount in {currency}"));
        }
        if !is_reference(&t.end_to_end_id) || batch.transfers[..i].iter().any(|o| o.end_to_end_id == t.end_to_end_id) {
            return Err(format!("transfer {i} has no unique SEPA end-to-end id"));
        }
        sum = sum.checked_add(t.amount.amount_minor).ok_or("the control sum overflows")?;
    }
    let control_sum = Money::new(sum, currency);
    let count = batch.transfers.len().to_string();
    let mut x = Xml::default();
    x.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    x.open_with("Document", ("xmlns", NAMESPACE));
    x.open("CstmrCdtTrfInitn");
    x.open("GrpHdr");
    x.leaf("MsgId", batch.message_id);
    x.leaf("CreDtTm", &batch.created_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    x.leaf("NbOfTxs", &count);
    x.leaf("CtrlSum", &control_sum.amount_string());
    x.open("InitgPty");
    x.leaf("Nm", batch.debtor_name);
    x.close("InitgPty");
    x.close("GrpHdr");
    x.open("PmtInf");
    x.leaf("PmtInfId", batch.message_id);
    x.leaf("PmtMtd", "TRF");
    x.leaf("BtchBookg", "true");
    x.leaf("NbOfTxs", &count);
    x.leaf("CtrlSum", &control_sum.amount_string());
    // SEPA's scheme carries euros only; other currencies go as the bank's ordinary transfers.
    if currency == Currency::EUR {
        x.open("PmtTpInf");
        x.open("SvcLvl");
        x.leaf("Cd", "SEPA");
        x.close("SvcLvl");
        x.close("PmtTpInf");
    }
    x.open("ReqdExctnDt");
    x.leaf("Dt", &batch.execution.strftime("%Y-%m-%d").to_string());
    x.close("ReqdExctnDt");
    x.open("Dbtr");
    x.leaf("Nm", batch.debtor_name);
    x.close("Dbtr");
    x.account("DbtrAcct", &batch.account.iban);
    x.open("DbtrAgt");
    x.open("FinInstnId");
    x.leaf("BICFI", &batch.account.bic);
    x.close("FinInstnId");
    x.close("DbtrAgt");
    x.leaf("ChrgBr", if currency == Currency::EUR { "SLEV" } else { "SHAR" });
    for t in batch.transfers {
        x.open("CdtTrfTxInf");
        x.open("PmtId");
        x.leaf("EndToEndId", &t.end_to_end_id);
        x.close("PmtId");
        x.open("Amt");
        x.open_with("InstdAmt", ("Ccy", currency.code()));
        x.text(&t.amount.amount_string());
        x.close("InstdAmt");
        x.close("Amt");
        x.open("Cdtr");
        x.leaf("Nm", &t.creditor);
        x.close("Cdtr");
        x.account("CdtrAcct", &t.iban);
        x.open("RmtInf");
        x.leaf("Ustrd", &t.remittance);
        x.close("RmtInf");
        x.close("CdtTrfTxInf");
    }
    x.close("PmtInf");
    x.close("CstmrCdtTrfInitn");
    x.close("Document");
    let xml = String::from_utf8(x.0.into_inner()).expect("the writer was given text only");
    Ok(CreditTransferFile { xml, count: batch.transfers.len(), control_sum })
}

/// An indented document written to memory, element by element.
struct Xml(Writer<Vec<u8>>);

impl Default for Xml {
    fn default() -> Self {
        Self(Writer::new_with_indent(Vec::new(), b' ', 2))
    }
}

impl Xml {
    fn event(&mut self, event: Event<'_>) {
        self.0.write_event(event).expect("writing to memory cannot fail");
    }
    fn open(&mut self, name: &str) {
        self.event(Event::Start(BytesStart::new(name)));
    }
    fn open_with(&mut self, name: &str, attribute: (&str, &str)) {
        self.event(Event::Start(BytesStart::new(name).with_attributes([attribute])));
    }
    fn text(&mut self, text: &str) {
        self.event(Event::Text(BytesText::new(text)));
    }
    fn close(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }
    fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.text(text);
        self.close(name);
    }
    fn account(&mut self, name: &str, iban: &str) {
        self.open(name);
        self.open("Id");
        self.leaf("IBAN", iban);
        self.close("Id");
        self.close(name);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sepa::{Debtor, end_to_end_id};

    pub(crate) fn debtor() -> Debtor {
        Debtor::parse(
            "Refurb Market SAS",
            "EUR:FR7630006000011234567890189:BNPAFRPPXXX,SEK:SE4550000000058398257466:ESSESESS",
        )
        .expect("a valid debtor")
    }

    pub(crate) fn transfer(payout_id: &str, minor: i64, currency: Currency) -> Transfer {
        Transfer {
            end_to_end_id: end_to_end_id(payout_id),
            amount: Money::new(minor, currency),
            creditor: "Lyon Reconditionne".into(),
            iban: "FR1420041010050500013M02606".into(),
            remittance: format!("Payout {payout_id}"),
        }
    }

    fn batch<'a>(debtor: &'a Debtor, transfers: &'a [Transfer], currency: Currency) -> Batch<'a> {
        Batch {
            message_id: "MP-20261206-EUR-1",
            created_at: "2026-12-06T06:00:00Z".parse().expect("time"),
            execution: jiff::civil::date(2026, 12, 7),
            debtor_name: &debtor.name,
            account: debtor.account(currency).expect("an account"),
            transfers,
        }
    }

    #[test]
    fn a_file_carries_every_transfer_with_exact_totals() {
        let debtor = debtor();
        let transfers = [transfer("po_a", 12_345, Currency::EUR), transfer("po_b", 5, Currency::EUR)];
        let file = credit_transfers(&batch(&debtor, &transfers, Currency::EUR)).expect("a file");
        assert_eq!(file.count, 2);
        assert_eq!(file.control_sum, Money::new(12_350, Currency::EUR));
        let xml = &file.xml;
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains(&format!("<Document xmlns=\"{NAMESPACE}\">")));
        assert_eq!(xml.matches("<NbOfTxs>2</NbOfTxs>").count(), 2);
        assert_eq!(xml.matches("<CtrlSum>123.50</CtrlSum>").count(), 2);
        assert!(xml.contains("<InstdAmt Ccy=\"EUR\">123.45</InstdAmt>"));
        assert!(xml.contains("<InstdAmt Ccy=\"EUR\">0.05</InstdAmt>"));
        assert!(xml.contains(&format!("<EndToEndId>{}</EndToEndId>", end_to_end_id("po_a"))));
        assert!(xml.contains("<Cd>SEPA</Cd>") && xml.contains("<ChrgBr>SLEV</ChrgBr>"));
        assert!(xml.contains("<Dt>2026-12-07</Dt>") && xml.contains("<BICFI>BNPAFRPPXXX</BICFI>"));
    }

    #[test]
    fn other_currencies_leave_the_sepa_scheme() {
        let debtor = debtor();
        let transfers = [transfer("po_a", 100_000, Currency::SEK)];
        let file = credit_transfers(&batch(&debtor, &transfers, Currency::SEK)).expect("a file");
        assert!(!file.xml.contains("<Cd>SEPA</Cd>") && file.xml.contains("<ChrgBr>SHAR</ChrgBr>"));
        assert!(file.xml.contains("<InstdAmt Ccy=\"SEK\">1000.00</InstdAmt>"));
    }

    #[test]
    fn text_is_escaped() {
        let debtor = debtor();
        let mut t = transfer("po_a", 100, Currency::EUR);
        t.remittance = "<b>&\"".into();
        let file = credit_transfers(&batch(&debtor, &[t], Currency::EUR)).expect("a file");
        assert!(file.xml.contains("&lt;b&gt;&amp;"), "{}", file.xml);
    }

    #[test]
    fn a_file_a_bank_would_reject_is_refused() {
        let debtor = debtor();
        let eur = |id: &str, minor| transfer(id, minor, Currency::EUR);
        let cases: Vec<(Vec<Transfer>, &str)> = vec![
            (vec![], "MP-1"),
            (vec![eur("po_a", 0)], "MP-1"),
            (vec![eur("po_a", -5)], "MP-1"),
            (vec![transfer("po_a", 100, Currency::SEK)], "MP-1"),
            (vec![eur("po_a", 100), eur("po_a", 200)], "MP-1"),
            (vec![eur("po_a", 100)], "MP_1"),
            (vec![eur("po_a", i64::MAX), eur("po_b", 1)], "MP-1"),
        ];
        for (transfers, id) in cases {
            let batch = Batch { message_id: id, ..batch(&debtor, &transfers, Currency::EUR) };
            assert!(credit_transfers(&batch).is_err(), "{transfers:?} {id}");
        }
    }
}
