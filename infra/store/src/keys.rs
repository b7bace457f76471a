//! The single table's keys. Each entity knows its key; each access pattern names its index.

use marketplace::Currency;
use ports::Key;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_keys_sort_by_price() {
        let cheap = listing_sk(Currency::EUR, 9_900, "off_b");
        let dear = listing_sk(Currency::EUR, 24_900, "off_a");
        let dearest = listing_sk(Currency::EUR, 10_000_000, "off_c");
        assert!(cheap < dear && dear < dearest);
        assert!(cheap.starts_with(&listing_prefix(Currency::EUR)));
    }
}
