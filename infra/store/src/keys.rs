//! The single table's keys. Each entity knows its key; each access pattern names its index.

use jiff::Timestamp;
use marketplace::Currency;
use ports::Key;

/// A time as sort keys hold it: RFC 3339 UTC with microseconds, so text order is time order.
pub fn sortable(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The time a sort key written with `sortable` starts with.
pub fn time_of(sort_key: &str) -> Option<Timestamp> {
    sort_key.split('#').next()?.parse().ok()
}

pub fn seller(id: &str) -> Key {
    Key::new(format!("SELLER#{id}"), "PROFILE")
}

/// One seller account per signed-in user: this item claims the user's `sub`.
pub fn seller_owner(sub: &str) -> Key {
    Key::new(format!("USER#{sub}"), "SELLER")
}

pub fn product(id: &str) -> Key {
    Key::new(format!("PRODUCT#{id}"), "PRODUCT")
}

pub fn offer(id: &str) -> Key {
    Key::new(format!("OFFER#{id}"), "OFFER")
}

/// gsi1: a product's buyable offers in one currency, cheapest first. Sparse: only listable
/// offers carry these attributes.
pub fn listing_pk(product_id: &str) -> String {
    format!("PRODUCT#{product_id}#LISTING")
}

pub fn listing_sk(currency: Currency, price_minor: i64, offer_id: &str) -> String {
    format!("{}#{price_minor:012}#{offer_id}", currency.code())
}

pub fn listing_prefix(currency: Currency) -> String {
    format!("{}#", currency.code())
}

/// gsi2: every offer of a seller, oldest first (ids are time-ordered).
pub fn seller_offers_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#OFFERS")
}

pub fn quote(id: &str) -> Key {
    Key::new(format!("QUOTE#{id}"), "QUOTE")
}

pub fn order(id: &str) -> Key {
    Key::new(format!("ORDER#{id}"), "ORDER")
}

/// One per seller of an order: puts the order in the seller's list (gsi1).
pub fn order_part(order_id: &str, seller_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), format!("PART#{seller_id}"))
}

/// Present while an order awaits payment: the payment sweep finds it on gsi2.
pub fn payment_due(order_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), "PAYMENT_DUE")
}

pub fn help_request(order_id: &str, help_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), format!("HELP#{help_id}"))
}

/// A processed provider event, so a replay changes nothing.
pub fn provider_event(event_id: &str) -> Key {
    Key::new(format!("PROVIDER_EVENT#{event_id}"), "EVENT")
}

/// gsi1 partitions of the order lists, newest last.
pub fn buyer_orders_pk(sub: &str) -> String {
    format!("BUYER#{sub}#ORDERS")
}

pub fn seller_orders_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#ORDERS")
}

pub fn seller_help_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#HELP")
}

/// gsi2: all orders of a month (`2026-11`), for admins.
pub fn month_orders_pk(month: &str) -> String {
    format!("ORDERS#{month}")
}

pub const PAYMENTS_DUE_PK: &str = "PAYMENTS#DUE";

/// gsi2: every seller, by id, for the monthly fee and payout runs.
pub const ALL_SELLERS_PK: &str = "SELLERS";

/// gsi1: the sellers in one status, for the admins' queues (applications waiting for
/// verification, suspended sellers, …). The seller's own item carries it, so a status change
/// moves the seller from one queue to the next in the same write.
pub fn sellers_in_status_pk(status: marketplace::seller::SellerStatus) -> String {
    format!("SELLERS#{}", status.as_str())
}

/// Sorted by onboarding time, then id: newest first when read descending.
pub fn sellers_in_status_sk(onboarded_at: Timestamp, seller_id: &str) -> String {
    format!("{}#{seller_id}", sortable(onboarded_at))
}

pub fn review(id: &str) -> Key {
    Key::new(format!("REVIEW#{id}"), "REVIEW")
}

/// One review per order line: this item claims the line.
pub fn review_claim(order_id: &str, offer_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), format!("REVIEW#{offer_id}"))
}

/// gsi1: a buyer's reviews in every state but deleted, newest first.
pub fn buyer_reviews_pk(sub: &str) -> String {
    format!("BUYER#{sub}#REVIEWS")
}

/// gsi2: reviews waiting for publication, by deadline (sparse: only submitted reviews).
pub const REVIEWS_PENDING_PK: &str = "REVIEWS#PENDING";

