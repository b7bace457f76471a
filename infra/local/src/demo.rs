//! Demo data for `make run`: two active sellers, one awaiting verification, three device
//! models and a few offers, under fixed ids so the printed example requests work as printed.
//! Seeding again changes nothing that exists.

use marketplace::catalog::{Category, Product};
use marketplace::checkout::{Cart, CartLine, Pricing, SellerFacts, price};
use marketplace::offer::{Grade, Offer, OfferStatus, PaymentMethod};
use marketplace::order::Order;
use marketplace::seller::{Address, PaymentAccount, Seller, SellerStatus, StatusChange, TradeRegister, TraderInfo};
use marketplace::{Currency, Money};
use ports::{Ports, TableError};
use store::{Offers, Orders, Placed, Products, Quotes, Sellers, TradeIns};

pub const SELLER_LYON: &str = "sel_demo_lyon";
pub const SELLER_BERLIN: &str = "sel_demo_berlin";
pub const SELLER_PENDING: &str = "sel_demo_pending";
pub const IPHONE: &str = "prd_demo_iphone13";
pub const IPAD: &str = "prd_demo_ipad9";
pub const MACBOOK: &str = "prd_demo_macbook_air_m1";
/// The development users behind the demo sellers.
pub const LYON_OWNER: &str = "seller-lyon";
pub const BERLIN_OWNER: &str = "seller-berlin";
pub const PENDING_OWNER: &str = "seller-pending";
/// The development buyer of the printed token, and its paid order of an iPad from Lyon.
pub const BUYER: &str = "buyer-dev";
/// The development buyer's e-mail address, in the printed token and on its order: invitations
/// to review go there (into the runner's outbox, `GET /_local/outbox`).
pub const BUYER_EMAIL: &str = "buyer@example.test";
pub const IPAD_QUOTE: &str = "qt_demo_ipad";
pub const IPAD_ORDER: &str = "ord_demo_ipad";
/// An IMEI the sandbox registry lists as stolen, to try a refused trade-in.
pub const STOLEN_IMEI: &str = "356938035643809";

fn address(line1: &str, postal_code: &str, city: &str, country: &str) -> Address {
    Address {
        line1: line1.into(),
        line2: None,
        postal_code: postal_code.into(),
        city: city.into(),
        country: country.into(),
    }
}

fn trader(name: &str, domain: &str, address: Address, phone: &str, tax: (&str, &str)) -> TraderInfo {
    let (vat_id, iban) = tax;
    TraderInfo {
        legal_name: name.into(),
        trade_register: TradeRegister {
            name: format!("Trade register {}", address.city),
            number: format!("{}-{}", address.country, address.postal_code),
        },
        address,
        phone: phone.into(),
        email: format!("contact@{domain}"),
        vat_id: vat_id.into(),
        payment_account: PaymentAccount { holder: name.into(), iban: iban.into() },
        compliance_self_certified: true,
    }
}

fn ignore_existing(result: Result<(), TableError>) -> Result<(), TableError> {
    match result {
        Err(TableError::ConditionFailed) => Ok(()),
        other => other,
    }
}

pub async fn seed(ports: &Ports) -> Result<(), TableError> {
    let now = ports.clock.now();
    let table = ports.table.as_ref();
    let sellers = [
        (
            SELLER_LYON,
            LYON_OWNER,
            SellerStatus::Active,
            trader(
                "Refurb Lyon",
                "refurb-lyon.example",
                address("12 rue de la République", "69002", "Lyon", "FR"),
                "+33478000000",
                ("FR40812345678", "FR1420041010050500013M02606"),
            ),
        ),
        (
            SELLER_BERLIN,
            BERLIN_OWNER,
            SellerStatus::Active,
            trader(
                "Zweite Hand Berlin",
                "zweite-hand.example",
                address("Torstraße 1", "10119", "Berlin", "DE"),
                "+493012345678",
                ("DE123456789", "DE89370400440532013000"),
            ),
        ),
        (
            SELLER_PENDING,
            PENDING_OWNER,
            SellerStatus::PendingVerification,
            trader(
                "Nouveau Reconditionné",
                "nouveau-reconditionne.example",
                address("3 quai des Chartrons", "33000", "Bordeaux", "FR"),
                "+33556000000",
                ("FR83404833048", "FR7630006000011234567890189"),
            ),
        ),
    ];
    for (id, owner, status, trader) in sellers {
        if let Some(existing) = Sellers::new(table).get(id).await? {
            // Written again as it is, so a data folder from an older version gains the
            // current index attributes (the list of all sellers).
            Sellers::new(table).replace(&existing, &existing, vec![]).await?;
            continue;
        }
        let onboarded = Seller::onboard(id.into(), owner.into(), trader, now);
        let seller = match status {
            SellerStatus::Active => onboarded
                .change_status(StatusChange::Approve, None, now)
                .map_err(|e| TableError::InvalidRequest(e.to_string()))?,
            _ => Seller { status, ..onboarded },
        };
        Sellers::new(table).create(&seller).await?;
    }
    let products = [
        (IPHONE, "Apple", "iPhone 13 128 GB", Category::Smartphones, Some("0194252707289")),
        (IPAD, "Apple", "iPad 9th generation 64 GB Wi-Fi", Category::Tablets, None),
        (MACBOOK, "Apple", "MacBook Air M1 13\" 8 GB 256 GB", Category::Laptops, None),
    ];
    for (id, brand, name, category, ean) in products {
        let product = Product {
            id: id.into(),
            brand: brand.into(),
            name: name.into(),
            category,
            ean: ean.map(Into::into),
            created_at: now,
        };
        ignore_existing(Products::new(table).create(&product).await)?;
    }
    let eur = |minor| Money::new(minor, Currency::EUR);
    let offers = [
        ("off_demo_iphone_lyon", SELLER_LYON, IPHONE, Category::Smartphones, Grade::Excellent, 34_900, 499, 5),
        ("off_demo_iphone_berlin", SELLER_BERLIN, IPHONE, Category::Smartphones, Grade::Good, 31_900, 0, 2),
        ("off_demo_ipad_lyon", SELLER_LYON, IPAD, Category::Tablets, Grade::VeryGood, 22_900, 499, 3),
        ("off_demo_macbook_berlin", SELLER_BERLIN, MACBOOK, Category::Laptops, Grade::Premium, 64_900, 0, 1),
    ];
    for (id, seller_id, product_id, category, grade, price, shipping, stock) in offers {
        let Some(seller) = Sellers::new(table).get(seller_id).await? else { continue };
        let offer = Offer {
            id: id.into(),
            seller_id: seller_id.into(),
            product_id: product_id.into(),
            category,
            grade,
            price: eur(price),
            shipping_fee: eur(shipping),
            stock,
            warranty_months: 12,
            handling_days: 2,
            payment_methods: vec![PaymentMethod::Card, PaymentMethod::Paypal, PaymentMethod::Klarna],
            status: OfferStatus::Active,
            removal_reason: None,
            created_at: now,
            updated_at: now,
        };
        match Offers::new(table).create(&offer, &seller).await {
            Err(TableError::TransactionCanceled { failed }) if failed == [0] => {}
            other => other?,
        }
    }
    seed_trade_in_prices(ports).await?;
    seed_order(ports).await
}

