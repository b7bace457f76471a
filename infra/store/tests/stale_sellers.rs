//! Offer writes and the status cascade carry a check on the seller as read, so neither can
//! undo what a newer seller change did.

use jiff::Timestamp;
use marketplace::catalog::Category;
use marketplace::offer::{Grade, Offer, OfferStatus, PaymentMethod};
use marketplace::seller::{Address, PaymentAccount, Seller, SellerStatus, StatusChange, TradeRegister, TraderInfo};
use marketplace::{Currency, Money};
use ports::{Key, Table, TableError};
use store::{Offers, Sellers};

fn seller() -> Seller {
    let trader = TraderInfo {
        legal_name: "Refurb".into(),
        address: Address {
            line1: "1 rue".into(),
            line2: None,
            postal_code: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        },
        phone: "+33478000000".into(),
        email: "a@b.example".into(),
        trade_register: TradeRegister { name: "RCS".into(), number: "1".into() },
        vat_id: "FR40812345678".into(),
        payment_account: PaymentAccount { holder: "Refurb".into(), iban: "FR1420041010050500013M02606".into() },
        compliance_self_certified: true,
    };
    Seller {
        status: SellerStatus::Active,
        ..Seller::onboard("sel_1".into(), "owner".into(), trader, Timestamp::UNIX_EPOCH)
    }
}

fn offer(id: &str) -> Offer {
    let eur = |m| Money::new(m, Currency::EUR);
    Offer {
        id: id.into(),
        seller_id: "sel_1".into(),
        product_id: "prd_1".into(),
        category: Category::Tablets,
        grade: Grade::Good,
        price: eur(10_000),
        shipping_fee: eur(0),
        stock: 3,
        warranty_months: 12,
        handling_days: 1,
        payment_methods: vec![PaymentMethod::Card],
        status: OfferStatus::Active,
        removal_reason: None,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

async fn listed(table: &dyn Table, id: &str) -> bool {
    table.get(&Key::new(format!("OFFER#{id}"), "OFFER")).await.expect("reads").expect("exists").contains_key("gsi1pk")
}

#[tokio::test]
async fn an_offer_write_that_read_an_old_seller_fails() {
    let table = embedded_adapters::EmbeddedTable::in_memory();
    let active = seller();
    Sellers::new(&table).create(&active).await.expect("seller");
    Offers::new(&table).create(&offer("off_1"), &active).await.expect("offer");
    let suspended = active
        .change_status(StatusChange::Suspend, Some("r".into()), "2026-01-01T00:00:00Z".parse().expect("time"))
        .expect("suspends");
    Sellers::new(&table).replace(&active, &suspended, vec![]).await.expect("suspended");

    // A change that read the seller while active would relist the offer: refused.
    let changed = Offer { stock: 2, updated_at: "2026-01-02T00:00:00Z".parse().expect("time"), ..offer("off_1") };
    let stale = Offers::new(&table).replace(&offer("off_1"), &changed, &active).await;
    assert!(matches!(stale, Err(TableError::TransactionCanceled { .. })), "{stale:?}");
    assert!(matches!(
        Offers::new(&table).create(&offer("off_2"), &active).await,
        Err(TableError::TransactionCanceled { .. })
    ));

    // The cascade that read the old seller stops; the one that read the new one delists.
    assert_eq!(Offers::new(&table).follow_seller(&active, Timestamp::UNIX_EPOCH).await, Ok(None));
    assert!(listed(&table, "off_1").await);
    assert_eq!(Offers::new(&table).follow_seller(&suspended, Timestamp::UNIX_EPOCH).await, Ok(Some(1)));
    assert!(!listed(&table, "off_1").await);
    assert_eq!(
        Offers::new(&table).follow_seller(&suspended, Timestamp::UNIX_EPOCH).await,
        Ok(Some(0)),
        "repeating changes nothing"
    );
}
