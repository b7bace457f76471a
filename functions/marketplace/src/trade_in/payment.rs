//! The money of a trade-in and the register entry its purchase makes. The refurbisher funds
//! the purchase: once the price is final its available funds are debited for the price and
//! the platform's commission (what they cannot cover becomes owed, recovered from later sales,
//! as with monthly fees), and the price is owed to the customer until the transfer is made.
//! The customer's transfer never waits on the refurbisher's funds.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::condition::Grade;
use super::device::DeviceId;
use super::{Document, TradeIn};
use crate::funds::{SellerFunds, cover};
use crate::ledger::{Account, Cause, Kind, Posting, Transaction, Unbalanced};
use crate::money::Money;

fn cause(id: String, kind: Kind, seller_id: Option<&str>, t: &TradeIn, at: Timestamp) -> Option<Cause> {
    let currency = t.payment.as_ref()?.amount.currency;
    Some(Cause { id, kind, currency, seller_id: seller_id.map(str::to_owned), order_id: None, posted_at: at })
}

/// The purchase, when the price became final: the refurbisher's funds pay the price and the
/// commission, covered by what it has available. `None` before the price is final.
pub fn purchase_transaction(t: &TradeIn, funds: SellerFunds) -> Result<Option<Transaction>, Unbalanced> {
    let (Some(payment), Some(at)) = (&t.payment, t.purchased_at) else { return Ok(None) };
    let Some(cause) = cause(format!("trade_in:{}", t.id), Kind::TradeIn, Some(&t.refurbisher_id), t, at) else {
        return Ok(None);
    };
    let (price, commission) = (payment.amount.amount_minor, payment.commission.amount_minor);
    let charged = price.checked_add(commission).ok_or_else(|| Unbalanced::Overflow(cause.id.clone()))?;
    let transaction = Transaction::new(
        cause,
        vec![
            Posting::debit(Account::SellerAvailable(t.refurbisher_id.clone()), charged),
            Posting::credit(Account::CustomerPayable, price),
            Posting::credit(Account::Commission, commission),
        ],
    )?;
    cover(transaction, funds).map(Some)
}

/// The transfer to the customer, made at `at`: the price leaves the provider's clearing.
pub fn payment_transaction(t: &TradeIn, at: Timestamp) -> Result<Option<Transaction>, Unbalanced> {
    let Some(payment) = &t.payment else { return Ok(None) };
    let Some(cause) = cause(format!("trade_in:{}:payment", t.id), Kind::TradeInPayment, None, t, at) else {
        return Ok(None);
    };
    let price = payment.amount.amount_minor;
    Transaction::new(
        cause,
        vec![Posting::debit(Account::CustomerPayable, price), Posting::credit(Account::ProviderClearing, price)],
    )
    .map(Some)
}

/// How the customer was paid, as the register records it.
pub const PAYMENT_METHOD: &str = "bank_transfer";

/// Who sold the device, as the register records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSeller {
    pub name: String,
    pub birth_date: Date,
    pub document: Document,
}

/// One line of a refurbisher's register of second-hand goods (the French Penal Code's
/// Art. 321-7 and R. 321-3 ff.): the date of purchase, the seller's identity and identity
/// document, a description of the device that tells it apart (its IMEI or serial), the price
/// and how it was paid. Personal data: shown to the refurbisher's members and admins only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntry {
    pub purchased_at: Timestamp,
    pub trade_in_id: String,
    pub seller: RegisterSeller,
    pub product_id: String,
    /// Brand and name, the grade found and the device's identifier.
    pub description: String,
    pub grade: Grade,
    pub device: DeviceId,
    #[serde(with = "crate::money::at_rest")]
    pub price: Money,
    pub payment_method: String,
    /// The transfer's reference, to find it in the bank statement.
    pub payment_reference: String,
}

impl RegisterEntry {
    /// The entry a trade-in's purchase makes; `None` before its price is final.
    pub fn of(t: &TradeIn) -> Option<RegisterEntry> {
        let (identity, payment, purchased_at) = (t.identity.as_ref()?, t.payment.as_ref()?, t.purchased_at?);
        Some(RegisterEntry {
            purchased_at,
            trade_in_id: t.id.clone(),
            seller: RegisterSeller {
                name: identity.name.clone(),
                birth_date: identity.birth_date,
                document: identity.document.clone(),
            },
            product_id: t.product_id.clone(),
            description: format!(
                "{}, {} condition, {} {}",
                t.product_name,
                t.grade.as_str(),
                t.device.label(),
                t.device.value()
            ),
            grade: t.grade,
            device: t.device.clone(),
            price: payment.amount,
            payment_method: PAYMENT_METHOD.into(),
            payment_reference: payment.id.clone(),
        })
    }
}

/// The register as CSV, one row per entry in the order given (the order of purchase).
pub fn register_csv(entries: &[RegisterEntry]) -> String {
    use crate::statement::csv_field as f;
    let mut out = String::from(
        "purchasedAt,tradeInId,sellerName,sellerBirthDate,documentType,documentNumber,productId,description,\
         deviceIdKind,deviceId,price,currency,paymentMethod,paymentReference\n",
    );
    for e in entries {
        let kind = serde_json::to_value(e.seller.document.kind).ok();
        let fields = [
            e.purchased_at.to_string(),
            e.trade_in_id.clone(),
            e.seller.name.clone(),
            e.seller.birth_date.to_string(),
            kind.as_ref().and_then(|k| k.as_str()).unwrap_or_default().to_owned(),
            e.seller.document.number.clone(),
            e.product_id.clone(),
            e.description.clone(),
            match e.device {
                DeviceId::Imei(_) => "imei".to_owned(),
                DeviceId::Serial(_) => "serial".to_owned(),
            },
            e.device.value().to_owned(),
            e.price.amount_string(),
            e.price.currency.code().to_owned(),
            e.payment_method.clone(),
            e.payment_reference.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|v| f(v)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}
