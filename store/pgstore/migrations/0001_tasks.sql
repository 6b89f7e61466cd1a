-- The task table and the indexes that serve the claim, rescue, listing and
-- retention queries. Heartbeats and outcomes name their tasks, so the
-- primary key serves them and no index on locked_by is kept up to date.
-- {{schema}} is replaced by the validated schema name before the statement
-- runs.

CREATE TABLE {{schema}}.tasks (
    id               uuid        PRIMARY KEY,
    type             text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    domain           text        NOT NULL DEFAULT '',
    params           jsonb       NOT NULL DEFAULT '{}',
    result           jsonb,
    error            text        NOT NULL DEFAULT '',
    status           text        NOT NULL
        CONSTRAINT tasks_status_check CHECK (status IN
            ('created', 'queued', 'running', 'retry', 'completed', 'failed', 'cancelled')),
    priority         smallint    NOT NULL DEFAULT 0,
    attempts         integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL DEFAULT 5,
    run_after        timestamptz NOT NULL DEFAULT now(),
    locked_by        text,
    lease_expires_at timestamptz,
    last_heartbeat   timestamptz,
    cancel_requested boolean     NOT NULL DEFAULT false,
    idempotency_key  text,
    events           jsonb,
    enrichment       jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
) WITH (
    -- Room on each page for the new row versions of claims and outcomes.
    fillfactor = 80,
    -- A queue table churns: vacuum and analyze it often, so dead index
    -- entries left by claims are cleared and plans follow its size.
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02
);

-- The claim: ready rows in claim order. Only queued and retry rows are in
-- it, so it stays small however many finished rows the table holds.
CREATE INDEX tasks_claim_idx ON {{schema}}.tasks (priority DESC, run_after, id)
    WHERE status IN ('queued', 'retry');

-- Rescue of expired leases.
CREATE INDEX tasks_lease_idx ON {{schema}}.tasks (lease_expires_at)
    WHERE status = 'running';

-- Listing, newest first, with a keyset cursor.
CREATE INDEX tasks_created_idx ON {{schema}}.tasks (created_at DESC, id DESC);

-- Retention of finished tasks.
CREATE INDEX tasks_finished_idx ON {{schema}}.tasks (finished_at)
    WHERE status IN ('completed', 'failed', 'cancelled');

-- Idempotency keys are unique where set.
CREATE UNIQUE INDEX tasks_idempotency_key_idx ON {{schema}}.tasks (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
