//! `customer_owners`: portfolios, the account managers (by sign-in name) responsible for
//! each customer. A customer may have several owners; an owner may be named before their
//! first sign-in.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use chrono::Utc;

use super::values::stored_time;
use super::version_cache::{VersionCache, Versioned};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, SignInName, UserId};

impl Store {
    /// Makes `owner` an owner of each of `customers`, recorded as assigned by `assigned_by`
    /// now; an existing assignment is kept as it was. Returns how many
    /// assignments are new. All or nothing: one transaction, which raises the ownership
    /// version when it adds any.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, customers), fields(customers = customers.len()))]
    pub async fn assign_owner(
        &self,
        customers: &[CustomerId],
        owner: &SignInName,
        assigned_by: UserId,
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
            if added > 0 {
                sqlx::query(BUMP_OWNERSHIP_VERSION).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(added)
    }

    /// Removes `owner` from the customer's owners (raising the ownership version in the same
    /// transaction); `false` if they were not one.
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
            let mut tx = pool.begin().await?;
            let removed =
                sqlx::query("delete from customer_owners where customer_id = $1 and owner = $2")
                    .bind(customer.to_string())
                    .bind(owner.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if removed > 0 {
                sqlx::query(BUMP_OWNERSHIP_VERSION).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            removed
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

/// Raises the version of `customer_owners` (see the migration `ownership_version`): the last
/// statement of every transaction that changes it.
const BUMP_OWNERSHIP_VERSION: &str =
    "update ownership_version set version = version + 1 where id = 1";

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

/// Every portfolio of one version of `customer_owners` (see [`Store::ownership`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    /// The version of `customer_owners` these are of.
    pub version: i64,
    /// The portfolio of every owner of at least one customer, by sign-in name.
    pub portfolios: BTreeMap<SignInName, Arc<Portfolio>>,
}

impl Ownership {
    /// The portfolio of `owner`; empty when they own no customer.
    pub fn portfolio(&self, owner: &SignInName) -> Arc<Portfolio> {
        self.portfolios.get(owner).cloned().unwrap_or_else(|| {
            Arc::new(Portfolio {
                owner: owner.clone(),
                customers: HashSet::new(),
            })
        })
    }
}

/// The portfolios of the latest version of `customer_owners` this instance read, kept between
/// requests (see [`Store::ownership_view`]).
pub type OwnershipCache = VersionCache<Ownership>;

impl Versioned for Ownership {
    fn version(&self) -> i64 {
        self.version
    }
}

impl Store {
    /// Every portfolio, with the version of `customer_owners` they are of, read in one
    /// statement (so of one committed state).
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn ownership(&self) -> Result<Ownership, StoreError> {
        let rows: Vec<(i64, Option<String>, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select v.version, o.owner, o.customer_id from ownership_version v \
                 left join customer_owners o on 1 = 1 where v.id = 1",
            )
            .fetch_all(pool)
            .await?
        });
        let version = rows.first().map_or(0, |(version, _, _)| *version);
        let mut portfolios: BTreeMap<SignInName, HashSet<CustomerId>> = BTreeMap::new();
        for (_, owner, customer) in rows {
            let (Some(owner), Some(customer)) = (owner, customer) else {
                continue;
            };
            let customer = CustomerId::parse(&customer)
                .map_err(|e| StoreError::InvalidValue(format!("customer_owners: {e}")))?;
            portfolios
                .entry(stored_sign_in_name(&owner)?)
                .or_default()
                .insert(customer);
        }
        Ok(Ownership {
            version,
            portfolios: portfolios
                .into_iter()
                .map(|(owner, customers)| (owner.clone(), Arc::new(Portfolio { owner, customers })))
                .collect(),
        })
    }

    /// The version of `customer_owners`: raised by every committed change of ownership.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn ownership_version(&self) -> Result<i64, StoreError> {
        let version = on_pool!(self, pool => {
            sqlx::query_scalar("select version from ownership_version where id = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(version)
    }

    /// [`Store::ownership`] of `version`, the stored version the caller has just read
    /// ([`Store::ownership_version`], or with [`Store::run_status`]): taken from `cache` when
    /// it holds that version, else read (once, while concurrent callers wait for it) and kept
    /// there. Each request reads the stored version, so a change by any instance on the same
    /// database shows on the next request.
    ///
    /// # Errors
    /// As [`Store::ownership`].
    pub async fn ownership_view(
        &self,
        cache: &OwnershipCache,
        version: i64,
    ) -> Result<Arc<Ownership>, StoreError> {
        cache
            .get_or_load(version, async || self.ownership().await)
            .await
    }

    /// [`Store::ownership_view`] of the version stored now (read first).
    ///
    /// # Errors
    /// As [`Store::ownership`].
    pub async fn current_ownership(
        &self,
        cache: &OwnershipCache,
    ) -> Result<Arc<Ownership>, StoreError> {
        let version = self.ownership_version().await?;
        self.ownership_view(cache, version).await
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
