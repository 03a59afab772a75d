-- One key per customer, by the service's digest of the customer id: the
-- customer's events in the log are sealed with it, and erasure deletes it.
CREATE TABLE customer_keys (
	ref bytea PRIMARY KEY,
	key bytea NOT NULL
);
