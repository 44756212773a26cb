//! The JSON vocabulary of Partner Center responses, written from Partner Center's documented
//! examples: links, attributes, collections, timestamps and full-precision numbers.

pub mod fault;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A decimal emitted as a bare JSON number with all its digits (e.g.
/// `120.5682999999995904716`), more than an f64 holds, as Partner Center does.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub Decimal);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// A timestamp with 7 fractional digits (.NET ticks) and a `+00:00` offset, e.g.
/// `2019-09-17T17:08:11.1433333+00:00`.
pub fn ticks(at: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}+00:00",
        at.format("%Y-%m-%dT%H:%M:%S"),
        at.timestamp_subsec_nanos() % 1_000_000_000 / 100
    )
}

/// A timestamp to the second with a `+00:00` offset, e.g. `2019-09-01T00:00:00+00:00`.
pub fn seconds(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// A timestamp to the second with a `Z` suffix, e.g. `2016-05-10T00:00:00Z`.
pub fn zulu(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `{"objectType": ..., "etag"?: ...}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    pub object_type: &'static str,
}

impl Attributes {
    /// Attributes naming only the object type.
    pub fn of(object_type: &'static str) -> Self {
        Self {
            etag: None,
            object_type,
        }
    }
}

/// One request header of a link: a serialised .NET `KeyValuePair`.
#[derive(Debug, Serialize)]
pub struct LinkHeader {
    pub key: String,
    pub value: String,
}

/// `{"uri", "method", "headers": [{key, value}]}`.
#[derive(Debug, Serialize)]
pub struct Link {
    pub uri: String,
    pub method: &'static str,
    pub headers: Vec<LinkHeader>,
}

impl Link {
    /// A GET link without headers.
    pub fn get(uri: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            method: "GET",
            headers: Vec::new(),
        }
    }

    /// A GET link carrying the `MS-ContinuationToken` header (a next-page link).
    pub fn next(uri: impl Into<String>, token: &str) -> Self {
        Self {
            uri: uri.into(),
            method: "GET",
            headers: vec![LinkHeader {
                key: "MS-ContinuationToken".to_string(),
                value: token.to_string(),
            }],
        }
    }
}

/// `{"self": Link, "next"?: Link}`.
#[derive(Debug, Serialize)]
pub struct Links {
    #[serde(rename = "self")]
    pub self_link: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
}

impl Links {
    /// Links with only `self` (a GET of `uri`).
    pub fn to_self(uri: impl Into<String>) -> Self {
        Self {
            self_link: Link::get(uri),
            next: None,
        }
    }
}

/// A Partner Center collection: `totalCount` is the number of items in this page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    pub total_count: usize,
    pub items: Vec<T>,
    pub links: Links,
    pub attributes: Attributes,
}

impl<T> Collection<T> {
    /// A single-page collection.
    pub fn single(items: Vec<T>, self_uri: impl Into<String>) -> Self {
        Self {
            continuation_token: None,
            total_count: items.len(),
            items,
            links: Links::to_self(self_uri),
            attributes: Attributes::of("Collection"),
        }
    }
}

/// A `SpendingBudget`: `{"amount"?: n, "attributes": {...}}` (amount absent when no budget).
#[derive(Debug, Serialize)]
pub struct Budget {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Num>,
    pub attributes: Attributes,
}

impl Budget {
    /// The budget of a customer (`None` = no budget set).
    pub fn of(amount: Option<Decimal>) -> Self {
        Self {
            amount: amount.map(Num),
            attributes: Attributes::of("SpendingBudget"),
        }
    }
}
