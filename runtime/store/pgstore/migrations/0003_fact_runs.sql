-- A row of facts holds a run of a partition's facts, those numbered
-- first to seq, each prefixed by its length (a uvarint), as one commit
-- appends them: a row per partition and commit rather than per fact.
-- Rows written before have no first: they hold the one fact seq.
ALTER TABLE facts ADD COLUMN first bigint;
