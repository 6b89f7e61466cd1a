-- Named queues and partitions. Every task waits in one queue (the
-- default queue unless it names one) and may carry a partition key.
-- A claim reads one queue, so the claim index leads with the queue: a
-- claim walks only its own queue's ready rows in claim order, however
-- large another queue's backlog is.
ALTER TABLE {{schema}}.tasks
    ADD COLUMN queue     text NOT NULL DEFAULT 'default',
    ADD COLUMN partition text NOT NULL DEFAULT '';

DROP INDEX IF EXISTS {{schema}}.tasks_claim_idx;
CREATE INDEX tasks_claim_idx ON {{schema}}.tasks (queue, priority DESC, run_after, id)
    WHERE status IN ('queued', 'retry');

-- The state operators set on a queue, shared by every process: a paused
-- queue's tasks stay queued (no claim takes them) until it is resumed. A
-- queue without a row has no state set.
CREATE TABLE {{schema}}.queues (
    name       text        PRIMARY KEY,
    paused     boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