/// A product's published reviews in one sort order (`newest`, `highest`, `lowest`, or the
/// relevance list `relevance{n}` of a tier and a rating): copies of the reviews, so a page is
/// one query.
pub fn product_reviews_pk(product_id: &str, list: &str) -> String {
    format!("PRODUCT#{product_id}#REVIEWS#{list}")
}

/// A seller's published reviews, newest first.
pub fn seller_reviews_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#REVIEWS")
}

/// A product's rating: the counters of its published reviews.
pub fn product_rating(product_id: &str) -> Key {
    Key::new(format!("PRODUCT#{product_id}"), "RATING")
}

/// A seller's rating: the counters of the published reviews of its deliveries.
pub fn seller_rating(seller_id: &str) -> Key {
    Key::new(format!("SELLER#{seller_id}"), "RATING")
}

/// The first author of a review text, by its fingerprint, to flag copies from other accounts.
pub fn review_text(fingerprint: &str) -> Key {
    Key::new(format!("REVIEWTEXT#{fingerprint}"), "TEXT")
}

/// A ledger transaction, under its id (derived from its cause, so it is written once).
pub fn ledger_transaction(id: &str) -> Key {
    Key::new(format!("LEDGER#TX#{id}"), "TX")
}

/// gsi1: a seller's ledger transactions by statement month, then time.
pub fn seller_ledger_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#LEDGER")
}

/// A seller's ledger partition: its balances, month totals and payouts.
pub fn seller_accounts_pk(seller_id: &str) -> String {
    format!("LEDGER#SELLER#{seller_id}")
}

pub fn seller_balance(seller_id: &str, currency: Currency, account: &str) -> Key {
    Key::new(seller_accounts_pk(seller_id), format!("BALANCE#{}#{account}", currency.code()))
}

/// The movements of a seller's accounts in one statement month.
pub fn seller_month(seller_id: &str, period: &str, currency: Currency) -> Key {
    Key::new(seller_accounts_pk(seller_id), format!("MONTH#{period}#{}", currency.code()))
}

pub fn payout(seller_id: &str, run: &str, currency: Currency) -> Key {
    Key::new(seller_accounts_pk(seller_id), format!("PAYOUT#{run}#{}", currency.code()))
}

/// A SEPA credit transfer file, by its message id.
pub fn payout_file(id: &str) -> Key {
    Key::new(format!("PAYOUT_FILE#{id}"), "FILE")
}

/// One transfer of a SEPA credit transfer file, by its end-to-end id.
pub fn payout_file_entry(id: &str, end_to_end_id: &str) -> Key {
    Key::new(format!("PAYOUT_FILE#{id}"), format!("ENTRY#{end_to_end_id}"))
}

/// gsi2: credit transfer files not yet stored for the bank, oldest first.
pub const PAYOUT_FILES_UNSTORED_PK: &str = "PAYOUT_FILES#UNSTORED";

/// gsi2: payouts sent and not yet confirmed, for the next run to finish.
pub const OPEN_PAYOUTS_PK: &str = "PAYOUTS#OPEN";

/// One shard of a platform account's balance: every posting touches a platform account, so
/// its balance is spread over shards to keep concurrent transactions off one item.
pub fn platform_balance(currency: Currency, account: &str, shard: u32) -> Key {
    Key::new(format!("LEDGER#PLATFORM#{}#{account}", currency.code()), format!("SHARD#{shard}"))
}

/// What was posted for an order.
pub fn order_ledger(order_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), "SETTLEMENT")
}

/// Present while a seller's part of an order waits for the end of its hold (gsi2).
pub fn release_due(order_id: &str, seller_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), format!("RELEASE#{seller_id}"))
}

pub const RELEASES_DUE_PK: &str = "RELEASES#DUE";

/// An order's invitation to review, claimed before its mail is sent, so it is sent once.
pub fn invitation(order_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), "INVITATION")
}

/// Present while an order's invitation to review waits for its delay (gsi2, sorted by the
/// time the delay counts from: the last delivery).
pub fn invitation_due(order_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), "INVITATION_DUE")
}

pub const INVITATIONS_DUE_PK: &str = "INVITATIONS#DUE";

/// One day of a seller's processing-quality counts (R-RANK): kept while the day is inside the
/// window, then taken off the running totals on the seller's `RATING` item and deleted.
pub fn seller_quality_day(seller_id: &str, day: jiff::civil::Date) -> Key {
    Key::new(format!("SELLER#{seller_id}"), format!("QUALITY#{day}"))
}

/// gsi2: every seller's quality days, oldest first, for the sweep that slides the window.
pub const QUALITY_DAYS_PK: &str = "QUALITY#DAYS";

