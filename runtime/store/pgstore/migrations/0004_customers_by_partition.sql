-- Customers are keyed by partition then id, as customers_part_id ordered
-- them, and that index goes: a customer written is one index entry
-- fewer to write. A customer's partition follows from its id
-- (store.PartitionOf), so a lookup by id names both. One statement drops
-- and adds the key, which PostgreSQL and CockroachDB both run.
ALTER TABLE customers DROP CONSTRAINT customers_pkey, ADD CONSTRAINT customers_pkey PRIMARY KEY (part, id);
DROP INDEX customers_part_id;
