//! "Get help" (R-WARRANTY): a buyer's request about one offer of an order, within its
//! warranty; the seller answers it. The reasons feed the seller-quality metrics later.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::order::{Order, PartStatus};
use crate::validation::{Violations, text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpReason {
    Defective,
    WrongItem,
    MissingAccessory,
    CosmeticCondition,
    NotDelivered,
    Other,
}

impl HelpReason {
    pub const ALL: [HelpReason; 6] = [
        Self::Defective,
        Self::WrongItem,
        Self::MissingAccessory,
        Self::CosmeticCondition,
        Self::NotDelivered,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Defective => "defective",
            Self::WrongItem => "wrong_item",
            Self::MissingAccessory => "missing_accessory",
            Self::CosmeticCondition => "cosmetic_condition",
            Self::NotDelivered => "not_delivered",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpStatus {
    Open,
    Answered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelpRequest {
    pub id: String,
    pub order_id: String,
    pub offer_id: String,
    pub seller_id: String,
    pub buyer: String,
    pub reason: HelpReason,
    pub message: String,
    pub status: HelpStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewHelpRequest {
    pub offer_id: String,
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

impl NewHelpRequest {
    /// Opens a request on `order` for its buyer: the offer must be in the order, and its part
    /// delivered and within the offer's warranty — or, for `not_delivered`, on its way.
    pub fn open(self, order: &Order, id: String, now: Timestamp) -> Result<HelpRequest, Error> {
        let mut v = Violations::new();
        let reason = HelpReason::ALL.into_iter().find(|r| r.as_str() == self.reason);
        if reason.is_none() {
            let names: Vec<&str> = HelpReason::ALL.iter().map(|r| r.as_str()).collect();
            v.add("reason", format!("must be one of {}", names.join(", ")));
        }
        let message =
            if self.message.trim().is_empty() { String::new() } else { text(&mut v, "message", &self.message, 2000) };
        let line = order.lines.iter().find(|l| l.offer_id == self.offer_id);
        if line.is_none() {
            v.add("offerId", "is not in this order");
        }
        let (Some(reason), Some(line)) = (reason, line) else { return Err(v.into()) };
        v.finish(|| ())?;
        let part = order.part(&line.seller_id).map(|p| p.status);
        let allowed = match reason {
            HelpReason::NotDelivered => matches!(part, Some(PartStatus::Accepted | PartStatus::Shipped)),
            _ => order.within_warranty(&line.seller_id, line.warranty_months, now),
        };
        if !allowed {
            return Err(Error::conflict(
                "outside_warranty",
                "help can be asked for a delivered item within its warranty, or for a shipment that has not arrived",
            ));
        }
        Ok(HelpRequest {
            id,
            order_id: order.id.clone(),
            offer_id: line.offer_id.clone(),
            seller_id: line.seller_id.clone(),
            buyer: order.buyer.clone(),
            reason,
            message,
            status: HelpStatus::Open,
            answer: None,
            created_at: now,
            answered_at: None,
        })
    }
}

impl HelpRequest {
    pub fn answer(&self, answer: &str, now: Timestamp) -> Result<HelpRequest, Error> {
        let mut v = Violations::new();
        let answer = text(&mut v, "answer", answer, 2000);
        v.finish(|| ())?;
        if self.status == HelpStatus::Answered {
            return Err(Error::conflict("already_answered", "this request was answered"));
        }
        Ok(HelpRequest { status: HelpStatus::Answered, answer: Some(answer), answered_at: Some(now), ..self.clone() })
    }
}