/// An order line's help request of one reason, counted once in its seller's quality.
pub fn help_counted(order_id: &str, offer_id: &str, reason: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), format!("QUALITY#{offer_id}#{reason}"))
}

/// A dispute about one order line (R-DISPUTE).
pub fn dispute(id: &str) -> Key {
    Key::new(format!("DISPUTE#{id}"), "DISPUTE")
}

/// The entry that puts a dispute in its seller's list (gsi1).
pub fn dispute_seller(id: &str, seller_id: &str) -> Key {
    Key::new(format!("DISPUTE#{id}"), format!("SELLER#{seller_id}"))
}

/// gsi1: a buyer's disputes, newest first.
pub fn buyer_disputes_pk(sub: &str) -> String {
    format!("BUYER#{sub}#DISPUTES")
}

/// gsi1: a seller's disputes, newest first.
pub fn seller_disputes_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#DISPUTES")
}

/// gsi2: the disputes in one status, by the seller's answer deadline (the overdue first).
pub fn disputes_in_status_pk(status: &str) -> String {
    format!("DISPUTES#{status}")
}

/// An order line's claim on its one live dispute.
pub fn line_dispute(order_id: &str, offer_id: &str) -> Key {
    Key::new(format!("ORDER#{order_id}"), format!("DISPUTE#{offer_id}"))
}

/// A statement of reasons (DSA Art. 17), under its `puid`.
pub fn statement_of_reasons(puid: &str) -> Key {
    Key::new(format!("SOR#{puid}"), "SOR")
}

/// gsi1: every statement of reasons, oldest first, to submit in batches.
pub const STATEMENTS_PK: &str = "STATEMENTS";

/// A mail queued to be sent once, under an id that names its cause.
pub fn mail(id: &str) -> Key {
    Key::new(format!("MAIL#{id}"), "MAIL")
}

/// gsi2: mails queued and not yet claimed, oldest first.
pub const MAILS_QUEUED_PK: &str = "MAILS#QUEUED";

/// A paid order's line, under its offer: who bought it when, so the buyers of an offer removed
/// as illegal can be told (DSA Art. 32). Kept seven months.
pub fn sale(offer_id: &str, paid_at: Timestamp, order_id: &str) -> Key {
    Key::new(format!("OFFER#{offer_id}"), format!("SALE#{}#{order_id}", sortable(paid_at)))
}

pub fn sales_prefix() -> &'static str {
    "SALE#"
}

/// Present while the buyers of an offer removed as illegal are being told (gsi2).
pub fn buyer_notices_due(offer_id: &str) -> Key {
    Key::new(format!("OFFER#{offer_id}"), "BUYER_NOTICES")
}

pub const BUYER_NOTICES_DUE_PK: &str = "BUYER_NOTICES#DUE";

/// The notice a product page shows about one of its offers removed as illegal, for the buyers
/// the platform cannot mail.
pub fn product_notice(product_id: &str, offer_id: &str) -> Key {
    Key::new(format!("PRODUCT#{product_id}"), format!("NOTICE#{offer_id}"))
}

/// A notice (DSA Art. 16).
pub fn notice(id: &str) -> Key {
    Key::new(format!("NOTICE#{id}"), "NOTICE")
}

/// gsi1: every notice, by the time it was received (the transparency report's periods).
pub const NOTICES_PK: &str = "NOTICES";
/// gsi2: the moderators' queue of open notices, trusted flaggers' first, oldest first.
pub const NOTICES_OPEN_PK: &str = "NOTICES#OPEN";

/// A complaint (DSA Art. 20).
pub fn complaint(id: &str) -> Key {
    Key::new(format!("COMPLAINT#{id}"), "COMPLAINT")
}

/// One complaint per decision and complainant: this item claims the pair.
pub fn complaint_claim(decision_of: &str, account: &str) -> Key {
    Key::new(format!("DECISION#{decision_of}"), format!("COMPLAINT#{account}"))
}

/// gsi1: every complaint, by the time it was received.
pub const COMPLAINTS_PK: &str = "COMPLAINTS";
/// gsi2: the open complaints, oldest first.
pub const COMPLAINTS_OPEN_PK: &str = "COMPLAINTS#OPEN";

/// A trusted flagger (DSA Art. 22), and the accounts that notify on its behalf.
pub fn trusted_flagger(id: &str) -> Key {
    Key::new(format!("TRUSTED_FLAGGER#{id}"), "TRUSTED_FLAGGER")
}

