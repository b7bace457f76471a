use marketplace::help::HelpRequest;
use ports::{Condition, Cursor, Index, Query, Table, TableError, Value};

use crate::{keys, record};

pub struct HelpRequests<'a> {
    table: &'a dyn Table,
}

impl<'a> HelpRequests<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        Self { table }
    }

    fn item(request: &HelpRequest) -> Result<ports::Item, TableError> {
        let mut item = record::item(request, &keys::help_request(&request.order_id, &request.id), "help_request")?;
        item.insert("gsi1pk".into(), Value::from(keys::seller_help_pk(&request.seller_id)));
        item.insert("gsi1sk".into(), Value::from(request.id.as_str()));
        Ok(item)
    }

    pub async fn get(&self, order_id: &str, id: &str) -> Result<Option<HelpRequest>, TableError> {
        self.table.get(&keys::help_request(order_id, id)).await?.as_ref().map(record::entity).transpose()
    }

    /// Stores a new request, with `also` in the same transaction.
    pub async fn create(&self, request: &HelpRequest, also: Vec<ports::TxOp>) -> Result<(), TableError> {
        let mut ops = vec![ports::TxOp::Put { item: Self::item(request)?, condition: Some(Condition::NotExists) }];
        ops.extend(also);
        self.table.transact(ops).await
    }

    /// Writes the answer, unless the request was answered meanwhile.
    pub async fn answer(&self, answered: &HelpRequest) -> Result<(), TableError> {
        self.table.put(Self::item(answered)?, Some(Condition::equals("status", "open"))).await
    }

    /// The help requests of an order (an order holds few), oldest first.
    pub async fn of_order(&self, order_id: &str) -> Result<Vec<HelpRequest>, TableError> {
        let query = Query::new(Index::Table, keys::order(order_id).pk)
            .sort(ports::SortKey::BeginsWith("HELP#".into()))
            .limit(ports::MAX_PAGE);
        Ok(record::page(self.table.query(query).await?)?.0)
    }

    /// A page of a seller's help requests, newest first.
    pub async fn of_seller(
        &self,
        seller_id: &str,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<HelpRequest>, Option<Cursor>), TableError> {
        let page = self
            .table
            .query(Query::new(Index::Gsi1, keys::seller_help_pk(seller_id)).descending().limit(limit).cursor(cursor))
            .await?;
        record::page(page)
    }
}
