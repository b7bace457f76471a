//! SEPA credit transfers (R-SETTLE): the ISO 20022 files a bank pays payouts from
//! (`pain.001.001.09`, one per debtor account and currency) and the status reports it answers
//! with (`pain.002`). Pure: the caller hands in the payouts, the accounts and `now`.
//!
//! A bank reads these files with the EPC's restricted character set in mind, so every
//! identifier and name written here is brought into it; amounts are exact minor units.

pub mod pain001;
pub mod pain002;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::money::{Currency, Money};
use crate::validation::is_iban;

/// The characters the EPC guidelines let every bank carry (Latin letters, digits and a few
/// signs); anything else may be rejected or mangled on the way.
fn is_sepa_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " /-?:().,'+".contains(c)
}

/// `text` in the SEPA character set: accents dropped (`Müller` → `Muller`), other signs made
/// spaces, runs of spaces collapsed, at most `max` characters.
pub fn sepa_text(text: &str, max: usize) -> String {
    let ascii = deunicode::deunicode(text);
    let cleaned: String = ascii.chars().map(|c| if is_sepa_char(c) { c } else { ' ' }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(max).collect::<String>().trim().to_owned()
}

/// Whether `id` may identify a message, a batch or a transaction: 1 to 35 characters of the
/// SEPA set, no leading or trailing `/` and no `//` (EPC rules for references).
pub fn is_reference(id: &str) -> bool {
    (1..=35).contains(&id.len())
        && id.chars().all(|c| is_sepa_char(c) && c != ' ')
        && !id.starts_with('/')
        && !id.ends_with('/')
        && !id.contains("//")
}

/// The end-to-end id a payout travels under: the bank returns it in its status report and on
/// the creditor's statement. Payout ids are longer than SEPA's 35 characters and use `_`, so
/// the reference is derived from the id, the same one every time.
pub fn end_to_end_id(payout_id: &str) -> String {
    let digest = Sha256::digest(payout_id.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02X}")).collect();
    format!("MP{hex}")
}

/// The marketplace's account at its bank, which every transfer of one currency is paid from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtorAccount {
    pub currency: Currency,
    pub iban: String,
    pub bic: String,
}

/// The marketplace as the debtor: its name and its accounts, one per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub name: String,
    pub accounts: Vec<DebtorAccount>,
}

impl Debtor {
    /// Reads the debtor from configuration: a name and `EUR:<IBAN>:<BIC>,SEK:<IBAN>:<BIC>`.
    pub fn parse(name: &str, accounts: &str) -> Result<Self, String> {
        let name = sepa_text(name, 70);
        if name.is_empty() {
            return Err("the debtor's name is empty".into());
        }
        let mut parsed: Vec<DebtorAccount> = Vec::new();
        for spec in accounts.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let mut parts = spec.split(':');
            let (Some(currency), Some(iban), Some(bic), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("{spec:?} is not <currency>:<IBAN>:<BIC>"));
            };
            let currency: Currency = currency.parse()?;
            let iban: String = iban.chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
            if !is_iban(&iban) {
                return Err(format!("the {currency} account's IBAN is not valid"));
            }
            if !is_bic(bic) {
                return Err(format!("the {currency} account's BIC {bic:?} is not valid"));
            }
            if parsed.iter().any(|a| a.currency == currency) {
                return Err(format!("two {currency} accounts"));
            }
            parsed.push(DebtorAccount { currency, iban, bic: bic.to_owned() });
        }
        if parsed.is_empty() {
            return Err("no debtor account".into());
        }
        Ok(Self { name, accounts: parsed })
    }

    pub fn account(&self, currency: Currency) -> Option<&DebtorAccount> {
        self.accounts.iter().find(|a| a.currency == currency)
    }
}

/// A BIC (ISO 9362): bank, country, location and an optional branch.
pub fn is_bic(bic: &str) -> bool {
    let b = bic.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b[4..6].iter().all(u8::is_ascii_uppercase)
}

/// One credit transfer of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub end_to_end_id: String,
    pub amount: Money,
    pub creditor: String,
    pub iban: String,
    /// What the creditor reads on its statement.
    pub remittance: String,
}

