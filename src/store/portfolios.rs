//! `customer_owners`: portfolios, the account managers (by sign-in name) responsible for
//! each customer. A customer may have several owners; an owner may be named before their
//! first sign-in.

use std::collections::{BTreeSet, HashSet};

use chrono::Utc;

use super::values::{count, stored_time};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, SignInName};

impl Store {
    /// Makes `owner` an owner of each of `customers`, recorded as assigned by `assigned_by`
    /// (a user id) now; an existing assignment is kept as it was. Returns how many
    /// assignments are new. All or nothing: one transaction.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, customers), fields(customers = customers.len()))]
    pub async fn assign_owner(
        &self,
        customers: &[CustomerId],
        owner: &SignInName,
        assigned_by: &str,
    ) -> Result<u64, StoreError> {
        let now = stored_time(Utc::now());
        let mut added = 0;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for customer in customers {
                added += sqlx::query(
                    "insert into customer_owners (customer_id, owner, assigned_by, assigned_at) \
                     values ($1, $2, $3, $4) on conflict (customer_id, owner) do nothing",
                )
                .bind(customer.to_string())
                .bind(owner.as_str())
                .bind(assigned_by)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
        });
        Ok(added)
    }

    /// Removes `owner` from the customer's owners; `false` if they were not one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn remove_owner(
        &self,
        customer: &CustomerId,
        owner: &SignInName,
    ) -> Result<bool, StoreError> {
        let removed = on_pool!(self, pool => {
            sqlx::query("delete from customer_owners where customer_id = $1 and owner = $2")
                .bind(customer.to_string())
                .bind(owner.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(removed == 1)
    }

    /// The customer's owners, by sign-in name in alphabetical order.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn owners_of(&self, customer: &CustomerId) -> Result<Vec<SignInName>, StoreError> {
        let owners: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "select owner from customer_owners where customer_id = $1 order by owner",
            )
            .bind(customer.to_string())
            .fetch_all(pool)
            .await?
        });
        owners.iter().map(|o| stored_sign_in_name(o)).collect()
    }

    /// The customers `owner` owns, in id order.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn customers_of(&self, owner: &SignInName) -> Result<Vec<CustomerId>, StoreError> {
        let customers: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "select customer_id from customer_owners where owner = $1 order by customer_id",
            )
            .bind(owner.as_str())
            .fetch_all(pool)
            .await?
        });
        customers
            .iter()
            .map(|c| {
                CustomerId::parse(c)
                    .map_err(|e| StoreError::InvalidValue(format!("customer_owners: {e}")))
            })
            .collect()
    }
}

fn stored_sign_in_name(stored: &str) -> Result<SignInName, StoreError> {
    SignInName::parse(stored).map_err(|e| StoreError::InvalidValue(format!("customer_owners: {e}")))
}

/// The customers of one owner, read at once: what the dashboard's "My customers" and
/// owner filter show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    /// Whose customers these are.
    pub owner: SignInName,
    /// The customers they own (possibly none).
    pub customers: HashSet<CustomerId>,
}

/// An owner and how many customers they own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerCount {
    /// The owner's sign-in name.
    pub owner: SignInName,
    /// How many customers they own (at least one).
    pub customers: u64,
}

impl Store {
    /// The portfolio of `owner`: [`Store::customers_of`] as a set.
    ///
    /// # Errors
    /// As [`Store::customers_of`].
    pub async fn portfolio(&self, owner: &SignInName) -> Result<Portfolio, StoreError> {
        Ok(Portfolio {
            customers: self.customers_of(owner).await?.into_iter().collect(),
            owner: owner.clone(),
        })
    }

    /// Every owner of at least one customer, alphabetically, with their number of customers.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn owners(&self) -> Result<Vec<OwnerCount>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select owner, count(*) from customer_owners group by owner order by owner",
            )
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(owner, customers)| {
                Ok(OwnerCount {
                    owner: stored_sign_in_name(owner)?,
                    customers: count(*customers),
                })
            })
            .collect()
    }

    /// The sign-in names of the people who have signed in to Spendboard (`users.email`, the
    /// `email` or `preferred_username` claim), alphabetically; names that are not sign-in
    /// names are left out.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn known_sign_in_names(&self) -> Result<Vec<SignInName>, StoreError> {
        let emails: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("select email from users where email is not null")
                .fetch_all(pool)
                .await?
        });
        let names: BTreeSet<SignInName> = emails
            .iter()
            .filter_map(|e| SignInName::parse(e).ok())
            .collect();
        Ok(names.into_iter().collect())
    }
}
