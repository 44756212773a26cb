-- Bulk budget changes: a batch is planned (previewed) first and applied only once confirmed;
-- each item goes through the same budget change protocol as a single edit. Lock-step with
-- migrations/postgres.

-- The batch a change belongs to (null: a single edit). Adding a nullable column leaves the
-- append-only triggers and every existing row as they are.
alter table budget_changes add column batch_id integer;

create index budget_changes_by_batch on budget_changes (batch_id, customer_id, id);

create table budget_batches (
    id           integer primary key autoincrement,
    created_at   text not null,
    user_id      text not null,   -- Entra object id of who planned it; its tokens apply it
    user_name    text not null,
    action       text not null,   -- the action in words, as previewed
    reason       text,
    confirmed_at text             -- null: a preview, never applied
);

-- One row per selected customer: the plan as previewed. A planned item is applied by one
-- budget change (budget_changes.batch_id = batch_id) after after_change; "retry" moves
-- after_change past the failed change, so the item is planned again.
create table budget_batch_items (
    batch_id      integer not null references budget_batches (id),
    customer_id   text not null,
    customer_name text not null,
    currency      text not null,
    seen_amount   text,        -- the budget the preview showed (the conflict check's base)
    new_amount    text,        -- the budget asked for; null: remove it
    new_status    text not null,  -- the status the new budget gives, as previewed
    reason        text,           -- this customer's reason (an uploaded file's); null: the batch's
    skip_reason   text,           -- why it cannot be applied; such items are never sent
    after_change  integer not null default 0,
    primary key (batch_id, customer_id)
);
