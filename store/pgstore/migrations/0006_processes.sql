-- The processes sharing the schema. Each row is one registration; its
-- process holds a session-level advisory lock keyed by (the schema's
-- cluster key, id) on a connection it keeps open, so the row's process is
-- alive exactly while that lock is held (pg_locks), and a killed process
-- is known to be gone as soon as its session ends. The leader lock is
-- (cluster key, 0). The leader removes the rows whose lock is free and
-- returns their running tasks to the queue.
CREATE TABLE {{schema}}.processes (
    id           integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL,
    host         text        NOT NULL DEFAULT '',
    pid          integer     NOT NULL DEFAULT 0,
    version      text        NOT NULL DEFAULT '',
    queues       text[]      NOT NULL DEFAULT '{}',
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX processes_name_idx ON {{schema}}.processes (name);