/// Where a credit transfer file is: `open` while payouts are claimed for it, `sealed` once
/// its transfers are fixed, `stored` once the document is in the bucket for the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Open,
    Sealed,
    Stored,
}

/// A credit transfer file: its message id, and once sealed its count and control sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutFile {
    pub id: String,
    pub currency: Currency,
    pub status: FileStatus,
    pub created_at: Timestamp,
    /// Transfers claimed so far: each claim adds one, and the file is sealed on condition
    /// that it still holds the number of entries read, so no claim slips past the seal.
    #[serde(default)]
    pub claims: i64,
    /// When its transfers were fixed: the document's creation and execution date, so writing
    /// it again writes the same document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_at: Option<Timestamp>,
    #[serde(default)]
    pub count: usize,
    #[serde(default)]
    pub control_sum_minor: i64,
}

/// Transfers in one file: a bank takes them in one batch.
pub const MAX_TRANSFERS: i64 = 1000;

/// One transfer of a file, and what it pays: a seller's payout, or a trade-in's price to
/// its customer (`trade_in_id`, `payout_id` then the transfer's id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    pub end_to_end_id: String,
    pub payout_id: String,
    pub seller_id: String,
    pub run: String,
    pub amount_minor: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_in_id: Option<String>,
}

/// The message id of the `n`th file of a day in a currency: `MP-20261206-EUR-1`.
pub fn file_id(now: Timestamp, currency: Currency, n: u32) -> String {
    format!("MP-{}-{}-{n}", now.strftime("%Y%m%d"), currency.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_brought_into_the_sepa_set() {
        assert_eq!(sepa_text("Müller & Söhne GmbH", 70), "Muller Sohne GmbH");
        assert_eq!(sepa_text("Łódź Électronique  S.A.", 70), "Lodz Electronique S.A.");
        assert_eq!(sepa_text("  Ab_c  ", 70), "Ab c");
        assert_eq!(sepa_text("abcdef", 3), "abc");
        assert!(sepa_text("日本 Ltd", 70).chars().all(is_sepa_char));
    }

    #[test]
    fn end_to_end_ids_are_stable_references() {
        let id = end_to_end_id("po_sel_01jfzq4n7w3k8m2v6x9t5r1b0c_2026-12-06_eur");
        assert_eq!(id, end_to_end_id("po_sel_01jfzq4n7w3k8m2v6x9t5r1b0c_2026-12-06_eur"));
        assert_ne!(id, end_to_end_id("po_sel_01jfzq4n7w3k8m2v6x9t5r1b0c_2026-12-16_eur"));
        assert!(is_reference(&id), "{id}");
        assert_eq!(id.len(), 34);
    }

    #[test]
    fn references_follow_the_epc_rules() {
        let now: Timestamp = "2026-12-06T06:00:00Z".parse().expect("time");
        assert_eq!(file_id(now, Currency::SEK, 2), "MP-20261206-SEK-2");
        assert!(is_reference(&file_id(now, Currency::EUR, 1)));
        for bad in ["", "/a", "a/", "a//b", "a_b", "a b", &"x".repeat(36)] {
            assert!(!is_reference(bad), "{bad}");
        }
    }

    #[test]
    fn the_debtor_is_read_from_configuration() {
        let debtor = Debtor::parse("Refurb Market SAS", "EUR:FR76 3000 6000 0112 3456 7890 189:BNPAFRPPXXX")
            .expect("a valid debtor");
        let eur = debtor.account(Currency::EUR).expect("an EUR account");
        assert_eq!(eur.iban, "FR7630006000011234567890189");
        assert_eq!(debtor.account(Currency::SEK), None);
        for bad in [
            "",
            "EUR:FR7630006000011234567890180:BNPAFRPPXXX",
            "EUR:FR7630006000011234567890189:bnpafrpp",
            "EUR:FR7630006000011234567890189",
            "XXX:FR7630006000011234567890189:BNPAFRPPXXX",
            "EUR:FR7630006000011234567890189:BNPAFRPP,EUR:FR7630006000011234567890189:BNPAFRPP",
        ] {
            assert!(Debtor::parse("Refurb Market SAS", bad).is_err(), "{bad}");
        }
        assert!(Debtor::parse("  ", "EUR:FR7630006000011234567890189:BNPAFRPP").is_err());
    }
}
