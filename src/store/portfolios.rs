//! `customer_owners`: portfolios, the account managers (by sign-in name) responsible for
//! each customer. A customer may have several owners; an owner may be named before their
//! first sign-in.

use chrono::Utc;

use super::values::stored_time;
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