pub fn trusted_flagger_account(sub: &str) -> Key {
    Key::new(format!("USER#{sub}"), "TRUSTED_FLAGGER")
}

/// gsi1: the trusted flaggers, by registration.
pub const TRUSTED_FLAGGERS_PK: &str = "TRUSTED_FLAGGERS";

/// A party's misuse record (DSA Art. 23): `party` is a keyed hash, never an address.
pub fn misuse(kind: &str, party: &str) -> Key {
    Key::new(format!("MISUSE#{kind}#{party}"), "MISUSE")
}

/// A suspension for misuse, for the transparency report (gsi1 `SUSPENSIONS`).
pub fn suspension(kind: &str, party: &str, at: Timestamp) -> Key {
    Key::new(format!("MISUSE#{kind}#{party}"), format!("SUSPENSION#{}", sortable(at)))
}

pub const SUSPENSIONS_PK: &str = "SUSPENSIONS";

pub fn trade_in(id: &str) -> Key {
    Key::new(format!("TRADEIN#{id}"), "TRADEIN")
}

/// Puts a trade-in on its refurbisher's list (gsi1).
pub fn trade_in_refurbisher(id: &str, seller_id: &str) -> Key {
    Key::new(format!("TRADEIN#{id}"), format!("SELLER#{seller_id}"))
}

/// gsi1: a customer's trade-ins, newest first.
pub fn customer_trade_ins_pk(sub: &str) -> String {
    format!("CUSTOMER#{sub}#TRADEINS")
}

/// gsi1: a refurbisher's trade-ins, newest first.
pub fn seller_trade_ins_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#TRADEINS")
}

/// gsi2: trade-ins with something due (an expiry, a deemed inspection, an unanswered
/// counter-offer, a payment), earliest first.
pub const TRADE_INS_DUE: &str = "TRADEINS#DUE";

/// A refurbisher's whole buyback price list.
pub fn trade_in_prices(seller_id: &str) -> Key {
    Key::new(format!("SELLER#{seller_id}"), "TRADEIN_PRICES")
}

/// The index of a product's buyback prices: one item per refurbisher pricing it.
pub fn trade_in_product_pk(product_id: &str) -> String {
    format!("TRADEIN_PRICES#{product_id}")
}

pub fn trade_in_product_price(product_id: &str, seller_id: &str) -> Key {
    Key::new(trade_in_product_pk(product_id), format!("SELLER#{seller_id}"))
}

/// A refurbisher's register of second-hand goods: one entry per device bought, in the order
/// of purchase.
pub fn trade_in_register_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#TRADEIN_REGISTER")
}

pub fn trade_in_register_entry(seller_id: &str, purchased_at: Timestamp, trade_in_id: &str) -> Key {
    Key::new(trade_in_register_pk(seller_id), format!("{}#{trade_in_id}", sortable(purchased_at)))
}

/// A device refused as blocklisted: the fraud record, by the IMEI's hash.
pub fn blocklisted_device(imei_hash: &str, at: Timestamp) -> Key {
    Key::new(format!("DEVICE_REFUSED#{imei_hash}"), sortable(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seller_queues_sort_by_onboarding_and_keep_apart_from_other_partitions() {
        use marketplace::seller::SellerStatus;
        let at = |s: &str| s.parse::<Timestamp>().expect("a time");
        let older = sellers_in_status_sk(at("2026-11-02T09:00:00Z"), "sel_demo_pending");
        let newer = sellers_in_status_sk(at("2026-11-02T09:00:00.000001Z"), "sel_01aaaaaaaaaaaaaaaaaaaaaaaa");
        assert!(older < newer);
        let pending = sellers_in_status_pk(SellerStatus::PendingVerification);
        assert_eq!(pending, "SELLERS#pending_verification");
        // gsi1's other partitions start SELLER#<id>#…, PRODUCT#…, BUYER#…: none starts SELLERS#.
        for other in [seller_orders_pk("s"), seller_help_pk("s"), seller_ledger_pk("s"), listing_pk("p")] {
            assert!(!other.starts_with("SELLERS#"), "{other}");
        }
    }

    #[test]
    fn listing_keys_sort_by_price() {
        let cheap = listing_sk(Currency::EUR, 9_900, "off_b");
        let dear = listing_sk(Currency::EUR, 24_900, "off_a");
        let dearest = listing_sk(Currency::EUR, 10_000_000, "off_c");
        assert!(cheap < dear && dear < dearest);
        assert!(cheap.starts_with(&listing_prefix(Currency::EUR)));
    }
}
