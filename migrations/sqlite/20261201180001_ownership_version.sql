-- The version of customer_owners: a counter raised by every transaction that changes who
-- owns which customer, in that transaction. Each instance keeps every portfolio and the
-- owners' counts of one version in memory (the dashboard's "My customers", owner filter and
-- owner list) and reads them again when the stored version differs, so every instance on one
-- database shows the ownership committed last.
-- Lock-step with the other database's migration of the same name.
create table ownership_version (
    id      integer primary key not null check (id = 1),
    version bigint not null
);

insert into ownership_version (id, version) values (1, 0);
