-- A queue's limits across every process: at most max_running of its
-- tasks running at once, and at most rate tasks started per second on
-- average with bursts of up to burst (a token bucket holding tokens as of
-- tokens_at). NULL is no limit. A claim from a limited queue locks the
-- queue's row first, so the claims of one limited queue take turns and
-- each sees the tasks the one before it started.
ALTER TABLE {{schema}}.queues
    ADD COLUMN max_running integer     CHECK (max_running > 0),
    ADD COLUMN rate        float8      CHECK (rate > 0),
    ADD COLUMN burst       integer     CHECK (burst > 0),
    ADD COLUMN tokens      float8      NOT NULL DEFAULT 0,
    ADD COLUMN tokens_at   timestamptz NOT NULL DEFAULT now();
