-- Operating tasks: an operator's retry, the history of attempts, progress
-- reported by a running handler, and snoozes.
--
-- attempt_budget is how many attempts a task was first given; it is NULL
-- until the task's first operator retry, which keeps it there, so every
-- retry gives the task that many attempts again (max_attempts becomes
-- attempts + attempt_budget; attempt numbers keep rising, so the lease
-- fence of an earlier attempt never matches a new one).
--
-- attempt_history holds the task's latest attempts (a bounded JSON array,
-- written with each outcome); progress is the last progress a running
-- handler reported (written with a heartbeat); snoozes counts the times a
-- handler put its task off without spending an attempt.
--
-- Every column is nullable or has a constant default, so adding them
-- rewrites no rows.
ALTER TABLE {{schema}}.tasks
    ADD COLUMN attempt_budget  integer,
    ADD COLUMN attempt_history jsonb,
    ADD COLUMN progress        jsonb,
    ADD COLUMN snoozes         integer NOT NULL DEFAULT 0;
