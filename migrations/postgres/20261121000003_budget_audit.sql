-- Every budget change attempt, successful or refused. Lock-step with migrations/sqlite.
--
-- APPEND-ONLY: rows are never updated or deleted. The log must outlive Partner Center's
-- 90-day audit window and be trusted, so the trigger below refuses UPDATE, DELETE and
-- TRUNCATE (a DBA can still drop the trigger; that is a deliberate act, not an accident).
-- The customer's name and currency are copied in because the customer may leave.
create table budget_audit (
    id                        bigint generated always as identity primary key,
    at                        timestamptz not null,
    user_id                   text not null, -- Entra object id (oid)
    user_name                 text not null,
    customer_id               text not null,
    customer_name             text not null,
    currency                  text not null,
    old_amount                numeric,       -- null: there was no budget
    new_amount                numeric,       -- null: the budget was (to be) removed
    reason                    text,
    outcome                   text not null check (outcome in ('applied', 'refused', 'conflict')),
    detail                    text,
    partner_center_request_id text
);

create index budget_audit_by_customer on budget_audit (customer_id, at, id);

create function budget_audit_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'budget_audit is append-only';
end;
$$;

create trigger budget_audit_no_update_or_delete before update or delete on budget_audit
    for each row execute function budget_audit_is_append_only();

create trigger budget_audit_no_truncate before truncate on budget_audit
    for each statement execute function budget_audit_is_append_only();
