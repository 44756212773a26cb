-- A customer's alerts without reading every customer's: the customer page lists the latest
-- firings of one customer and their deliveries. Without these, each customer page view read
-- the whole of alert_firings and most of alert_outbox (with its message bodies).
create index alert_firings_by_customer on alert_firings (customer_id, fired_at, id);
create index alert_outbox_by_firing on alert_outbox (firing_id, id);
