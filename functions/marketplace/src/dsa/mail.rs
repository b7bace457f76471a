//! The words of the DSA's mails: a statement of reasons to the seller it concerns (Art. 17,
//! with the means of redress), and the notice to the buyers of a product removed as illegal
//! (Art. 32: the illegality, the trader's identity, the means of redress). The source document
//! still names the EU online dispute-resolution platform; it closed in July 2025 and is never
//! mentioned.

use super::statement::Statement;
use crate::catalog::Product;
use crate::seller::Seller;

/// The redress options open against a decision (Art. 17(3)(f), Art. 20 and 21).
pub const SELLER_REDRESS: &str = "You can contest this decision:\n\
- free of charge, within six months, through the platform's internal complaint-handling system \
(Art. 20 DSA): reply to this message or write to the users' contact point, quoting the reference \
above; a person, not an automated system, decides on your complaint;\n\
- before an out-of-court dispute settlement body certified under Art. 21 DSA;\n\
- before the competent court.";

/// The subject and body of the mail that sends `statement` to its seller.
pub fn statement_mail(statement: &Statement) -> (String, String) {
    let what = if statement.decision_account.is_some() { "your seller account" } else { "one of your offers" };
    let ground = statement
        .illegal_content_legal_ground
        .as_deref()
        .or(statement.incompatible_content_ground.as_deref())
        .unwrap_or_default();
    let legal = if statement.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT" {
        "The decision rests on the law"
    } else {
        "The decision rests on the marketplace's terms"
    };
    let subject = format!("Statement of reasons: a decision about {what} ({})", statement.puid);
    let body = format!(
        "Statement of reasons under Art. 17 of the Digital Services Act.\n\n\
         Reference: {puid}\nDate of the decision: {date}\n\n{facts}\n\n{legal}: {ground}.\n\
         The decision was taken by a person, on the platform's own initiative; no automated means \
         detected the content or took the decision.\n\n{SELLER_REDRESS}\n",
        puid = statement.puid,
        date = statement.application_date,
        facts = statement.decision_facts,
    );
    (subject, body)
}

/// The subject and body of the notice to a buyer of a product removed as illegal.
pub fn illegal_product_mail(
    product: Option<&Product>,
    offer_id: &str,
    seller: &Seller,
    reason: &str,
) -> (String, String) {
    let device = product.map_or_else(|| "a product".to_owned(), |p| format!("{} {}", p.brand, p.name));
    (
        format!("Important: the {device} you bought is illegal"),
        illegal_product_notice(product, offer_id, seller, reason),
    )
}

/// The notice itself: mailed to each buyer, and shown on the product page where a buyer has no
/// e-mail on record.
pub fn illegal_product_notice(product: Option<&Product>, offer_id: &str, seller: &Seller, reason: &str) -> String {
    let device = product.map_or_else(|| "a product".to_owned(), |p| format!("{} {}", p.brand, p.name));
    let t = &seller.trader;
    let a = &t.address;
    let line2 = a.line2.as_deref().map(|l| format!(", {l}")).unwrap_or_default();
    format!(
        "You bought {device} (offer {offer_id}) on the marketplace within the last six months. The \
         platform has removed this offer because it is illegal: {reason}.\n\n\
         The trader who sold it:\n{name}\n{line1}{line2}, {postal} {city}, {country}\n\
         E-mail: {email} · Phone: {phone}\nTrade register: {register} {number} · VAT: {vat}\n\n\
         What you can do: contact the trader, who must remedy a non-conforming product (repair, \
         replacement, price reduction or refund under the legal guarantee of conformity); stop \
         using the product if it may be unsafe; ask the marketplace's customer service for help \
         with your order; if no agreement is reached, refer the matter to the consumer mediator of \
         your country or to the competent court.\n",
        name = t.legal_name,
        line1 = a.line1,
        postal = a.postal_code,
        city = a.city,
        country = a.country,
        email = t.email,
        phone = t.phone,
        register = t.trade_register.name,
        number = t.trade_register.number,
        vat = t.vat_id,
    )
}
