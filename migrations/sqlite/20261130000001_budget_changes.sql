-- Budget changes as a two-step record: the intent, written before Partner Center is called,
-- and its outcome, written once the outcome is a fact. Replaces budget_audit, whose single
-- row was written after the call (a PATCH could reach Partner Center with no row at all, and
-- an unknown outcome had to be guessed). Lock-step with migrations/postgres.
--
-- Both tables are APPEND-ONLY: the triggers refuse UPDATE and DELETE. The history must
-- outlive Partner Center's 90-day audit window and be trusted.

-- One row per attempt, written before anything is sent. The customer's name and currency are
-- copied in because the customer may leave.
create table budget_changes (
    id            integer primary key autoincrement, -- never reused
    requested_at  text not null,
    user_id       text not null,  -- Entra object id (oid)
    user_name     text not null,
    customer_id   text not null,
    customer_name text not null,
    currency      text not null,
    seen_amount   text,           -- the budget the person's form was based on; null: none
    new_amount    text,           -- the budget asked for; null: remove the budget
    reason        text,
    request_id    text unique     -- MS-RequestId of the PATCH, one per change (null: rows
                                  -- carried over from budget_audit that sent none)
);

create index budget_changes_by_customer on budget_changes (customer_id, requested_at, id);

-- At most one outcome per change (the primary key): whoever decides first records it, and a
-- later decision of the same change is refused by the key, not overwritten.
create table budget_change_outcomes (
    change_id   integer primary key not null references budget_changes (id),
    decided_at  text not null,
    outcome     text not null check (outcome in
                    ('applied', 'refused', 'conflict', 'not_applied', 'superseded')),
    held_known  boolean not null, -- whether held_amount was read from Partner Center
    held_amount text,             -- the budget Partner Center held at the decision; null: none
    decided_by  text not null check (decided_by in ('reply', 'read_back')),
    error_code  text,             -- Partner Center's ApiFault code or HTTP status, if refused
    detail      text              -- what was found, for the person
);

-- The old log carried over: each row becomes a change and its outcome.
insert into budget_changes (id, requested_at, user_id, user_name, customer_id, customer_name,
                            currency, seen_amount, new_amount, reason, request_id)
select id, at, user_id, user_name, customer_id, customer_name, currency, old_amount,
       new_amount, reason, partner_center_request_id
from budget_audit;

insert into budget_change_outcomes (change_id, decided_at, outcome, held_known, held_amount,
                                    decided_by, detail)
select id, at, outcome, true,
       case when outcome = 'applied' then new_amount else old_amount end, 'reply', detail
from budget_audit;

drop table budget_audit;

create trigger budget_changes_no_update before update on budget_changes
begin
    select raise(abort, 'budget_changes is append-only');
end;

create trigger budget_changes_no_delete before delete on budget_changes
begin
    select raise(abort, 'budget_changes is append-only');
end;

create trigger budget_change_outcomes_no_update before update on budget_change_outcomes
begin
    select raise(abort, 'budget_change_outcomes is append-only');
end;

create trigger budget_change_outcomes_no_delete before delete on budget_change_outcomes
begin
    select raise(abort, 'budget_change_outcomes is append-only');
end;
