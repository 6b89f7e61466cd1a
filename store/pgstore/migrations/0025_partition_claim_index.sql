-- The fair claim rotates across a queue's partitions: it finds the
-- partitions with ready rows by probing this index once per partition
-- (a loose index scan) and reads the first rows of each in claim order.
CREATE INDEX IF NOT EXISTS tasks_partition_claim_idx
    ON {{schema}}.tasks (queue, partition, priority DESC, run_after, id)
    WHERE status IN ('queued', 'retry');
