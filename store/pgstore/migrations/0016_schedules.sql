-- The state of periodic schedules (taskqueue.Scheduler): the schedules
-- themselves are defined in code; a row records where a schedule's slots
-- start and the latest slot handled, so a new leader (or a restart)
-- carries on from it. Each slot's task has an idempotency key made from
-- the schedule's name and the slot's time, so a slot is created once even
-- when two leaders handle it.
CREATE TABLE {{schema}}.schedules (
    name        text        PRIMARY KEY,
    since       timestamptz NOT NULL DEFAULT now(),
    last_run_at timestamptz,
    next_run_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
