// Package httpapi serves the task API over HTTP: create, look up, list,
// cancel and release tasks, follow a task's status as server-sent events,
// and answer liveness and readiness probes.
//
// # Routes
//
// [New] builds an [API] from a [Config]; [API.Handler] serves, under
// Config.Prefix (default "/api/v1"):
//
//	POST {prefix}/tasks                201 with the new task, 200 with the existing one for a repeated idempotency key
//	GET  {prefix}/tasks                {"tasks": [...], "total": n, "next_cursor": "..."}
//	GET  {prefix}/tasks/{id}           the task
//	POST {prefix}/tasks/{id}/cancel    the task, cancelled (or asked to cancel while running)
//	POST {prefix}/tasks/{id}/run       the task, released from created to queued
//	POST {prefix}/tasks/batch          {"results": [...], "created": n, "existing": n, "failed": n}: up to MaxBatch tasks
//	POST {prefix}/tasks/{id}/retry     the task, failed or cancelled, back in the queue with a fresh attempt budget
//	DELETE {prefix}/tasks/{id}         204: the finished task (completed, failed or cancelled) is deleted
//	POST {prefix}/tasks/retry?…&confirm=n  {"retried": n}: every failed or cancelled task the filter selects, retried
//	DELETE {prefix}/tasks?…&confirm=n      {"deleted": n}: every finished task the filter selects, deleted
//	GET  {prefix}/tasks/{id}/events    text/event-stream of the task's status and progress changes
//	GET  {prefix}/processes            {"processes": [...]}: the live processes sharing the store (with Config.Processes)
//	GET  {prefix}/schedules            {"schedules": [...]}: the periodic schedules, next and last runs (with Config.Schedules)
//
// and at the root GET /health (200 {"status":"ok"} while the process
// serves) and GET /readyz (200 while Config.Ready returns nil, 503
// not_ready otherwise; the answer names what is not ready, never the
// error's text, which is logged).
//
// An {id} is a full task UUID or an unambiguous prefix of one: a prefix
// that matches several tasks is answered 409 ambiguous_id.
//
// # Creating a task
//
// The body of POST {prefix}/tasks is one JSON object:
//
//	{"type": "email.send", "description": "...", "domain": "billing",
//	 "queue": "mail", "partition": "customer-42", "params": {"to": 42}, "priority": 10, "keep_priority": false, "max_attempts": 3,
//	 "run_after": "2030-01-02T15:04:05Z", "run_immediately": true,
//	 "idempotency_key": "order-42"}
//
// Only type is required. Each field has one rule (the store's input
// contract, store.NewTask.Normalize, which every store applies alike), and
// a value that breaks it is answered 400 invalid_request naming the field:
//
//   - type: 1 to 128 ASCII letters, digits and "_ . - : /", starting with
//     a letter or digit (store.ValidName); no spaces, controls or escapes.
//   - domain: empty (inferred), or a name like type.
//   - queue: empty (the default queue its handler declares, else
//     "default"), or 1 to 64 ASCII letters, digits and "_ . -", starting
//     with a letter or digit (store.ValidQueueName).
//   - partition: empty, or a name like type (a tenant or customer id, say).
//   - description: valid UTF-8 without \u0000, at most
//     store.MaxDescriptionBytes.
//   - idempotency_key (or the Idempotency-Key header): valid UTF-8 without
//     control characters, at most store.MaxIdempotencyKeyLen bytes.
//   - params: a JSON object of at most Config.MaxParamsBytes as sent
//     (default 64 KiB), passed on byte for byte (numbers are never
//     converted), that store.CheckJSON accepts: no \u0000 and no unpaired
//     surrogate escape in any string or member name, numbers finite as a
//     float64 with an exponent within ±10000 and at most 16383 decimal
//     places, nested at most 64 deep (and within Config.MaxJSONDepth).
//   - priority (0 to 100) and max_attempts (0 to 1000, 0 for the default):
//     integers written without fraction or exponent.
//   - keep_priority: a boolean, default false; true asks the enqueuer to
//     keep priority as given, 0 included (a seedcore App otherwise gives a
//     task whose priority is 0 the one its analysis of the description
//     finds).
//   - run_after: RFC 3339, in the years 1 to 9999 once converted to UTC.
//   - run_immediately: a boolean, default true; false leaves the task
//     created until POST .../run.
//
// The body must be UTF-8. Unknown fields, fields given twice, data after
// the object, a body nested deeper than Config.MaxJSONDepth and a body
// larger than Config.MaxBodyBytes are refused. The task is stored through
// Config.Enqueuer, which is where an application analyses and redacts the
// description; responses carry what the enqueuer stored. The body has no
// trace field: the enqueuer gets the request's context, from which a
// seedcore App with a Config.Tracer stores the task's trace_context.
//
// Responses render JSON compactly, so params come back with the same
// members and numbers but without the caller's white space.
//
// # Creating many tasks
//
// POST {prefix}/tasks/batch takes {"tasks": [task, ...]}, each task an
// object of the create body above, at most [MaxBatch] (1,000) of them
// within Config.MaxBodyBytes. It answers 200 with one result per task, in
// the order sent: its "index", the "status" a POST {prefix}/tasks of that
// task alone would have had (201 created, 200 existing for a repeated
// idempotency_key, 400, 503, ...) and the "task" or the "error". A task
// that fails does not stop the others; "created", "existing" and
// "failed" count them. The body as a whole (not an object, no "tasks",
// an empty or too long array, an Idempotency-Key header) is refused with
// 400 and nothing is created. Each task goes through Config.Enqueuer, so
// it is analysed and redacted as a single create is.
//
// # Listing
//
// GET {prefix}/tasks takes
//
//   - status: known status names, repeatable or comma-separated;
//   - type, domain, partition: a name, with the charset of the create body;
//   - queue: a queue name;
//   - created_after, created_before: RFC 3339, years 1 to 9999;
//   - limit: decimal digits without sign or leading zero, 1 to 1000
//     (default 50);
//   - cursor: a next_cursor from the previous page.
//
// A value that breaks its rule, an empty value, a parameter given twice
// (except status) and an unknown parameter are answered 400 naming the
// parameter. total counts every match across pages. A page also ends
// early, with a next_cursor, once its tasks take about
// Config.MaxPageBytes (default 8 MiB), so a page of tasks with large
// params stays bounded: follow next_cursor until it is empty rather than
// counting on limit tasks per page. The response is written a task at a
// time, never built whole in memory.
//
// # Attempt history
//
// A task carries "attempt_history": its latest ended attempts (at most
// store.MaxAttemptHistory, 20), oldest first, each with its number, the
// worker that ran it, when it started and ended, the status it left the
// task in ("retry", "failed", "completed", "cancelled") and its error,
// redacted and cut to store.MaxAttemptErrorChars (a rescued attempt's
// error is "lease expired"). A released attempt (at a stop) does not
// count and is not recorded, nor is a snooze (taskqueue.Snooze), which
// "snoozes" counts instead.
//
// # Progress
//
// A running handler's progress (taskqueue.SetProgress) is the task's
// "progress": any JSON value of at most store.MaxProgressBytes (4 KiB),
// written with its worker's next heartbeat (so it may be a heartbeat
// interval behind the handler), absent until one is written, and kept
// when the task finishes.
//
// # Retrying and deleting
//
// POST .../retry moves a failed or cancelled task back to queued, due at
// once, with as many attempts again as it was first given: max_attempts
// becomes attempts plus that budget (attempt numbers keep rising, so an
// earlier attempt's late write never counts for a new one), and its last
// error stays until the next attempt ends. DELETE removes a finished
// task. Both answer 409 invalid_transition for a task in another status.
//
// The bulk forms take the listing's filter parameters (status, type,
// domain, created_after, created_before; not limit or cursor) and confirm,
// required: the number of tasks the filter selects, as the listing with
// the same filter counts them (total). The tasks are selected and changed
// in one atomic step, and only when their number is confirm: otherwise
// nothing changes and the answer is 409 count_mismatch, whose message
// says how many the filter selects now. Without status, a bulk retry
// selects failed and cancelled tasks and a bulk delete completed, failed
// and cancelled ones; another status is 400. At most store.MaxBulk
// (10,000) tasks are changed at once: a larger selection is 400 too_many.
//
// # Queues
//
// GET {prefix}/queues lists every queue that holds tasks or has state set
// (at most store.MaxQueues), by name:
//
//	{"queues": [{"name": "default", "paused": false,
//	  "counts": {"created": 0, "queued": 12, "running": 3, ...}}]}
//
// POST {prefix}/queues/{name}/pause and .../resume pause and resume the
// queue in every process on the store, and answer {"name", "paused"}. A
// paused queue's tasks stay queued until it is resumed; the state is
// kept by the store (across restarts, on PostgreSQL). A name that is not
// a queue name is 400; a store that keeps no queue state (no
// store.QueueManager) answers 501 not_implemented.
//
// PUT {prefix}/queues/{name}/limits replaces the queue's limits across
// every process: {"max_running": 3, "rate": 20, "burst": 5,
// "partition_max_running": 2}, each optional (absent or 0: no such limit;
// burst defaults to the rate rounded up and needs a rate;
// partition_max_running caps the running tasks of each partition, tasks
// without a partition excepted); see store.QueueLimits for the bounds. It answers
// {"name", "limits"} with the limits as stored.
//
// # Rendering
//
// A task is always rendered: a stored time that cannot be (a row written
// by hand with a time outside the years 0 to 9999, or infinity) is sent as
// the zero time, or left out where the field is optional, and its field is
// named in "invalid" (see store.Task.Invalid), so one such row never fails
// a page, a lookup or an event stream.
//
// # Events
//
// GET {prefix}/tasks/{id}/events sends "event: status" with the task as
// JSON data and an increasing "id:", first for the current state and then
// once per status change; a change of the task's progress alone is sent
// as "event: progress" with the same data. The stream ends after a
// terminal status. With
// Config.Notifier it re-reads the task when a notification concerns it;
// without one it polls every Config.PollInterval. An idle stream sends a
// comment line every [KeepAliveInterval]. The stream runs in the request's
// goroutine and ends when the client goes away.
//
// # Errors
//
// Every error is JSON, {"error": {"code": "...", "message": "..."}} (see
// [ErrorBody]), with the status of its code (the Code constants). Messages
// name the offending field, never a task's description or params; internal
// errors are logged with the request id and answered with a generic
// message. A store that cannot be reached (an error wrapping
// store.ErrUnavailable, store.ErrClosed or a deadline) is answered 503
// unavailable, a create refused by a full store (store.ErrFull,
// memstore.Options.MaxBytes) 503 store_full, an event stream beyond
// Config.MaxStreams 503 too_many_streams; every 503 carries
// "Retry-After" ([RetryAfter]). Every
// response carries X-Request-ID: the client's own when it is 1 to 64
// characters of A-Z, a-z, 0-9, ".", "_" and "-", a new random one
// otherwise (so no other client text reaches the logs).
//
// # Authorization
//
// Config.Authorize, when set, guards every route except GET /health,
// which always answers so a liveness probe needs no credentials. GET
// /readyz is guarded like the task routes. Unknown paths and wrong
// methods are checked too, so an unauthorized client learns nothing of
// the routes. [BearerToken] checks "Authorization: Bearer <token>", the
// scheme in any case. [API.Guard] puts the same checks and error bodies in
// front of a handler of the host's own, such as /metrics.
package httpapi
