-- The version of customer_snapshots: a counter raised by every transaction that writes the
-- table (a refresh's upsert, the deletion of customers who left, a budget change), as that
-- transaction's last statement. Each instance keeps the dashboard's data of one version in
-- memory (the snapshots, their totals and sort orders) and reads it again when the stored
-- version differs, so every instance on one database shows the data committed last.
-- Lock-step with the other database's migration of the same name.
create table snapshot_version (
    id      integer primary key not null check (id = 1),
    version bigint not null
);

insert into snapshot_version (id, version) values (1, 0);
