//! Sellers' monthly statements: built from the ledger, and stored as documents (JSON and CSV)
//! once their month is closed.

use marketplace::Currency;
use marketplace::statement::Statement;
use ports::{Blob, Ports, TableError};

use crate::Ledger;

pub struct Statements<'a> {
    ports: &'a Ports,
}

/// Where a statement's documents live: `statements/{seller}/{month}/{currency}.{json,csv}`.
pub fn document_key(seller_id: &str, month: &str, currency: Currency, extension: &str) -> String {
    format!("statements/{seller_id}/{month}/{}.{extension}", currency.code())
}

impl<'a> Statements<'a> {
    pub fn new(ports: &'a Ports) -> Self {
        Self { ports }
    }

    /// The statement as the ledger has it now.
    pub async fn build(&self, seller_id: &str, month: &str, currency: Currency) -> Result<Statement, TableError> {
        let ledger = Ledger::new(self.ports.table.as_ref());
        let opening = ledger.opening_funds(seller_id, month, currency).await?;
        let transactions = ledger.seller_transactions(seller_id, month).await?;
        Ok(Statement::build(seller_id, month, currency, opening, &transactions))
    }

    /// The stored statement, if its month was closed and stored.
    pub async fn stored(&self, seller_id: &str, month: &str, currency: Currency) -> Result<Option<Statement>, String> {
        let blob =
            self.ports.blobs.get(&document_key(seller_id, month, currency, "json")).await.map_err(|e| e.to_string())?;
        blob.map(|b| serde_json::from_slice(&b.bytes).map_err(|e| format!("a stored statement is unreadable: {e}")))
            .transpose()
    }

    /// Builds and stores the statement of a closed month, unless it is empty (no movement and
    /// nothing held). Storing again writes the same documents. Returns whether it stored one.
    pub async fn store(&self, seller_id: &str, month: &str, currency: Currency) -> Result<bool, String> {
        let statement = self.build(seller_id, month, currency).await.map_err(|e| e.to_string())?;
        let zero = marketplace::Money::zero(currency);
        let c = &statement.closing;
        if statement.lines.is_empty() && [c.pending, c.available, c.in_transit, c.owed].iter().all(|m| *m == zero) {
            return Ok(false);
        }
        let json = serde_json::to_vec_pretty(&statement).map_err(|e| e.to_string())?;
        let documents = [
            ("csv", Blob { bytes: statement.to_csv().into_bytes(), content_type: "text/csv; charset=utf-8".into() }),
            ("json", Blob { bytes: json, content_type: "application/json".into() }),
        ];
        // The JSON last: its presence says the statement is stored whole.
        for (extension, blob) in documents {
            self.ports
                .blobs
                .put(&document_key(seller_id, month, currency, extension), blob)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(true)
    }
}
