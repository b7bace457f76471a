use marketplace::catalog::Product;
use ports::{Condition, Table, TableError};

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

    pub async fn create(&self, product: &Product) -> Result<(), TableError> {
        let item = record::item(product, &keys::product(&product.id), "product")?;
        self.table.put(item, Some(Condition::NotExists)).await
    }
}
