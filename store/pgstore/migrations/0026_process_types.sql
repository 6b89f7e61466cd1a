-- A process's registration names the task types it runs apart from the
-- queues it serves.
ALTER TABLE {{schema}}.processes ADD COLUMN types text[] NOT NULL DEFAULT '{}';
