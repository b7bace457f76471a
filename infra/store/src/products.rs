use marketplace::catalog::Product;
use std::collections::BTreeSet;

use ports::{Condition, Key, Table, TableError};

use crate::{keys, record};

pub struct Products<'a> {
    table: &'a dyn Table,
}

impl<'a> Products<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Product>, TableError> {
        self.table.get(&keys::product(id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Which of `ids` are products of the catalogue (read in batches of 100).
    pub async fn existing(&self, ids: &[String]) -> Result<BTreeSet<String>, TableError> {
        let unique: BTreeSet<&String> = ids.iter().collect();
        let keys: Vec<Key> = unique.iter().map(|id| keys::product(id)).collect();
        let mut found = BTreeSet::new();
        for chunk in keys.chunks(100) {
            for item in self.table.get_many(chunk).await? {
                let product: Product = record::entity(&item)?;
                found.insert(product.id);
            }
        }
        Ok(found)
    }

    pub async fn create(&self, product: &Product) -> Result<(), TableError> {
        let item = record::item(product, &keys::product(&product.id), "product")?;
        self.table.put(item, Some(Condition::NotExists)).await
    }
}
