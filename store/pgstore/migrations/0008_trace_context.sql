-- The trace context of the request that enqueued a task (a JSON object of
-- carrier keys to values, such as a W3C traceparent), so that each attempt
-- joins that trace. NULL when the task was enqueued without one.
ALTER TABLE {{schema}}.tasks ADD COLUMN IF NOT EXISTS trace_context jsonb;
