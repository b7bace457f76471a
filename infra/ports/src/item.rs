//! Items as DynamoDB sees them, and their conversion from and to the marketplace's types.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// An attribute value. Numbers are integers: money is stored in minor units and counts are
/// whole, so nothing at rest is ever a float.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    S(String),
    N(i64),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(BTreeMap<String, Value>),
}

pub type Item = BTreeMap<String, Value>;

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::S(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::S(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::N(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_n(&self) -> Option<i64> {
        match self {
            Value::N(n) => Some(*n),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ItemError {
    #[error("an item must serialise to a JSON object")]
    NotAnObject,
    #[error("numbers at rest are integers; {0} is not")]
    NotAnInteger(String),
    #[error("item does not match its type: {0}")]
    Shape(String),
}

/// Serialises a marketplace type into an item's attributes.
pub trait ToItem {
    fn to_item(&self) -> Result<Item, ItemError>;
}

/// Reads a marketplace type back from an item, ignoring the key attributes.
pub trait FromItem: Sized {
    fn from_item(item: &Item) -> Result<Self, ItemError>;
}

impl<T: Serialize> ToItem for T {
    fn to_item(&self) -> Result<Item, ItemError> {
        match serde_json::to_value(self).map_err(|e| ItemError::Shape(e.to_string()))? {
            serde_json::Value::Object(map) => {
                map.into_iter().map(|(k, v)| Ok((k, from_json(v)?))).collect::<Result<Item, ItemError>>()
            }
            _ => Err(ItemError::NotAnObject),
        }
    }
}

impl<T: DeserializeOwned> FromItem for T {
    fn from_item(item: &Item) -> Result<Self, ItemError> {
        let object = item.iter().map(|(k, v)| (k.clone(), to_json(v))).collect::<serde_json::Map<_, _>>();
        serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| ItemError::Shape(e.to_string()))
    }
}

pub fn from_json(value: serde_json::Value) -> Result<Value, ItemError> {
    Ok(match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::N(n.as_i64().ok_or_else(|| ItemError::NotAnInteger(n.to_string()))?),
        serde_json::Value::String(s) => Value::S(s),
        serde_json::Value::Array(values) => Value::L(values.into_iter().map(from_json).collect::<Result<_, _>>()?),
        serde_json::Value::Object(map) => {
            Value::M(map.into_iter().map(|(k, v)| Ok((k, from_json(v)?))).collect::<Result<_, ItemError>>()?)
        }
    })
}

pub fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::S(s) => serde_json::Value::String(s.clone()),
        Value::N(n) => serde_json::Value::from(*n),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Null => serde_json::Value::Null,
        Value::L(values) => serde_json::Value::Array(values.iter().map(to_json).collect()),
        Value::M(map) => serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        price_minor: i64,
        name: String,
        tags: Vec<String>,
        nested: Option<Box<Sample>>,
    }

    #[test]
    fn round_trips_attribute_by_attribute() {
        let sample = Sample {
            price_minor: 24900,
            name: "iPhone".into(),
            tags: vec!["a".into()],
            nested: Some(Box::new(Sample { price_minor: -1, name: "n".into(), tags: vec![], nested: None })),
        };
        let item = sample.to_item().expect("sample serialises");
        assert_eq!(item["priceMinor"], Value::N(24900));
        assert_eq!(item["tags"], Value::L(vec![Value::S("a".into())]));
        assert_eq!(item["nested"].clone(), {
            let Value::M(m) = &item["nested"] else { panic!("nested is a map") };
            Value::M(m.clone())
        });
        assert_eq!(Sample::from_item(&item), Ok(sample));
    }

    #[test]
    fn refuses_floats_and_non_objects() {
        assert_eq!(serde_json::json!({"x": 1.5}).to_item(), Err(ItemError::NotAnInteger("1.5".into())));
        assert_eq!(serde_json::json!([1]).to_item(), Err(ItemError::NotAnObject));
    }
}
