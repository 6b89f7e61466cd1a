-- The lease index holds the rows that have a lease (exactly the running
-- ones: a claim and a heartbeat set lease_expires_at, every move out of
-- running clears it). With "status = 'running'" as its predicate the
-- planner used it for outcomes and heartbeats, whose own condition repeats
-- that predicate: their generic plans then walked every running row (and
-- every dead entry of the ones finished since the last vacuum) instead of
-- fetching the named tasks by primary key, and outcomes slowed down as a
-- run went on (a 110-row outcome took 26 ms after twenty seconds of eight
-- producers). Rescue's "lease_expires_at < now()" still implies this
-- predicate.
DROP INDEX IF EXISTS {{schema}}.tasks_lease_idx;
CREATE INDEX tasks_lease_idx ON {{schema}}.tasks (lease_expires_at)
    WHERE lease_expires_at IS NOT NULL;
