-- Every budget change attempt, successful or refused. Lock-step with migrations/postgres.
--
-- APPEND-ONLY: rows are never updated or deleted. The log must outlive Partner Center's
-- 90-day audit window and be trusted, so the triggers below refuse UPDATE and DELETE.
-- The customer's name and currency are copied in because the customer may leave.
create table budget_audit (
    id                        integer primary key autoincrement, -- never reused
    at                        text not null,
    user_id                   text not null, -- Entra object id (oid)
    user_name                 text not null,
    customer_id               text not null,
    customer_name             text not null,
    currency                  text not null,
    old_amount                text,          -- null: there was no budget
    new_amount                text,          -- null: the budget was (to be) removed
    reason                    text,
    outcome                   text not null check (outcome in ('applied', 'refused', 'conflict')),
    detail                    text,
    partner_center_request_id text
);

create index budget_audit_by_customer on budget_audit (customer_id, at, id);

create trigger budget_audit_no_update before update on budget_audit
begin
    select raise(abort, 'budget_audit is append-only');
end;

create trigger budget_audit_no_delete before delete on budget_audit
begin
    select raise(abort, 'budget_audit is append-only');
end;
