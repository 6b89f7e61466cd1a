-- The creation index serves listings and retention. A running row is in
-- it only for the seconds its task runs, yet every claim paid an entry in
-- it: a claim is an update that changes status, so it is never a HOT
-- update and its new row version enters every index whose predicate it
-- matches. Without running rows a claim makes two index entries instead
-- of three; listings read the running rows through tasks_lease_idx (a
-- running row is exactly one with a lease) and merge the two.
DROP INDEX IF EXISTS {{schema}}.tasks_created_idx;
CREATE INDEX tasks_created_idx ON {{schema}}.tasks (created_at DESC, id DESC)
    WHERE status <> 'running';
