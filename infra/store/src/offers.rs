use jiff::Timestamp;
use marketplace::Currency;
use marketplace::offer::{Offer, RemovalReason};
use marketplace::seller::{Seller, SellerStatus};
use ports::{Condition, Cursor, Index, Item, Query, SortKey, Table, TableError, TxOp, Update, Value};

use crate::{keys, record};

/// Offers per transaction when a seller's status change reaches all its offers: each may
/// take its statement of reasons and the statement's mail along, plus the check on the seller
/// (DynamoDB takes 100 items).
const CASCADE_CHUNK: u32 = 33;
/// Attempts at one chunk before giving up when offers keep changing underneath.
const CASCADE_ATTEMPTS: usize = 3;

pub struct Offers<'a> {
    table: &'a dyn Table,
}

/// The item of an offer: in its seller's index always, in its product's listing only while
/// buyers may see it.
fn offer_item(offer: &Offer, seller: SellerStatus) -> Result<Item, TableError> {
    let mut item = record::item(offer, &keys::offer(&offer.id), "offer")?;
    item.insert("gsi2pk".into(), Value::from(keys::seller_offers_pk(&offer.seller_id)));
    item.insert("gsi2sk".into(), Value::from(offer.id.as_str()));
    if offer.is_listable(seller) {
        item.insert("gsi1pk".into(), Value::from(keys::listing_pk(&offer.product_id)));
        let sk = keys::listing_sk(offer.price.currency, offer.price.amount_minor, &offer.id);
        item.insert("gsi1sk".into(), Value::from(sk));
    }
    Ok(item)
}

/// The offer is as it was read. Orders take and give back stock with atomic additions that
/// leave `updatedAt` alone, so the stock is compared too: a whole-item write computed from an
/// older stock would otherwise undo a sale or a release.
fn unchanged(before: &Offer) -> Result<Condition, TableError> {
    Ok(Condition::And(vec![
        Condition::Equals("updatedAt".into(), record::attribute(before, "updatedAt")?),
        Condition::equals("stock", i64::from(before.stock)),
    ]))
}

/// The seller is still as it was read. Every offer write carries this check, so an offer's
/// listing is always computed from the seller's current status: a write that read a seller
/// since changed fails instead of undoing what the change's cascade did.
fn seller_unchanged(seller: &Seller) -> Result<TxOp, TableError> {
    let condition = Condition::Equals("updatedAt".into(), record::attribute(seller, "updatedAt")?);
    Ok(TxOp::Check { key: keys::seller(&seller.id), condition })
}

fn entities(items: &[Item]) -> Result<Vec<Offer>, TableError> {
    items.iter().map(record::entity).collect()
}

