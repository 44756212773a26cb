-- Portfolios: the account managers responsible for each customer. Lock-step with
-- migrations/sqlite.
--
-- An owner is named by sign-in name (the UPN or e-mail an account manager signs in with,
-- lower-case), not by user id, so that a customer can be given to someone before they first
-- sign in; users.email links a signed-in user to their sign-in name. A customer may have
-- several owners.
create table customer_owners (
    customer_id text not null,   -- Partner Center customer id (tenant GUID, lower-case)
    owner       text not null,   -- sign-in name, lower-case
    assigned_by text not null,   -- user id of who made the assignment
    assigned_at timestamptz not null,
    primary key (customer_id, owner)
);

-- "My customers": the customers of one owner.
create index customer_owners_by_owner on customer_owners (owner, customer_id);