/// Both refurbishers buy iPhones 13 back (Berlin pays more in the good grade), Lyon MacBooks
/// too; a list already there is left as it is.
async fn seed_trade_in_prices(ports: &Ports) -> Result<(), TableError> {
    use marketplace::trade_in::condition::Grade as Condition;
    use marketplace::trade_in::prices::{Price, PriceList};
    let now = ports.clock.now();
    let store = TradeIns::new(ports.table.as_ref());
    let eur = |minor| Money::new(minor, Currency::EUR);
    let lists = [
        (
            SELLER_LYON,
            vec![
                (IPHONE, Condition::Mint, 32_000),
                (IPHONE, Condition::Good, 27_000),
                (IPHONE, Condition::Fair, 21_000),
                (IPHONE, Condition::Damaged, 9_000),
                (IPHONE, Condition::NotWorking, 3_000),
                (MACBOOK, Condition::Mint, 52_000),
                (MACBOOK, Condition::Good, 45_000),
            ],
        ),
        (SELLER_BERLIN, vec![(IPHONE, Condition::Good, 28_000), (IPHONE, Condition::Fair, 20_000)]),
    ];
    let valid_until = now.checked_add(jiff::SignedDuration::from_hours(24 * 365)).unwrap_or(now);
    for (seller_id, prices) in lists {
        if store.prices(seller_id).await?.is_some() {
            continue;
        }
        let items = prices
            .into_iter()
            .map(|(product_id, grade, minor)| Price { product_id: product_id.into(), grade, price: eur(minor) })
            .collect();
        let list = PriceList { refurbisher_id: seller_id.into(), valid_until, items, updated_at: now };
        ignore_existing(store.replace_prices(None, &list).await)?;
    }
    Ok(())
}

/// A paid order of the demo buyer, so the sellers' side of an order can be tried at once.
async fn seed_order(ports: &Ports) -> Result<(), TableError> {
    let table = ports.table.as_ref();
    let orders = Orders::new(table);
    if orders.get(IPAD_ORDER).await?.is_some() {
        return Ok(());
    }
    let now = ports.clock.now();
    let Some(ipad) = Offers::new(table).get("off_demo_ipad_lyon").await? else { return Ok(()) };
    let cart = Cart {
        lines: vec![CartLine { offer_id: ipad.id.clone(), quantity: 1, insurance: false }],
        payment_method: PaymentMethod::Card,
        shipping_country: "FR".into(),
    };
    let facts = [Some((ipad, SellerFacts { status: SellerStatus::Active, country: "FR".into() }))];
    let Ok(quote) = price(&Pricing::default(), IPAD_QUOTE.into(), BUYER.into(), &cart, &facts, now) else {
        return Ok(());
    };
    Quotes::new(table)
        .create(&quote)
        .await
        .or_else(|e| if e == TableError::ConditionFailed { Ok(()) } else { Err(e) })?;
    let order = Order { buyer_email: Some(BUYER_EMAIL.into()), ..Order::place(&quote, now) };
    if !matches!(orders.place(&order).await?, Placed::Created) {
        return Ok(());
    }
    // The buyer pays through the sandbox, as `/_local/payments/{intent}/succeed` would.
    let unavailable = |e: ports::PaymentError| TableError::Unavailable(e.to_string());
    let intent = ports
        .payments
        .create_intent(&order.id, order.totals.total.amount_minor, "EUR", "card")
        .await
        .map_err(unavailable)?;
    sandbox_payments::SandboxPayments::new(ports.table.clone(), Vec::new())
        .settle(&intent, true, now)
        .await
        .map_err(unavailable)?;
    let Ok(paid) = order.pay(&intent, order.totals.total, now) else { return Ok(()) };
    // Announced as the webhook would, so settlement holds the seller's proceeds.
    let event = store::events::OrderEvent::new("order.paid", &order.id, None);
    let mut ops = vec![Orders::clear_payment_due(&order), store::events::outbox::put(&event, now)];
    ops.extend(store::Dsa::sales(&paid, now));
    orders.transition(&order, &paid, ops).await?;
    store::events::outbox::flush(ports.queue.as_ref(), table, &event).await;
    Ok(())
}
