-- Tasks without a partition stop paying for the fair claim's index. The
-- claim index keeps every ready row, but sorts the rows of a queue
-- without a partition apart from the partitioned ones (its second key is
-- partition <> ''), each group in claim order: the plain claim merges the
-- first rows of the two groups, and the fair claim reads the tasks
-- without a partition (the partition "") from the first group. The
-- partition index, which the fair claim probes once per partition, now
-- holds only partitioned rows, so an insert of a task without a partition
-- maintains one claim index, as before partitions existed.
DROP INDEX IF EXISTS {{schema}}.tasks_partition_claim_idx;
DROP INDEX IF EXISTS {{schema}}.tasks_claim_idx;
CREATE INDEX tasks_claim_idx
    ON {{schema}}.tasks (queue, (partition <> ''), priority DESC, run_after, id)
    WHERE status IN ('queued', 'retry');
CREATE INDEX tasks_partition_claim_idx
    ON {{schema}}.tasks (queue, partition, priority DESC, run_after, id)
    WHERE status IN ('queued', 'retry') AND partition <> '';