impl<'a> Offers<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Offer>, TableError> {
        self.table.get(&keys::offer(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// The offers of `ids` that exist (one batched read of at most 100).
    pub async fn get_many(&self, ids: &[&str]) -> Result<Vec<Offer>, TableError> {
        let keys: Vec<_> = ids.iter().map(|id| keys::offer(id)).collect();
        entities(&self.table.get_many(&keys).await?)
    }

    /// Stores a new offer of `seller`, as read: if the seller changed since, nothing is written
    /// (`TableError::TransactionCanceled`).
    pub async fn create(&self, offer: &Offer, seller: &Seller) -> Result<(), TableError> {
        let put = TxOp::Put { item: offer_item(offer, seller.status)?, condition: Some(Condition::NotExists) };
        self.table.transact(vec![put, seller_unchanged(seller)?]).await
    }

    /// Replaces `before` with `after`, unless the offer or its seller changed in between
    /// (`TableError::TransactionCanceled`).
    pub async fn replace(&self, before: &Offer, after: &Offer, seller: &Seller) -> Result<(), TableError> {
        self.replace_with(before, after, seller, Vec::new()).await
    }

    /// [`Offers::replace`], with `also` in the same transaction (after the offer and the
    /// seller check: `failed` 0 is the offer, 1 the seller).
    pub async fn replace_with(
        &self,
        before: &Offer,
        after: &Offer,
        seller: &Seller,
        also: Vec<TxOp>,
    ) -> Result<(), TableError> {
        let put = TxOp::Put { item: offer_item(after, seller.status)?, condition: Some(unchanged(before)?) };
        let mut ops = vec![put, seller_unchanged(seller)?];
        ops.extend(also);
        self.table.transact(ops).await
    }

    /// A page of a product's listed offers in `currency`, cheapest first.
    pub async fn listing(
        &self,
        product_id: &str,
        currency: Currency,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Offer>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi1, keys::listing_pk(product_id))
            .sort(SortKey::BeginsWith(keys::listing_prefix(currency)))
            .limit(limit)
            .cursor(cursor);
        let page = self.table.query(query).await?;
        Ok((entities(&page.items)?, page.next))
    }

    /// Whether any offer of the product is live (listed, in any currency): a product's reviews
    /// are shown only while it is offered.
    pub async fn is_offered(&self, product_id: &str) -> Result<bool, TableError> {
        let page = self.table.query(Query::new(Index::Gsi1, keys::listing_pk(product_id)).limit(1)).await?;
        Ok(!page.items.is_empty())
    }

    /// A page of all of a seller's offers, whatever their status, oldest first.
    pub async fn of_seller(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Offer>, Option<Cursor>), TableError> {
        let query = Query::new(Index::Gsi2, keys::seller_offers_pk(seller_id)).limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        Ok((entities(&page.items)?, page.next))
    }

    /// Brings every offer of `seller` in line with its status: out of the listings while it
    /// is not active, back in when it is, and removed for good when the seller is removed
    /// (R-REMOVE). Idempotent, so a retried status change finishes what a failed one began.
    /// Each chunk checks that the seller is still as read: if it changed, a newer status
    /// change is on its way and this one stops (`None`). Returns how many offers changed.
    ///
    /// An active offer hidden by a suspension or removed with its seller gets its statement
    /// of reasons (DSA Art. 17) in the transaction that restricts it, so each restriction has
    /// exactly one, whatever is retried.
    pub async fn follow_seller(&self, seller: &Seller, now: Timestamp) -> Result<Option<usize>, TableError> {
        let mut changed = 0;
        let mut cursor = None;
        loop {
            let mut attempt = 0;
            let next = loop {
                attempt += 1;
                let query = Query::new(Index::Gsi2, keys::seller_offers_pk(&seller.id))
                    .limit(CASCADE_CHUNK)
                    .cursor(cursor.clone());
                let page = self.table.query(query).await?;
                let products = self.products_of(&page.items).await?;
                let mut ops = Vec::new();
                let mut statements = Vec::new();
                for stored in &page.items {
                    let offer: Offer = record::entity(stored)?;
                    let after = match seller.status {
                        SellerStatus::Removed => offer.remove(RemovalReason::SellerRemoved, now),
                        _ => offer.clone(),
                    };
                    let after_item = offer_item(&after, seller.status)?;
                    if after != offer || !same_listing(stored, &after_item) {
                        let product = products.iter().find(|p| p.id == offer.product_id);
                        if let Some(statement) = restriction_statement(seller, &offer, stored, &after, product) {
                            statements.extend(crate::Dsa::record(&statement, &seller.trader.email)?);
                        }
                        // Only the status and listing attributes change, so stock taken or given
                        // back by orders meanwhile (atomic additions) is never overwritten.
                        ops.push(TxOp::Update {
                            key: keys::offer(&offer.id),
                            update: status_and_listing(&after_item),
                            condition: Some(Condition::Equals(
                                "updatedAt".into(),
                                record::attribute(&offer, "updatedAt")?,
                            )),
                        });
                    }
                }
                let count = ops.len();
                let check = ops.len();
                ops.push(seller_unchanged(seller)?);
                ops.extend(statements);
                match self.table.transact(ops).await {
                    Ok(()) => {
                        changed += count;
                        break page.next;
                    }
                    Err(TableError::TransactionCanceled { failed }) if failed.contains(&check) => return Ok(None),
                    // An offer of this chunk changed meanwhile: read the chunk again.
                    Err(TableError::TransactionCanceled { .. }) if attempt < CASCADE_ATTEMPTS => continue,
                    Err(e) => return Err(e),
                }
            };
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(Some(changed)),
            }
        }
    }
}

impl Offers<'_> {
    /// The products of a page of offers, for their statements' facts.
    async fn products_of(&self, items: &[Item]) -> Result<Vec<marketplace::catalog::Product>, TableError> {
        let mut ids: Vec<&str> = items.iter().filter_map(|i| i.get("productId").and_then(Value::as_str)).collect();
        ids.sort_unstable();
        ids.dedup();
        let keys: Vec<_> = ids.iter().map(|id| keys::product(id)).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.table.get_many(&keys).await?.iter().map(record::entity).collect()
    }
}

/// The statement of an active offer's restriction by its seller's suspension or removal:
/// hidden while it was listed, removed whatever its stock.
fn restriction_statement(
    seller: &Seller,
    before: &Offer,
    stored: &Item,
    after: &Offer,
    product: Option<&marketplace::catalog::Product>,
) -> Option<crate::StoredStatement> {
    use marketplace::dsa::{Removal, Restriction, Statement, Subject};
    let restriction = match seller.status {
        SellerStatus::Removed if before.status == marketplace::offer::OfferStatus::Active => Restriction::OfferRemoved,
        SellerStatus::Suspended if stored.contains_key("gsi1pk") => Restriction::OfferDisabled,
        _ => return None,
    };
    let removal = Removal {
        reason: seller.status_ground.unwrap_or(RemovalReason::SellerTermsBreach),
        explanation: seller.status_reason.clone().unwrap_or_default(),
    };
    let statement = Statement::of(Subject::Offer { offer: after, product }, restriction, &removal, seller.updated_at);
    // A complaint goes to the account decision this follows, not to each offer.
    Some(crate::StoredStatement { statement, seller_id: seller.id.clone(), about: None, created_at: seller.updated_at })
}

/// The update that gives an offer the status and listing keys of `item`, its new form.
fn status_and_listing(item: &Item) -> Update {
    ["status", "removalReason", "updatedAt", "gsi1pk", "gsi1sk"].into_iter().fold(Update::new(), |update, name| {
        match item.get(name) {
            Some(value) => update.set(name, value.clone()),
            None => update.remove(name),
        }
    })
}

fn same_listing(a: &Item, b: &Item) -> bool {
    a.get("gsi1pk") == b.get("gsi1pk") && a.get("gsi1sk") == b.get("gsi1sk")
}
