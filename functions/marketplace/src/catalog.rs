//! Device models (products) and the refurbished-electronics category allowlist (R-OFFER).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::validation::{Violations, is_gtin, text};

/// Only refurbished electronics may be listed: these are the categories that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Smartphones,
    Tablets,
    Laptops,
    Desktops,
    Monitors,
    Consoles,
    Audio,
    Wearables,
    Cameras,
    EReaders,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Self::Smartphones,
        Self::Tablets,
        Self::Laptops,
        Self::Desktops,
        Self::Monitors,
        Self::Consoles,
        Self::Audio,
        Self::Wearables,
        Self::Cameras,
        Self::EReaders,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smartphones => "smartphones",
            Self::Tablets => "tablets",
            Self::Laptops => "laptops",
            Self::Desktops => "desktops",
            Self::Monitors => "monitors",
            Self::Consoles => "consoles",
            Self::Audio => "audio",
            Self::Wearables => "wearables",
            Self::Cameras => "cameras",
            Self::EReaders => "e_readers",
        }
    }

    pub fn parse(value: &str) -> Result<Category, String> {
        Self::ALL.into_iter().find(|c| c.as_str() == value).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
            format!("is not a refurbished-electronics category; allowed: {}", names.join(", "))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub brand: String,
    pub name: String,
    pub category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ean: Option<String>,
    pub created_at: Timestamp,
}

/// A device model as an admin submits it. The category arrives as text so that a category
/// outside the allowlist is a named 422, not a parse failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProduct {
    pub brand: String,
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub ean: Option<String>,
}

impl NewProduct {
    pub fn validate(self, id: String, now: Timestamp) -> Result<Product, Error> {
        let mut v = Violations::new();
        let brand = text(&mut v, "brand", &self.brand, 100);
        let name = text(&mut v, "name", &self.name, 200);
        let category = v.parse("category", Category::parse(&self.category));
        let ean = self.ean.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
        if let Some(ean) = &ean {
            v.check(is_gtin(ean), "ean", "must be an EAN/GTIN with a valid check digit");
        }
        v.finish(|| Product {
            id,
            brand,
            name,
            category: category.expect("a missing category was recorded as a violation"),
            ean,
            created_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_product(category: &str) -> NewProduct {
        NewProduct {
            brand: "Apple".into(),
            name: "iPhone 13 128 GB".into(),
            category: category.into(),
            ean: Some("0194252707289".into()),
        }
    }

    #[test]
    fn allowlisted_categories_only() {
        let now = Timestamp::UNIX_EPOCH;
        for category in Category::ALL {
            assert!(new_product(category.as_str()).validate("prd_1".into(), now).is_ok());
        }
        for outside in ["clothing", "Smartphones", "", "furniture"] {
            let Err(Error::Invalid(v)) = new_product(outside).validate("prd_1".into(), now) else {
                panic!("{outside} accepted")
            };
            assert_eq!(v.errors()[0].field, "category");
        }
    }

    #[test]
    fn ean_check_digit() {
        let mut bad = new_product("smartphones");
        bad.ean = Some("0194252707288".into());
        assert!(bad.validate("prd_1".into(), Timestamp::UNIX_EPOCH).is_err());
    }
}
