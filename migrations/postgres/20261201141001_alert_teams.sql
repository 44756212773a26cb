-- Alert teams: named groups of account managers (sign-in names, as in customer_owners),
-- each with an optional incoming webhook that gets the alerts of its members' customers.
-- Lock-step with migrations/sqlite.
create table alert_teams (
    id          bigint generated always as identity primary key,
    name        text not null unique,
    webhook_url text,              -- https (or http to localhost); null: no webhook
    created_by  text not null,     -- user id
    created_at  timestamptz not null
);

create table alert_team_members (
    team_id bigint not null references alert_teams (id),
    member  text not null,         -- a sign-in name, lower-case
    primary key (team_id, member)
);

-- The URL a webhook delivery goes to: a team's, copied when the firing is recorded; null
-- for the partner-wide alerts.webhook_url (configuration, never stored). The recipient of
-- a team delivery names the team(s) whose webhook it is.
alter table alert_outbox add column webhook_url text;
