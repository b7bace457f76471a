use marketplace::seller::{Seller, SellerStatus};
use ports::{Condition, Cursor, Index, Item, Query, Table, TableError, TxOp, Value};

use crate::{keys, record};

/// A seller's item: the seller, on the list of all sellers (gsi2) and on the list of the
/// sellers in its status (gsi1), so every write that changes the status moves it between
/// those lists atomically.
fn seller_item(seller: &Seller) -> Result<Item, TableError> {
    let mut item = record::item(seller, &keys::seller(&seller.id), "seller")?;
    item.insert("gsi2pk".into(), Value::from(keys::ALL_SELLERS_PK));
    item.insert("gsi2sk".into(), Value::from(seller.id.as_str()));
    item.insert("gsi1pk".into(), Value::from(keys::sellers_in_status_pk(seller.status)));
    item.insert("gsi1sk".into(), Value::from(keys::sellers_in_status_sk(seller.created_at, &seller.id)));
    Ok(item)
}

pub struct Sellers<'a> {
    table: &'a dyn Table,
}

/// The outcome of an onboarding.
#[derive(Debug, PartialEq, Eq)]
pub enum Onboarded {
    Created,
    /// The user already onboarded a seller account.
    UserHasSeller,
}

impl<'a> Sellers<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Seller>, TableError> {
        self.table.get(&keys::seller(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// The sellers of `ids` that exist (one batched read of at most 100).
    pub async fn get_many(&self, ids: &[&str]) -> Result<Vec<Seller>, TableError> {
        let keys: Vec<_> = ids.iter().map(|id| keys::seller(id)).collect();
        self.table.get_many(&keys).await?.iter().map(record::entity).collect()
    }

    /// Stores a new seller and claims its owner's one seller account, atomically.
    pub async fn create(&self, seller: &Seller) -> Result<Onboarded, TableError> {
        let owner_key = keys::seller_owner(&seller.owner);
        let mut owner = owner_key.to_item();
        owner.insert("sellerId".into(), seller.id.as_str().into());
        owner.insert("kind".into(), "seller_owner".into());
        let ops = vec![
            TxOp::Put { item: seller_item(seller)?, condition: Some(Condition::NotExists) },
            TxOp::Put { item: owner, condition: Some(Condition::NotExists) },
            crate::quality::status(&seller.id, seller.status),
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok(Onboarded::Created),
            Err(TableError::TransactionCanceled { failed }) if failed == [1] => Ok(Onboarded::UserHasSeller),
            Err(e) => Err(e),
        }
    }

    /// Replaces `before` with `after`, with `also` in the same transaction, unless someone
    /// else changed the seller in between (`TableError::TransactionCanceled` with 0 among the
    /// failed). The status goes where the ranking reads it too.
    pub async fn replace(&self, before: &Seller, after: &Seller, also: Vec<TxOp>) -> Result<(), TableError> {
        let unchanged = Condition::Equals("updatedAt".into(), record::attribute(before, "updatedAt")?);
        let mut ops = vec![
            TxOp::Put { item: seller_item(after)?, condition: Some(unchanged) },
            crate::quality::status(&after.id, after.status),
        ];
        ops.extend(also);
        self.table.transact(ops).await
    }

    /// A page of the sellers in `status`, newest first (by onboarding time).
    pub async fn in_status(
        &self,
        status: SellerStatus,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Seller>, Option<Cursor>), TableError> {
        let query =
            Query::new(Index::Gsi1, keys::sellers_in_status_pk(status)).descending().limit(limit).cursor(cursor);
        record::page(self.table.query(query).await?)
    }

    /// A page of all sellers, by id.
    pub async fn all(&self, limit: u32, cursor: Option<Cursor>) -> Result<(Vec<Seller>, Option<Cursor>), TableError> {
        let page = self.table.query(Query::new(Index::Gsi2, keys::ALL_SELLERS_PK).limit(limit).cursor(cursor)).await?;
        record::page(page)
    }
}
