-- A queue's cap on the running tasks of each of its partitions, across
-- every process (tasks without a partition are not capped). NULL is no
-- cap. Like max_running it makes the queue limited: its claims lock the
-- queue's row first and count the running tasks of each partition in a
-- snapshot taken after the lock.
ALTER TABLE {{schema}}.queues
    ADD COLUMN partition_max_running integer CHECK (partition_max_running > 0);
