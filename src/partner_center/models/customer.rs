//! Customers of the partner (docs/partner-center.md §10).

use serde::Deserialize;

use super::enums::RelationshipToPartner;
use crate::domain::{CustomerId, IdError};
use crate::partner_center::links::{Attributes, Links};

/// A customer (`GET /v1/customers` items, `GET /v1/customers/{customer-tenant-id}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// The customer's tenant id.
    pub id: String,
    /// Commerce id.
    #[serde(default)]
    pub commerce_id: Option<String>,
    /// Name and domain.
    #[serde(default)]
    pub company_profile: Option<CustomerCompanyProfile>,
    /// The partner's relationship to the customer.
    #[serde(default)]
    pub relationship_to_partner: Option<RelationshipToPartner>,
    /// Whether the partner holds delegated admin rights (on GET by id).
    #[serde(default)]
    pub allow_delegated_access: Option<bool>,
    /// The customer's custom domains.
    #[serde(default)]
    pub custom_domains: Vec<String>,
    /// The associated (indirect) partner's id.
    #[serde(default)]
    pub associated_partner_id: Option<String>,
    /// `self`.
    #[serde(default)]
    pub links: Links,
    /// `{"objectType": "Customer"}`.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Customer {
    /// The customer's id, parsed from `id`.
    ///
    /// # Errors
    /// [`IdError`] when `id` is not a GUID.
    pub fn customer_id(&self) -> Result<CustomerId, IdError> {
        CustomerId::parse(&self.id)
    }

    /// The company name, when the profile has one.
    pub fn company_name(&self) -> Option<&str> {
        self.company_profile
            .as_ref()
            .and_then(|p| p.company_name.as_deref())
    }
}

/// A customer's company profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCompanyProfile {
    /// The customer's tenant id.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The customer's primary domain, e.g. `contoso.onmicrosoft.com`.
    #[serde(default)]
    pub domain: Option<String>,
    /// The company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// Registration number, when given.
    #[serde(default)]
    pub organization_registration_number: Option<String>,
    /// Contact e-mail, when given.
    #[serde(default)]
    pub email: Option<String>,
    /// `self`.
    #[serde(default)]
    pub links: Links,
    /// `{"objectType": "CustomerCompanyProfile"}`.
    #[serde(default)]
    pub attributes: Attributes,
}
